"""dbt Python models (`models/*.py`): their `dbt.ref`/`dbt.source`/`dbt.config` calls, read with
libcst (never executed). Column lineage of the DataFrame code is the Python analysis' job."""

from __future__ import annotations

from typing import Any

import libcst as cst

from lineage_scan.config import MAX_PYTHON_LINES
from lineage_scan.parsers.dbt.nodes import RefCall
from lineage_scan.parsers.python.modules import ParseFailure, parse_cst


def python_model_calls(
    text: str, max_lines: int = MAX_PYTHON_LINES
) -> tuple[list[RefCall], list[tuple[str, str]], dict[str, Any], str | None]:
    """(refs, sources, config, error) of a Python model's source."""
    try:
        module = parse_cst(text, max_lines)
    except (cst.ParserSyntaxError, RecursionError, ParseFailure) as error:
        return [], [], {}, f"Python model does not parse: {str(error).splitlines()[0]}"
    collector = _Calls()
    module.visit(collector)
    return collector.refs, collector.sources, collector.config, None


class _Calls(cst.CSTVisitor):
    def __init__(self) -> None:
        self.refs: list[RefCall] = []
        self.sources: list[tuple[str, str]] = []
        self.config: dict[str, Any] = {}

    def visit_Call(self, node: cst.Call) -> None:
        func = node.func
        if not (isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and func.value.value == "dbt"):
            return
        positional = [_literal(a.value) for a in node.args if a.keyword is None]
        keywords = {a.keyword.value: _literal(a.value) for a in node.args if a.keyword is not None}
        strings = [p for p in positional if isinstance(p, str)]
        if func.attr.value == "ref" and strings:
            version = keywords.get("v", keywords.get("version"))
            package, name = (strings[0], strings[1]) if len(strings) > 1 else (None, strings[0])
            self.refs.append(RefCall(package, name, str(version) if version is not None else None))
        elif func.attr.value == "source" and len(strings) >= 2:
            self.sources.append((strings[0], strings[1]))
        elif func.attr.value == "config":
            self.config.update({k: v for k, v in keywords.items() if v is not None})


def _literal(node: cst.BaseExpression) -> Any:
    if isinstance(node, cst.SimpleString):
        return node.evaluated_value
    if isinstance(node, cst.Integer):
        return int(node.value)
    if isinstance(node, cst.Name) and node.value in ("True", "False"):
        return node.value == "True"
    return None
