"""The system C compiler's values for integer macros.

clang poses as an old GCC (`__GNUC__` 4.2), and headers test that: glibc's `__HAVE_FLOAT128` is 0
for clang and 1 for gcc. The contract says the system compiler's answer wins, so every integer
macro clang evaluated is computed again by `cc` in one program, and cc's value replaces clang's.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
from typing import Dict, List, Optional, Sequence, Tuple

_LINE = re.compile(r"^(?:.*[/\\])?lazybind_values\.c:(\d+):\d+: error", re.M)


def compiler_integer_values(main_source: str, args: Sequence[str], names: Sequence[str]
                            ) -> Optional[Dict[str, int]]:
    """{name: value} as cc computes them; names cc rejects are left out. None without a usable
    cc (no compiler, a foreign --target, or headers cc cannot compile at all)."""
    compiler = _compiler(args)
    if compiler is None or not names:
        return None
    cc, flags = compiler
    with tempfile.TemporaryDirectory(prefix="lazybind-") as work:
        remaining = list(names)
        for _ in range(3):  # drop the lines cc rejects, then try again
            source, first_line = _program(main_source, remaining)
            path = os.path.join(work, "lazybind_values.c")
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(source)
            exe = os.path.join(work, "values")
            done = subprocess.run([cc, "-w", "-iquote", os.getcwd(), "-o", exe, path, *flags],
                                  capture_output=True, text=True, cwd=os.getcwd())
            if done.returncode == 0:
                return _read(subprocess.run([exe], capture_output=True, text=True).stdout, remaining)
            rejected = {int(n) - first_line for n in _LINE.findall(done.stderr)}
            rejected = {n for n in rejected if 0 <= n < len(remaining)}
            if not rejected:
                return None
            remaining = [name for number, name in enumerate(remaining) if number not in rejected]
    return None


def compiler_accepts(main_source: str, args: Sequence[str]) -> bool:
    """True when cc compiles the main file without error (False also without a usable cc)."""
    compiler = _compiler(args)
    if compiler is None:
        return False
    cc, flags = compiler
    done = subprocess.run([cc, "-fsyntax-only", "-w", "-iquote", os.getcwd(), "-x", "c", "-",
                           *flags], input=main_source, capture_output=True, text=True,
                          cwd=os.getcwd())
    return done.returncode == 0


def _compiler(args: Sequence[str]) -> Optional[Tuple[str, List[str]]]:
    """cc and the -I/-D/-isystem options of clang's `args`; None without cc or for a foreign
    --target (cc builds for this machine only)."""
    cc = shutil.which("cc")
    if cc is None or any(a == "-target" for a in args):
        return None
    return cc, [a for a in args if a.startswith(("-I", "-D", "-isystem"))]


def _program(main_source: str, names: List[str]):
    head = main_source + "#include <stdio.h>\nstatic const struct { int negative; long long s; " \
                         "unsigned long long u; } lazybind_values[] = {\n"
    first_line = head.count("\n") + 1
    rows = "".join(f"{{({n}) < 0, (long long)({n}), (unsigned long long)({n})}},\n" for n in names)
    tail = ("};\nint main(void) {\n  for (unsigned long i = 0; i < sizeof lazybind_values / "
            "sizeof lazybind_values[0]; i++)\n    if (lazybind_values[i].negative) "
            'printf("%lld\\n", lazybind_values[i].s);\n    else printf("%llu\\n", lazybind_values[i].u);\n'
            "  return 0;\n}\n")
    return head + rows + tail, first_line


def _read(output: str, names: List[str]) -> Optional[Dict[str, int]]:
    values = output.split()
    if len(values) != len(names):
        return None
    return {name: int(value) for name, value in zip(names, values)}
