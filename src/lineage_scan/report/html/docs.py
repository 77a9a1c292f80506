"""Rule docstrings (ruff style: `## What it does`, fenced examples) cut into blocks for the templates.

Only the Markdown the rule docstrings use: `#` headings, paragraphs, `-`/`*` lists, fenced code and
inline `code`. The result is plain text in structures; the templates escape all of it.
"""

from __future__ import annotations

from dataclasses import dataclass

Inline = tuple[tuple[str, bool], ...]
"""Text pieces, each flagged True when it is inline code."""


@dataclass(frozen=True)
class Block:
    kind: str
    """heading, paragraph, list or code."""
    text: str = ""
    pieces: Inline = ()
    items: tuple[Inline, ...] = ()


def blocks(doc: str) -> list[Block]:
    result: list[Block] = []
    paragraph: list[str] = []
    items: list[str] = []
    lines = doc.strip("\n").splitlines()

    def flush() -> None:
        if paragraph:
            result.append(Block("paragraph", pieces=inline(" ".join(paragraph))))
            paragraph.clear()
        if items:
            result.append(Block("list", items=tuple(inline(item) for item in items)))
            items.clear()

    index = 0
    while index < len(lines):
        stripped = lines[index].strip()
        if stripped.startswith("```"):
            flush()
            code = []
            index += 1
            while index < len(lines) and not lines[index].strip().startswith("```"):
                code.append(lines[index])
                index += 1
            result.append(Block("code", text="\n".join(code)))
        elif stripped.startswith("#"):
            flush()
            result.append(Block("heading", text=stripped.lstrip("#").strip()))
        elif stripped[:2] in ("- ", "* "):
            if paragraph:
                flush()
            items.append(stripped[2:])
        elif not stripped:
            flush()
        elif items:
            items[-1] += " " + stripped
        else:
            paragraph.append(stripped)
        index += 1
    flush()
    return result


def inline(text: str) -> Inline:
    """Text cut at backticks: odd pieces are code."""
    parts = text.split("`")
    if len(parts) % 2 == 0:  # an unclosed backtick is text
        parts[-2:] = [parts[-2] + "`" + parts[-1]]
    return tuple((part, index % 2 == 1) for index, part in enumerate(parts) if part)
