"""YAML from scanned repositories: `yaml.safe_load` with bounds on size, depth and alias expansion.

`safe_load` never runs code, but a hostile file can still hurt: nested aliases ("billion laughs")
load as shared references that explode when anything walks them, and deep nesting exhausts the
stack. `load_yaml` refuses both with a `YAMLRejected` error that callers turn into diagnostics.
"""

from __future__ import annotations

import yaml

MAX_YAML_CHARS = 10_000_000
MAX_EXPANDED_NODES = 1_000_000


class YAMLRejected(ValueError):
    """The YAML is invalid, too large, too deep, or expands to too many nodes."""


def load_yaml(text: str, max_nodes: int = MAX_EXPANDED_NODES, loader: type[yaml.SafeLoader] = yaml.SafeLoader) -> object:
    """``text`` loaded with ``loader`` (a `SafeLoader` or subclass), within the bounds above."""
    if len(text) > MAX_YAML_CHARS:
        raise YAMLRejected(f"YAML document is over {MAX_YAML_CHARS:,} characters")
    try:
        data = yaml.load(text, Loader=loader)  # noqa: S506 - only SafeLoader and its subclasses
    except yaml.YAMLError as error:
        raise YAMLRejected(f"invalid YAML: {describe_error(error)}") from error
    except RecursionError as error:
        raise YAMLRejected("YAML nested too deeply") from error
    if _expanded_size(data, max_nodes) > max_nodes:
        raise YAMLRejected(f"YAML expands to more than {max_nodes:,} nodes (alias bomb?)")
    return data


def describe_error(error: yaml.YAMLError) -> str:
    """One line: what is wrong and where (`line 3, column 5: expected ...`)."""
    if isinstance(error, yaml.MarkedYAMLError) and error.problem:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        context = f" ({error.context})" if error.context else ""
        return f"{where}{error.problem}{context}"
    return " ".join(str(error).split())


def _expanded_size(data: object, limit: int) -> int:
    """Node count once aliases are expanded, memoised per shared object so it stays cheap."""
    sizes: dict[int, int] = {}
    # Iterative post-order walk: deep documents must not exhaust the stack here either.
    stack: list[tuple[object, bool]] = [(data, False)]
    while stack:
        node, children_done = stack.pop()
        if not isinstance(node, (dict, list)) or id(node) in sizes and not children_done:
            continue
        children = list(node.keys()) + list(node.values()) if isinstance(node, dict) else node
        if not children_done:
            stack.append((node, True))
            stack.extend((child, False) for child in children if isinstance(child, (dict, list)))
            continue
        total = 1 + sum(sizes.get(id(c), 1) if isinstance(c, (dict, list)) else 1 for c in children)
        sizes[id(node)] = min(total, limit + 1)
    return sizes.get(id(data), 1)
