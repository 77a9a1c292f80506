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
    for index, param in enumerate(positional):
        name = param.name.value
        if index < len(args):
            bound[name] = args[index]
        elif name in rest:
            bound[name] = rest.pop(name)
        else:
            bound[name] = default(param.default) if param.default is not None else missing(name)
    for param in params.kwonly_params:
        name = param.name.value
        if name in rest:
            bound[name] = rest.pop(name)
        else:
            bound[name] = default(param.default) if param.default is not None else missing(name)
    return bound, list(args[len(positional):]), rest
