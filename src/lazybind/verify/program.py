"""The C probe program and its compiler run: probes in, the compiler's numbers out.

A probe is one line of C (written by planner.py) calling one of the printing functions of the
prelude below. This module finds the C compiler (the system `cc`, or a cross compiler for a
module generated with --target), writes one program holding the module's headers and every probe,
compiles it (dropping the probes the compiler rejects, and compiling again), runs it and parses
what it prints: {probe number: the numbers it printed}.

`Program.run` is the one door between the probes and the numbers. Another way to get the numbers
belongs here, behind that door: e.g. for a target whose programs cannot run on this machine,
compiling to an object file and reading the numbers from its data without running anything. The
planner, the comparisons and their callers need not change for it.

Must not import lazybind.runtime nor any module of this package but report: it knows C and the
compiler, not a module's tables.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

from .report import CheckError

_SOURCE_NAME = "__lazybind_check__.c"
_MAX_ROUNDS = 4
_BITFIELD_BUFFER = 1 << 20


# -- a probe, and the C functions its line calls ---------------------------------------------------

@dataclass
class Probe:
    """One line of C that prints one item's numbers, and what it is about."""

    kind: str  # r record, f field, b bitfield, t type size, i/d/s/n constants
    index: int  # entry index (the record for fields)
    subject: str
    code: str  # one line of C, `{id}` standing for the probe's number
    data: tuple = ()
    members: Tuple[str, ...] = ()  # member names the line uses: not to be expanded as macros


_PRELUDE = r"""
/* every name below starts with __lbk_: the headers' macros cannot reach it */
static unsigned char __lbk_buf[%(buffer)d] __attribute__((aligned(64)));
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
typedef unsigned long long __lbk_u64;
static void __lbk_r(int __lbk_id, __lbk_u64 __lbk_size, __lbk_u64 __lbk_align)
{ __builtin_printf("r %%d %%llu %%llu\n", __lbk_id, __lbk_size, __lbk_align); }
static void __lbk_f(int __lbk_id, __lbk_u64 __lbk_offset, __lbk_u64 __lbk_size)
{ __builtin_printf("f %%d %%llu %%llu\n", __lbk_id, __lbk_offset, __lbk_size); }
static void __lbk_t(int __lbk_id, __lbk_u64 __lbk_size, __lbk_u64 __lbk_align)
{ __builtin_printf("t %%d %%llu %%llu\n", __lbk_id, __lbk_size, __lbk_align); }
static void __lbk_b(int __lbk_id, const void *__lbk_data, __lbk_u64 __lbk_size, int __lbk_negative)
{
    const unsigned char *__lbk_bytes = (const unsigned char *)__lbk_data;
    long long __lbk_first = -1, __lbk_last = -1, __lbk_count = 0;
    __lbk_u64 __lbk_bit;
    for (__lbk_bit = 0; __lbk_bit < __lbk_size * 8; __lbk_bit++)
        if ((__lbk_bytes[__lbk_bit / 8] >> (__lbk_bit %% 8)) & 1) {
            if (__lbk_first < 0) __lbk_first = (long long)__lbk_bit;
            __lbk_last = (long long)__lbk_bit;
            __lbk_count++;
        }
    __builtin_printf("b %%d %%lld %%lld %%lld %%d\n", __lbk_id, __lbk_first, __lbk_last,
                     __lbk_count, __lbk_negative);
}
static void __lbk_i(int __lbk_id, int __lbk_kind, int __lbk_negative, long long __lbk_signed,
                    __lbk_u64 __lbk_unsigned)
{
    if (__lbk_negative) __builtin_printf("i %%d %%d %%lld\n", __lbk_id, __lbk_kind, __lbk_signed);
    else __builtin_printf("i %%d %%d %%llu\n", __lbk_id, __lbk_kind, __lbk_unsigned);
}
static void __lbk_d(int __lbk_id, int __lbk_kind, double __lbk_value)
{ __builtin_printf("d %%d %%d %%a\n", __lbk_id, __lbk_kind, __lbk_value); }
static void __lbk_s(int __lbk_id, __lbk_u64 __lbk_size, const char *__lbk_text)
{
    __lbk_u64 __lbk_at;
    __builtin_printf("s %%d ", __lbk_id);
    for (__lbk_at = 0; __lbk_at + 1 < __lbk_size; __lbk_at++)
        __builtin_printf("%%02x", (unsigned char)__lbk_text[__lbk_at]);
    __builtin_printf("\n");
}
static void __lbk_n(int __lbk_id, int __lbk_kind, int __lbk_null)
{ __builtin_printf("n %%d %%d %%d\n", __lbk_id, __lbk_kind, __lbk_null); }
""" % {"buffer": _BITFIELD_BUFFER}


