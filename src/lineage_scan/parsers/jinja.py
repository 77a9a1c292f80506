"""The sandboxed Jinja renderer shared by every parser that meets templated SQL (dbt, Airflow).

Templates are rendered in `jinja2.sandbox.SandboxedEnvironment` (no attribute walks to Python
internals, bounded `range`), with no loader (so `{% include %}`/`{% import %}` of files is refused
unless a parser supplies a loader confined to the scanned root), a wall-clock limit and an output
size limit. Rendering never raises: failures come back as messages for diagnostics.
"""

from __future__ import annotations

import traceback
from collections.abc import Mapping
from dataclasses import dataclass, field

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from lineage_scan.limits import TimeLimitExceeded, time_limit

MAX_OUTPUT_CHARS = 5_000_000
RENDER_SECONDS = 5.0


class OutputTooLarge(Exception):
    """A template produced more than the output limit."""


@dataclass
class Rendered:
    """The rendered text (None when rendering failed) and what went wrong or was stubbed.

    ``where`` is the (template file name, line) rendering failed at: the innermost template frame,
    `<template>` for the source passed to `render`, else the name a template was compiled with.
    """

    text: str | None
    errors: list[str] = field(default_factory=list)
    where: tuple[str, int] | None = None


class NoFiles(jinja2.BaseLoader):
    """The default loader: every `{% include %}` / `{% import %}` / `{% extends %}` is refused."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str | None, None]:
        raise jinja2.TemplateNotFound(template)


MAX_VALUE_SIZE = 1_000_000
"""Largest string/list a template may build with `*` or `**` (`'x' * 10**10` would exhaust memory)."""


class BoundedSandbox(SandboxedEnvironment):
    """The sandbox, plus bounds on `*` and `**` so arithmetic cannot allocate without limit."""

    intercepted_binops = frozenset({"*", "**"})

    def call_binop(self, context: jinja2.runtime.Context, operator: str, left: object, right: object) -> object:
        if operator == "**":
            if isinstance(left, (int, float)) and isinstance(right, (int, float)) and abs(right) > 64 and abs(left) > 1:
                raise jinja2.exceptions.SecurityError("exponent too large")
            return left**right  # type: ignore[operator]
        for value, times in ((left, right), (right, left)):
            if isinstance(value, (str, list, tuple)) and isinstance(times, int) and len(value) * times > MAX_VALUE_SIZE:
                raise jinja2.exceptions.SecurityError(f"repetition would build a value over {MAX_VALUE_SIZE:,} items")
        return left * right  # type: ignore[operator]


def sandbox(loader: jinja2.BaseLoader | None = None, undefined: type[jinja2.Undefined] = jinja2.Undefined) -> SandboxedEnvironment:
    """A sandboxed environment with dbt's usual extensions (`do`, loop controls)."""
    return BoundedSandbox(
        loader=loader or NoFiles(),
        undefined=undefined,
        autoescape=False,
        extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"],
        keep_trailing_newline=True,
    )


def render(
    env: SandboxedEnvironment,
    source: str,
    context: Mapping[str, object],
    *,
    max_chars: int = MAX_OUTPUT_CHARS,
    seconds: float = RENDER_SECONDS,
) -> Rendered:
    """Render ``source`` with ``context``, within the time and output limits."""
    try:
        with time_limit(seconds):
            template = env.from_string(source)
            chunks: list[str] = []
            size = 0
            for chunk in template.generate(**context):
                size += len(chunk)
                if size > max_chars:
                    raise OutputTooLarge(f"rendered output exceeds {max_chars:,} characters")
                chunks.append(chunk)
            return Rendered("".join(chunks))
    except jinja2.TemplateSyntaxError as error:
        return Rendered(None, [f"Jinja syntax error on line {error.lineno}: {error.message}"], (error.filename or "<template>", error.lineno))
    except jinja2.TemplateNotFound as error:
        return Rendered(None, [f"template file {error.name!r} refused: only files the parser allows can be loaded"])
    except jinja2.exceptions.SecurityError as error:
        return Rendered(None, [f"template refused by the sandbox: {error}"])
    except (TimeLimitExceeded, OutputTooLarge) as error:
        return Rendered(None, [f"template rendering stopped: {error}"], _template_frame(error))
    except RecursionError as error:
        return Rendered(None, ["template rendering stopped: recursion too deep"], _template_frame(error))
    except Exception as error:  # noqa: BLE001 - any failure inside a template is the template's, not ours
        return Rendered(None, [f"template rendering failed: {type(error).__name__}: {error}"], _template_frame(error))


def _template_frame(error: BaseException) -> tuple[str, int] | None:
    """(file name, line) of the innermost template frame of ``error``'s traceback, if any.

    Jinja rewrites tracebacks so template frames carry the template's file name and line; Python
    frames are the renderer's own and end in `.py`.
    """
    frames = [f for f in traceback.extract_tb(error.__traceback__) if not f.filename.endswith(".py")]
    return (frames[-1].filename, frames[-1].lineno or 1) if frames else None
