"""Function-like macros that call a function: `#define SSL_CTX_set_mode(ctx, op)
SSL_CTX_ctrl((ctx), SSL_CTRL_MODE, (op), NULL)` becomes a Python function calling SSL_CTX_ctrl.

Each macro is expanded by clang in a probe, `sizeof((NAME(arg0, arg1)))`, its parameters given as
placeholder variables: the expansion must be a call of a declared function whose arguments are
each a parameter, a constant clang evaluates, or such a call of another declared function
(`EVP_MD_get_size(EVP_MD_CTX_get0_md(e))`). Casts are otherwise left to the function's own
prototype, except casts to a pointer type, which ctypes would refuse: they are recorded, and so
are calls of an inline function that only returns its parameter (OpenSSL's stack macros check
their argument types that way), which are casts in effect. Anything else (a parameter inside an
expression, a statement, an inline function doing more, a type argument) is left out: the module
never guesses at C.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import AbstractSet, Any, Callable, Dict, Optional, Sequence, Tuple, Union

from .. import ir
from . import clang_api
from .clang_api import CursorKind, TypeKind
from .macro_definitions import MacroDefinition

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
              probe_file: str, convert: Optional[Callable] = None,
              identities: Optional[Dict[str, bool]] = None) -> Union[ir.MacroCall, str]:
    """The MacroCall a probe shows, or why the macro is not one. `line` and `probe_file` are
    what __LINE__ and __FILE__ gave in the probe: the macro's own line and header stand in.
    `convert` turns the pointer type the macro casts its result to into IR; `identities`
    remembers, across the macros of one probe, which inline functions return their argument."""
    expression = next(iter(clang_api.children(probe)), None)
    call, result_type = _unwrap(expression, _WRAPPERS)
    if call is None or call.kind != CursorKind.CALL_EXPR:
        return "a function-like macro that is not a call of one function"
    found = _call(call, _Context(macro, functions, line, probe_file,
                                 {} if identities is None else identities))
    if isinstance(found, str):
        return found
    result = None
    if result_type is not None and convert is not None and \
            result_type.get_canonical() != call.type.get_canonical():
        result = convert(result_type)  # `(X509 *)OPENSSL_sk_value(...)`: ctypes gives an int
    return ir.MacroCall(macro.name, macro.location, macro.params or (), found.target,
                        found.arguments, result)


@dataclass(frozen=True)
class _Context:
    macro: MacroDefinition
    functions: AbstractSet[str]
    line: int  # what __LINE__ gave in the probe
    probe_file: str  # what __FILE__ gave
    identities: Dict[str, bool]  # inline function name -> returns its argument


def _call(call, context: _Context) -> Union[ir.Call, str]:
    children = clang_api.children(call)
    callee = _single_child(children[0], _TRANSPARENT) if children else None
    if callee is None or callee.kind != CursorKind.DECL_REF_EXPR or \
            callee.spelling not in context.functions:
        return "a function-like macro calling something other than a declared function"
    arguments = []
    for argument in children[1:]:
        value = _argument(argument, context)
        if value is None:
            return ("a function-like macro whose call arguments are not each a parameter, "
                    "a constant or such a call")
        arguments.append(value)
    return ir.Call(callee.spelling, tuple(arguments))


def _argument(argument, context: _Context) -> Optional[Tuple[str, Any]]:
    inner, cast_type = _unwrap(argument, _TRANSPARENT)
    cast = cast_type is not None
    while inner is not None and inner.kind == CursorKind.CALL_EXPR and \
            _returns_its_argument(inner, context.identities):
        inner = _single_child(clang_api.children(inner)[1], _TRANSPARENT)  # a cast, in effect
        cast = True
    if inner is not None and inner.kind == CursorKind.DECL_REF_EXPR and \
            inner.spelling.startswith(ARGUMENT_PREFIX):
        return ("cast" if cast else "param", int(inner.spelling[len(ARGUMENT_PREFIX):]))
    if inner is not None and inner.kind == CursorKind.CALL_EXPR:
        nested = _call(inner, context)
        return None if isinstance(nested, str) else ("call", replace(nested, cast=cast))
    if _uses_a_parameter(argument):
        return None  # `sizeof(*p)`, `p + 1`: depends on the argument's C type or value
    value = clang_api.evaluate(argument)
    if value is None and inner is not None and inner.kind == CursorKind.INTEGER_LITERAL:
        value = clang_api.evaluate(inner)  # NULL spelled ((void *)0)
    if value == 0 and argument.type.get_canonical().kind == TypeKind.POINTER:
        return ("value", None)  # NULL: ctypes takes None for any pointer type, 0 for some only
    if isinstance(value, bytes) and context.probe_file.encode() in value:
        value = context.macro.location.file.encode()  # __FILE__: where the macro is, not the probe
    elif value == context.line:
        value = context.macro.location.line  # __LINE__
    return None if value is None else ("value", value)


def _returns_its_argument(call, known: Dict[str, bool]) -> bool:
    """A call of an inline function of one parameter whose body only returns it, cast or not:
    OpenSSL's `ossl_check_X509_sk_type(sk)` type checks, which are no exported symbol."""
    children = clang_api.children(call)
    callee = _single_child(children[0], _TRANSPARENT) if len(children) == 2 else None
    if callee is None or callee.kind != CursorKind.DECL_REF_EXPR:
        return False
    found = known.get(callee.spelling)
    if found is None:
        found = known[callee.spelling] = _is_identity(callee)
    return found


def _is_identity(callee) -> bool:
    definition = callee.referenced.get_definition() if callee.referenced else None
    if definition is None or definition.kind != CursorKind.FUNCTION_DECL:
        return False
    parts = clang_api.children(definition)
    parameters = [c for c in parts if c.kind == CursorKind.PARM_DECL]
    bodies = [c for c in parts if c.kind == CursorKind.COMPOUND_STMT]
    if len(parameters) != 1 or len(bodies) != 1:
        return False
    statements = clang_api.children(bodies[0])
    if len(statements) != 1 or statements[0].kind != CursorKind.RETURN_STMT:
        return False
    returned = _single_child(next(iter(clang_api.children(statements[0])), None), _TRANSPARENT)
    return returned is not None and returned.kind == CursorKind.DECL_REF_EXPR and \
        returned.referenced == parameters[0]


def _unwrap(cursor, kinds):
    """Down through nodes of `kinds` (parentheses, casts, implicit conversions) to what they
    wrap, None when one wraps more than one expression; and the type of the first C cast met on
    the way when it is a pointer type (else None)."""
    cast, first = None, True
    while cursor is not None and cursor.kind in kinds:
        if first and cursor.kind == CursorKind.CSTYLE_CAST_EXPR:
            first = False
            cast = cursor.type if cursor.type.get_canonical().kind == TypeKind.POINTER else None
        cursor = _wrapped(cursor)
    return cursor, cast


def _single_child(cursor, kinds):
    """What nodes of `kinds` wrap (see `_unwrap`)."""
    return _unwrap(cursor, kinds)[0]


def _wrapped(cursor):
    """The one expression a wrapping node holds, or None when it holds more."""
    children = [c for c in clang_api.children(cursor) if not clang_api.is_reference(c)]
    return children[0] if len(children) == 1 else None


def _uses_a_parameter(cursor) -> bool:
    return any(node.kind == CursorKind.DECL_REF_EXPR and node.spelling.startswith(ARGUMENT_PREFIX)
               for node in clang_api.descendants(cursor))
