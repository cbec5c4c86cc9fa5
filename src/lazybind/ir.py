"""The intermediate representation: what a set of headers declares, as plain frozen values.

Nothing here knows about libclang or about the generated module. Type nodes are values (they
compare and hash by their attributes, so the same C type is one key everywhere); records are
referred to by name through `RecordRef`, because two records may share a shape but not an identity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Iterator, Optional, Tuple, Union

# Primitive C types by a stable short name. The runtime maps these names to ctypes types.
PRIMITIVES = (
    "void", "bool", "char", "schar", "uchar", "short", "ushort", "int", "uint", "long", "ulong",
    "longlong", "ulonglong", "float", "double", "longdouble", "int128", "uint128", "wchar",
    "char16", "char32",
)


@dataclass(frozen=True, order=True)
class Location:
    """Where a declaration was written: the header as the user would name it, line and column."""

    file: str
    line: int
    column: int = 0

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}" if self.column else f"{self.file}:{self.line}"


@dataclass(frozen=True)
class Primitive:
    name: str  # one of PRIMITIVES


@dataclass(frozen=True)
class Pointer:
    pointee: "CType"
    pointee_const: bool = False


@dataclass(frozen=True)
class Array:
    element: "CType"
    length: Optional[int]  # None: incomplete (`T x[]`, a flexible array member)


@dataclass(frozen=True)
class FunctionType:
    result: "CType"
    params: Tuple["CType", ...]
    variadic: bool = False
    # "" for the target's C convention; "stdcall" (WINAPI, CALLBACK on i686 Windows: the callee
    # pops its arguments); any other ("fastcall", "thiscall", "ms_abi"...) ctypes cannot call
    convention: str = ""


@dataclass(frozen=True)
class RecordRef:
    """A struct or union, by the name of its `Record` declaration (`struct_X`, `union_Y`, ...)."""

    name: str


@dataclass(frozen=True)
class EnumRef:
    name: str  # the `Enum` declaration's name (`enum_X`, or a synthesized one)
    underlying: Primitive


@dataclass(frozen=True)
class TypedefRef:
    name: str
    target: "CType"  # already resolved, so consumers that do not care about names need not look up


@dataclass(frozen=True)
class Unsupported:
    """A type ctypes cannot express (vectors, _Complex, _Atomic...): usable only as an opaque name."""

    spelling: str
    size: int
    align: int


CType = Union[Primitive, Pointer, Array, FunctionType, RecordRef, EnumRef, TypedefRef, Unsupported]

VOID = Primitive("void")


def strip_typedefs(ctype: CType) -> CType:
    while isinstance(ctype, TypedefRef):
        ctype = ctype.target
    return ctype


@dataclass(frozen=True)
class Field:
    name: str  # empty for an anonymous member (its record's fields are reachable from the parent)
    type: CType
    offset_bits: int
    bit_width: Optional[int] = None  # set for bitfields


@dataclass(frozen=True)
class Function:
    name: str
    location: Location
    type: FunctionType
    param_names: Tuple[str, ...] = ()
    comment: str = ""


@dataclass(frozen=True)
class Variable:
    name: str
    location: Location
    type: CType
    refused: str = ""  # why the module must refuse it at use (the C compiler disagrees on its size)
    layout: Tuple[int, int] = (-1, 0)  # clang's sizeof, and 0 (an object's alignment is not compared)


@dataclass(frozen=True)
class Record:
    """A struct or union. `name` is how the module exposes it (`struct_X`); `complete` is False for
    an opaque declaration (`struct X;`), which becomes an empty ctypes class usable through pointers."""

    name: str
    kind: str  # "struct" or "union"
    location: Location
    fields: Tuple[Field, ...] = ()
    size: int = 0
    align: int = 1
    packed: bool = False
    complete: bool = False
    refused: str = ""  # why the module must refuse it at use (e.g. the C compiler disagrees)


@dataclass(frozen=True)
class Enum:
    name: str
    location: Location
    underlying: Primitive
    members: Tuple[Tuple[str, int], ...] = ()
    refused: str = ""  # why the module must refuse it at use (the C compiler disagrees on its size)
    layout: Tuple[int, int] = (-1, 0)  # clang's sizeof and _Alignof (-1: none known)


@dataclass(frozen=True)
class Typedef:
    name: str
    location: Location
    target: CType
    align: int = 0  # set when the typedef has an alignment of its own (an aligned attribute)
    refused: str = ""  # why the module must refuse it at use (the C compiler disagrees on its size)
    layout: Tuple[int, int] = (-1, 0)  # clang's sizeof and _Alignof (-1: none known)


# what the C compiler confirms at generation: the typedefs', enums' and variables' sizes against
# clang's `layout` (SIZED), the records' whole layouts; each refused at use where they disagree
SIZED = (Typedef, Enum, Variable)
CONFIRMED = (Record, *SIZED)


ConstantValue = Union[int, float, bytes, str, None]  # str: a wide string (L"...")


@dataclass(frozen=True)
class Constant:
    """A macro or enum member with a known value. `ctype` is the C type of the value (a macro
    `1UL` is an unsigned long); a null pointer constant has value None; strings are bytes, wide
    strings (`L"..."`, TEXT("...") under UNICODE) str."""

    name: str
    location: Location
    value: ConstantValue
    ctype: CType


@dataclass(frozen=True)
class Alias:
    """An object-like macro that names a function or variable (gmp.h: `#define mpz_init
    __gmpz_init`): the module exposes the same object under the macro's name."""

    name: str
    location: Location
    target: str  # the name of the Function or Variable


