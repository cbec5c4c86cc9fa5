"""Alignment is part of a layout (issue 16): `ctypes.alignment` of every record and of every typedef
with an alignment of its own is C's `_Alignof`, or, where ctypes on the running Python cannot give
it, the name is still usable, generation warns and `lazybind check` counts it apart. Any other
difference is a mismatch, shown here by giving the module a runtime that forgets alignment.

The header mixes what ctypes can follow (packed records, `packed, aligned(N)`, `#pragma pack`, a
typedef of a record with its own `aligned(16)`, `_Alignas(64)`) with what it cannot before
Python 3.13 (a packed member inside a record aligned above it) or ever (a scalar typedef with its
own alignment; a record whose aligned typedef leaves its size no multiple of its alignment, as
glibc's __pthread_unwind_buf_t). The same module is checked by every CPython 3.9+ on this machine."""

from __future__ import annotations

import glob
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from lazybind.verify import check_module

HEADER = r"""
struct __attribute__((packed)) eth { unsigned char dest[6], source[6]; unsigned short proto; };
struct __attribute__((packed, aligned(4))) ktime { long long sec; int nsec; unsigned flags; };
struct __attribute__((packed, aligned(4))) kinfo { unsigned seq; struct ktime t; int mode; };
#pragma pack(push, 4)
struct under_pack4 { short s; char c; };
#pragma pack(pop)
struct desc { unsigned long long addr; unsigned len; unsigned short flags, next; };
typedef struct desc __attribute__((aligned(16))) desc_t;
struct holds_desc_t { char c; desc_t d; };
struct cache_line { _Alignas(64) char data[8]; };
struct packed_inside { char c; int i __attribute__((packed)); } __attribute__((aligned(8)));
struct holder { char c; struct packed_inside p; };
typedef int aligned_int __attribute__((aligned(8)));
union __attribute__((aligned(4))) small_union { char c[3]; };
typedef float v4sf __attribute__((vector_size(16)));  /* no ctypes type: storage, aligned as C */
struct holds_vector { char c; v4sf v; };
typedef struct { long buf[13]; } unwind_like __attribute__((aligned));  /* 104 bytes, aligned 16 */
"""

SRC = str(Path(__file__).resolve().parents[2] / "src")


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    directory = tmp_path_factory.mktemp("alignment")
    (directory / "aligned.h").write_text(HEADER)
    result = subprocess.run([sys.executable, "-m", "lazybind.cli", "generate", "aligned.h", "-o",
                             "aligned_ffi.py"], cwd=directory, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return directory, result.stderr


def _inexact(report):
    return sorted(finding.subject for finding in report.inexact)


def test_check_agrees_with_cc_and_counts_what_this_python_cannot_express(generated):
    directory, _ = generated
    report = check_module(directory / "aligned_ffi.py")
    assert report.ok, report.text()
    expected = ["typedef aligned_int", "unwind_like"] + (
        ["struct packed_inside"] if sys.version_info < (3, 13) else [])
    assert _inexact(report) == sorted(expected), report.text()
    assert f"alignment not expressible on this Python: {len(expected)}" in report.summary()
    assert "struct under_pack4" in report.checked and "typedef desc_t" in report.checked
    assert "typedef v4sf" in report.checked and "struct holds_vector" in report.checked


def test_generation_warns_about_each_inexact_name(generated):
    _, stderr = generated
    warnings = [line for line in stderr.splitlines() if ": warning: " in line]
    assert any(re.search(r"aligned\.h:\d+:\d+: warning: aligned_int: aligned to 8 bytes in C, 4 "
                         r"in ctypes", w) for w in warnings), stderr
    assert "alignment not expressible on this Python:" in stderr.splitlines()[0]


def test_the_module_is_usable_and_aligned_as_c(generated):
    directory, _ = generated
    sys.path.insert(0, str(directory))
    try:
        import aligned_ffi as m
    finally:
        sys.path.remove(str(directory))
    import ctypes

    class Mine(ctypes.Structure):  # a user's own record embedding the module's
        _fields_ = [("c", ctypes.c_char), ("e", m.struct_eth), ("k", m.struct_ktime)]

    assert (Mine.e.offset, Mine.k.offset, ctypes.sizeof(Mine)) == (1, 16, 32)  # as cc lays it out
    assert ctypes.alignment(m.desc_t) == 16 and issubclass(m.desc_t, m.struct_desc)
    assert m.struct_holds_desc_t.d.offset == 16
    assert m.struct_packed_inside(c=b"x", i=-5).i == -5
    # C: 104 bytes aligned to 16, which no ctypes type can be: C's size, and the natural alignment
    assert (ctypes.sizeof(m.unwind_like), ctypes.alignment(m.unwind_like)) == (104, 8)


def _other_pythons():
    found = sorted(glob.glob(os.path.expanduser("~/.pyenv/versions/3.*/bin/python3")))
    return [p for p in found if int(p.split("/versions/3.")[1].split(".")[0]) >= 9
            and not p.startswith(sys.prefix)]


CHECK = """
import sys
sys.path.insert(0, sys.argv[1])
from lazybind.verify import check_module
report = check_module(sys.argv[2])
print(len(report.mismatches), len(report.refused), sorted(f.subject for f in report.inexact))
"""


def test_every_python_gives_c_alignment_or_says_why_not(generated):
    """3.9-3.12 raise alignment with a zero-length member and refuse `_Alignas(64)`; 3.13 has
    `_align_`, so it builds that record and the packed member's record exactly. `check` runs
    without libclang, so each interpreter checks the module itself."""
    directory, _ = generated
    pythons = _other_pythons()
    assert pythons, "no other CPython 3.9+ under ~/.pyenv/versions"
    for python in pythons:
        done = subprocess.run([python, "-c", CHECK, SRC, str(directory / "aligned_ffi.py")],
                              capture_output=True, text=True)
        assert done.returncode == 0, f"{python}: {done.stderr[-2000:]}"
        version = tuple(int(v) for v in python.split("/versions/")[1].split(".")[:2])
        if version >= (3, 13):
            assert done.stdout.split(" ", 2) == ["0", "0", "['typedef aligned_int', 'unwind_like']\n"], python
        else:
            assert done.stdout == "0 1 ['struct packed_inside', 'typedef aligned_int', 'unwind_like']\n", python


def test_a_runtime_that_forgets_alignment_is_caught(generated, tmp_path):
    """The module's embedded runtime, broken on purpose: every layout keeps ctypes' alignment."""
    directory, _ = generated
    text = (directory / "aligned_ffi.py").read_text()
    # as long as what it replaces: the directory's byte offsets stay right
    broken = text.replace("#|    if actual == align:\n", "#|    if actual or align:\n")
    assert broken != text, "the runtime's alignment test moved: update this test"
    # another runtime id, or this process's already loaded (good) runtime would be used
    broken = re.sub(r"__lazybind_runtime_\w{16}__", "__lazybind_runtime_%s__" % ("x" * 16), broken)
    (tmp_path / "aligned.h").write_text(HEADER)
    (tmp_path / "aligned_ffi.py").write_text(broken)
    report = check_module(tmp_path / "aligned_ffi.py")
    wrong = {m.subject for m in report.mismatches if "alignment" in m.message}
    assert {"struct eth", "struct ktime", "struct holder", "union small_union"} <= wrong, report.text()
