"""The runtime loads what is used (issue 17): a program that calls plain functions compiles only the
core and what opens libraries, and each other part (records, callbacks, variadic, macros, tools,
kernel, abi, search, variables) the first time something needs it. Each case runs in a fresh
interpreter, which is what a user's program is; the module keeps working where its directory is
read-only, under `python -S` and after fork, and a traceback through the runtime points at the
module's real lines."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import bind_text

HEADER = """\
#include <zlib.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <openssl/evp.h>
int lazybind_absent_function(int);
"""

# What each use must load, beyond the core (which opens libraries too): {code run with the module
# as `m`: parts}
USES = {
    "m.zlibVersion(); m.crc32(0, b'x', 1); m.Z_OK": set(),
    "m.Z_OK; m.ZLIB_VERSION": set(),
    "m.struct_winsize(ws_row=24)": {"records", "errors"},
    "m.z_stream()": {"records", "callbacks", "errors"},  # its zalloc and zfree are function pointers
    "m.qsort((ctypes.c_int * 2)(2, 1), 2, 4, lambda a, b: 0)": {"callbacks", "errors"},
    "m.snprintf(ctypes.create_string_buffer(8), 8, b'%d', 1)": {"variadic", "errors"},
    "m.EVP_MD_CTX_get_size": {"macros", "errors"},
    "m.__lazybind__.names()": {"info", "tools", "errors"},
    "dir(m)": {"info", "tools", "errors"},
    "m.stdout": {"variables", "records", "errors"},  # a FILE *: its record is laid out
    # a missing symbol's message names where it is declared (the errors part words it)
    "try: m.lazybind_absent_function\nexcept AttributeError as e: assert 'parts.h:7' in str(e)": {"errors"},
    "m.__lazybind__.IOC(0, 1, 2, 3)": {"info", "kernel", "errors"},
    "m.div(7, 2)": {"records", "abi", "errors"},  # div_t by value: libffi may pass it wrongly
    # C's open, once in the module, is not the open that loads a part
    "m.open; m.struct_winsize(ws_row=24)": {"variadic", "records", "errors"},
    # the exception classes are made on the first error, and __lazybind__ on the first ask: here,
    # the except clause's, run when the error is raised
    "try: m.lazybind_absent_function\nexcept m.__lazybind__.MissingSymbolError: pass": {"errors", "info"},
}

PROBE = """
import ctypes, json, sys
sys.path.insert(0, sys.argv[1])
before = set(sys.modules)
import parts_ffi as m
exec(sys.argv[2], {"m": m, "ctypes": ctypes})
runtime = next(module for name, module in sys.modules.items()
               if name.startswith("__lazybind_runtime_")).__dict__  # (m.__lazybind__ loads a part)
print(json.dumps({"parts": sorted(runtime["_parts"] - {"core"}),
                  "imported": sorted(set(sys.modules) - before)}))
"""


@pytest.fixture(scope="module")
def module_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("parts")
    bind_text(directory, "parts", HEADER, library=["z", "c", "crypto"])
    return directory


def run(code, *args, flags=(), cwd=None, env=None):
    done = subprocess.run([sys.executable, *flags, "-c", code, *args], capture_output=True,
                          text=True, cwd=cwd, env={**os.environ, **(env or {})})
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.parametrize("use", sorted(USES))
def test_each_use_loads_only_its_parts(module_dir, use):
    found = json.loads(run(PROBE, str(module_dir), use))
    assert set(found["parts"]) == USES[use], found
    # the standard library modules the runtime brings in: none for a few names (the tables are
    # read with os.pread), mmap once many reads are made, json for the tools
    runtime_modules = {name for name in found["imported"] if not name.startswith(
        ("parts_ffi", "__lazybind_runtime_", "ctypes", "_ctypes", "encodings"))}
    tools = {"json", "_json", "json.decoder", "json.scanner", "json.encoder"}
    assert runtime_modules <= {"mmap"} | (tools if "tools" in USES[use] else set()), runtime_modules
    if not USES[use]:
        assert not runtime_modules


def test_where_no_bytecode_can_be_written_and_python_without_site(module_dir, tmp_path):
    """__pycache__ is a file here, so no cache can be written in it, whoever runs the test (root
    writes into a read-only directory); the runtime's parts are then compiled each time."""
    directory = tmp_path / "no_cache"
    directory.mkdir()
    shutil.copy(module_dir / "parts_ffi.py", directory)
    (directory / "__pycache__").write_text("not a directory")
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import parts_ffi as m; "
            "print(m.crc32(0, b'abc', 3), m.z_stream.avail_in.offset)")
    expected = run("import zlib; print(zlib.crc32(b'abc'), 8)")
    for _ in range(2):
        assert run(code, str(directory), env={"PYTHONDONTWRITEBYTECODE": ""}) == expected
    assert run(code, str(directory), flags=("-S",)) == expected
    assert (directory / "__pycache__").read_text() == "not a directory"


