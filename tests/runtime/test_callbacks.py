"""Callbacks C keeps after the registering call returns: `__lazybind__.callback` handles, checked
against Python's own sqlite3 module running the same SQL function."""

from __future__ import annotations

import ctypes
import gc
import sqlite3
import weakref
import zlib

import pytest

QUERY = b"select twice(x) from (select 21 as x union all select -4 union all select 2147483648)"


def open_memory_db(s):
    db = ctypes.POINTER(s.sqlite3)()
    assert s.sqlite3_open(b":memory:", ctypes.byref(db)) == s.SQLITE_OK
    return db


def column_values(s, db, query):
    statement = ctypes.POINTER(s.sqlite3_stmt)()
    assert s.sqlite3_prepare_v2(db, query, -1, ctypes.byref(statement), None) == s.SQLITE_OK
    values = []
    while s.sqlite3_step(statement) == s.SQLITE_ROW:
        values.append(s.sqlite3_column_int64(statement, 0))
    s.sqlite3_finalize(statement)
    return values


def test_registered_sql_function_is_called_after_registration_returns(sqlite_mod):
    s = sqlite_mod

    def twice(context, count, arguments):
        s.sqlite3_result_int64(context, 2 * s.sqlite3_value_int64(arguments[0]))

    db = open_memory_db(s)
    x_func = s.sqlite3_create_function_v2.argtypes[5]
    with s.__lazybind__.callback(x_func, twice) as handle:
        assert s.sqlite3_create_function_v2(db, b"twice", 1, s.SQLITE_UTF8, None, handle,
                                            None, None, None) == s.SQLITE_OK
        gc.collect()  # nothing but the handle keeps the thunk: it must survive this
        values = column_values(s, db, QUERY)
        assert s.sqlite3_close(db) == s.SQLITE_OK
    assert handle.closed
    oracle = sqlite3.connect(":memory:")
    oracle.create_function("twice", 1, lambda x: 2 * x)
    assert values == [row[0] for row in oracle.execute(QUERY.decode())]


def test_exception_in_stored_callback_is_printed_and_c_goes_on(sqlite_mod, capfd):
    s = sqlite_mod

    def broken(context, count, arguments):
        raise RuntimeError("stored callback failed")

    db = open_memory_db(s)
    with s.__lazybind__.callback(s.sqlite3_create_function_v2.argtypes[5], broken) as handle:
        s.sqlite3_create_function_v2(db, b"broken", 0, s.SQLITE_UTF8, None, handle, None, None, None)
        assert column_values(s, db, b"select broken()") == [0]  # NULL result, read as 0
        s.sqlite3_close(db)
    err = capfd.readouterr().err
    assert "Exception ignored in lazybind callback" in err and "stored callback failed" in err


def test_closed_handle_is_refused_and_plain_callables_are_not_kept(libc_mod):
    c = libc_mod
    compare_type = c.qsort.argtypes[3]
    handle = c.__lazybind__.callback(compare_type, lambda a, b: 0)
    handle.close()
    array = (ctypes.c_int * 3)(3, 1, 2)
    with pytest.raises(ctypes.ArgumentError, match="closed"):
        c.qsort(array, 3, ctypes.sizeof(ctypes.c_int), handle)

    def compare(a, b):
        x, y = (ctypes.cast(p, ctypes.POINTER(ctypes.c_int))[0] for p in (a, b))
        return (x > y) - (x < y)

    alive = weakref.ref(compare)
    c.qsort(array, 3, ctypes.sizeof(ctypes.c_int), compare)
    assert list(array) == [1, 2, 3]
    del compare
    gc.collect()
    assert alive() is None  # converted for the call only: no thunk piles up per callable


def test_callback_needs_a_function_pointer_type(libc_mod):
    with pytest.raises(TypeError, match="function pointer type"):
        libc_mod.__lazybind__.callback(ctypes.c_int, print)


def test_struct_field_callbacks_zlib_allocator(zlib_mod, libc_mod):
    """zlib calls the z_stream's zalloc/zfree during later calls (deflate, deflateEnd), long
    after they were stored in the struct: handles keep them callable."""
    z, c = zlib_mod, libc_mod
    live = set()

    def allocate(opaque, items, size):
        address = c.calloc(items, size)
        live.add(address)
        return address

    def release(opaque, address):
        live.remove(address)
        c.free(address)

    data = b"stored callbacks " * 200
    output = ctypes.create_string_buffer(len(data))
    with z.__lazybind__.callback(z.alloc_func, allocate) as zalloc, \
            z.__lazybind__.callback(z.free_func, release) as zfree:
        stream = z.z_stream(zalloc=zalloc.pointer, zfree=zfree.pointer)
        assert z.deflateInit_(ctypes.byref(stream), 9, z.ZLIB_VERSION, ctypes.sizeof(stream)) == z.Z_OK
        stream.next_in = ctypes.cast(ctypes.c_char_p(data), type(stream.next_in))
        stream.avail_in = len(data)
        stream.next_out = ctypes.cast(output, type(stream.next_out))
        stream.avail_out = len(output)
        assert live  # zlib allocated through the Python allocator
        assert z.deflate(ctypes.byref(stream), z.Z_FINISH) == z.Z_STREAM_END
        assert z.deflateEnd(ctypes.byref(stream)) == z.Z_OK
    assert not live  # and freed all of it through the Python zfree
    assert zlib.decompress(output.raw[:stream.total_out]) == data
