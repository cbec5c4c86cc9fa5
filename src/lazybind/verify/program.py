"""The C probe program and its compiler run: probes in, the compiler's numbers out.

A probe is one line of C (written by planner.py): one or two items of lazybind.objdata, static
constants the compiler must fold (sizeof, offsetof, a macro's value, a record with a bitfield set
to -1). This module writes one C file holding the module's headers and every probe, compiles it
to an object file with the compiler for the module's target (toolchain.find_compiler: `cc`, or a
cross compiler), dropping the probes the compiler rejects and compiling again, and reads the
numbers out of the object file: {probe number: its numbers as words}. Nothing is linked or run,
so any target a compiler here builds for is verified the same way as this machine.

`Program.run` is the one door between the probes and the numbers: the planner, the comparisons
and their callers do not know how the numbers were had.

Must not import lazybind.runtime nor any module of this package but report: it knows C and the
compiler, not a module's tables.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

from .. import objdata, toolchain
from ..precompiled import PrecompiledHeaders
from ..toolchain import Compiler
from .report import CheckError

_SOURCE_NAME = "__lazybind_check__.c"
_MAX_ROUNDS = 4


# -- a probe, and the items its line holds ---------------------------------------------------------

@dataclass
class Probe:
    """One line of C holding one item's numbers, and what it is about."""

    kind: str  # r record, f field, b bitfield, t type size, i/d/s/w/n/a constants, c function
    index: int  # entry index (the record for fields)
    subject: str
    code: str  # one line of C, `{id}` (and `{id1}`) standing for its items' numbers
    data: tuple = ()
    members: Tuple[str, ...] = ()  # member names the line uses: not to be expanded as macros


_PRELUDE = objdata.PRELUDE + r"""
/* GCC's _FloatN types are distinct from float/double (glibc's math.h uses them under _GNU_SOURCE
   where clang, posing as an old GCC, sees plain doubles): each is listed where cc has it */
#ifdef __FLT32_MANT_DIG__
#define __LBK_F32 _Float32: 2,
#else
#define __LBK_F32
#endif
#ifdef __FLT64_MANT_DIG__
#define __LBK_F64 _Float64: 2,
#else
#define __LBK_F64
#endif
#ifdef __FLT32X_MANT_DIG__
#define __LBK_F32X _Float32x: 2,
#else
#define __LBK_F32X
#endif
#ifdef __FLT64X_MANT_DIG__
#define __LBK_F64X _Float64x: 2,
#else
#define __LBK_F64X
#endif
#ifdef __FLT128_MANT_DIG__
#define __LBK_F128 _Float128: 2,
#else
#define __LBK_F128
#endif
#define __LBK_KIND(x) _Generic((x), _Bool: 1, char: 1, signed char: 1, unsigned char: 1, \
    short: 1, unsigned short: 1, int: 1, unsigned int: 1, long: 1, unsigned long: 1, \
    long long: 1, unsigned long long: 1, float: 2, double: 2, long double: 2, \
    __LBK_F32 __LBK_F64 __LBK_F32X __LBK_F64X __LBK_F128 default: 3)
"""


# -- finding the compiler --------------------------------------------------------------------------

def find_compiler(target: str) -> Compiler:
    """lazybind.toolchain.find_compiler, its failure a CheckError (exit status 2)."""
    try:
        return toolchain.find_compiler(target)
    except toolchain.ToolchainError as error:
        raise CheckError(error.message) from None


# -- the program: written, compiled, its object file read -----------------------------------------

