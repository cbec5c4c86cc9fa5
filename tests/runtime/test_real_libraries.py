"""Real work through generated modules, checked against oracles nobody here wrote:
Python's own zlib and sqlite3 modules, and libc behaviour Python also exposes."""

from __future__ import annotations

import ctypes
import math
import sqlite3
import zlib

import pytest


def test_zlib_version_matches_pythons_zlib(zlib_mod):
    assert zlib_mod.zlibVersion() == zlib.ZLIB_RUNTIME_VERSION.encode()
    assert zlib_mod.ZLIB_VERSION == zlib.ZLIB_VERSION.encode()
    assert zlib_mod.Z_OK == 0 and zlib_mod.Z_STREAM_END == 1 and zlib_mod.Z_NULL == 0


@pytest.mark.parametrize("data", [b"", b"hello", bytes(range(256)) * 41])
def test_zlib_checksums_match(zlib_mod, data):
    assert zlib_mod.crc32(0, data, len(data)) == zlib.crc32(data)
    assert zlib_mod.adler32(1, data, len(data)) == zlib.adler32(data)


def test_zlib_compress_round_trip(zlib_mod):
    z = zlib_mod
    data = b"lazybind " * 5000
    bound = z.compressBound(len(data))
    out = ctypes.create_string_buffer(bound)
    out_len = z.uLongf(bound)
    assert z.compress2(out, ctypes.byref(out_len), data, len(data), 9) == z.Z_OK
    compressed = out.raw[: out_len.value]
    assert zlib.decompress(compressed) == data  # Python's zlib reads what C wrote
    python_compressed = zlib.compress(data)
    back = ctypes.create_string_buffer(len(data))
    back_len = z.uLongf(len(data))
    assert z.uncompress(back, ctypes.byref(back_len), python_compressed, len(python_compressed)) == z.Z_OK
    assert back.raw[: back_len.value] == data


def test_zlib_streaming_with_z_stream(zlib_mod):
    z = zlib_mod
    stream = z.z_stream()
    assert z.deflateInit_(ctypes.byref(stream), 6, z.ZLIB_VERSION, ctypes.sizeof(stream)) == z.Z_OK
    data = bytes(range(256)) * 400
    out = ctypes.create_string_buffer(len(data) + 1024)
    source = ctypes.create_string_buffer(data, len(data))
    stream.next_in = ctypes.cast(source, ctypes.POINTER(ctypes.c_ubyte))
    stream.avail_in = len(data)
    stream.next_out = ctypes.cast(out, ctypes.POINTER(ctypes.c_ubyte))
    stream.avail_out = len(out)
    assert z.deflate(ctypes.byref(stream), z.Z_FINISH) == z.Z_STREAM_END
    produced = stream.total_out
    assert z.deflateEnd(ctypes.byref(stream)) == z.Z_OK
    assert zlib.decompress(out.raw[:produced]) == data


def test_sqlite_rows_written_by_binding_read_by_python(sqlite_mod, tmp_path):
    s = sqlite_mod
    path = str(tmp_path / "db.sqlite").encode()
    db = ctypes.POINTER(s.sqlite3)()
    assert s.sqlite3_open(path, ctypes.byref(db)) == s.SQLITE_OK
    sql = b"create table t(id integer, name text); insert into t values (1, 'one'), (2, 'two');"
    assert s.sqlite3_exec(db, sql, None, None, None) == s.SQLITE_OK
    statement = ctypes.POINTER(s.sqlite3_stmt)()
    query = b"select id, name from t order by id"
    assert s.sqlite3_prepare_v2(db, query, -1, ctypes.byref(statement), None) == s.SQLITE_OK
    rows = []
    while s.sqlite3_step(statement) == s.SQLITE_ROW:
        rows.append((s.sqlite3_column_int(statement, 0),
                     ctypes.string_at(s.sqlite3_column_text(statement, 1)).decode()))
    assert s.sqlite3_finalize(statement) == s.SQLITE_OK
    assert s.sqlite3_close(db) == s.SQLITE_OK
    assert rows == [(1, "one"), (2, "two")]
    with sqlite3.connect(path.decode()) as con:
        assert con.execute("select id, name from t order by id").fetchall() == rows


def test_sqlite_exec_callback_receives_rows(sqlite_mod):
    s = sqlite_mod
    db = ctypes.POINTER(s.sqlite3)()
    assert s.sqlite3_open(b":memory:", ctypes.byref(db)) == s.SQLITE_OK
    with s.__lazybind__.scoped(db, s.sqlite3_close) as db:
        seen = []

        def on_row(_, count, values, names):
            seen.append({names[i]: values[i] for i in range(count)})
            return 0

        sql = b"select 7 as a, 'x' as b union all select 8, NULL"
        assert s.sqlite3_exec(db, sql, on_row, None, None) == s.SQLITE_OK
    assert seen == [{b"a": b"7", b"b": b"x"}, {b"a": b"8", b"b": None}]
    assert s.sqlite3_libversion() == sqlite3.sqlite_version.encode()


