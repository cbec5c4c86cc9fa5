"""Variadic calls (issue 16): after the fixed parameters a `...` function takes whatever a pointer or
scalar parameter takes, each promoted as C promotes it. Oracles: Python's own `%` formatting (the
same conversions as C's printf), `fcntl.ioctl` for FIONREAD, and the values sscanf writes back."""

from __future__ import annotations

import ctypes
import fcntl
import os
import struct
import termios

import pytest

from conftest import bind_text, import_path

HEADER = "#include <stdio.h>\n#include <sys/ioctl.h>\n"


@pytest.fixture(scope="module")
def c(tmp_path_factory):
    return import_path(bind_text(tmp_path_factory.mktemp("variadic"), "variadic", HEADER,
                                 library="c"))


def formatted(c, fmt, *args):
    buffer = ctypes.create_string_buffer(256)
    written = c.snprintf(buffer, len(buffer), fmt, *args)
    assert written == len(buffer.value)
    return buffer.value.decode()


# (ctypes value, printf conversion, Python's rendering of what C must receive)
SCALARS = [
    (ctypes.c_bool(True), "%d", "1"),
    (ctypes.c_byte(-100), "%d", "-100"),
    (ctypes.c_ubyte(200), "%d", "200"),
    (ctypes.c_short(-30000), "%d", "-30000"),
    (ctypes.c_ushort(65535), "%d", "65535"),
    (ctypes.c_int(-2 ** 31), "%d", str(-2 ** 31)),
    (ctypes.c_uint(2 ** 32 - 1), "%u", str(2 ** 32 - 1)),
    (ctypes.c_long(-2 ** 63), "%ld", str(-2 ** 63)),
    (ctypes.c_ulong(2 ** 64 - 1), "%lu", str(2 ** 64 - 1)),
    (ctypes.c_longlong(-5), "%lld", "-5"),
    (ctypes.c_ulonglong(2 ** 63), "%llu", str(2 ** 63)),
    (ctypes.c_size_t(12345), "%zu", "12345"),
    (ctypes.c_ssize_t(-12345), "%zd", "-12345"),
    (ctypes.c_float(1.5), "%.3f", "1.500"),
    (ctypes.c_float(-0.1), "%.9g", "%.9g" % struct.unpack("f", struct.pack("f", -0.1))[0]),
    (ctypes.c_double(2.5e300), "%g", "%g" % 2.5e300),
    (ctypes.c_longdouble(0.25), "%Lg", "0.25"),
    (ctypes.c_char(b"z"), "%c", "z"),
    (ctypes.c_char(b"\xff"), "%d", str(-1 if os.uname().machine.startswith("x86") else 255)),
    (ctypes.c_wchar("A"), "%d", "65"),
    (ctypes.c_char_p(b"text"), "%s", "text"),
    (ctypes.c_void_p(0x1234), "%p", "0x1234"),
]


@pytest.mark.parametrize("value, conversion, expected", SCALARS,
                         ids=[type(v).__name__ + str(n) for n, (v, _, _) in enumerate(SCALARS)])
def test_every_ctypes_scalar_is_promoted_as_c_promotes_it(c, value, conversion, expected):
    assert formatted(c, b"<" + conversion.encode() + b">", value) == f"<{expected}>"


def test_python_values(c):
    assert formatted(c, b"%d %d %ld %lu %.2f %s %d", 42, True, 2 ** 40, 2 ** 64 - 1, 2.5, b"x",
                     -7) == "%d %d %d %d %.2f %s %d" % (42, True, 2 ** 40, 2 ** 64 - 1, 2.5, "x", -7)


def test_pointer_forms_reach_c_as_addresses(c):
    number = ctypes.c_int()
    assert c.sscanf(b"42", b"%d", ctypes.byref(number)) == 1 and number.value == 42
    pointer = ctypes.pointer(ctypes.c_long())
    assert c.sscanf(b"-9", b"%ld", pointer) == 1 and pointer.contents.value == -9
    pair = (ctypes.c_int * 2)()
    assert c.sscanf(b"5 6", b"%d %d", pair, ctypes.byref(pair, 4)) == 2 and list(pair) == [5, 6]
    text = ctypes.create_string_buffer(8)
    assert c.sscanf(b"word rest", b"%7s", text) == 1 and text.value == b"word"
    writable = bytearray(4)
    assert c.sscanf(b"abc", b"%3c", writable) == 1 and writable == bytearray(b"abc\0")
    assert formatted(c, b"%s", memoryview(b"view\0")) == "view"
    assert formatted(c, b"%p", None) == "(nil)"


