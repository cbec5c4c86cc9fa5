"""A generated module needs only the standard library of Python 3.9 or later: the same module,
run by every other CPython on this machine (pyenv's 3.9 to 3.13), gives what this one gives."""

from __future__ import annotations

import glob
import subprocess
import sys

import pytest

from conftest import bind_text

HEADER = """\
#include <stdlib.h>
#include <zlib.h>
#include <netinet/ip.h>
struct shared_unit { unsigned a : 4; unsigned b : 4; unsigned char after; unsigned short s;
                     int c : 12; char tail; };
"""

SCRIPT = """
import ctypes, sys, zlib
sys.path.insert(0, sys.argv[1])
import versions_ffi as m
unit = m.struct_shared_unit(a=5, b=9, after=0xAB, s=0x1234, c=-77, tail=b"z")
numbers = (ctypes.c_int * 5)(3, 1, 4, 1, 5)
def compare(a, b):
    return ctypes.cast(a, ctypes.POINTER(ctypes.c_int))[0] - ctypes.cast(b, ctypes.POINTER(ctypes.c_int))[0]
m.qsort(numbers, 5, ctypes.sizeof(ctypes.c_int), compare)  # a Python callable as the callback
print(list(numbers))
print(m.crc32(0, b"hello", 5) == zlib.crc32(b"hello"), m.zlibVersion().decode(),
      bytes(unit).hex(), ctypes.sizeof(m.struct_ip), m.struct_ip.ip_dst.offset,
      m.__lazybind__.selftest(), len(dir(m)) > 500)
"""


def _other_pythons():
    found = sorted(glob.glob("/root/.pyenv/versions/3.*/bin/python3"))
    return [p for p in found if int(p.split("/versions/3.")[1].split(".")[0]) >= 9
            and not p.startswith(sys.prefix)]


@pytest.fixture(scope="module")
def module_dir(tmp_path_factory):
    directory = tmp_path_factory.mktemp("versions")
    bind_text(directory, "versions", HEADER, library=["z", "c"])
    return directory


def test_other_interpreters_give_what_this_one_gives(module_dir):
    pythons = _other_pythons()
    assert pythons, "no other CPython 3.9+ under /root/.pyenv/versions to run the module with"
    expected = subprocess.run([sys.executable, "-c", SCRIPT, str(module_dir)], capture_output=True,
                              text=True, check=True).stdout
    assert expected.startswith("[1, 1, 3, 4, 5]\nTrue ") and expected.rstrip().endswith("[] True")
    for python in pythons:
        done = subprocess.run([python, "-c", SCRIPT, str(module_dir)], capture_output=True,
                              text=True)
        assert done.returncode == 0, f"{python}: {done.stderr[-2000:]}"
        assert done.stdout == expected, python