class Program:
    """The C file for a list of probes, compiled to an object file and read; probes the
    compiler rejects are dropped."""

    def __init__(self, compiler: Compiler, meta: dict, module_dir: str,
                 extra_flags: Sequence[str] = (), precompiled: Optional[PrecompiledHeaders] = None
                 ) -> None:
        self.compiler = compiler
        self.precompiled = precompiled  # the same headers, precompiled (at generation)
        compile_options = meta.get("compile") or {}
        self.headers = [self._header(h, module_dir) for h in compile_options.get("headers") or
                        meta.get("headers") or []]
        self.flags = ["-std=gnu17", "-w", "-O0"]
        self.flags.append("-ferror-limit=0" if compiler.flavor == "clang" else "-fmax-errors=0")
        for directory in compile_options.get("include_dirs") or []:
            self.flags.append("-I" + self._path(directory, module_dir))
        for define in compile_options.get("defines") or []:
            self.flags.append("-D" + define)
        self.flags.extend(extra_flags)

    @staticmethod
    def _path(path: str, module_dir: str) -> str:
        if os.path.isabs(path) or os.path.exists(path):
            return os.path.abspath(path)
        beside = os.path.join(module_dir, path)
        return os.path.abspath(beside) if os.path.exists(beside) else os.path.abspath(path)

    def _header(self, header: str, module_dir: str) -> str:
        if header.startswith("<") and header.endswith(">"):
            return f"#include {header}"
        for candidate in (header, os.path.join(module_dir, header)):
            if os.path.isfile(candidate):
                return f'#include "{os.path.abspath(candidate)}"'
        return f'#include "{header}"'  # found on the include path, as at generation time

    def source(self, probes: List[Tuple[int, Probe]]) -> Tuple[str, Dict[int, int]]:
        """The program's text and which probe each line holds. Layout probes come first, with
        every member name they use #undef'd (glibc spells `si_pid` as a macro for
        `_sifields._kill.si_pid`); constants come after the names are restored. In each part,
        the items, then one table of the rows."""
        head = ([self.precompiled.head()] if self.precompiled is not None
                else ["#include <stddef.h>", *self.headers])
        out = [*head, _PRELUDE]
        lines: List[Tuple[str, int]] = []  # (text, probe number or -1)
        # functions too: `#define VarI8FromInt VarI8FromI4` must not stand for the function
        layout = [(n, p) for n, p in probes if p.kind in "rfbc"]
        values = [(n, p) for n, p in probes if p.kind not in "rfbc"]
        # `defined` cannot be #undef'd (a record may still have a member of that name)
        members = sorted({m for _, p in layout for m in p.members} - {"defined"})
        for member in members:
            lines += [(f'#pragma push_macro("{member}")', -1), (f"#undef {member}", -1)]
        lines += _part(layout, 0)
        lines += [(f'#pragma pop_macro("{member}")', -1) for member in members]
        lines += _part(values, 1)
        first = "\n".join(out).count("\n") + 2  # the line the first of `lines` is on
        by_line = {first + k: n for k, (_, n) in enumerate(lines) if n >= 0}
        return "\n".join(out + [text for text, _ in lines]) + "\n", by_line

    def run(self, probes: List[Probe]) -> Tuple[Dict[int, list], Dict[int, str]]:
        """Compile; return (numbers by probe number, rejection reasons by probe number)."""
        with tempfile.TemporaryDirectory(prefix="lazybind-check-") as directory:
            data, rejected = self._compile(probes, os.path.join(directory, _SOURCE_NAME))
        items = objdata.read_items(data)
        decorated = objdata.decorated_symbols(data) if any(p.kind == "c" for p in probes) else {}
        outputs: Dict[int, list] = {}
        for number, probe in enumerate(probes):
            if number in rejected:
                continue
            if probe.kind == "c":  # a function: the stack bytes its symbol says (-1: cdecl)
                outputs[number] = [decorated.get(probe.data[0], -1)]
            elif number in items:
                outputs[number] = _words(probe.kind, items[number])
        return outputs, rejected

    def _compile(self, probes: List[Probe], source_path: str) -> Tuple[bytes, Dict[int, str]]:
        """The object file's bytes for the probes, dropping those the compiler rejects and
        compiling again (at most _MAX_ROUNDS times); and the rejection reasons by probe number."""
        active = list(enumerate(probes))
        rejected: Dict[int, str] = {}
        for _ in range(_MAX_ROUNDS):
            text, by_line = self.source(active)
            with open(source_path, "w", encoding="utf-8") as handle:
                handle.write(text)
            try:
                result, data = objdata.compile_object(self.compiler.command, self.flags,
                                                      source_path)
            except (OSError, subprocess.SubprocessError) as error:
                raise CheckError(f"cannot run the C compiler {self.compiler.display}: {error}")
            if result.returncode == 0:
                return data, rejected
            bad = self._rejected(result.stderr, by_line, source_path)
            rejected.update(bad)
            active = [(n, p) for n, p in active if n not in bad]
        raise CheckError(f"the C compiler keeps rejecting the check program: "
                         f"{_first_error(result.stderr)}")

    def _rejected(self, stderr: str, by_line: Dict[int, int], source_path: str) -> Dict[int, str]:
        """Probe numbers named by the compiler's errors (also through macro-expansion notes)."""
        blocks = objdata.error_blocks(stderr, _SOURCE_NAME, by_line)
        if not blocks:
            raise CheckError(f"the C compiler failed: {_first_error(stderr)}")
        bad: Dict[int, str] = {}
        for message, numbers in blocks:
            if not numbers:
                raise CheckError(f"the C compiler rejects the headers: {message}")
            for number in numbers:
                bad.setdefault(number, f"cc rejects it: {message}")
        return bad


def _first_error(stderr: str) -> str:
    for line in stderr.splitlines():
        if ": error:" in line or ": fatal error:" in line:
            return line.strip()
    lines = [line for line in stderr.splitlines() if line.strip()]
    return lines[0].strip() if lines else "(no message)"


def _part(probes: List[Tuple[int, Probe]], table: int) -> List[Tuple[str, int]]:
    """The lines of one part of the program: its items, then its rows in one table."""
    items = [(p.code.format(id=n), n) for n, p in probes if not objdata.is_row(p.code)]
    rows = [(p.code.format(id=n), n) for n, p in probes if objdata.is_row(p.code)]
    lines = objdata.table_lines(table, [text for text, _ in rows])
    return items + [(lines[0], -1)] + rows + [(lines[-1], -1)] if lines else items


def _words(kind: str, item: objdata.Item) -> list:
    """A probe's numbers as the words compare.py reads: r size align, t size align signed, f
    offset size, b first last count negative, i/a kind value, d kind hex, s/w hex of the bytes
    (UTF-8 for w), n kind null."""
    if kind == "b":
        bits = int.from_bytes(item.payload, "little")
        first = (bits & -bits).bit_length() - 1 if bits else -1
        return [first, bits.bit_length() - 1 if bits else -1, bin(bits).count("1"), item.aux]
    if kind == "d":
        number, value = item.double()
        return [number, value.hex()]
    if kind in "sw":
        text = item.payload[:-1] if kind == "s" else item.text().encode("utf-8", "surrogatepass")
        return [text.hex()]
    a, b, c, _ = item.integers()
    if kind == "i":  # kind, negative, the value's bits
        return [a, c - (1 << 64) if b else c]
    if kind == "a":
        return [a, c]
    if kind == "t":
        return [a, b, c]
    return [a, b]  # r, f: two numbers; n: kind, null