def test_a_damaged_cache_of_the_runtime_is_compiled_again(module_dir, tmp_path):
    directory = tmp_path / "damaged"
    directory.mkdir()
    shutil.copy(module_dir / "parts_ffi.py", directory)
    code = "import sys; sys.path.insert(0, sys.argv[1]); import parts_ffi as m; print(m.crc32(0, b'abc', 3))"
    expected = run("import zlib; print(zlib.crc32(b'abc'))")
    writing = {"PYTHONDONTWRITEBYTECODE": ""}
    assert run(code, str(directory), env=writing) == expected
    [cache] = (directory / "__pycache__").glob("parts_ffi.*.core.*.pyc")
    whole = cache.read_bytes()
    for damage in (b"", b"not marshal data", whole[:len(whole) // 2]):
        cache.write_bytes(damage)
        assert run(code, str(directory), env=writing) == expected
        assert cache.read_bytes() == whole  # written again


def test_a_module_imported_from_a_zip_reads_its_tables_through_its_loader(module_dir, tmp_path):
    archive = tmp_path / "bindings.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(module_dir / "parts_ffi.py", "parts_ffi.py")
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import parts_ffi as m; "
            "print(type(m.__loader__).__name__, m.crc32(0, b'abc', 3), m.z_stream.avail_in.offset)")
    expected = run("import zlib; print('zipimporter', zlib.crc32(b'abc'), 8)")
    assert run(code, str(archive)) == expected


def test_a_forked_child_resolves_names_of_its_own(module_dir):
    code = """
import os, sys, zlib
sys.path.insert(0, sys.argv[1])
import parts_ffi as m
m.zlibVersion()
pid = os.fork()
if pid == 0:
    ok = m.crc32(0, b"child", 5) == zlib.crc32(b"child") and m.adler32(1, b"a", 1) == zlib.adler32(b"a")
    os._exit(0 if ok else 1)
_, status = os.waitpid(pid, 0)
print(os.waitstatus_to_exitcode(status), m.crc32(0, b"parent", 6) == zlib.crc32(b"parent"))
"""
    assert run(code, str(module_dir)) == "0 True\n"


def test_a_traceback_through_the_runtime_points_at_the_module_s_lines(module_dir):
    code = """
import sys, traceback
sys.path.insert(0, sys.argv[1])
import parts_ffi as m
try:
    m.lazybind_absent_function
except AttributeError:
    for frame in traceback.extract_tb(sys.exc_info()[2]):
        if frame.filename.endswith("parts_ffi.py"):
            print(frame.lineno, frame.name, frame.line)
"""
    lines = (module_dir / "parts_ffi.py").read_text().split("\n")
    frames = [line.split(" ", 2) for line in run(code, str(module_dir)).splitlines()]
    assert [name for _, name, _ in frames][-3:] == ["getattr", "_function", "_symbol"], frames
    for number, name, text in frames:  # the runtime's lines are comments: `#|` and the code
        assert lines[int(number) - 1].strip() == text.strip(), (number, name)
    assert frames[-1][2] == "#|        raise error"


def names_in_file(path):
    """The names of a module's names section, read from its text ("#:NAME NUMBER" lines, some
    with spaces before or after)."""
    text = open(path, encoding="utf-8").read()
    start = text.index("\n#@names\n") + len("\n#@names\n")
    return [word[2:] for word in text[start:text.index("\n#@", start - 1)].split()[::2]]


def test_tables_read_alike_before_and_after_the_file_is_mapped(module_dir):
    """A lookup reads with os.pread until Data.MAP_AFTER reads, then from a map of the file:
    every name is found alike either way, and a Data let go closes its descriptor."""
    from lazybind.runtime import Data, data_of_file, find

    path = str(module_dir / "parts_ffi.py")
    reading, mapped = data_of_file(path), data_of_file(path)
    reading.MAP_AFTER, mapped.MAP_AFTER = 10 ** 9, 0
    names = names_in_file(path)
    found = [find(mapped, name) for name in names]
    assert len(names) > 1000 and mapped.buffer is not None
    assert [find(reading, name) for name in names] == found
    # every name is found (those at a window's far end too), as the INDEX the format gives
    # it: its rank in code point order
    rank = {name: index for index, name in enumerate(sorted(names))}
    assert [entry and entry[0] for entry in found] == [rank[name] for name in names]
    assert find(mapped, names[0] + "_absent") is None and find(reading, "_absent") is None
    assert reading.buffer is None and isinstance(reading, Data)
    descriptor = reading._descriptor
    os.fstat(descriptor)
    del reading
    with pytest.raises(OSError):
        os.fstat(descriptor)


def test_threads_finding_names_while_the_file_gets_mapped(module_dir):
    """find runs outside the binding's lock: a thread may be reading with os.pread while another
    maps the file, so the descriptor must stay open (closed, os.pread raised EBADF here)."""
    import threading

    from lazybind.runtime import data_of_file, find

    path = str(module_dir / "parts_ffi.py")
    names = names_in_file(path)[:400]
    errors = []

    def work(data, barrier, share):
        barrier.wait()
        try:
            for name in share:
                assert find(data, name) is not None, name
        except Exception as error:  # noqa: BLE001
            errors.append(repr(error))

    for _ in range(30):
        data, barrier = data_of_file(path), threading.Barrier(8)
        threads = [threading.Thread(target=work, args=(data, barrier, names[k::8])) for k in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert data.buffer is not None
    assert not errors, errors[:3]
