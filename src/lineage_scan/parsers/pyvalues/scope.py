"""Variable scopes, and the arguments of a call matched to a function's parameters."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import libcst as cst


class Scope:
    """One scope's variables (a module or a function call); reads fall back to the enclosing scopes."""

    def __init__(self, parent: Scope | None = None, values: dict[str, object] | None = None):
        self.parent = parent
        self.vars: dict[str, object] = values if values is not None else {}

    def get(self, name: str, default: object = None) -> object:
        """The value of ``name`` here or in an enclosing scope; ``default`` when it is not bound."""
        scope: Scope | None = self
        while scope is not None:
            if name in scope.vars:
                return scope.vars[name]
            scope = scope.parent
        return default

    def set(self, name: str, value: object) -> None:
        self.vars[name] = value


def bind_arguments(params: cst.Parameters, args: Sequence[object], kwargs: Mapping[str, object],
                   default: Callable[[cst.BaseExpression], object], missing: Callable[[str], object],
                   ) -> tuple[dict[str, object], list[object], dict[str, object]]:
    """Match a call's arguments to ``params`` the way Python does.

    Returns the value of each named parameter (an argument, else ``default`` of the parameter's
    default expression, else ``missing`` of its name), the positional arguments left for `*args`
    and the keyword arguments left for `**kwargs`.
    """
    rest = dict(kwargs)
    positional = [*params.posonly_params, *params.params]
    bound: dict[str, object] = {}

    def by_keyword(param: cst.Param) -> object:
        name = param.name.value
        if name in rest:
            return rest.pop(name)
        return default(param.default) if param.default is not None else missing(name)

    for index, param in enumerate(positional):
        bound[param.name.value] = args[index] if index < len(args) else by_keyword(param)
    for param in params.kwonly_params:
        bound[param.name.value] = by_keyword(param)
    return bound, list(args[len(positional):]), rest
