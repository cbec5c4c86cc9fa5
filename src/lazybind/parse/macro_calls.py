"""Function-like macros that call one function: `#define SSL_CTX_set_mode(ctx, op)
SSL_CTX_ctrl((ctx), SSL_CTRL_MODE, (op), NULL)` becomes a Python function calling SSL_CTX_ctrl.

Each macro is expanded by clang in a probe, `sizeof((NAME(arg0, arg1)))`, its parameters given as
placeholder variables: the expansion must be a single call of a declared function whose arguments
are each either a parameter, passed through unchanged (casts aside, which the function's own
prototype performs), or a constant clang evaluates. Anything else (a parameter inside an
expression, a statement, two calls, a type argument) is left out: the module never guesses at C.
"""

from __future__ import annotations

from typing import AbstractSet, Optional, Sequence, Tuple, Union

from .. import ir
from . import clang_api
from .clang_api import CursorKind, TypeKind
from .decls import MacroDefinition

ARGUMENT_PREFIX = "__lazybind_arg_"
_TRANSPARENT = (CursorKind.UNEXPOSED_EXPR, CursorKind.PAREN_EXPR, CursorKind.CSTYLE_CAST_EXPR)
_WRAPPERS = _TRANSPARENT + (CursorKind.CXX_UNARY_EXPR,)  # CXX_UNARY_EXPR: the probe's sizeof


def placeholders(macros: Sequence[MacroDefinition]) -> str:
    """The declaration of the placeholder arguments the probes pass."""
    count = max((len(m.params or ()) for m in macros), default=0)
    if not count:
        return ""
    return "extern void " + ", ".join(f"*{ARGUMENT_PREFIX}{i}" for i in range(count)) + ";"


def probe_template(macro: MacroDefinition) -> str:
    arguments = ", ".join(f"{ARGUMENT_PREFIX}{i}" for i in range(len(macro.params or ())))
    return "static unsigned long long {probe} = sizeof(({macro}(%s)));" % arguments


def read_call(probe, macro: MacroDefinition, functions: AbstractSet[str], line: int,
              probe_file: str) -> Union[ir.MacroCall, str]:
    """The MacroCall a probe shows, or why the macro is not one. `line` and `probe_file` are
    what __LINE__ and __FILE__ gave in the probe: the macro's own line and header stand in."""
    call = _single_child(next(iter(probe.get_children()), None), _WRAPPERS)
    if call is None or call.kind != CursorKind.CALL_EXPR:
        return "a function-like macro that is not a call of one function"
    children = list(call.get_children())
    callee = _single_child(children[0], _TRANSPARENT) if children else None
    if callee is None or callee.kind != CursorKind.DECL_REF_EXPR or callee.spelling not in functions:
        return "a function-like macro calling something other than a declared function"
    arguments = []
    for argument in children[1:]:
        value = _argument(argument, macro, line, probe_file)
        if value is None:
            return ("a function-like macro whose call arguments are not each a parameter or "
                    "a constant")
        arguments.append(value)
    return ir.MacroCall(macro.name, macro.location, macro.params or (), callee.spelling,
                        tuple(arguments))


def _argument(argument, macro: MacroDefinition, line: int,
              probe_file: str) -> Optional[Tuple[str, ir.ConstantValue]]:
    inner = _single_child(argument, _TRANSPARENT)
    if inner is not None and inner.kind == CursorKind.DECL_REF_EXPR and \
            inner.spelling.startswith(ARGUMENT_PREFIX):
        return ("param", int(inner.spelling[len(ARGUMENT_PREFIX):]))
    if _uses_a_parameter(argument):
        return None  # `sizeof(*p)`, `p + 1`: depends on the argument's C type or value
    value = clang_api.evaluate(argument)
    if value is None and inner is not None and inner.kind == CursorKind.INTEGER_LITERAL:
        value = clang_api.evaluate(inner)  # NULL spelled ((void *)0)
    if value == 0 and argument.type.get_canonical().kind == TypeKind.POINTER:
        return ("value", None)  # NULL: ctypes takes None for any pointer type, 0 for some only
    if isinstance(value, bytes) and probe_file.encode() in value:
        value = macro.location.file.encode()  # __FILE__: where the macro is, not the probe
    elif value == line:
        value = macro.location.line  # __LINE__
    return None if value is None else ("value", value)


def _single_child(cursor, kinds):
    """Down through nodes of `kinds` (parentheses, casts, implicit conversions) to what they
    wrap; None when one wraps more than one expression."""
    while cursor is not None and cursor.kind in kinds:
        children = [c for c in cursor.get_children() if not c.kind.is_reference()]
        if len(children) != 1:
            return None
        cursor = children[0]
    return cursor


def _uses_a_parameter(cursor) -> bool:
    return any(node.kind == CursorKind.DECL_REF_EXPR and node.spelling.startswith(ARGUMENT_PREFIX)
               for node in cursor.walk_preorder())
