"""The only door to libclang: loading it, parsing a translation unit, evaluating constants.

Everything else in lazybind sees the objects this module hands out and the names it re-exports,
never `clang.cindex` itself, so the rest of the front end can be read without knowing the bindings.
"""

from __future__ import annotations

import ctypes
import functools
import os
import shutil
import subprocess
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import clang.cindex as cindex

from ..errors import InputError

CursorKind = cindex.CursorKind
TypeKind = cindex.TypeKind
Cursor = cindex.Cursor
Type = cindex.Type

_PARSE_OPTIONS = (
    cindex.TranslationUnit.PARSE_DETAILED_PROCESSING_RECORD
    | cindex.TranslationUnit.PARSE_SKIP_FUNCTION_BODIES
)

_EVAL_INT, _EVAL_FLOAT, _EVAL_STR = 1, 2, 4


@dataclass(frozen=True)
class Diagnostic:
    severity: int  # 3 error, 4 fatal
    file: str
    line: int
    column: int
    message: str
    from_error_directive: bool = False  # a header's own `#error`, not a parse failure


@functools.lru_cache(maxsize=None)
def _lib() -> ctypes.CDLL:
    lib = cindex.conf.lib
    lib.clang_Cursor_Evaluate.restype = ctypes.c_void_p
    lib.clang_Cursor_Evaluate.argtypes = [cindex.Cursor]
    for name, restype in (
        ("clang_EvalResult_getKind", ctypes.c_int),
        ("clang_EvalResult_isUnsignedInt", ctypes.c_uint),
        ("clang_EvalResult_getAsUnsigned", ctypes.c_ulonglong),
        ("clang_EvalResult_getAsLongLong", ctypes.c_longlong),
        ("clang_EvalResult_getAsDouble", ctypes.c_double),
        ("clang_EvalResult_getAsStr", ctypes.c_char_p),
        ("clang_EvalResult_dispose", None),
    ):
        function = getattr(lib, name)
        function.argtypes = [ctypes.c_void_p]
        function.restype = restype
    lib.clang_getFunctionTypeCallingConv.argtypes = [cindex.Type]
    lib.clang_getFunctionTypeCallingConv.restype = ctypes.c_int
    lib.clang_Cursor_isMacroFunctionLike.argtypes = [cindex.Cursor]
    lib.clang_Cursor_isMacroFunctionLike.restype = ctypes.c_uint
    lib.clang_getCursorBinaryOperatorKind.argtypes = [cindex.Cursor]
    lib.clang_getCursorBinaryOperatorKind.restype = ctypes.c_int
    lib.clang_getClangVersion.restype = cindex._CXString
    lib.clang_getClangVersion.errcheck = cindex._CXString.from_result
    return lib


@functools.lru_cache(maxsize=None)
def clang_version() -> str:
    """libclang's own version string, e.g. 'clang version 18.1.1'."""
    return str(_lib().clang_getClangVersion())


