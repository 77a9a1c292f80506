"""Variable scopes and how values meet where control flow joins (after `if`/`else`, loops, `try`)."""

from __future__ import annotations

from dataclasses import replace

from lineage_scan.parsers.python.values import ColumnValue, Const, Frame, Seq, Unknown
from lineage_scan.parsers.pyvalues.scope import Scope


class Env(Scope):
    """One scope's variables; reads fall back to the enclosing scopes (closure, module globals)."""

    def __init__(self, parent: Env | None = None, module_scope: bool = False):
        super().__init__(parent)
        self.module_scope = module_scope
        self.declared_global: set[str] = set()
        self.params: set[str] = set()
        """Parameter names: their objects belong to the caller until the name is rebound."""
        self.rebound: set[str] = set()
        self.aliases: dict[str, object] = {}
        """Parameters changed in place (never rebound), with their new value, for the caller."""
        self.versions: dict[str, frozenset[str]] = {}
        """The dataset versions a variable may hold (ids of its assignments; see `flow.py`)."""

    def set(self, name: str, value: object) -> None:
        if name in self.declared_global:
            self.globals().vars[name] = value
        else:
            self.vars[name] = value

    def globals(self) -> Env:
        env = self
        while env.parent is not None and not env.module_scope:
            env = env.parent
        return env

    def branch(self) -> Env:
        """A copy to run one branch in; `merge` folds it back."""
        copy = Env(self.parent, self.module_scope)
        copy.vars = dict(self.vars)
        copy.declared_global = set(self.declared_global)
        copy.params = self.params
        copy.rebound = set(self.rebound)
        copy.aliases = dict(self.aliases)
        copy.versions = dict(self.versions)
        return copy

    def merge(self, branches: list[Env]) -> None:
        """This scope becomes the join of the branches' scopes (each ran from a copy of it)."""
        names: dict[str, None] = {}
        for branch in branches:
            names.update(dict.fromkeys(branch.vars))
        merged: dict[str, object] = {}
        for name in names:
            values = [b.vars[name] for b in branches if name in b.vars]
            result = values[0]
            for value in values[1:]:
                result = join(result, value)
            merged[name] = result
        self.vars = merged
        self.rebound = set().union(*(b.rebound for b in branches))
        aliased: dict[str, object] = {}
        for branch in branches:
            for name, value in branch.aliases.items():
                aliased[name] = join(aliased[name], value) if name in aliased else value
        self.aliases = aliased
        versions: dict[str, frozenset[str]] = {}
        for branch in branches:
            for name, ids in branch.versions.items():
                versions[name] = versions.get(name, frozenset()) | ids
        self.versions = versions


def join(a: object, b: object) -> object:
    """One value standing for either of two (a variable set differently on two branches)."""
    if a is b or a == b:
        return a
    if isinstance(a, Frame) and isinstance(b, Frame):
        return join_frames(a, b)
    if isinstance(a, ColumnValue) and isinstance(b, ColumnValue):
        return ColumnValue(a.terms | b.terms, a.name if a.name == b.name else a.name or b.name, a.rows | b.rows,
                           a.engine or b.engine)
    if isinstance(a, Seq) and isinstance(b, Seq):
        return Seq(tuple(dict.fromkeys([*a.items, *b.items])))
    if isinstance(a, Unknown) and not isinstance(b, Unknown | Const):
        return b
    if isinstance(b, Unknown) and not isinstance(a, Const):
        return a
    if isinstance(a, Const) or isinstance(b, Const):
        return Unknown()
    return a


def join_frames(a: Frame, b: Frame) -> Frame:
    columns = dict(a.columns)
    for name, lineage in b.columns:
        columns[name] = columns.get(name, frozenset()) | lineage
    return replace(
        a,
        columns=tuple(columns.items()),
        rows=a.rows | b.rows,
        stars=a.stars | b.stars,
        excluded=a.excluded & b.excluded,
        unknown=a.unknown | b.unknown,
        opaque=a.opaque or b.opaque,
        engine=a.engine or b.engine,
    )
