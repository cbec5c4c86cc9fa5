"""The values of string and pointer macros, read from a macro probe's initializer.

The macro probe (`static __auto_type p = (MACRO);`, lazybind.parse.macros) gives an integer's
value, but libclang evaluates neither a parenthesized string literal nor a pointer. Most string
and pointer macros are plain enough to read here from the probe's cursors: a literal's spelling
(clang writes every byte of it, escaped, and its array type says how many there are), or a
pointer cast of an integer constant (`((HANDLE)(LONG_PTR)-1)`, `((void *)0)`), perhaps plus or
minus an integer; `__func__` and its kin, which are no literal. What is read here is what a second
probe, which costs a parse of the headers, finds; anything else is left to it (UNSURE). Imports
nothing of lazybind but clang_api.
"""

from __future__ import annotations

import re
from typing import Optional, Tuple, Union

from . import clang_api
from .clang_api import Cursor, CursorKind, TypeKind


class Unsure:
    """What is not read here: the second probe decides (UNSURE, the one instance)."""


UNSURE = Unsure()

_ESCAPE = re.compile(r"""\\(?:([0-7]{1,3})|x([0-9A-Fa-f]+)|u([0-9A-Fa-f]{4})|U([0-9A-Fa-f]{8})|(.))""",
                     re.S)
_SIMPLE_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "a": "\a", "b": "\b", "f": "\f", "v": "\v",
                   "e": "\x1b"}
_INTEGER_KINDS = {TypeKind.BOOL, TypeKind.CHAR_S, TypeKind.CHAR_U, TypeKind.SCHAR, TypeKind.UCHAR,
                  TypeKind.SHORT, TypeKind.USHORT, TypeKind.INT, TypeKind.UINT, TypeKind.LONG,
                  TypeKind.ULONG, TypeKind.LONGLONG, TypeKind.ULONGLONG, TypeKind.ENUM}
# what names an address: a pointer, and the functions and arrays that decay to one
_ADDRESS_KINDS = {TypeKind.POINTER, TypeKind.FUNCTIONPROTO, TypeKind.FUNCTIONNOPROTO,
                  TypeKind.CONSTANTARRAY, TypeKind.INCOMPLETEARRAY}
_THROUGH = (CursorKind.PAREN_EXPR, CursorKind.UNEXPOSED_EXPR, CursorKind.CSTYLE_CAST_EXPR)


def string_literal(probe: Cursor) -> Optional[Cursor]:
    """The string literal a probe's initializer is, through parentheses; or None."""
    literal = next(iter(clang_api.children(probe)), None)
    while literal is not None and literal.kind in (CursorKind.PAREN_EXPR, CursorKind.UNEXPOSED_EXPR):
        literal = next(iter(clang_api.children(literal)), None)
    return literal if literal is not None and literal.kind == CursorKind.STRING_LITERAL else None


def plain_string(probe: Cursor) -> Union[bytes, None, Unsure]:
    """The bytes of the narrow string literal a probe's initializer is (through parentheses and
    its decay to a pointer alone), NULs and all; None for `__func__` and its kin, which name no
    literal; else UNSURE."""
    expression = next(iter(clang_api.children(probe)), None)
    while expression is not None and (expression.kind == CursorKind.PAREN_EXPR or (
            expression.kind == CursorKind.UNEXPOSED_EXPR
            and expression.type.get_canonical().kind == TypeKind.POINTER)):
        expression = next(iter(clang_api.children(expression)), None)
    if expression is not None and expression.kind == CursorKind.UNEXPOSED_EXPR:
        # `__func__`, `__FUNCTION__`, `__PRETTY_FUNCTION__`: clang wraps a literal of type
        # `const char[]`, which no literal of C has
        inner = clang_api.children(expression)
        if (len(inner) == 1 and inner[0].kind == CursorKind.STRING_LITERAL
                and inner[0].type.get_canonical().is_const_qualified()):
            return None
    if expression is None or expression.kind != CursorKind.STRING_LITERAL:
        return UNSURE
    spelling = expression.spelling
    if not spelling.startswith('"') or not spelling.endswith('"'):
        return UNSURE  # u8"...": read by the second probe
    text = _ESCAPE.sub(_unescape, spelling[1:-1])
    array = expression.type.get_canonical()
    if (array.kind != TypeKind.CONSTANTARRAY or len(text) + 1 != array.element_count
            or any(ord(c) > 0xFF for c in text)):
        return UNSURE
    return text.encode("latin-1")


