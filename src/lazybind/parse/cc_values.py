"""The C compiler's values for integer macros: the system `cc`, or the target's cross compiler.

clang poses as an old GCC (`__GNUC__` 4.2), and headers test that: glibc's `__HAVE_FLOAT128` is 0
for clang and 1 for gcc. The contract says the compiler's answer wins, so every integer macro
clang evaluated is computed again by the compiler of the target (lazybind.toolchain), and its
value replaces clang's. The compiler folds each value into an object file that is read, never
run (lazybind.objdata), so a cross compiler answers for its target the same way `cc` does here.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from typing import Dict, List, Optional, Sequence, Tuple

from .. import objdata, toolchain

_SOURCE_NAME = "lazybind_values.c"


def compiler_integer_values(main_source: str, args: Sequence[str], names: Sequence[str]
                            ) -> Optional[Dict[str, int]]:
    """{name: value} as the compiler computes them; names it rejects are left out. None without
    a usable compiler for the target, or headers it cannot compile at all."""
    compiler = _compiler(args)
    if compiler is None or not names:
        return None
    command, flags = compiler
    with tempfile.TemporaryDirectory(prefix="lazybind-") as work:
        path = os.path.join(work, _SOURCE_NAME)
        remaining = list(names)
        for _ in range(3):  # drop the lines the compiler rejects, then try again
            source, first_line = _program(main_source, remaining)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(source)
            try:
                done, data = objdata.compile_object(command, flags, path)
            except (OSError, subprocess.SubprocessError):
                return None
            if done.returncode == 0:
                return _read(objdata.read_items(data), remaining)
            by_line = {first_line + 3 * n: n for n in range(len(remaining))}
            rejected = {n for _, numbers in objdata.error_blocks(done.stderr, _SOURCE_NAME, by_line)
                        for n in numbers}
            if not rejected:
                return None
            remaining = [name for number, name in enumerate(remaining) if number not in rejected]
    return None


def compiler_accepts(main_source: str, args: Sequence[str]) -> bool:
    """True when the compiler compiles the main file without error (False also without one)."""
    compiler = _compiler(args)
    if compiler is None:
        return False
    command, flags = compiler
    done = subprocess.run([*command, "-fsyntax-only", "-x", "c", "-", *flags], input=main_source,
                          capture_output=True, text=True, cwd=os.getcwd())
    return done.returncode == 0


def _compiler(args: Sequence[str]) -> Optional[Tuple[Tuple[str, ...], List[str]]]:
    """The compiler for the target of clang's `args` and the flags to give it (their -I, -D and
    -isystem); None when there is none."""
    target = args[list(args).index("-target") + 1] if "-target" in args else ""
    try:
        compiler = toolchain.find_compiler(target)
    except toolchain.ToolchainError:
        return None
    flags = ["-w", "-iquote", os.getcwd()]
    flags += [a for a in args if a.startswith(("-I", "-D", "-isystem"))]
    return compiler.command, flags


def _program(main_source: str, names: List[str]) -> Tuple[str, int]:
    """The C file (the headers, then a table of one row per name) and the line of its first row."""
    head = main_source + objdata.PRELUDE
    # #ifdef: a macro only clang defines (its headers took another branch) is left out at no
    # cost, where an error would make the compiler run again
    rows = [f"#ifdef {name}\n__LBK_ROW({number}, ({name}) < 0, ({name}), 0, 0)\n#endif"
            for number, name in enumerate(names)]
    lines = objdata.table_lines(0, rows, len(names))
    return head + "\n".join(lines) + "\n", head.count("\n") + 3


def _read(items: Dict[int, objdata.Item], names: List[str]) -> Dict[str, int]:
    values = {}
    for number, name in enumerate(names):
        item = items.get(number)
        if item is None:
            continue  # the compiler does not define it
        negative, bits = item.integers()[:2]
        values[name] = bits - (1 << 64) if negative else bits
    return values
