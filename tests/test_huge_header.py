"""A header of 100,000 declarations (written here by a script) generates in bounded memory, and
its module still imports without building anything."""

from __future__ import annotations

import resource
import subprocess
import sys

from conftest import python_in_subprocess

DECLARATIONS = 100_000


def write_header(path):
    lines = ["struct base { int id; double weight; };"]
    for number in range(DECLARATIONS // 4):
        lines.append(f"int huge_function_{number}(int a, const char *b, struct base *p);")
        lines.append(f"#define HUGE_MACRO_{number} ({number} + 1)")
        lines.append(f"struct huge_record_{number} {{ int a; struct base *b; }};")
        lines.append(f"enum {{ HUGE_ENUM_{number} = {number} }};")
    path.write_text("\n".join(lines) + "\n")


def test_100k_declarations_bounded_memory_and_flat_import(tmp_path):
    write_header(tmp_path / "huge.h")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    result = subprocess.run([sys.executable, "-m", "lazybind.cli", "generate", "huge.h", "-o", "huge_ffi.py"],
                            cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert max(peak_kib, before) < 1_500_000, f"peak RSS {peak_kib} KiB"  # ~4 KiB per declaration
    code = ("import sys, tracemalloc; tracemalloc.start(); import huge_ffi as h; "
            "print(tracemalloc.get_traced_memory()[0]); "
            "print(h.HUGE_MACRO_24999, h.HUGE_ENUM_7, len(dir(h)))")
    traced, values = python_in_subprocess(code, cwd=tmp_path).splitlines()
    assert int(traced) < 64 * 1024  # importing does not grow with the header
    assert values.split()[:2] == ["25000", "7"] and int(values.split()[2]) > DECLARATIONS
