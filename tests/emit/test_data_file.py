"""--data-file: OUT.py is a stub of a few lines and OUT.lazybind holds the loader and the tables,
so that an import compiling the source (no bytecode written) does not tokenize the tables."""

from __future__ import annotations

import zlib

import pytest

import lazybind
from lazybind.verify import check_module
from conftest import python_in_subprocess

THREADS = """
import sys, threading
sys.path.insert(0, {directory!r})
import zlib_split as z
barrier = threading.Barrier(8)
seen = []
def first_use():
    barrier.wait()
    seen.append((z.crc32, z.__lazybind__))
threads = [threading.Thread(target=first_use) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
print(len({{id(f) for f, _ in seen}}), len({{id(info) for _, info in seen}}))
"""


@pytest.fixture(scope="module")
def split(tmp_path_factory):
    directory = tmp_path_factory.mktemp("split")
    out = directory / "zlib_split.py"
    lazybind.generate(["zlib.h"], library="z", output=str(out), data_file=True)
    return out


def test_the_module_is_a_stub_and_the_data_file_holds_the_tables(split):
    stub = split.read_text()
    assert len(stub.splitlines()) < 20 and "\n#@" not in stub
    assert "\n#@names\n" in split.with_suffix(".lazybind").read_text()


def test_it_works_as_the_single_file_module_does(split):
    out = python_in_subprocess(
        f"import sys; sys.path.insert(0, {str(split.parent)!r})\nimport zlib_split as z\n"
        "print(len(dir(z)) > 500, z.crc32(0, b'hello', 5), z.Z_OK, z.__lazybind__.layouts[:9])")
    assert out.split() == ["True", str(zlib.crc32(b"hello")), "0", "confirmed"]


def test_first_use_from_many_threads_installs_one_runtime(split):
    out = python_in_subprocess(THREADS.format(directory=str(split.parent)))
    assert out.split() == ["1", "1"]


def test_a_thread_still_in_the_stub_when_another_installed_the_runtime_gets_its_name(split):
    """A thread that entered the stub before another thread's first use installed the runtime
    runs the stub after it: its loader defines `__getattr__` and `__dir__` again, over the
    runtime's, which must come back (they did not: that thread, then every new name, recursed
    without end)."""
    out = python_in_subprocess(
        f"import sys; sys.path.insert(0, {str(split.parent)!r})\nimport zlib_split as z\n"
        "stub = z.__getattr__\nz.crc32\n"
        "print(stub('adler32') is z.adler32, z.zlibVersion().decode(), stub('crc32') is z.crc32,\n"
        "      len(dir(z)) > 500)")
    assert out.split() == ["True", zlib.ZLIB_RUNTIME_VERSION, "True", "True"]


def test_check_and_staleness_read_the_data_file(split):
    assert check_module(split).ok
    assert lazybind.api.is_current(str(split), ["zlib.h"], library="z", data_file=True)
    data = split.with_suffix(".lazybind")
    data.write_text(data.read_text().replace("#:crc32 ", "#:crc33 "))
    assert not lazybind.api.is_current(str(split), ["zlib.h"], library="z", data_file=True)