@functools.lru_cache(maxsize=None)
def builtin_include_dir() -> Optional[str]:
    """The compiler's builtin header directory (stddef.h, stdarg.h...), which the libclang wheel
    does not ship. The system C compiler knows where its own copy is."""
    override = os.environ.get("LAZYBIND_BUILTIN_INCLUDE")
    if override:
        return override
    for compiler in ("cc", "gcc", "clang"):
        if not shutil.which(compiler):
            continue
        try:
            out = subprocess.run(
                [compiler, "-print-file-name=include"], capture_output=True, text=True, timeout=30
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            continue
        if out and os.path.isfile(os.path.join(out, "stddef.h")):
            return out
    return None


class TranslationUnit:
    """A parsed C file: its top-level cursors and its diagnostics."""

    def __init__(self, tu: "cindex.TranslationUnit") -> None:
        self._tu = tu

    @property
    def cursor(self) -> Cursor:
        return self._tu.cursor

    def cursors_at(self, path: str, positions: Sequence[Tuple[int, int]]) -> List[Cursor]:
        """The most specific cursor at each (line, column) of file `path`: one libclang call
        each, instead of walking every cursor the headers declare to find a few (a macro probe
        has tens of thousands: two raw calls each, not cindex's four)."""
        tu = self._tu
        location, cursor_at = _cursor_at_functions()
        source = cindex.conf.lib.clang_getFile(tu, os.fspath(path))
        found = []
        for line, column in positions:
            cursor = cursor_at(tu, location(tu, source, line, column))
            cursor._tu = tu
            found.append(cursor)
        return found

    def errors(self) -> List[Diagnostic]:
        """The unit's errors, fatal ones too (warnings are not read): a few raw libclang calls
        each, as a macro probe has thousands."""
        tu = self._tu
        lib = cindex.conf.lib
        severity_of, location_of, message_of, category_of, dispose = _diagnostic_functions()
        positions = Positions()
        found = []
        for number in range(lib.clang_getNumDiagnostics(tu)):
            diagnostic = lib.clang_getDiagnostic(tu, number)
            try:
                severity = severity_of(diagnostic)
                if severity < 3:
                    continue
                where = positions.at(location_of(diagnostic))
                found.append(Diagnostic(severity, where.path, where.line, where.column,
                                        _taken(message_of(diagnostic)),
                                        _taken(category_of(diagnostic)) == "User-Defined Issue"))
            finally:
                dispose(diagnostic)
        return found

    def main_inclusions(self, main_path: str) -> List[str]:
        """The files the main file's own #include lines brought in (in no particular order)."""
        return sorted({inclusion.include.name for inclusion in self._tu.get_includes()
                       if inclusion.depth == 1 and inclusion.source.name == main_path})

    def files_read(self) -> List[str]:
        """Every file the preprocessor read for this unit (the unsaved main file is not one)."""
        return sorted({inclusion.include.name for inclusion in self._tu.get_includes()})


def main_inclusions(tu: TranslationUnit, main_path: str) -> List[str]:
    return tu.main_inclusions(main_path)


def library_file() -> str:
    """The libclang shared library this process loads (or has loaded)."""
    return cindex.conf.get_filename()


def parse(main_path: str, main_source: str, args: Sequence[str],
          with_bodies: bool = False) -> TranslationUnit:
    """Parse `main_source` as if it were the file `main_path` (it need not exist on disk);
    function bodies are skipped unless asked for."""
    _quicker_results()
    index = cindex.Index.create()
    options = _PARSE_OPTIONS
    if with_bodies:
        options &= ~cindex.TranslationUnit.PARSE_SKIP_FUNCTION_BODIES
    try:
        tu = index.parse(
            main_path,
            args=list(args),
            unsaved_files=[(main_path, main_source)],
            options=options,
        )
    except cindex.TranslationUnitLoadError as error:
        raise InputError(f"libclang could not parse the headers: {error}") from None
    return TranslationUnit(tu)


# cindex functions giving a type or a cursor from the type or cursor passed first
_TYPE_RESULTS = ("clang_getArgType", "clang_getArrayElementType", "clang_getCanonicalType",
                 "clang_getCursorResultType", "clang_getCursorType", "clang_getElementType",
                 "clang_getEnumDeclIntegerType", "clang_getPointeeType", "clang_getResultType",
                 "clang_getTypedefDeclUnderlyingType", "clang_Type_getNamedType")
_CURSOR_RESULTS = ("clang_getCursorDefinition", "clang_getCursorReferenced",
                   "clang_getTypeDeclaration", "clang_Cursor_getArgument")


@functools.lru_cache(maxsize=None)
def _quicker_results() -> None:
    """cindex gives each type or cursor a function returns the unit of the first argument that
    has one, found with hasattr() through a property, and tests a cursor for null with two more
    libclang calls: a tenth of a header's walk. The same, for the functions whose first argument
    is a type or a cursor: its unit, directly, and one call for null."""
    lib = cindex.conf.lib
    lib.clang_Cursor_isNull.argtypes, lib.clang_Cursor_isNull.restype = [cindex.Cursor], ctypes.c_uint
    for name in _TYPE_RESULTS:
        getattr(lib, name).errcheck = _type_result
    for name in _CURSOR_RESULTS:
        getattr(lib, name).errcheck = _cursor_result


def _type_result(result: Type, _function, arguments) -> Type:
    result._tu = arguments[0]._tu
    return result


def _cursor_result(result: Cursor, _function, arguments) -> Optional[Cursor]:
    if cindex.conf.lib.clang_Cursor_isNull(result):
        return None
    result._tu = arguments[0]._tu
    return result


@dataclass(frozen=True)
class Position:
    path: str  # "" for what the compiler predefines
    line: int
    column: int
    offset: int


class Positions:
    """Where cursors are, in one libclang call each: cindex's SourceLocation asks again for every
    attribute read and makes a File object for every file name. File names are kept per CXFile
    (one object per translation unit: use one Positions per unit)."""

    def __init__(self) -> None:
        self._paths: Dict[int, str] = {}
        # out-parameters reused by every call (a Positions is used by one thread)
        self._source = ctypes.c_void_p()
        self._numbers = (ctypes.c_uint(), ctypes.c_uint(), ctypes.c_uint())
        self._out = (ctypes.byref(self._source), *(ctypes.byref(n) for n in self._numbers))

    def of(self, cursor: Cursor) -> Position:
        return self.at(_lib().clang_getCursorLocation(cursor))

    def at(self, location: cindex.SourceLocation) -> Position:
        where, file_name = _position_functions()
        where(location, *self._out)
        source = self._source.value
        path = ""
        if source:
            path = self._paths.get(source)
            if path is None:
                path = self._paths[source] = str(file_name(source))
        line, column, offset = self._numbers
        return Position(path, line.value, column.value, offset.value)


def _own(name: str, restype, *argtypes):
    """libclang's function `name` with a prototype of lazybind's own: a new function object
    (cindex's, made for its own objects, is left as it is)."""
    function = cindex.conf.lib[name]
    function.argtypes, function.restype = list(argtypes), restype
    return function


@functools.lru_cache(maxsize=None)
def _position_functions():
    """Two libclang functions taking a CXFile as a plain pointer (cindex's want a File object,
    made anew for every read)."""
    file_name = _own("clang_getFileName", cindex._CXString, ctypes.c_void_p)
    file_name.errcheck = cindex._CXString.from_result
    where = _own("clang_getInstantiationLocation", None, cindex.SourceLocation,
                 ctypes.POINTER(ctypes.c_void_p), *[ctypes.POINTER(ctypes.c_uint)] * 3)
    return where, file_name


@functools.lru_cache(maxsize=None)
def _cursor_at_functions():
    """(the location at a line and column of a CXFile, the cursor at a location): cindex's want
    a File object, and test each cursor twice for null."""
    return (_own("clang_getLocation", cindex.SourceLocation, cindex.TranslationUnit,
                 ctypes.c_void_p, ctypes.c_uint, ctypes.c_uint),
            _own("clang_getCursor", cindex.Cursor, cindex.TranslationUnit, cindex.SourceLocation))


@functools.lru_cache(maxsize=None)
def _diagnostic_functions():
    """(severity, location, message, category text, disposal) of a CXDiagnostic as a plain
    pointer, where cindex's want a Diagnostic object."""
    return tuple(_own(name, restype, ctypes.c_void_p) for name, restype in (
        ("clang_getDiagnosticSeverity", ctypes.c_int),
        ("clang_getDiagnosticLocation", cindex.SourceLocation),
        ("clang_getDiagnosticSpelling", _String), ("clang_getDiagnosticCategoryText", _String),
        ("clang_disposeDiagnostic", None)))


class _String(ctypes.Structure):
    """libclang's CXString, freed by hand: cindex's frees itself in __del__, and every name read
    through cindex makes one, converts it through three calls and disposes of it."""

    _fields_ = [("data", ctypes.c_void_p), ("flags", ctypes.c_uint)]


@functools.lru_cache(maxsize=None)
def _string_functions():
    return (_own("clang_getCursorSpelling", _String, cindex.Cursor),
            _own("clang_getTypeSpelling", _String, cindex.Type),
            _own("clang_getCString", ctypes.c_char_p, _String),
            _own("clang_disposeString", None, _String))


def spelling(cursor: Cursor) -> str:
    """`cursor.spelling`, at a third of cindex's cost (names are read tens of thousands of times)."""
    return _taken(_string_functions()[0](cursor))


def type_spelling(ctype: Type) -> str:
    """`ctype.spelling`, as `spelling` does for cursors."""
    return _taken(_string_functions()[1](ctype))


def _taken(string: _String) -> str:
    """The text of a CXString, which is then freed."""
    _, _, text, dispose = _string_functions()
    try:
        return (text(string) or b"").decode()
    finally:
        dispose(string)


_CONTINUE, _RECURSE = 1, 2  # CXChildVisit_Continue, CXChildVisit_Recurse


def children(cursor: Cursor) -> List[Cursor]:
    """`list(cursor.get_children())` at half its cost: cindex compares every child with the null
    cursor, two more libclang calls each, on the walks that visit every declaration."""
    return _visit(cursor, _CONTINUE)


def descendants(cursor: Cursor) -> List[Cursor]:
    """Every cursor below `cursor`, in preorder (`walk_preorder` without `cursor` itself), from
    one libclang walk instead of one per node."""
    return _visit(cursor, _RECURSE)


def is_reference(cursor: Cursor) -> bool:
    """`cursor.kind.is_reference()` without a libclang call: the reference kinds are a range."""
    return _FIRST_REFERENCE <= cursor._kind_id <= _LAST_REFERENCE


_FIRST_REFERENCE, _LAST_REFERENCE = 40, 50  # CXCursor_FirstRef, CXCursor_LastRef


def _visit(cursor: Cursor, how: int) -> List[Cursor]:
    found: List[Cursor] = []
    # what cindex's cursors need for their types and names: the unit, kept alive by them
    cindex.conf.lib.clang_visitChildren(cursor, _visitor(), (found, cursor._tu, how))
    return found


def _visit_one(child, _parent, state) -> int:
    found, unit, how = state
    child._tu = unit
    found.append(child)
    return how


@functools.lru_cache(maxsize=None)
def _visitor():
    """One callback for every walk: making a ctypes callback costs more than most walks."""
    return cindex.callbacks["cursor_visit"](_visit_one)


def argument_types(function_type: Type) -> List[Type]:
    """The parameter types of a prototype. cindex's `argument_types()` builds a new Sequence
    class on every call, which costs more than the parse of a header's functions."""
    lib = _lib()
    return [lib.clang_getArgType(function_type, number)
            for number in range(lib.clang_getNumArgTypes(function_type))]


# clang's CXCallingConv: the target's default is reported as C (1) on every target
_CONVENTIONS = {0: "", 1: "", 2: "stdcall", 3: "fastcall", 4: "thiscall", 5: "pascal",
                6: "aapcs", 7: "aapcs-vfp", 8: "regcall", 9: "intel_ocl_bicc", 10: "ms_abi",
                11: "sysv_abi", 12: "vectorcall"}


def calling_convention(function_type: Type) -> str:
    """A function type's calling convention: "" for the target's default, else its name."""
    number = _lib().clang_getFunctionTypeCallingConv(function_type)
    return _CONVENTIONS.get(number, f"calling convention {number}")


def is_function_like_macro(cursor: Cursor) -> bool:
    return bool(_lib().clang_Cursor_isMacroFunctionLike(cursor))


# CXBinaryOperatorKind (libclang 17 and later)
BINARY_ADD, BINARY_SUB = 6, 7


def binary_operator(cursor: Cursor) -> int:
    """The operator of a BINARY_OPERATOR cursor: BINARY_ADD, BINARY_SUB or another number."""
    return _lib().clang_getCursorBinaryOperatorKind(cursor)


def evaluate(cursor: Cursor):
    """The constant value clang computes for a variable's initializer or an expression:
    an int, a float, bytes (a string literal, up to its first NUL) or None when not constant."""
    lib = _lib()
    result = lib.clang_Cursor_Evaluate(cursor)
    if not result:
        return None
    try:
        kind = lib.clang_EvalResult_getKind(result)
        if kind == _EVAL_INT:
            if lib.clang_EvalResult_isUnsignedInt(result):
                return lib.clang_EvalResult_getAsUnsigned(result)
            return lib.clang_EvalResult_getAsLongLong(result)
        if kind == _EVAL_FLOAT:
            return lib.clang_EvalResult_getAsDouble(result)
        if kind == _EVAL_STR:
            return lib.clang_EvalResult_getAsStr(result)
        return None
    finally:
        lib.clang_EvalResult_dispose(result)