# -- finding the compiler --------------------------------------------------------------------------

@dataclass
class Compiler:
    command: List[str]
    display: str
    flavor: str  # "gcc" or "clang"
    target: str
    native: bool

    @property
    def label(self) -> str:
        # no version number: a module regenerated with another gcc release is still current
        return f"the C compiler ({self.flavor}, {self.target})"


def find_compiler(target: str) -> Compiler:
    base = os.environ.get("CC") or "cc"
    command = shlex.split(base)
    if not command or not shutil.which(command[0]):
        raise CheckError(
            f"no C compiler ({base}) found: lazybind check needs the system C compiler")
    host = _run_text(command + ["-dumpmachine"]).strip()
    if not target or _same_target(target, host):
        return Compiler(command, " ".join(command), _flavor(command), host or "host", True)
    for candidate in _cross_candidates(target, host, command):
        if candidate and shutil.which(candidate[0]) and _can_link(candidate):
            return Compiler(candidate, " ".join(candidate), _flavor(candidate), target, False)
    raise CheckError(
        f"the module was generated for --target {target}, and checking it needs a C cross compiler "
        f"for that target ({target}-gcc or equivalent); none was found on this machine ({host})")


def _run_text(command: List[str]) -> str:
    try:
        return subprocess.run(command, capture_output=True, text=True, timeout=60).stdout
    except (OSError, subprocess.SubprocessError):
        return ""


def _flavor(command: List[str]) -> str:
    return "clang" if "clang" in _run_text(command + ["--version"]).lower() else "gcc"


def _normalize_triple(triple: str) -> Tuple[str, ...]:
    parts = triple.lower().split("-")
    arch = {"i386": "i686", "i486": "i686", "i586": "i686", "amd64": "x86_64",
            "arm64": "aarch64"}.get(parts[0], parts[0])
    rest = [p for p in parts[1:] if p not in ("pc", "unknown", "none")]
    return (arch, *rest)


def _same_target(target: str, host: str) -> bool:
    return bool(host) and _normalize_triple(target) == _normalize_triple(host)


def _cross_candidates(target: str, host: str, command: List[str]):
    arch = _normalize_triple(target)[0]
    yield [f"{target}-gcc"]
    yield ["-".join(_normalize_triple(target)) + "-gcc"]
    host_arch = _normalize_triple(host)[0] if host else ""
    if arch == "i686" and host_arch == "x86_64":
        yield command + ["-m32"]
    if _flavor(command) == "clang":
        yield command + ["--target=" + target]


def _can_link(command: List[str]) -> bool:
    with tempfile.TemporaryDirectory(prefix="lazybind-check-") as directory:
        source = os.path.join(directory, "t.c")
        with open(source, "w") as handle:
            handle.write("int main(void) { return 0; }\n")
        try:
            result = subprocess.run(command + [source, "-o", os.path.join(directory, "t")],
                                    capture_output=True, timeout=60)
        except (OSError, subprocess.SubprocessError):
            return False
        return result.returncode == 0


# -- the program: written, compiled, run, its output parsed ----------------------------------------

_DIAGNOSTIC = re.compile(r"^(?P<file>[^\s:][^:]*):(?P<line>\d+):(?:(?P<col>\d+):)? "
                         r"(?P<kind>fatal error|error|warning|note): (?P<message>.*)$")


