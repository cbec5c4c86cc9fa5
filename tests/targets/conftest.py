"""Modules generated once per session for other targets: windows.h for both mingw-w64 targets
(x86_64 with -DUNICODE and the three DLLs, i686 without), and the cross compilers as oracles.

The tests need the mingw-w64 headers and cross compilers and the aarch64 cross compiler
(`.ci/run` installs them): without them they fail, they do not skip."""

from __future__ import annotations

import re
import shutil
import subprocess
import time

import pytest

import lazybind
from lazybind import runtime as rt
from lazybind.verify.tables import Tables as CheckTables

X64, X86, ARM64 = "x86_64-w64-mingw32", "i686-w64-mingw32", "aarch64-linux-gnu"
WINDOWS_LIBRARIES = ["kernel32", "user32", "advapi32"]


def cross_gcc(target):
    path = shutil.which(target + "-gcc")
    assert path, f"{target}-gcc is missing: .ci/run installs it"
    return path


def compile_asm(target, source, tmp_path, name="oracle"):
    """The assembler text the target's gcc makes of `source` (nothing is run)."""
    path = tmp_path / f"{name}.c"
    path.write_text(source)
    done = subprocess.run([cross_gcc(target), "-w", "-S", "-o", "-", str(path)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def oracle_ints(target, headers, expressions, tmp_path):
    """The values of C integer constant expressions as the target's gcc computes them: an int
    array compiled to assembler text, its `.long` lines read (nothing is run)."""
    source = "".join(f"#include <{h}>\n" for h in headers)
    source += "int lbk_oracle[] = {%s};\n" % ", ".join(f"(int)({e})" for e in expressions)
    asm = compile_asm(target, source, tmp_path)
    body = asm.split("lbk_oracle:\n", 1)[1]
    values = []
    for line in body.splitlines():
        match = re.match(r"\s*\.(?:long|word)\s+(-?\d+)$", line)  # x86, aarch64
        if not match:
            break
        values.append(int(match.group(1)))
    assert len(values) == len(expressions), asm[-2000:]
    return values


class Tables:
    """A generated module's names and specs, read from its file as `lazybind check` reads them (a
    foreign module cannot build its functions here)."""

    def __init__(self, path):
        self._tables = CheckTables(rt.data_of_file(str(path)))

    def spec(self, name):
        return self._tables.spec(self._tables.kind_ref(self._tables.index[name])[1])

    def spec_at(self, ref):
        return self._tables.spec(ref)

    def kind(self, name):
        return self._tables.kind_ref(self._tables.index[name])[0]

    def target_of(self, alias):
        return self._tables.name_at(self._tables.kind_ref(self._tables.index[alias])[1])


@pytest.fixture(scope="session")
def windows(tmp_path_factory):
    """target -> (module path, its IR, seconds its generation took)."""
    made = {}

    def get(target):
        if target not in made:
            cross_gcc(target)
            options = ({"defines": ["UNICODE"], "library": WINDOWS_LIBRARIES} if target == X64
                       else {})
            out = tmp_path_factory.mktemp("win") / f"windows_{target.split('-')[0]}.py"
            details = []
            started = time.perf_counter()
            lazybind.generate(["windows.h"], output=str(out), target=target, details=details,
                              **options)
            made[target] = (out, details[0], time.perf_counter() - started)
        return made[target]

    return get
