"""Column lineage of one query, computed in a single walk over its sqlglot scopes.

For every output column of a query this module finds the base-table columns it comes from (its
*leaves*), following CTEs, derived tables, subqueries, set operations and table functions, and
records how each one contributes (direct level or indirect kind) and how certain the attribution
is. Scopes and their output columns are memoised, so a query is walked once however many columns
read the same CTE. Semantics: ``docs/lineage-semantics.md``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from sqlglot import exp
from sqlglot.optimizer.scope import Scope, ScopeType, build_scope

from lineage_scan.model import STAR, Certainty, EdgeKind
from lineage_scan.sql.names import Names
from lineage_scan.sql.pivot import pivot_outputs
from lineage_scan.sql.query_types import (
    AGGREGATE,
    BARE,
    EMPTY,
    TRANSFORM,
    Leaf,
    Leaves,
    Output,
    Span,
    ValueUse,
    base_leaf,
    node_span,
)
from lineage_scan.sql.schema import SchemaRegistry


@dataclass(frozen=True)
class Note:
    """Something the engine could not settle, reported as a diagnostic with ``code``.

    ``subject`` names the relation concerned (an unexpanded star's table), so the build can drop
    the note once another file tells it that table's columns.
    """

    message: str
    span: Span | None
    code: str
    subject: str | None = None


UNEXPANDED_STAR = "LS905"
UNKNOWN_COLUMN = "LS906"


class QueryError(Exception):
    """The query has a shape the engine cannot follow (reported as a diagnostic)."""


class QueryLineage:
    """Follows the output columns of queries down to base-table columns.

    One instance serves one statement; it memoises per scope, so it must not outlive the AST.
    """

    def __init__(self, names: Names, schema: SchemaRegistry):
        self.names = names
        self.schema = schema
        self._outputs: dict[int, list[Output]] = {}
        self._indirect: dict[int, Leaves] = {}
        self._direct: dict[int, list[Output]] = {}
        self._aliases: dict[int, dict[str, Leaves]] = {}
        self._in_progress: set[int] = set()
        self._scope_of: dict[int, Scope] = {}
        self._roots: dict[int, tuple[exp.Expr, Scope | None]] = {}
        self._table_names: dict[int, str] = {}
        self._base_leaves: dict[tuple[int, str], Leaves] = {}
        self._by_name: dict[int, dict[str, Leaves]] = {}
        self.notes: list[Note] = []

    # ----------------------------------------------------------------- entry points
    def outputs(self, query: exp.Expr) -> list[Output]:
        """The output columns of a query (Select, set operation or Subquery), in order."""
        root = self._root_scope(query)
        if root is None:
            raise QueryError(f"cannot build scopes for {type(query).__name__}")
        self._register(root)
        return self._scope_outputs(root)

    def scope(self, query: exp.Expr) -> Scope | None:
        """The scope `outputs` built for ``query`` (None before `outputs` ran on it)."""
        return self._scope_of.get(id(query))

    def reads(self, query: exp.Expr) -> list[exp.Table]:
        """Every base table the query reads (not CTE names), in source order."""
        root = self._root_scope(query)
        if root is None:
            return []
        seen: dict[exp.Table, None] = {}  # equal tables once (sqlglot's `==` compares cached hashes), the first kept
        for scope in root.traverse():
            for source in scope.sources.values():
                if isinstance(source, exp.Table):
                    seen.setdefault(source)
        return list(seen)

    def _root_scope(self, query: exp.Expr) -> Scope | None:
        """The scope tree of ``query``, built once for both `outputs` and `reads`."""
        known = self._roots.get(id(query))
        if known is None or known[0] is not query:
            known = self._roots[id(query)] = (query, build_scope(query))
        return known[1]

    def _register(self, root: Scope) -> None:
        for scope in root.traverse():
            self._scope_of[id(scope.expression)] = scope

    # ----------------------------------------------------------------- scope outputs
    def _scope_outputs(self, scope: Scope) -> list[Output]:
        key = id(scope.expression)  # a recursive CTE's self-reference is another Scope object
        if key in self._outputs:
            return self._outputs[key]
        if key in self._in_progress:  # a recursive CTE reading itself adds no new base columns
            return []
        self._in_progress.add(key)
        try:
            if scope.scope_type == ScopeType.UDTF:
                result = self._udtf_outputs(scope)
            elif isinstance(scope.expression, exp.SetOperation):
                result = self._set_operation_outputs(scope)
            elif isinstance(scope.expression, exp.Select):
                result = self._select_outputs(scope)
            else:
                result = []
        finally:
            self._in_progress.discard(key)
        self._outputs[key] = result
        return result

    def _set_operation_outputs(self, scope: Scope) -> list[Output]:
        branches = [self._scope_outputs(branch) for branch in scope.set_operation_scopes]
        if not branches or not branches[0]:
            return []
        order = self._indirect_of(scope)
        first = branches[0]
        result = []
        for index, out in enumerate(first):
            leaves = set(out.leaves)
            for other in branches[1:]:
                if index < len(other):
                    leaves |= other[index].leaves
                elif other and other[-1].is_star:
                    leaves |= other[-1].leaves
            result.append(out.with_leaves(frozenset(leaves) | order))
        return result

    def _udtf_outputs(self, scope: Scope) -> list[Output]:
        """UNNEST / FLATTEN / explode: every output derives from the columns of the arguments.

        A `LATERAL (SELECT ...)` subquery is a UDTF scope too; its outputs are the subquery's.
        """
        expression = scope.expression
        if isinstance(expression, exp.Lateral) and isinstance(expression.this, exp.Subquery):
            inner = self._scope_of.get(id(expression.this.this))
            if inner is not None:
                return self._scope_outputs(inner)
        leaves = frozenset(
            leaf.under(TRANSFORM, None, None)
            for column in _columns_in(expression, self._scope_of)
            for leaf in self._resolve_column(scope, column)
        )
        names = self._udtf_names(expression)
        return [Output(name, leaves, node_span(expression)) for name in names] or [Output(STAR, leaves)]

    def _udtf_names(self, expression: exp.Expr) -> list[str]:
        alias = expression.args.get("alias")
        names: list[str] = []
        if isinstance(alias, exp.TableAlias):
            names = [self.names.ident(c) for c in alias.columns if isinstance(c, exp.Identifier)]
            if not names and alias.this:
                names = [self.names.ident(alias.this)]
        if isinstance(expression, exp.Unnest) and isinstance(expression.args.get("offset"), exp.Identifier):
            names.append(self.names.ident(expression.args["offset"]))
        return names

    def _select_outputs(self, scope: Scope) -> list[Output]:
        indirect = self._indirect_of(scope)
        if not indirect:
            return self._direct_outputs(scope)
        return [out.with_leaves(out.leaves | indirect) for out in self._direct_outputs(scope)]

    def _direct_outputs(self, scope: Scope) -> list[Output]:
        """A SELECT's outputs with their direct leaves only (stars expanded), memoised."""
        key = id(scope.expression)
        if key not in self._direct:
            result: list[Output] = []
            aliases: dict[str, Leaves] = {}
            for projection in scope.expression.expressions:
                if _is_star(projection):
                    result.extend(self._expand_star(scope, projection))
                    continue
                name = self._output_name(projection)
                direct = self._expression_leaves(scope, projection, aliases)
                if isinstance(projection, exp.Alias):
                    aliases.setdefault(name, direct)  # later projections may use it (lateral alias)
                result.append(Output(name, direct, node=projection))
            self._direct[key] = result
            self._aliases[key] = aliases
        return self._direct[key]

    def _output_name(self, projection: exp.Expr) -> str:
        if isinstance(projection, exp.Alias):
            return self.names.ident(projection.args["alias"])
        if isinstance(projection, exp.Column) and isinstance(projection.this, exp.Identifier):
            return self.names.ident(projection.this)
        if isinstance(projection, exp.Dot):
            return self.names.display(projection.name) if projection.name else STAR
        name = projection.alias_or_name
        return self.names.display(name) if name else projection.sql(dialect=self.names.dialect)[:64]

    # ----------------------------------------------------------------- stars
    def _expand_star(self, scope: Scope, projection: exp.Expr) -> Iterator[Output]:
        star = projection if isinstance(projection, exp.Star) else projection.this
        excluded = {self._star_arg_name(e) for e in (star.args.get("except_") or [])}
        replaced = {
            self.names.ident(r.args["alias"]): r for r in (star.args.get("replace") or []) if isinstance(r, exp.Alias)
        }
        renamed = {
            self._star_arg_name(r.this): self.names.ident(r.args["alias"])
            for r in (star.args.get("rename") or [])
            if isinstance(r, exp.Alias)
        }
        qualifier = projection.table if isinstance(projection, exp.Column) else None
        span = node_span(projection)
        named: dict[str, Leaves] = {}  # a name two sources share (USING, or a plain clash) merges
        for source_name, source in self._star_sources(scope, qualifier):
            known = self._source_columns(source)
            if known is None or STAR in known:
                for out in self._star_of_unknown(scope, source_name, source, tuple(sorted(excluded))):
                    yield Output(STAR, out, span)
            for column in known or ():
                if column == STAR or column in excluded:
                    continue
                if column in replaced:
                    leaves = self._expression_leaves(scope, replaced[column], {})
                else:
                    leaves = self._through_source(scope, source_name, source, column)
                name = renamed.get(column, column)
                named[name] = named.get(name, EMPTY) | leaves
        for name, leaves in named.items():
            yield Output(name, leaves, span)

    def _star_arg_name(self, node: exp.Expr) -> str:
        if isinstance(node, exp.Column):
            return self.names.column(node)
        return self.names.display(node.name)

    def _star_sources(self, scope: Scope, qualifier: str | None) -> list[tuple[str, exp.Table | Scope]]:
        selected = scope.selected_sources
        semi = scope.semi_or_anti_join_tables
        if qualifier:
            if qualifier in selected:
                return [(qualifier, selected[qualifier][1])]
            self.notes.append(Note(f"star qualifier '{qualifier}' names no source", node_span(scope.expression), UNKNOWN_COLUMN))
            return []
        return [(name, source) for name, (_, source) in selected.items() if name not in semi]

    def _star_of_unknown(
        self, scope: Scope, name: str, source: exp.Table | Scope, excluded: tuple[str, ...]
    ) -> Iterator[Leaves]:
        outputs = self._source_outputs(source)
        if isinstance(source, exp.Table):
            table = self.names.table(source)
            message = f"cannot expand star (*) of {table}: its columns are not known"
            self.notes.append(Note(message, node_span(source), UNEXPANDED_STAR, table))
        if outputs is None:
            yield frozenset({Leaf(table, STAR, certainty=Certainty.UNRESOLVED, excluded=excluded)})
            return
        for out in outputs:
            if out.is_star:
                yield frozenset(
                    leaf._replace(excluded=tuple(sorted(set(leaf.excluded) | set(excluded)))) if leaf.column == STAR else leaf
                    for leaf in out.leaves
                )

    def _source_columns(self, source: exp.Table | Scope) -> tuple[str, ...] | None:
        """The known output columns of a source (with ``*`` marking an open star), or None."""
        outputs = self._source_outputs(source)
        if outputs is None:
            return self.schema.columns(self._table_name(source))
        return tuple(out.name for out in outputs)

    def _table_name(self, table: exp.Table) -> str:
        """`Names.table`, once per table node of the statement."""
        name = self._table_names.get(id(table))
        if name is None:
            name = self._table_names[id(table)] = self.names.table(table)
        return name

    def _source_outputs(self, source: exp.Table | Scope) -> list[Output] | None:
        """Outputs of a sub-scope or of a pivoted table; None for a plain table."""
        if isinstance(source, Scope):
            return self._scope_outputs(source)
        pivots = source.args.get("pivots")
        if not pivots:
            return None
        key = id(source)
        if key not in self._outputs:
            known = self.schema.columns(self.names.table(source))
            self._outputs[key] = pivot_outputs(source, pivots[0], self.names, known)
        return self._outputs[key]

    # ----------------------------------------------------------------- indirect (scope-wide)
    def _indirect_of(self, scope: Scope) -> Leaves:
        key = id(scope.expression)
        if key not in self._indirect:
            self._indirect[key] = frozenset(self._scope_indirect(scope))
        return self._indirect[key]

    def _scope_indirect(self, scope: Scope) -> Iterator[Leaf]:
        expression = scope.expression
        aliases = self._projection_aliases(scope) if isinstance(expression, exp.Select) else {}
        for join in expression.args.get("joins") or []:
            yield from self._clause(scope, join.args.get("on"), EdgeKind.JOIN, aliases, prefer_source=True)
            for using in join.args.get("using") or []:
                name = self.names.ident(using) if isinstance(using, exp.Identifier) else self.names.column(using)
                for leaf in self._using_leaves(scope, name, join):
                    yield leaf.under(BARE, EdgeKind.JOIN, node_span(using))
        yield from self._clause(scope, expression.args.get("where"), EdgeKind.FILTER, aliases, prefer_source=True)
        group = expression.args.get("group")
        if group is not None:
            for item in group.expressions:
                yield from self._group_item(scope, item, aliases)
        yield from self._clause(scope, expression.args.get("having"), EdgeKind.FILTER, aliases)
        yield from self._clause(scope, expression.args.get("qualify"), EdgeKind.FILTER, aliases)
        order = expression.args.get("order")
        if order is not None:
            for item in order.expressions:
                yield from self._order_item(scope, item, aliases)

    def _group_item(self, scope: Scope, item: exp.Expr, aliases: dict[str, Leaves]) -> Iterator[Leaf]:
        projections = scope.expression.expressions
        if isinstance(item, exp.Literal) and item.is_int and 0 < int(item.name) <= len(projections):
            projection = projections[int(item.name) - 1]
            for leaf in self._expression_leaves(scope, projection, aliases):
                yield leaf.under(BARE, EdgeKind.GROUP_BY, node_span(item))
            return
        yield from self._clause(scope, item, EdgeKind.GROUP_BY, aliases)

    def _order_item(self, scope: Scope, item: exp.Expr, aliases: dict[str, Leaves]) -> Iterator[Leaf]:
        target = item.this if isinstance(item, exp.Ordered) else item
        if isinstance(scope.expression, exp.SetOperation):
            yield from self._set_order_item(scope, target)
            return
        projections = scope.expression.expressions
        if isinstance(target, exp.Literal) and target.is_int and 0 < int(target.name) <= len(projections):
            for leaf in self._expression_leaves(scope, projections[int(target.name) - 1], aliases):
                yield leaf.under(BARE, EdgeKind.SORT, node_span(target))
            return
        if isinstance(target, exp.Column) and not target.table:
            name = self.names.column(target)
            if name in aliases:  # ORDER BY prefers output aliases
                for leaf in aliases[name]:
                    yield leaf.under(BARE, EdgeKind.SORT, node_span(target))
                return
        yield from self._clause(scope, target, EdgeKind.SORT, aliases)

    def _set_order_item(self, scope: Scope, target: exp.Expr) -> Iterator[Leaf]:
        """ORDER BY on a set operation orders its output: take that output's direct leaves."""
        branches = [self._scope_outputs(branch) for branch in scope.set_operation_scopes]
        first = branches[0] if branches else []
        index = None
        if isinstance(target, exp.Literal) and target.is_int:
            index = int(target.name) - 1
        elif isinstance(target, exp.Column):
            name = self.names.column(target)
            index = next((i for i, out in enumerate(first) if out.name == name), None)
        if index is None:
            return
        for outputs in branches:
            if 0 <= index < len(outputs):
                for leaf in outputs[index].leaves:
                    if leaf.indirect is None:
                        yield leaf.under(BARE, EdgeKind.SORT, node_span(target))

    def _projection_aliases(self, scope: Scope) -> dict[str, Leaves]:
        """Output alias -> direct leaves, for alias references in GROUP BY/HAVING/QUALIFY/ORDER BY."""
        self._direct_outputs(scope)
        return self._aliases[id(scope.expression)]

    def _clause(
        self, scope: Scope, node: exp.Expr | None, kind: EdgeKind, aliases: dict[str, Leaves], prefer_source: bool = False
    ) -> Iterator[Leaf]:
        """Leaves of a clause. WHERE/ON read source columns first, later clauses output aliases first."""
        if node is None:
            return
        span = node_span(node)
        for leaf in self._expression_leaves(scope, node, aliases, prefer_source):
            yield leaf.under(BARE, kind, leaf.span if leaf.indirect else span)

    # ----------------------------------------------------------------- expressions
    def _expression_leaves(
        self, scope: Scope, root: exp.Expr, aliases: dict[str, Leaves], prefer_source: bool = False
    ) -> Leaves:
        """The leaves of every column inside ``root`` (one projection or one clause)."""
        body = root.this if isinstance(root, exp.Alias) else root
        if type(body) is exp.Column and type(body.this) is exp.Identifier:  # a plain column (no window inside): its one use
            leaves = self._column_leaves(scope, body, aliases, prefer_source)
            return leaves if type(leaves) is frozenset else EMPTY.union(leaves)
        parts: list[Leaves] = []
        for node, level, indirect, value in _column_uses(body, self._scope_of):
            if isinstance(node, (exp.Select, exp.SetOperation, exp.Subquery)):
                nested = self._scope_of.get(id(node)) or self._scope_of.get(id(node.this))
                if nested is None:
                    continue
                leaves = self._all_leaves(nested)
            else:
                leaves = self._column_leaves(scope, node, aliases, prefer_source)
            if level == BARE and indirect is None and value is None:  # a plain use leaves every leaf as it is
                parts.append(leaves)
                continue
            span = node_span(node) if indirect is not None else None  # `under` reads it for an indirect use only
            used = set()
            for leaf in leaves:
                leaf = leaf.under(level, indirect, span)
                used.add(leaf.valued(value) if value is not None and leaf.indirect is None else leaf)
            parts.append(used)
        specs = scope.expression.args.get("windows") if isinstance(scope.expression, exp.Select) else None
        if specs:
            window = set(self._named_window_leaves(scope, specs, body, aliases))
            if window:
                parts.append(window)
        if len(parts) == 1 and isinstance(parts[0], frozenset):
            return parts[0]
        return EMPTY.union(*parts)

    def _named_window_leaves(
        self, scope: Scope, specs: list[exp.Window], body: exp.Expr, aliases: dict[str, Leaves]
    ) -> Iterator[Leaf]:
        """`OVER w` with `WINDOW w AS (PARTITION BY ... ORDER BY ...)` (``specs``): the spec's columns, as window."""
        by_name = {spec.this.name: spec for spec in specs if isinstance(spec.this, exp.Identifier)}
        for window in body.find_all(exp.Window):
            alias = window.args.get("alias")
            spec = by_name.get(alias.name) if isinstance(alias, exp.Identifier) else None
            if spec is None:
                continue
            order = spec.args.get("order")
            for part in [*(spec.args.get("partition_by") or []), *(order.expressions if order else [])]:
                for leaf in self._expression_leaves(scope, part, aliases):
                    yield leaf.under(BARE, EdgeKind.WINDOW, node_span(part))

    def _all_leaves(self, scope: Scope) -> Leaves:
        """Everything a subquery depends on (all its outputs plus its own indirect leaves)."""
        leaves: set[Leaf] = set(self._indirect_of(scope))
        for out in self._scope_outputs(scope):
            leaves |= out.leaves
        return frozenset(leaves)

    def _column_leaves(self, scope: Scope, column: exp.Column, aliases: dict[str, Leaves], prefer_source: bool) -> Leaves:
        if isinstance(column.this, exp.Star):
            return frozenset(leaf for out in self._expand_star(scope, column) for leaf in out.leaves)
        if not column.table:
            name = self.names.column(column)
            if name in aliases and not self._source_has(scope, name, maybe=prefer_source):
                return aliases[name]
        return self._resolve_column(scope, column)

    def _source_has(self, scope: Scope, name: str, maybe: bool) -> bool:
        """Whether a source has column ``name`` (known for sure, or with ``maybe`` possibly)."""
        for _, source in scope.selected_sources.values():
            known = self._source_columns(source)
            if known is not None and name in known:
                return True
            if maybe and (known is None or STAR in known):
                return True
        return False

    # ----------------------------------------------------------------- column resolution
    def _resolve_column(self, scope: Scope, column: exp.Column) -> Leaves:
        name = self.names.column(column)
        if column.table:
            return self._resolve_qualified(scope, column, name)
        return self._resolve_unqualified(scope, name)

    def _through_source(self, scope: Scope, source_name: str, source: exp.Table | Scope, column: str) -> Leaves:
        # Most lookups are of a sub-scope's column already looked up by name.
        by_name = self._by_name.get(id(source.expression)) if isinstance(source, Scope) else None
        if by_name is not None and column in by_name:
            return by_name[column]
        outputs = self._source_outputs(source)
        if outputs is None:  # a base table: the same leaf for every use of the column
            key = (id(source), column)
            leaves = self._base_leaves.get(key)
            if leaves is None:
                leaves = self._base_leaves[key] = frozenset({base_leaf(self._table_name(source), column)})
            return leaves
        if by_name is None and isinstance(source, Scope) and id(source.expression) in self._outputs:  # outputs final
            by_name = self._by_name[id(source.expression)] = {}
            for out in outputs:
                by_name.setdefault(out.name, out.leaves)
            leaves = by_name.get(column)
            if leaves is not None:
                return leaves
        return self._output_column(outputs, column, isinstance(source, Scope) and source.scope_type == ScopeType.UDTF)

    def _output_column(self, outputs: list[Output], name: str, udtf: bool) -> Leaves:
        """The leaves of output ``name`` of a sub-scope or pivot, through an open star if need be."""
        for out in outputs:
            if out.name == name:
                return out.leaves
        stars = [out for out in outputs if out.is_star]
        if not stars:
            if udtf and outputs:
                return outputs[0].leaves
            return frozenset()
        # The column passes through an unexpanded star: assume it comes from the star's table(s).
        result: set[Leaf] = set()
        for out in stars:
            star_tables = sorted({leaf.table for leaf in out.leaves if leaf.column == STAR and leaf.table})
            for leaf in out.leaves:
                if leaf.column != STAR:
                    result.add(leaf)  # indirect leaves of the scope
                elif name in leaf.excluded:
                    continue
                elif len(star_tables) == 1:
                    result.add(leaf._replace(column=name, excluded=(), certainty=Certainty.INFERRED))
            if len(star_tables) > 1:
                result.add(Leaf(None, name, certainty=Certainty.AMBIGUOUS, candidates=tuple(star_tables)))
        return frozenset(result)

    def _resolve_qualified(self, scope: Scope, column: exp.Column, name: str) -> Leaves:
        qualifier = column.table  # the scope's source keys are the normalised names as written
        sources = scope.sources
        if qualifier in sources:  # the common case, before looking further (`_visible_scopes` starts here)
            return self._through_source(scope, qualifier, sources[qualifier], name)
        for candidate_scope in self._visible_scopes(scope):
            sources = candidate_scope.sources
            if qualifier in sources:
                return self._through_source(candidate_scope, qualifier, sources[qualifier], name)
            full = self._match_full_name(candidate_scope, column) or self._pivot_alias(candidate_scope, qualifier)
            if full is not None:
                return self._through_source(candidate_scope, qualifier, full, name)
        # `address.city` where `address` is a struct column of a source, not a table alias.
        display = self.names.ident(column.args["table"])
        db = column.db
        if db and db in scope.sources:
            struct = self._through_source(scope, db, scope.sources[db], display)
            return frozenset(leaf.under(TRANSFORM, None, None) for leaf in struct)
        if self._source_has(scope, display, maybe=False):
            struct_base = self._resolve_unqualified(scope, display, quiet=True)
            return frozenset(leaf.under(TRANSFORM, None, None) for leaf in struct_base)
        self.notes.append(Note(f"column {display}.{name}: '{display}' names no table in scope", node_span(column), UNKNOWN_COLUMN))
        return frozenset({Leaf(display, name, certainty=Certainty.UNRESOLVED)})

    def _match_full_name(self, scope: Scope, column: exp.Column) -> exp.Table | None:
        """A column qualified by a schema-qualified table name (`analytics.orders.id`)."""
        if not column.args.get("db"):
            return None
        wanted = ".".join(self.names.ident(p) for p in column.parts[:-1] if isinstance(p, exp.Identifier))
        for source in scope.sources.values():
            if isinstance(source, exp.Table) and self.names.table(source).endswith(wanted):
                return source
        return None

    def _pivot_alias(self, scope: Scope, qualifier: str) -> exp.Table | None:
        """`... FROM t PIVOT (...) AS p`: columns qualified by `p` come from the pivoted `t`."""
        for source in scope.sources.values():
            if isinstance(source, exp.Table):
                for pivot in source.args.get("pivots") or []:
                    if pivot.alias == qualifier:
                        return source
        return None

    def _visible_scopes(self, scope: Scope) -> Iterator[Scope]:
        """The scope itself, then enclosing scopes a correlated subquery may reference."""
        current: Scope | None = scope
        while current is not None:
            yield current
            if current.scope_type not in (ScopeType.SUBQUERY, ScopeType.UDTF):
                return
            current = current.parent

    def _resolve_unqualified(self, scope: Scope, name: str, quiet: bool = False) -> Leaves:
        for candidate_scope in self._visible_scopes(scope):
            leaves = self._resolve_in_scope(candidate_scope, name)
            if leaves is not None:
                return leaves
        if quiet:
            return frozenset()
        self.notes.append(Note(f"column '{name}' matches no source in scope", node_span(scope.expression), UNKNOWN_COLUMN))
        return frozenset({Leaf(None, name, certainty=Certainty.UNRESOLVED)})

    def _resolve_in_scope(self, scope: Scope, name: str) -> Leaves | None:
        """Attribute an unqualified column to one of the scope's sources (None: not found here)."""
        selected = scope.selected_sources if isinstance(scope.expression, exp.Select) else {}
        if not selected:
            return None
        using = self._using_join(scope, name)
        if using is not None:
            return frozenset(self._using_leaves(scope, name, using))
        known, unknown = [], []
        for source_name, (_, source) in selected.items():
            columns = self._source_columns(source)
            if columns is not None and name in columns:
                known.append((source_name, source))
            elif columns is None or STAR in columns:
                unknown.append((source_name, source))
        if len(known) == 1:
            return self._through_source(scope, known[0][0], known[0][1], name)
        if len(known) > 1:
            return self._ambiguous(scope, name, known)
        if len(unknown) == 1:
            source_name, source = unknown[0]
            leaves = self._through_source(scope, source_name, source, name)
            if len(selected) == 1:
                return leaves
            return frozenset(leaf.weakened(Certainty.INFERRED) for leaf in leaves)
        if len(unknown) > 1:
            return self._ambiguous(scope, name, unknown)
        return None

    def _ambiguous(self, scope: Scope, name: str, sources: list[tuple[str, exp.Table | Scope]]) -> Leaves:
        candidates: set[str] = set()
        for source_name, source in sources:
            for leaf in self._through_source(scope, source_name, source, name):
                if leaf.indirect is None:
                    candidates.update(leaf.candidates or ([leaf.table] if leaf.table else []))
        return frozenset({Leaf(None, name, certainty=Certainty.AMBIGUOUS, candidates=tuple(sorted(candidates)))})

    def _using_join(self, scope: Scope, name: str) -> exp.Join | None:
        for join in scope.expression.args.get("joins") or []:
            for using in join.args.get("using") or []:
                text = self.names.ident(using) if isinstance(using, exp.Identifier) else self.names.column(using)
                if text == name:
                    return join
        return None

    def _using_leaves(self, scope: Scope, name: str, join: exp.Join) -> Iterator[Leaf]:
        """A USING column comes from the joined table and from the sources before it."""
        joined = join.this.alias_or_name
        names = list(scope.selected_sources)
        position = names.index(joined) if joined in names else len(names)
        for source_name in names[: position + 1]:
            source = scope.selected_sources[source_name][1]
            columns = self._source_columns(source)
            if source_name != joined and columns is not None and name not in columns and STAR not in columns:
                continue
            yield from self._through_source(scope, source_name, source, name)


def _is_star(projection: exp.Expr) -> bool:
    return isinstance(projection, exp.Star) or (isinstance(projection, exp.Column) and isinstance(projection.this, exp.Star))


_NESTED = (exp.Select, exp.SetOperation)


def _columns_in(root: exp.Expr, scope_of: dict[int, Scope]) -> Iterator[exp.Column]:
    for node, _, _, _ in _column_uses(root, scope_of):
        if isinstance(node, exp.Column):
            yield node


Use = tuple[exp.Expr, int, EdgeKind | None, ValueUse | None]


def _column_uses(root: exp.Expr, scope_of: dict[int, Scope]) -> Iterator[Use]:
    """Each column (or nested subquery) in ``root`` with the level/indirect kind of its use.

    Walking down from the root, an aggregate function raises the level to AGGREGATE, any other
    wrapper to TRANSFORM; a CASE/IF condition makes the use CONDITIONAL, a window's PARTITION BY /
    ORDER BY makes it WINDOW, an aggregate's FILTER clause CONDITIONAL. The first indirect marker met
    from the root (the one nearest the target) wins. The `ValueUse` says which null-to-zero calls
    and divisions/averages the column's value goes through (None: neither).
    """
    stack: list[Use] = [(root, BARE, None, None)]
    while stack:
        node, level, indirect, value = stack.pop()
        if isinstance(node, exp.Column):
            yield node, level, indirect, value
            continue
        traits = _TRAITS.get(type(node))
        if traits is None:
            traits = _traits_of(type(node))
        # A scalar subquery is one more hop, like a derived table: it keeps the level of its use.
        if traits & _NESTS:
            if node is not root and isinstance(node, _NESTED) and id(node) in scope_of:
                yield node, level, indirect, value
                continue
            if isinstance(node, exp.Subquery) and id(node.this) in scope_of:
                yield node.this, level, indirect, value
                continue
        stack.extend(reversed(_children(node, traits, level, indirect, value)))


_PASS_THROUGH = (exp.Paren, exp.Alias)
_NAVIGATION = (exp.Lag, exp.Lead, exp.FirstValue, exp.LastValue, exp.NthValue)
"""Window functions sqlglot types as aggregates that only pick a row's value (a transform)."""
_RATES = (exp.Div, exp.SafeDivide, exp.Avg)
_VALUE_NODES = (*_RATES, exp.Coalesce, exp.If, exp.Case)
_ROLE_NODES = (exp.Window, exp.If, exp.Case, exp.Filter)
"""The nodes under which a child may get an indirect kind (see `_indirect_role`)."""


def _children(node: exp.Expr, traits: int, level: int, indirect: EdgeKind | None, value: ValueUse | None) -> list[Use]:
    """The uses of ``node``'s children, ``node`` being used at ``level``/``indirect`` with ``value``
    (``traits``: its type's, `_traits_of`)."""
    if traits & _PASSES:
        child_level = level
    elif traits & _AGGREGATES:
        child_level = AGGREGATE
    else:
        child_level = level if level > TRANSFORM else TRANSFORM  # noqa: FURB136 - per node: no call
    filled_key = None
    if traits & _VALUES:
        if isinstance(node, _RATES):
            if value is None or value.rate is None:
                value = ValueUse(value.fill if value else None, value.fill_rate if value else None, node_span(node))
        else:
            filled_key = _zero_filled_argument(node)
            if filled_key is not None and _adjusts_a_value(node):
                filled_key = None
    roles = indirect is None and traits & _ROLES
    children: list[Use] = []
    for key, arg in node.args.items():
        if arg is None:
            continue
        child_value = value
        if filled_key is not None and (filled_key == "*" or key == filled_key):
            rate = value.rate if value else None
            child_value = ValueUse(node_span(node), rate, rate)
        child_indirect = _indirect_role(node, key) if roles else indirect
        if isinstance(arg, list):
            children += [(child, child_level, child_indirect, child_value) for child in arg if isinstance(child, exp.Expr)]
        elif isinstance(arg, exp.Expr):
            children.append((arg, child_level, child_indirect, child_value))
    return children


_PASSES, _AGGREGATES, _VALUES, _ROLES, _NESTS = 1, 2, 4, 8, 16
"""What `_column_uses` asks of a node's type, as bits: passes its level through (`_PASS_THROUGH`), is an
aggregate (not `_NAVIGATION`), is one of `_VALUE_NODES`, of `_ROLE_NODES`, may nest a query (`_NESTED`,
a subquery)."""
_TRAITS: dict[type, int] = {}


def _traits_of(kind: type) -> int:
    """``kind``'s bits (`_PASSES`...), worked out once per node type: `isinstance` against tuples of
    classes, for every node of every expression, costs more."""
    traits = 0
    if issubclass(kind, _PASS_THROUGH):
        traits |= _PASSES
    elif issubclass(kind, exp.AggFunc) and not issubclass(kind, _NAVIGATION):
        traits |= _AGGREGATES
    if issubclass(kind, _VALUE_NODES):
        traits |= _VALUES
    if issubclass(kind, _ROLE_NODES):
        traits |= _ROLES
    if issubclass(kind, (*_NESTED, exp.Subquery)):
        traits |= _NESTS
    _TRAITS[kind] = traits
    return traits


def _zero_filled_argument(node: exp.Expr) -> str | None:
    """Which argument a null-to-zero call fills (`*`: all of them), or None if it is not one.

    `COALESCE(x, 0)` / `IFNULL` / `NVL` / `ISNULL`, Snowflake's `ZEROIFNULL(x)` and
    `IFF(x IS NULL, 0, x)` (sqlglot's `If`), and `CASE WHEN x IS NULL THEN 0 ELSE x END`.
    """
    if isinstance(node, exp.Coalesce):
        fallbacks = node.expressions
        return "*" if fallbacks and _is_zero(fallbacks[-1]) else None
    if isinstance(node, exp.If):
        return "false" if _null_test(node.this) and _is_zero(node.args.get("true")) else None
    if isinstance(node, exp.Case) and node.this is None and len(node.args.get("ifs") or []) == 1:
        when = node.args["ifs"][0]
        return "default" if _null_test(when.this) and _is_zero(when.args.get("true")) else None
    return None


def _adjusts_a_value(node: exp.Expr) -> bool:
    """Whether ``node`` is a term added to or subtracted from a value that stays NULL when missing.

    In `price - COALESCE(discount, 0)` the 0 means "no adjustment": the result is still NULL when
    the price is, so the fill does not turn a missing value into 0. A sum of fills only
    (`COALESCE(a, 0) + COALESCE(b, 0)`) or a fill plus a constant (`1 + COALESCE(n, 0)`) does.
    """
    child, parent = node, node.parent
    while isinstance(parent, exp.Paren):
        child, parent = parent, parent.parent
    if not isinstance(parent, (exp.Add, exp.Sub)):
        return False
    other = parent.expression if child is parent.this else parent.this
    return other is not None and any(not _inside_a_fill(column, other) for column in other.find_all(exp.Column))


def _inside_a_fill(column: exp.Column, top: exp.Expr) -> bool:
    """Whether ``column`` sits inside a null-to-zero call within ``top``."""
    node = column.parent
    while node is not None:
        if _zero_filled_argument(node) is not None:
            return True
        if node is top:
            return False
        node = node.parent
    return False


def _null_test(node: exp.Expr | None) -> bool:
    return isinstance(node, exp.Is) and isinstance(node.expression, exp.Null)


def _is_zero(node: exp.Expr | None) -> bool:
    while isinstance(node, (exp.Cast, exp.Paren)):
        node = node.this
    if not isinstance(node, exp.Literal) or node.is_string:
        return False
    try:
        return float(node.name) == 0
    except ValueError:
        return False


def _indirect_role(parent: exp.Expr, key: str) -> EdgeKind | None:
    """The indirect kind a child gets from its position under ``parent``, if any."""
    if isinstance(parent, exp.Window) and key in ("partition_by", "order"):
        return EdgeKind.WINDOW
    if isinstance(parent, exp.If) and key == "this":
        return EdgeKind.CONDITIONAL
    if isinstance(parent, exp.Case) and key == "this":
        return EdgeKind.CONDITIONAL
    if isinstance(parent, exp.Filter) and key == "expression":
        return EdgeKind.CONDITIONAL
    return None