def test_function_pointers_and_callback_handles(c):
    prototype = ctypes.CFUNCTYPE(ctypes.c_int)
    function = prototype(lambda: 0)
    address = ctypes.cast(function, ctypes.c_void_p).value
    assert formatted(c, b"%p", function) == hex(address)
    with c.__lazybind__.callback(prototype, lambda: 0) as handle:
        assert formatted(c, b"%p", handle) == hex(ctypes.cast(handle.pointer, ctypes.c_void_p).value)


def test_ioctl_fionread_fills_a_byref_int(c):
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, b"12345")
        pending = ctypes.c_int()
        assert c.ioctl(read_end, termios.FIONREAD, ctypes.byref(pending)) == 0
        oracle = struct.unpack("i", fcntl.ioctl(read_end, termios.FIONREAD, b"\0" * 4))[0]
        assert pending.value == oracle == 5
    finally:
        os.close(read_end)
        os.close(write_end)


@pytest.mark.parametrize("value, message", [
    ("text", r"argument 4: cannot pass str .* pass bytes"),
    (lambda: 0, r"argument 4: cannot pass function .* __lazybind__\.callback"),
    (object(), r"argument 4: cannot pass object to a variadic C function"),
    (2 ** 64, r"argument 4: 18446744073709551616 does not fit in 64 bits"),
])
def test_what_c_cannot_take_is_a_type_error_naming_position_and_type(c, value, message):
    with pytest.raises(TypeError, match=r"^snprintf\(\): " + message):
        c.snprintf(ctypes.create_string_buffer(8), 8, b"%d", value)


RECORDS_C = r"""
#include <stdarg.h>
struct small { int x, y; };
struct j { int a0, a1; float g; };
double take_small(int count, ...) {
    va_list ap; va_start(ap, count);
    double total = 0;
    for (int i = 0; i < count; i++) { struct small s = va_arg(ap, struct small); total += s.x * 10 + s.y; }
    va_end(ap);
    return total;
}
float take_j(long a, long b, long c, ...) {
    va_list ap; va_start(ap, c);
    struct j first = va_arg(ap, struct j); long d = va_arg(ap, long); struct j second = va_arg(ap, struct j);
    va_end(ap);
    return first.g * 100 + second.g + (float)(a + b + c + d);
}
"""


@pytest.fixture(scope="module")
def records(tmp_path_factory):
    directory = tmp_path_factory.mktemp("variadic_records")
    (directory / "vr.c").write_text(RECORDS_C)
    (directory / "vr.h").write_text(
        "struct small { int x, y; };\nstruct j { int a0, a1; float g; };\n"
        "double take_small(int count, ...);\nfloat take_j(long a, long b, long c, ...);\n")
    library = directory / "libvr.so"
    import subprocess
    subprocess.run(["cc", "-shared", "-fPIC", "-O1", "-o", str(library), str(directory / "vr.c")],
                   check=True)
    from conftest import bind_header
    return import_path(bind_header(directory, "vr", [str(directory / "vr.h")], library=str(library)))


def test_a_record_among_the_variadic_arguments_is_passed_as_c_reads_it(records):
    s = records.struct_small
    assert records.take_small(3, s(1, 2), s(3, 4), s(5, 6)) == 12 + 34 + 56


def test_a_record_libffi_would_pass_wrongly_among_them_is_refused(records):
    """issue 16's struct J, now after the fixed parameters: the second one would take the last
    integer register with a vector register in use (libffi < 3.4.7 spills it)."""
    j = records.struct_j
    with pytest.raises(TypeError, match=r"^take_j: ctypes/libffi passes struct j by value wrongly"):
        records.take_j(1, 2, 3, j(0, 0, 1.5), 4, j(0, 0, 2.5))
