"""A fingerprint of a query's logic: equal for queries that differ only in presentation.

Normalised away (all on sqlglot's AST, never on text): formatting, comments and keyword case;
table aliases (each source is named by its table, or by its CTE's position, plus an ordinal when a
scope reads the same table twice) and qualifiers of columns in single-source scopes; CTE names; the output column names of the outermost SELECT and
the order of its columns; positional `GROUP BY 1` / `ORDER BY 1`; and the operand order of
commutative operations (`AND`, `OR`, `=`, `<>`, `+`, `*`). Anything else, down to a literal,
changes the fingerprint; so does restructuring (a join moved into a CTE, a subquery inlined).

The query is not copied or regenerated as SQL: one walk serialises its canonical form.
"""

from __future__ import annotations

import hashlib
from collections import Counter

from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.scope import Scope, ScopeType, build_scope

from lineage_scan.sql.names import Names

COMMUTATIVE = (exp.And, exp.Or, exp.EQ, exp.NEQ, exp.Add, exp.Mul)


def logic_fingerprint(query: exp.Query, names: Names, root: Scope | None = None) -> str | None:
    """A short hex digest of ``query``'s normalised logic, or None when it cannot be normalised.

    ``root`` is the query's scope when the caller already built it.
    """
    try:
        root = root or build_scope(query)
        if root is None:
            return None
        text = _Canon(query, root, names).text()
    except (SqlglotError, RecursionError):
        return None
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


class _Canon:
    """Serialises a query with canonical names in place of the author's aliases."""

    def __init__(self, query: exp.Query, root: Scope, names: Names):
        self.query = query
        self.names = names
        self.display = names.display
        scopes = list(root.traverse())
        self.cte_names = {cte.alias: f"_cte{index}" for index, cte in enumerate(_ctes(query, scopes))}
        self.renamed: dict[int, str] = {}  # id(Table node or Column node) -> canonical source name
        for scope in scopes:
            self._name_sources(scope)

    def _name_sources(self, scope: Scope) -> None:
        canonical: dict[str, str] = {}
        seen: Counter[str] = Counter()
        for alias, (node, source) in scope.selected_sources.items():
            if isinstance(source, exp.Table):
                base = self.names.table(source)
            elif isinstance(node, exp.Table) and node.name in self.cte_names:
                base = self.cte_names[node.name]
            else:
                base = "_derived"
            seen[base] += 1
            canonical[alias] = base if seen[base] == 1 else f"{base}#{seen[base]}"
            self.renamed[id(node)] = canonical[alias]
        only = next(iter(canonical.values())) if len(canonical) == 1 else None
        for column in scope.columns:
            if column.table in canonical:
                self.renamed[id(column)] = canonical[column.table]
            elif not column.table and only is not None:  # `id` and `s.id` mean the same with one source
                self.renamed[id(column)] = only

    def text(self) -> str:
        query = self.query
        if not isinstance(query, exp.Select):
            return self._node(query)
        projections = [p.this if isinstance(p, exp.Alias) else p for p in query.expressions]
        outputs = sorted(self._node(p) for p in projections)
        parts = [f"SELECT[{','.join(outputs)}]"]
        for key, value in query.args.items():
            if key == "expressions" or value is None:
                continue
            if key in ("group", "order"):
                parts.append(f"{key}=[{','.join(self._by_item(i, projections) for i in value.expressions)}]")
            else:
                parts.append(f"{key}={self._value(value)}")
        return " ".join(parts)

    def _by_item(self, item: exp.Expr, projections: list[exp.Expr]) -> str:
        """A GROUP BY/ORDER BY item, a position replaced by the projection it names."""
        target = item.this if isinstance(item, exp.Ordered) else item
        if isinstance(target, exp.Literal) and target.is_int and 0 < int(target.name) <= len(projections):
            resolved = self._node(projections[int(target.name) - 1])
            return resolved if target is item else f"{resolved} {self._args(item, skip=('this',))}"
        return self._node(item)

    def _value(self, value: object) -> str:
        if isinstance(value, list):
            return "[" + ",".join([self._value(v) for v in value]) + "]"
        if isinstance(value, exp.Expr):
            return self._node(value)
        return repr(value)

    def _node(self, node: exp.Expr) -> str:
        kind = _KINDS.get(type(node))
        if kind is None:
            kind = _KINDS[type(node)] = _kind(type(node))
        if kind is _GENERIC:
            return f"{type(node).__name__}({self._args(node)})"
        if kind is exp.Column:
            qualifier = self.renamed.get(id(node))
            if qualifier is None:
                qualifier = node.table
            this = node.this  # `Names.column`, inline
            return f"col({qualifier}.{self.display(this.name) if isinstance(this, exp.Identifier) else self._node(this)})"
        if kind is exp.Identifier:
            return f"id({node.name if node.quoted else node.name.lower()})"
        if kind is exp.Table:
            if id(node) in self.renamed:
                return f"table({self.renamed[id(node)]}{self._args(node, skip=('this', 'db', 'catalog', 'alias'))})"
        elif kind is exp.CTE:
            return f"cte({self.cte_names.get(node.alias, node.alias)}:{self._node(node.this)})"
        elif kind is exp.TableAlias:
            if isinstance(node.parent, (exp.Subquery, exp.Lateral)):
                return "alias"  # a derived table's name is replaced where its columns are used
        elif kind is exp.Literal:
            return f"lit({node.name!r},{node.is_string})"
        elif kind is exp.Paren:
            return self._node(node.this)
        elif kind is COMMUTATIVE:
            operands = sorted([self._node(o) for o in _flatten(node, type(node))])
            return f"{type(node).__name__}({','.join(operands)})"
        return f"{type(node).__name__}({self._args(node)})"

    def _args(self, node: exp.Expr, skip: tuple[str, ...] = ()) -> str:
        parts = []
        for key, value in node.args.items():
            if value is None or value is False or key in skip:
                continue
            if isinstance(value, exp.Expr):
                parts.append(f"{key}={self._node(value)}")
            elif not isinstance(value, list):
                parts.append(f"{key}={value!r}")
            elif value:  # an empty list is left out; `_value` of a list, with its nodes written directly
                items = [self._node(item) if isinstance(item, exp.Expr) else self._value(item) for item in value]
                parts.append(f"{key}=[{','.join(items)}]")
        return ",".join(parts)


