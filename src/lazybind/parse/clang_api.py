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
from typing import List, Optional, Sequence, Tuple

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
    lib.clang_Cursor_isMacroFunctionLike.argtypes = [cindex.Cursor]
    lib.clang_Cursor_isMacroFunctionLike.restype = ctypes.c_uint
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
        each, instead of walking every cursor the headers declare to find a few."""
        tu = self._tu
        source = cindex.File.from_name(tu, path)
        return [cindex.Cursor.from_location(tu, cindex.SourceLocation.from_position(
            tu, source, line, column)) for line, column in positions]

    def diagnostics(self) -> List[Diagnostic]:
        found = []
        for diag in self._tu.diagnostics:
            location = diag.location
            name = location.file.name if location.file else ""
            found.append(Diagnostic(diag.severity, name, location.line, location.column,
                                    diag.spelling, diag.category_name == "User-Defined Issue"))
        return found



def parse(main_path: str, main_source: str, args: Sequence[str]) -> TranslationUnit:
    """Parse `main_source` as if it were the file `main_path` (it need not exist on disk)."""
    index = cindex.Index.create()
    try:
        tu = index.parse(
            main_path,
            args=list(args),
            unsaved_files=[(main_path, main_source)],
            options=_PARSE_OPTIONS,
        )
    except cindex.TranslationUnitLoadError as error:
        raise InputError(f"libclang could not parse the headers: {error}") from None
    return TranslationUnit(tu)


def is_function_like_macro(cursor: Cursor) -> bool:
    return bool(_lib().clang_Cursor_isMacroFunctionLike(cursor))


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
