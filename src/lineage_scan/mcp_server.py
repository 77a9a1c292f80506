"""`lineage-scan mcp PATH`: the repository's lineage as a Model Context Protocol server over stdio.

Scans PATH once at start-up and answers from memory; the `rescan` tool scans again when files
changed. Tools answer compact JSON (structured content plus the same JSON as text), bounded in size:
long lists are paginated with ``limit``/``cursor`` (see `lineage_scan.explore`). Needs the optional
`mcp` extra (the official MCP Python SDK).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, TextContent, ToolAnnotations
from pydantic import Field

from lineage_scan import __version__, explore
from lineage_scan.api import scan
from lineage_scan.config import CONFIG_FILE, Config
from lineage_scan.discover import discover

INSTRUCTIONS = """\
Column-level lineage of one data/ML repository (SQL, dbt, Airflow, Python), worked out statically.
Names: relations are `schema.table`, columns `schema.table.column` (e.g. ml.churn_features.tenure_days).
Start with `search` to find names, `describe` for owners/tests/description/definition location,
`upstream`/`downstream` for lineage, `impact` before changing or dropping a column, `findings` for
problems the rules found. Lists are paginated: pass `next_cursor` back as `cursor` for the next page.
Call `rescan` after editing files."""

Limit = Annotated[int, Field(ge=1, le=explore.MAX_LIMIT, description="Items per page.")]
Cursor = Annotated[str | None, Field(description="The next_cursor of the previous answer, for the next page.")]
ColumnName = Annotated[str, Field(description="A column as schema.table.column, e.g. ml.churn_features.tenure_days.")]
Depth = Annotated[int | None, Field(ge=1, description="Edges to follow at most; omit for the whole lineage.")]
DirectOnly = Annotated[bool, Field(description="Follow only direct edges (values copied or computed), not "
                                               "join/filter/group-by/sort/window/condition edges.")]
READ_ONLY = ToolAnnotations(read_only_hint=True, open_world_hint=False)


class LineageState:
    """The current scan of the repository, replaced whole by a rescan."""

    def __init__(self, root: Path, config: Config, schema: Path | None = None) -> None:
        self.root, self.config, self.schema = root, config, schema
        self._lock = threading.Lock()
        self.result = scan(root, config, schema=schema)
        self._fingerprint = self.fingerprint()

    def fingerprint(self) -> dict[str, tuple[int, int]]:
        """(size, modification time) of every file the scan would read, and of the config file."""
        paths = [f.path for f in discover(self.root, self.config).files] + [CONFIG_FILE]
        if self.schema is not None:
            paths.append(str(self.schema))
        stamps = {}
        for path in paths:
            try:
                stat = (self.root / path).stat()
            except OSError:
                continue
            stamps[path] = (stat.st_size, stat.st_mtime_ns)
        return stamps

    def rescan(self, force: bool = False) -> dict:
        """Scan again when files were added, removed or changed (or when forced)."""
        with self._lock:
            now = self.fingerprint()
            before = self._fingerprint
            changes = {
                "added": sorted(set(now) - set(before)),
                "removed": sorted(set(before) - set(now)),
                "changed": sorted(p for p in set(now) & set(before) if now[p] != before[p]),
            }
            rescanned = force or any(changes.values())
            if rescanned:
                self.result = scan(self.root, self.config, schema=self.schema)
                self._fingerprint = now
        return {"rescanned": rescanned, **{k: explore.capped(v) for k, v in changes.items()},
                "overview": explore.overview(self.result)}


def build_server(state: LineageState) -> MCPServer:
    """An MCP server whose tools answer from ``state``."""
    server = MCPServer("lineage-scan", instructions=INSTRUCTIONS, version=__version__)

    def tool(fn: Callable[..., CallToolResult], read_only: bool = True) -> None:
        server.add_tool(fn, description=fn.__doc__, annotations=READ_ONLY if read_only else None)

    def summary() -> CallToolResult:
        """Sizes and coverage of the scan, findings by rule, tasks and ML models found."""
        return _reply(explore.overview, state.result)

    def search(
        query: Annotated[str, Field(description="Text to find in names (case-insensitive); '' lists everything.")],
        types: Annotated[list[Literal["relation", "column", "task", "ml_model", "owner"]] | None,
                         Field(description="Only these node types.")] = None,
        limit: Limit = 20,
        cursor: Cursor = None,
    ) -> CallToolResult:
        """Find relations, columns, tasks, ML models and owners by name (exact, then prefix, then
        substring matches, then description matches)."""
        return _reply(explore.search, state.result, query, types, limit, cursor)

    def describe(
        name: Annotated[str, Field(description="A relation (schema.table), column (schema.table.column), task id or ML model id.")],
    ) -> CallToolResult:
        """Owners, tests, description, definition location, columns and neighbours of a relation,
        column, task or ML model."""
        return _reply(explore.describe, state.result, name)

    def upstream(column: ColumnName, depth: Depth = None, direct_only: DirectOnly = False,
                 limit: Limit = explore.DEFAULT_LIMIT, cursor: Cursor = None) -> CallToolResult:
        """Columns this column is computed from, nearest first, with the edge kinds and where each
        dependency is created."""
        return _reply(explore.lineage, state.result, column, "upstream", depth, direct_only, limit, cursor)

    def downstream(column: ColumnName, depth: Depth = None, direct_only: DirectOnly = False,
                   limit: Limit = explore.DEFAULT_LIMIT, cursor: Cursor = None) -> CallToolResult:
        """Columns computed from this column, nearest first, and the ML models they feed."""
        return _reply(explore.lineage, state.result, column, "downstream", depth, direct_only, limit, cursor)

    def impact(
        column: ColumnName,
        change: Annotated[Literal["modify", "drop"], Field(description="modify: its values change; drop: it disappears.")] = "modify",
        limit: Limit = explore.DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> CallToolResult:
        """What breaks or changes if this column is modified or dropped: code that names it,
        downstream columns, relations, ML models, owners to notify and tasks to re-run."""
        return _reply(explore.impact, state.result, column, change, limit, cursor)

    def findings(
        rule: Annotated[str | None, Field(description="Rule id (LS101) or slug (target-leakage).")] = None,
        severity: Annotated[str | None, Field(description="error, warning or note.")] = None,
        path: Annotated[str | None, Field(description="File path prefix or glob, e.g. models/ or *.sql.")] = None,
        limit: Limit = explore.DEFAULT_LIMIT,
        cursor: Cursor = None,
    ) -> CallToolResult:
        """Problems the rules found (leakage, orphans, duplicates...), filtered by rule, severity and path."""
        return _reply(explore.findings, state.result, rule, severity, path, limit, cursor)

    def rescan(force: Annotated[bool, Field(description="Scan even if no file changed.")] = False) -> CallToolResult:
        """Scan the repository again if files were added, removed or changed since the last scan."""
        return _reply(state.rescan, force)

    for fn in (summary, search, describe, upstream, downstream, impact, findings):
        tool(fn)
    tool(rescan, read_only=False)
    return server


def _reply(question: Callable[..., dict], *args: Any) -> CallToolResult:
    """Answer compact JSON (as text and as structured content); a bad question is a tool error."""
    try:
        data = question(*args)
    except explore.QueryError as error:
        raise ToolError(str(error)) from error
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return CallToolResult(content=[TextContent(type="text", text=text)], structured_content=data)


def serve(root: Path, config: Config, schema: Path | None = None) -> None:
    """Scan ``root`` and serve its lineage over stdio until the client disconnects."""
    build_server(LineageState(root, config, schema)).run("stdio")