def test_libc_qsort_with_python_comparator(libc_mod):
    c = libc_mod
    values = [5, -3, 99, 0, 42, 7, -100]
    array = (ctypes.c_int * len(values))(*values)

    def compare(a, b):
        x = ctypes.cast(a, ctypes.POINTER(ctypes.c_int))[0]
        y = ctypes.cast(b, ctypes.POINTER(ctypes.c_int))[0]
        return (x > y) - (x < y)

    c.qsort(array, len(values), ctypes.sizeof(ctypes.c_int), compare)
    assert list(array) == sorted(values)


def test_libc_strings_and_variadic_snprintf(libc_mod):
    c = libc_mod
    assert c.strlen(b"lazybind") == 8
    buffer = ctypes.create_string_buffer(64)
    written = c.snprintf(buffer, 64, b"%s=%d %.2f %ld", b"x", 42, 2.5, 2 ** 40)
    expected = b"x=42 2.50 %d" % 2 ** 40
    assert buffer.value == expected and written == len(expected)


def test_int_and_long_results_keep_their_sign_and_width(libc_mod):
    """An int result is ctypes' default restype (not set again); every other result is set."""
    c = libc_mod
    for left, right in ((b"a", b"b"), (b"b", b"a"), (b"a", b"a")):
        assert (c.strcmp(left, right) > 0) - (c.strcmp(left, right) < 0) == (left > right) - (left < right)
    assert c.abs(-7) == 7 and c.strcmp.restype is ctypes.c_int
    assert c.labs(-2 ** 40) == 2 ** 40 and c.labs.restype is ctypes.c_long
    assert c.strlen(b"x" * 70000) == 70000 and c.strlen.restype is ctypes.c_size_t


def test_libm_and_strtod(libc_mod):
    c = libc_mod
    assert c.cos(0.5) == math.cos(0.5)
    assert c.sqrt(2.0) == math.sqrt(2.0)
    end = ctypes.c_char_p()  # char ** is an array of C strings: POINTER(c_char_p)
    assert c.strtod(b"3.25xyz", ctypes.byref(end)) == 3.25
    assert end.value == b"xyz"


def test_char_pointer_result_is_not_truncated(libc_mod):
    c = libc_mod
    source = b"ab\0cd"
    copy = c.malloc(len(source))
    c.memcpy(copy, source, len(source))
    duplicate = c.strndup(b"abc", 3)  # a char * the caller must free: a pointer, not bytes
    assert isinstance(duplicate, ctypes._Pointer)
    assert ctypes.string_at(duplicate, 3) == b"abc"
    assert ctypes.string_at(copy, len(source)) == source
    c.free(duplicate)
    c.free(copy)


def test_exported_variables_are_bound_to_library_storage(libc_mod, sqlite_mod):
    assert ctypes.string_at(sqlite_mod.sqlite3_version) == sqlite3.sqlite_version.encode()
    stdout = libc_mod.stdout
    assert isinstance(stdout, ctypes._Pointer) and bool(stdout)


def test_exception_in_callback_is_raised_after_the_c_call(libc_mod):
    c = libc_mod
    array = (ctypes.c_int * 4)(4, 3, 2, 1)

    def broken(a, b):
        raise ValueError("comparator failed")

    with pytest.raises(ValueError, match="comparator failed"):
        c.qsort(array, 4, ctypes.sizeof(ctypes.c_int), broken)
    c.qsort(array, 4, ctypes.sizeof(ctypes.c_int), lambda a, b: 0)  # nothing left pending


def test_variable_length_array_parameter_is_a_pointer(tmp_path):
    import lazybind
    from lazybind.runtime import find
    from conftest import import_path

    header = tmp_path / "vla.h"
    header.write_text("#include <stddef.h>\nvoid *memset(void *s, int c, size_t n);\n"
                      "unsigned long crc32(unsigned long crc, const unsigned char buf[], unsigned n);\n"
                      "int vla_user(int n, const unsigned char buf[n]);\n")
    out = tmp_path / "vla_ffi.py"
    lazybind.generate([str(header)], library="z", output=str(out))
    module = import_path(out)
    assert module.crc32(0, b"abc", 3) == zlib.crc32(b"abc")  # an array parameter takes bytes
    types = module.__lazybind__._binding
    ref = find(types._data, "vla_user")[2]
    assert types._signature(ref, "vla_user")[1][1] is ctypes.c_void_p  # a byte pointer, not refused


def test_an_int_array_parameter_is_a_pointer_to_int(tmp_path):
    """`int pipe(int fds[2])`: C passes a pointer, so a pointer is accepted as well as an array."""
    import os

    from conftest import bind_text, import_path

    module = import_path(bind_text(tmp_path, "pipe", "int pipe(int fds[2]);\n", library="c"))
    assert module.pipe.argtypes == (ctypes.POINTER(ctypes.c_int),)
    fds = (ctypes.c_int * 2)()
    assert module.pipe(ctypes.cast(fds, ctypes.POINTER(ctypes.c_int))) == 0
    try:
        os.write(fds[1], b"x")
        assert os.read(fds[0], 1) == b"x"  # the two descriptors C wrote are a real pipe's ends
    finally:
        os.close(fds[0])
        os.close(fds[1])