class Program:
    """The C program for a list of probes, compiled and run; probes cc rejects are dropped."""

    def __init__(self, compiler: Compiler, meta: dict, module_dir: str,
                 extra_flags: Sequence[str] = ()) -> None:
        self.compiler = compiler
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
        `_sifields._kill.si_pid`); constants come after the names are restored."""
        out = ["#include <stddef.h>", *self.headers, _PRELUDE]
        by_line: Dict[int, int] = {}
        functions: List[str] = []
        layout = [(n, p) for n, p in probes if p.kind in "rfb"]
        values = [(n, p) for n, p in probes if p.kind not in "rfb"]
        # `defined` cannot be #undef'd (a record may still have a member of that name)
        members = sorted({m for _, p in layout for m in p.members} - {"defined"})
        for member in members:
            out.append(f'#pragma push_macro("{member}")')
            out.append(f"#undef {member}")
        self._functions(layout, out, by_line, functions)
        out += [f'#pragma pop_macro("{member}")' for member in members]
        self._functions(values, out, by_line, functions)
        out.append("int main(void) {")
        out += [f"    {name}();" for name in functions]
        out.append("    return 0;\n}\n")
        return "\n".join(out), by_line

    @staticmethod
    def _functions(probes, out: List[str], by_line: Dict[int, int], functions: List[str]) -> None:
        line_number = "\n".join(out).count("\n") + 1
        for chunk_start in range(0, len(probes), 500):
            functions.append(f"__lbk_run{len(functions)}")
            out.append(f"static void {functions[-1]}(void) {{")
            line_number += 1
            for number, probe in probes[chunk_start:chunk_start + 500]:
                out.append(probe.code.format(id=number))
                line_number += 1
                by_line[line_number] = number
            out.append("}")
            line_number += 1

    def run(self, probes: List[Probe]) -> Tuple[Dict[int, list], Dict[int, str]]:
        """Compile and run; return (outputs by probe number, rejection reasons by probe number)."""
        with tempfile.TemporaryDirectory(prefix="lazybind-check-") as directory:
            exe = os.path.join(directory, "check")
            rejected = self._compile(probes, os.path.join(directory, _SOURCE_NAME), exe)
            outputs = self._execute(exe)
        return outputs, rejected

    def _compile(self, probes: List[Probe], source_path: str, exe: str) -> Dict[int, str]:
        """Build `exe` from the probes, dropping those the compiler rejects and compiling again
        (at most _MAX_ROUNDS times); return the rejection reasons by probe number."""
        active = list(enumerate(probes))
        rejected: Dict[int, str] = {}
        for _ in range(_MAX_ROUNDS):
            text, by_line = self.source(active)
            with open(source_path, "w", encoding="utf-8") as handle:
                handle.write(text)
            command = self.compiler.command + self.flags + [source_path, "-o", exe]
            try:
                result = subprocess.run(command, capture_output=True, text=True,
                                        errors="replace", timeout=600)
            except (OSError, subprocess.SubprocessError) as error:
                raise CheckError(f"cannot run the C compiler {self.compiler.display}: {error}")
            if result.returncode == 0:
                return rejected
            bad = self._rejected(result.stderr, by_line, source_path)
            rejected.update(bad)
            active = [(n, p) for n, p in active if n not in bad]
        raise CheckError(f"the C compiler keeps rejecting the check program: "
                         f"{_first_error(result.stderr)}")

    def _rejected(self, stderr: str, by_line: Dict[int, int], source_path: str) -> Dict[int, str]:
        """Probe numbers named by the compiler's errors (also through macro-expansion notes)."""
        blocks: List[Tuple[str, List[int]]] = []
        for line in stderr.splitlines():
            match = _DIAGNOSTIC.match(line)
            if not match:
                continue
            kind = match["kind"]
            if kind in ("error", "fatal error"):
                shown = f"{match['file']}:{match['line']}: {kind}: {match['message']}"
                if match["file"].endswith(_SOURCE_NAME):
                    shown = f"{kind}: {match['message']}"
                blocks.append((shown, []))
            elif kind == "warning" or not blocks:
                continue
            if match["file"].endswith(_SOURCE_NAME) and int(match["line"]) in by_line:
                blocks[-1][1].append(by_line[int(match["line"])])
        if not blocks:
            raise CheckError(f"the C compiler failed: {_first_error(stderr)}")
        bad: Dict[int, str] = {}
        for message, numbers in blocks:
            if not numbers:
                raise CheckError(f"the C compiler rejects the headers: {message}")
            for number in numbers:
                bad.setdefault(number, f"cc rejects it: {message}")
        return bad

    def _execute(self, exe: str) -> Dict[int, list]:
        try:
            result = subprocess.run([exe], capture_output=True, text=True, timeout=600)
        except OSError as error:
            raise CheckError(f"cannot run the check program built for {self.compiler.target} "
                             f"on this machine: {error}")
        except subprocess.SubprocessError as error:
            raise CheckError(f"the check program did not finish: {error}")
        if result.returncode != 0:
            raise CheckError(f"the check program failed (exit status {result.returncode}): "
                             f"{result.stderr.strip()[:500]}")
        outputs: Dict[int, list] = {}
        for line in result.stdout.splitlines():
            words = line.split()
            if len(words) >= 2:
                outputs[int(words[1])] = words[2:]
        return outputs


def _first_error(stderr: str) -> str:
    for line in stderr.splitlines():
        if ": error:" in line or ": fatal error:" in line:
            return line.strip()
    lines = [line for line in stderr.splitlines() if line.strip()]
    return lines[0].strip() if lines else "(no message)"
