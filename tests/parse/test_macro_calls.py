"""Function-like macros that call a function with their parameters, constants and calls of
other functions become Python functions making that call (openssl's SSL_CTX_set_mode and
sk_X509_value, zlib's deflateInit); every other function-like macro is left out rather than
guessed at."""

from __future__ import annotations

import ctypes
import time
import zlib

import pytest

import lazybind
from lazybind import ir
from conftest import bind_text, import_path

MACROS = """\
#include <stdlib.h>
#include <string.h>
#define CMP_FIRST(a, b, n) strncmp((a), (b), (n))
#define PARSE_HEX(text) strtol((text), NULL, 16)
#define ZERO(p, n) memset((p), 0, (n))
#define NO_ARGS() rand()
#define WHERE(s) strncmp(s, __FILE__, __LINE__)
#define LEN_PLUS_ONE(s) (strlen(s) + 1)
#define SIZEOF_DEREF(p) memset(p, 0, sizeof(*(p)))
#define TWO_CALLS(s) (strlen(s), strlen(s))
#define STATEMENT(x) do { (void)(x); } while (0)
#define TYPE_ARG(t) sizeof(t)
#define VARIADIC(...) strlen(__VA_ARGS__)
"""

NESTED = """\
#include <string.h>
#include <time.h>
static inline const char *as_text(const char *text) { return text; }
static inline const struct tm *as_tm(const void *p) { return (const struct tm *)p; }
static inline const char *skip_one(const char *text) { return text + 1; }
#define NESTED_LEN(s, c) strlen(strchr((s), (c)))
#define LEN_VIA_IDENTITY(s) strlen(as_text(s))
#define ASCTIME_VIA_IDENTITY(p) asctime(as_tm(p))
#define ASCTIME_CAST(p) asctime((const struct tm *)(p))
#define FOUND_BYTES(s, c) ((unsigned char *)strchr((s), (c)))
#define LEN_AFTER_FIRST(s) strlen(skip_one(s))
"""


@pytest.fixture(scope="module")
def macros(tmp_path_factory):
    path = bind_text(tmp_path_factory.mktemp("calls"), "calls", MACROS, library="c", stubs=True)
    return path, import_path(path)


def test_a_macro_calling_one_function_is_that_call(macros):
    _, module = macros
    assert module.PARSE_HEX(b"ff") == int("ff", 16)
    assert module.CMP_FIRST(b"abcd", b"abcz", 3) == 0 and module.CMP_FIRST(b"b", b"a", 1) > 0
    buffer = ctypes.create_string_buffer(b"xxxx")
    module.ZERO(buffer, 2)
    assert buffer.raw == b"\0\0xx\0"
    assert isinstance(module.NO_ARGS(), int)
    assert module.PARSE_HEX.__wrapped__ is module.strtol
    with pytest.raises(TypeError, match=r"PARSE_HEX\(\) takes 1 arguments \(2 given\)"):
        module.PARSE_HEX(b"1", b"2")


def test_file_and_line_are_the_macros_own(macros):
    path, _ = macros
    declarations = lazybind.inspect([str(path.with_name("calls.h"))])
    (where,) = [d for d in declarations.declarations if d.name == "WHERE"]
    assert where.target == "strncmp"
    assert where.arguments[1:] == (("value", str(path.with_name("calls.h")).encode()), ("value", 7))


def test_anything_else_is_left_out(macros):
    path, module = macros
    for name in ("LEN_PLUS_ONE", "SIZEOF_DEREF", "TWO_CALLS", "STATEMENT", "TYPE_ARG", "VARIADIC",
                 "offsetof"):
        assert not hasattr(module, name), name
    stubs = path.with_suffix(".pyi").read_text()
    assert "def CMP_FIRST(a: Any, b: Any, n: Any, /) -> Any:" in stubs


def test_zlib_deflateInit_is_usable_as_in_c(zlib_mod):
    stream = zlib_mod.z_stream()
    assert zlib_mod.deflateInit(ctypes.byref(stream), 6) == zlib_mod.Z_OK
    assert zlib_mod.deflateEnd(ctypes.byref(stream)) == zlib_mod.Z_OK
    declarations = lazybind.inspect(["zlib.h"])
    (init,) = [d for d in declarations.declarations if d.name == "deflateInit"]
    assert isinstance(init, ir.MacroCall) and init.target == "deflateInit_"
    assert init.arguments == (("param", 0), ("param", 1), ("value", zlib.ZLIB_VERSION.encode()),
                              ("value", ctypes.sizeof(zlib_mod.z_stream)))


@pytest.fixture(scope="module")
def nested(tmp_path_factory):
    return import_path(bind_text(tmp_path_factory.mktemp("nested"), "nested", NESTED, library="c"))


def test_calls_nested_in_a_macro_are_made_inside_out(nested):
    assert nested.NESTED_LEN(b"hello", ord("l")) == len("llo")
    assert nested.LEN_VIA_IDENTITY(b"hello") == len("hello")  # through an inline identity


def test_a_cast_in_the_macro_lets_another_pointer_type_through_as_c_does(nested):
    epoch = nested.gmtime(ctypes.byref(nested.time_t(0)))
    expected = time.asctime(time.gmtime(0)).encode() + b"\n"
    assert ctypes.string_at(nested.asctime(epoch)) == expected
    raw = ctypes.create_string_buffer(ctypes.string_at(epoch, ctypes.sizeof(nested.struct_tm)))
    with pytest.raises(ctypes.ArgumentError):
        nested.asctime(raw)  # ctypes itself checks the pointer type...
    for macro in (nested.ASCTIME_CAST, nested.ASCTIME_VIA_IDENTITY):
        assert ctypes.string_at(macro(raw)) == expected  # ...the macro casts, as C does


def test_a_macro_casting_its_result_gives_that_pointer_type(nested):
    text = b"hello"
    found = nested.FOUND_BYTES(text, ord("l"))
    assert isinstance(found, ctypes.POINTER(ctypes.c_ubyte))
    assert bytes(found[:3]) == b"llo"
    assert not nested.FOUND_BYTES(text, ord("z"))  # NULL


def test_an_inline_function_doing_more_than_return_its_argument_is_not_guessed_at(nested):
    assert not hasattr(nested, "LEN_AFTER_FIRST")