@dataclass(frozen=True)
class Call:
    """A call inside a function-like macro's expansion, as an argument of another call
    (`EVP_MD_get_size(EVP_MD_CTX_get0_md(e))`)."""

    target: str  # the name of the Function called
    arguments: Tuple[Tuple[str, Any], ...]  # as MacroCall.arguments
    cast: bool = False  # the C code casts the result to the parameter type it is passed as


@dataclass(frozen=True)
class MacroCall:
    """A function-like macro that calls one function with its own parameters, constants and
    calls of other functions (openssl/ssl.h: `#define SSL_CTX_set_mode(ctx,op)
    SSL_CTX_ctrl((ctx),SSL_CTRL_MODE,(op),NULL)`): the module exposes it as a Python function
    making that call."""

    name: str
    location: Location
    params: Tuple[str, ...]
    target: str  # the name of the Function called
    # per argument of the call: ("param", index into params), ("cast", index into params: the C
    # code casts it to the parameter type, e.g. through an inline identity function), ("value",
    # a constant) or ("call", a Call)
    arguments: Tuple[Tuple[str, Any], ...]
    result: Optional[CType] = None  # the pointer type the macro casts the result to, if any

    def targets(self) -> Iterator[str]:
        """Every function the macro calls."""
        yield self.target
        pending = [value for kind, value in self.arguments if kind == "call"]
        while pending:
            call = pending.pop()
            yield call.target
            pending.extend(value for kind, value in call.arguments if kind == "call")


Declaration = Union[Function, Variable, Record, Enum, Typedef, Constant, Alias, MacroCall]


@dataclass(frozen=True)
class Skipped:
    """Something the headers declare that the module will not expose, and why (for `inspect`)."""

    name: str
    location: Location
    reason: str


@dataclass(frozen=True)
class Header:
    """An input header as the user named it, and a digest of its bytes for the module's banner."""

    name: str
    sha256: str


@dataclass(frozen=True)
class Declarations:
    """Everything the front end found, in a deterministic order (by name, then kind)."""

    headers: Tuple[Header, ...]
    declarations: Tuple[Declaration, ...]
    skipped: Tuple[Skipped, ...] = ()
    target: str = ""
    clang_version: str = ""
    named_files: Tuple[str, ...] = field(default=())  # display paths of the named headers
    layouts: str = ""  # who confirmed the record layouts at generation, or why nobody did
    refused_at_use: Tuple[Skipped, ...] = ()  # in the module, but ctypes cannot express them
    inexact_at_use: Tuple[Skipped, ...] = ()  # usable, but aligned otherwise than C on this Python
    # Windows targets, when PE files of the libraries are at hand (lazybind.pe): what was found,
    # and the declared functions no DLL exports; reported, never written into the module
    exports: str = ""
    unexported: Tuple[Skipped, ...] = ()
    # every file the translation unit read (absolute, sorted): what lazybind.load's cache depends
    # on; provenance, never written into a module, so not part of equality
    files_read: Tuple[str, ...] = field(default=(), compare=False)