_GENERIC = object()
_KINDS: dict[type, object] = {}
"""Node type -> how `_Canon._node` writes it: the first of these classes it is a subclass of, or `_GENERIC`."""


def _kind(node_type: type) -> object:
    for kind in (exp.Column, exp.Table, exp.CTE, exp.TableAlias, exp.Identifier, exp.Literal, exp.Paren):
        if issubclass(node_type, kind):
            return kind
    return COMMUTATIVE if issubclass(node_type, COMMUTATIVE) else _GENERIC


def _ctes(query: exp.Query, scopes: list[Scope]) -> list[exp.CTE]:
    """The CTEs of ``query`` in breadth-first order (as `find_all` gives them), found through their
    scopes rather than by walking the whole tree."""
    ctes = {id(s.expression.parent): s.expression.parent for s in scopes if s.scope_type == ScopeType.CTE}
    try:
        if all(isinstance(cte, exp.CTE) for cte in ctes.values()):
            return sorted(ctes.values(), key=lambda cte: _breadth_first_key(cte, query))
    except ValueError:  # not below the query after all
        pass
    return list(query.find_all(exp.CTE))


def _breadth_first_key(node: exp.Expr, root: exp.Expr) -> tuple[int, list[tuple[int, int]]]:
    """Where a breadth-first walk from ``root`` meets ``node``: its depth, then the positions (argument,
    then index in a list argument) on the way down, since a walk visits a node's children in that order."""
    path = []
    while node is not root:
        parent = node.parent
        if parent is None:
            raise ValueError("not below the root")
        path.append((list(parent.args).index(node.arg_key), node.index or 0))
        node = parent
    path.reverse()
    return len(path), path


def _flatten(node: exp.Expr, kind: type[exp.Expr]) -> list[exp.Expr]:
    inner = node.unnest() if isinstance(node, exp.Paren) else node
    if isinstance(inner, kind):
        return _flatten(inner.this, kind) + _flatten(inner.expression, kind)
    return [inner]
