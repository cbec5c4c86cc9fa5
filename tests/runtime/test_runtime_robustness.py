"""A generated module under stress: many threads and functions, fork, errno, bad libraries."""

from __future__ import annotations

import ctypes
import errno
import os
import threading

import pytest

import lazybind
from lazybind.runtime import KIND_FUNCTION, find
from conftest import import_path, record_symbol_lookups


def test_library_that_is_not_a_shared_object(tmp_path):
    fake = tmp_path / "libfake.so"
    fake.write_text("not an ELF file\n")
    header = tmp_path / "fake.h"
    header.write_text("int fake_function(void);\n")
    out = tmp_path / "fake_ffi.py"
    lazybind.generate([str(header)], library=str(fake), output=str(out))
    module = import_path(out)
    with pytest.raises(OSError) as error:
        module.fake_function
    assert type(error.value).__name__ == "LibraryNotFoundError" and str(fake) in str(error.value)


def test_errno_after_a_failing_call(libc_mod):
    strtol = libc_mod.__lazybind__.with_errno(libc_mod.strtol)
    ctypes.set_errno(0)
    assert strtol(b"99999999999999999999999", None, 10) == 2 ** 63 - 1
    assert ctypes.get_errno() == errno.ERANGE
    assert libc_mod.strtol is not strtol  # the plain function stays the fast one


def test_64_threads_racing_first_calls_on_100_functions(libc_path):
    module = import_path(libc_path)  # a fresh module: nothing resolved yet
    binding = module.__lazybind__._binding
    candidates = [n for n in binding.all_names() if n[:1].islower() and n.isidentifier()]
    functions = []
    for name in candidates:
        if find(binding._data, name)[1] == KIND_FUNCTION:
            functions.append(name)
        if len(functions) == 100:
            break
    lookups = record_symbol_lookups(binding)
    barrier = threading.Barrier(64)
    seen = [dict() for _ in range(64)]

    def worker(slot):
        barrier.wait()
        for name in functions[slot % 7:] + functions[:slot % 7]:
            seen[slot][name] = getattr(module, name, None)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(64)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(lookups) == sorted(functions)  # each exactly once
    for name in functions:
        assert len({id(s[name]) for s in seen}) == 1  # everyone got the same object


def test_fork_after_the_parent_resolved(libc_path):
    module = import_path(libc_path)
    assert module.atoi(b"42") == 42
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:
        try:
            ok = module.atoi(b"7") == 7 and module.labs(-3) == 3  # resolved before, and after, fork
            os.write(write_end, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write_end)
    answer = os.read(read_end, 1)
    os.close(read_end)
    os.waitpid(child, 0)
    assert answer == b"1"