def pointer_value(probe: Cursor) -> Union[int, None, Unsure]:
    """The address a probe's initializer of pointer type holds, as an unsigned integer of the
    pointer's width (0 for NULL), when it is a pointer cast of an integer constant, or such an
    address plus or minus an integer constant; None for a function or an array (an address only
    the linker knows); else UNSURE."""
    bits = probe.type.get_canonical().get_size() * 8
    children = clang_api.children(probe)
    address = _address(children[-1]) if children and bits > 0 else UNSURE
    return address & ((1 << bits) - 1) if isinstance(address, int) else address


def _address(expression) -> Union[int, None, Unsure]:
    """pointer_value of an expression, not yet reduced to the pointer's width."""
    while True:
        kind = expression.type.get_canonical().kind
        if expression.kind == CursorKind.DECL_REF_EXPR and kind in _ADDRESS_KINDS:
            # a function's or array's address; a pointer variable's value clang may yet fold
            return None if kind != TypeKind.POINTER else UNSURE
        if kind in _INTEGER_KINDS:
            value = clang_api.evaluate(expression)
            return value if isinstance(value, int) else UNSURE
        if expression.kind == CursorKind.BINARY_OPERATOR and kind == TypeKind.POINTER:
            return _pointer_arithmetic(expression)
        children = clang_api.children(expression)
        if kind not in _ADDRESS_KINDS or expression.kind not in _THROUGH or not children:
            return UNSURE
        expression = children[-1]  # a cast's operand comes after its type's name


def _pointer_arithmetic(expression) -> Union[int, Unsure]:
    """`address + n`, `n + address` or `address - n`: n elements of the pointer's type further
    (GNU C counts a `void *` in bytes)."""
    operator = clang_api.binary_operator(expression)
    operands = clang_api.children(expression)
    if operator not in (clang_api.BINARY_ADD, clang_api.BINARY_SUB) or len(operands) != 2:
        return UNSURE
    pointer, integer = operands
    if operator == clang_api.BINARY_ADD and integer.type.get_canonical().kind == TypeKind.POINTER:
        pointer, integer = integer, pointer
    pointee = pointer.type.get_canonical().get_pointee()
    size = 1 if pointee.kind == TypeKind.VOID else pointee.get_size()
    base, count = _address(pointer), clang_api.evaluate(integer)
    if not isinstance(base, int) or not isinstance(count, int) or size <= 0:
        return UNSURE
    return base + count * size if operator == clang_api.BINARY_ADD else base - count * size


def wide_string(literal) -> Union[str, Tuple[str], None]:
    """The text of a wide string literal (`L"..."`, TEXT("...") under UNICODE): str; (why,) for
    one it cannot hold exactly; None for a plain one. clang does not evaluate wide literals: its
    spelling of the literal is decoded, and the array's length checks that nothing was lost."""
    spelling = literal.spelling
    if not spelling.startswith(("L\"", "u\"", "U\"")) or not spelling.endswith('"'):
        return None
    text = _ESCAPE.sub(_unescape, spelling[2:-1])
    array = literal.type.get_canonical()
    width = max(array.element_type.get_size(), 1) if array.kind == TypeKind.CONSTANTARRAY else 0
    units = len(text.encode("utf-16-le", "surrogatepass")) // 2 if width == 2 else len(text)
    if not width or units + 1 != array.element_count or "\0" in text:
        return ("a wide string with an embedded NUL or a character clang spells otherwise",)
    return text


def _unescape(match) -> str:
    octal, hexadecimal, short, long, other = match.groups()
    if other is not None:
        return _SIMPLE_ESCAPES.get(other, other)
    number = int(octal, 8) if octal else int(hexadecimal or short or long, 16)
    return chr(number) if number < 0x110000 else "\ufffd"
