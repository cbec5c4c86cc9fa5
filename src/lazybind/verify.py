"""`lazybind check OUT.py`: compare a generated module with the system C compiler.

One C program is written for the whole module: it includes <stddef.h> and the module's headers (with
the same -I/-D options) and prints, for every record and field the module defines, sizeof, _Alignof
and offsetof, the bit positions of every bitfield, the size of every typedef, enum and variable
type, and the value of every constant. It is compiled once with `cc` and run; the module is then
imported and its ctypes classes and constants are compared with what the program printed. For a
module generated with --target for another machine, a cross compiler is needed, and the program's
numbers are compared with the module's tables instead (ctypes here knows only this machine).

Probes the compiler rejects (a macro that is not an expression for cc, a record cc does not know)
are dropped from the program, counted as skipped, and the program is compiled again.

This module reads the module's tables with lazybind.runtime's readers only: it never loads libclang.
"""

from __future__ import annotations

import ctypes
import importlib.util
import itertools
import json
import math
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from . import runtime as rt
from .errors import LazybindError

_SOURCE_NAME = "__lazybind_check__.c"
_MAX_ROUNDS = 4
_BITFIELD_BUFFER = 1 << 20
_counter = itertools.count()


class CheckError(LazybindError):
    """The check cannot run: no compiler, headers the compiler rejects, an unreadable module."""

    exit_code = 2


# -- the report ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Finding:
    location: str  # header:line
    subject: str  # e.g. "struct stat field st_size"
    message: str

    def __str__(self) -> str:
        return f"{self.location}: {self.subject}: {self.message}"


@dataclass
class Report:
    module: str
    compiler: str = ""
    target: str = ""
    counts: Dict[str, int] = field(
        default_factory=lambda: {"records": 0, "fields": 0, "types": 0, "constants": 0})
    mismatches: List[Finding] = field(default_factory=list)
    refused: List[Finding] = field(default_factory=list)
    skipped: List[Finding] = field(default_factory=list)
    # usable, exact but for an alignment ctypes cannot give on this Python (the runtime says why)
    inexact: List[Finding] = field(default_factory=list)
    checked: List[str] = field(default_factory=list)  # the subject of every item compared
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.mismatches

    @property
    def verified(self) -> int:
        return sum(self.counts.values())

    def summary(self) -> str:
        c = self.counts
        inexact = (f", alignment not expressible on this Python: {len(self.inexact)}"
                   if self.inexact else "")
        return (f"{self.module}: checked {c['records']} records, {c['fields']} fields, "
                f"{c['types']} types, {c['constants']} constants against {self.compiler} "
                f"({self.target}) in {self.seconds:.1f} s: {len(self.mismatches)} mismatches, "
                f"{len(self.refused)} refused, {len(self.skipped)} skipped{inexact}")

    def text(self, skipped_shown: int = 10) -> str:
        lines = [self.summary()]
        lines += [str(m) for m in self.mismatches]
        lines += [f"refused: {r}" for r in self.refused]
        lines += [f"alignment not expressible: {n}" for n in self.inexact]
        lines += [f"skipped: {s}" for s in self.skipped[:skipped_shown]]
        if len(self.skipped) > skipped_shown:
            lines.append(f"skipped: ... and {len(self.skipped) - skipped_shown} more")
        return "\n".join(lines) + "\n"


# -- reading the module's tables -------------------------------------------------------------------

@dataclass
class _Field:
    name: str
    ref: int
    offset_bits: int
    bits: Optional[int]


@dataclass
class _Record:
    index: int
    name: str
    union: bool
    size: int
    align: int
    fields: List[_Field]


class _Tables:
    """The parts of a generated module's tables the check needs, read without importing it."""

    def __init__(self, source: str) -> None:
        try:
            self._read(rt.read_sections(source))
        except ValueError as error:
            raise CheckError(f"not a lazybind module (its data section is unreadable: {error})")

    @classmethod
    def from_sections(cls, sections: Dict[str, str]) -> "_Tables":
        tables = cls.__new__(cls)
        tables._read(sections)
        return tables

    def _read(self, sections: Dict[str, str]) -> None:
        try:
            self.names = sections["names"]
            self.entries = rt.decode_ints(sections["entries"], "Q")
            self.specs = sections["specs"]
            self.locations = rt.decode_ints(sections["locations"], "I")
            self.files = rt.section_lines(sections["files"])
            self.meta = json.loads(rt.section_lines(sections["meta"])[0])
        except (ValueError, KeyError) as error:
            raise CheckError(f"not a lazybind module (its data section is unreadable: {error})")
        self.index = {self.name_at(i): i for i in range(len(self.entries))}

    def name_at(self, index: int) -> str:
        _, start, length, _ = rt.unpack_entry(self.entries[index])
        return self.names[start:start + length]

    def kind_ref(self, index: int) -> Tuple[int, int]:
        kind, _, _, ref = rt.unpack_entry(self.entries[index])
        return kind, ref

    def spec(self, ref: int) -> str:
        return self.specs[ref:self.specs.index("\n", ref)]

    def location(self, index: int) -> str:
        packed = self.locations[index]
        return "%s:%d" % (self.files[packed >> 20], packed & 0xFFFFF)

    def refusal(self, index: int) -> str:
        """Why the module refuses the record at `index` whatever ctypes does ("" if it does not)."""
        spec = self.spec(self.kind_ref(index)[1])
        return bytes.fromhex(spec[2:]).decode("utf-8") if spec[1:2] == "!" else ""

    def record(self, index: int) -> Optional[_Record]:
        """The record at `index`, or None when it is opaque or refused."""
        spec = self.spec(self.kind_ref(index)[1])
        layout = spec[1:].split(";")
        if layout[0] == "?" or layout[0][:1] == "!":
            return None
        size, align = (int(v) for v in layout[0].split(","))
        fields = []
        for text in layout[1:]:
            parts = text.split(":")
            bits = int(parts[3]) if len(parts) > 3 else None
            fields.append(_Field(parts[0], int(parts[1]), int(parts[2]), bits))
        return _Record(index, self.name_at(index), spec[0] == "N", size, align, fields)


# -- probes: one line of C each ----------------------------------------------------------------

@dataclass
class _Probe:
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


def _display(name: str) -> str:
    if name.startswith("struct_"):
        return "struct " + name[7:]
    if name.startswith("union_"):
        return "union " + name[6:]
    if name.startswith("enum_"):
        return "enum " + name[5:]
    return name


class _Planner:
    """Turns the module's tables into probes, and says why it leaves anything out."""

    def __init__(self, tables: _Tables, with_types: bool, with_values: bool = True) -> None:
        self.tables = tables
        self.with_types = with_types
        self.with_values = with_values
        self.probes: List[_Probe] = []
        self.skipped: List[Finding] = []
        self.refused: List[Finding] = []  # records the module refuses whatever ctypes does
        self.records: Dict[int, _Record] = {}
        self._spellings: Dict[int, Tuple[Optional[str], str]] = {}

    def plan(self) -> None:
        tables = self.tables
        for index in range(len(tables.entries)):
            kind, ref = tables.kind_ref(index)
            if kind == rt.KIND_RECORD:
                self._record(index)
            elif kind == rt.KIND_CONSTANT and self.with_values:
                self._constant(index, ref)
            elif self.with_types and kind in (rt.KIND_TYPEDEF, rt.KIND_ENUM, rt.KIND_VARIABLE):
                self._type(index, kind, ref)

    def skip(self, index: int, subject: str, reason: str) -> None:
        self.skipped.append(Finding(self.tables.location(index), subject, reason))

    # records

    def spelling(self, index: int) -> Tuple[Optional[str], str]:
        """(C type name or None, display name or the reason it has no C name) of a record."""
        found = self._spellings.get(index)
        if found is None:
            found = self._spellings[index] = self._spell(index)
        return found

    def _spell(self, index: int) -> Tuple[Optional[str], str]:
        name = self.tables.name_at(index)
        if name == "struct___va_list_tag":  # a compiler builtin, C names it through va_list
            return "__typeof__((*(__builtin_va_list *)0)[0])", _display(name)
        if "@" not in name and "." not in name:
            return _display(name), _display(name)
        # An unnamed record: C names it as the type of a member that has it (through arrays
        # and pointers), e.g. __typeof__(((struct S *)0)->u) for `struct S { union {...} u; }`.
        user = self._users().get(index)
        if user is None:
            if "@" in name:
                return None, "an unnamed record that no named member has: C has no name for it"
            return None, "the type of an anonymous member: its fields are checked in its parent"
        parent, member, spec = user
        if parent is None:  # a typedef such as `typedef struct {...} *handle_t;`
            expression, display = f"(*({member} *)0)", f"typedef {member}"
        else:
            parent_type, parent_display = self.spelling(parent)
            if parent_type is None:
                return None, parent_display
            expression = f"((({parent_type} *)0)->{member})"
            display = f"{parent_display}.{member}"
        while spec[0] in "[*&":
            if spec[0] == "[":
                expression = f"({expression}[0])"
                spec = self.tables.spec(int(spec[spec.index("]") + 1:]))
            else:
                expression = f"(*{expression})"
                spec = self.tables.spec(int(spec[1:]))
        if spec != f"R{index}":
            return None, f"the type of {display} is not this record"
        return f"__typeof__({expression})", display

    def _users(self) -> Dict[int, Tuple[int, str, str]]:
        """For each record, a named member of another record whose type leads to it:
        (parent index, member name, the member's type spec)."""
        users = getattr(self, "_users_map", None)
        if users is not None:
            return users
        users = self._users_map = {}
        tables = self.tables
        typedefs = []
        for index in range(len(tables.entries)):
            kind, ref = tables.kind_ref(index)
            if kind == rt.KIND_TYPEDEF:
                typedefs.append((None, tables.name_at(index), tables.spec(ref)))
            record = tables.record(index) if kind == rt.KIND_RECORD else None
            if record is None:
                continue
            for fld in record.fields:
                if fld.name:
                    self._add_user(users, (index, fld.name, tables.spec(fld.ref)))
        for user in typedefs:  # members first: they name nested records the way C code does
            if "@" not in user[1] and "." not in user[1]:
                self._add_user(users, user)
        return users

    def _add_user(self, users, user) -> None:
        target = user[2]
        while target[0] in "[*&":
            target = self.tables.spec(int(target[target.index("]") + 1:] if target[0] == "["
                                          else target[1:]))
        if target[0] == "R":
            users.setdefault(int(target[1:]), user)

    def _record(self, index: int) -> None:
        record = self.tables.record(index)
        if record is None:
            refusal = self.tables.refusal(index)
            if refusal:
                self.refused.append(Finding(self.tables.location(index),
                                            _display(self.tables.name_at(index)), refusal))
            return  # opaque or refused: nothing to verify
        ctype, display = self.spelling(index)
        if ctype is None:
            self.skip(index, self.tables.name_at(index), display)
            return
        self.records[index] = record
        chain = self._member_chain(index)
        self.probes.append(_Probe("r", index, display,
                                  f"__lbk_r({{id}}, sizeof({ctype}), _Alignof({ctype}));",
                                  members=chain))
        for name, fld, offset in self.flat_fields(record):
            subject = f"{display} field {name}"
            if fld.bits is None:
                flexible = self.tables.spec(fld.ref).startswith("[]")
                size = "0" if flexible else f"sizeof((({ctype} *)0)->{name})"
                self.probes.append(_Probe(
                    "f", index, subject,
                    f"__lbk_f({{id}}, __builtin_offsetof({ctype}, {name}), {size});",
                    (name, offset, flexible), chain + (name,)))
            else:
                self.probes.append(_Probe(
                    "b", index, subject,
                    f"{{{{ {ctype} *__lbk_p = ({ctype} *)__lbk_buf; "
                    f"if (sizeof({ctype}) <= sizeof __lbk_buf) {{{{ "
                    f"__builtin_memset(__lbk_p, 0, sizeof({ctype})); __lbk_p->{name} = -1; "
                    f"__lbk_b({{id}}, __lbk_p, sizeof({ctype}), __lbk_p->{name} < 0); }}}} }}}}",
                    (name, offset, fld.bits), chain + (name,)))

    def _member_chain(self, index: int) -> Tuple[str, ...]:
        """The member names the C spelling of a record goes through."""
        chain: List[str] = []
        name = self.tables.name_at(index)
        while "@" in name or "." in name:
            user = self._users().get(index)
            if user is None:
                break
            index, member, _ = user
            if index is None:
                break  # reached through a typedef name
            chain.insert(0, member)
            name = self.tables.name_at(index)
        return tuple(chain)

    def flat_fields(self, record: _Record, base: int = 0):
        """(C name, field, offset in bits) of every named field, through anonymous members."""
        for fld in record.fields:
            if fld.name:
                yield fld.name, fld, base + fld.offset_bits
                continue
            spec = self.tables.spec(fld.ref)
            inner = self.tables.record(int(spec[1:])) if spec.startswith("R") else None
            if inner is not None:
                yield from self.flat_fields(inner, base + fld.offset_bits)

    # types

    def _type(self, index: int, kind: int, ref: int) -> None:
        name = self.tables.name_at(index)
        spec = self.tables.spec(ref)
        if "@" in name or "." in name:
            self.skip(index, _display(name), "an unnamed type: C has no name for it")
            return
        if spec[0] in "RFV" or spec == "pvoid" or spec.startswith("[]"):
            return  # records are checked as records; functions and void have no size
        label = {rt.KIND_TYPEDEF: "typedef", rt.KIND_ENUM: "", rt.KIND_VARIABLE: "variable"}[kind]
        subject = f"{label} {name}" if label else _display(name)
        # a variable's alignment is the object's, not its type's: only types are compared
        align = f"_Alignof({_display(name)})" if kind != rt.KIND_VARIABLE else "0"
        self.probes.append(_Probe("t", index, subject,
                                  f"__lbk_t({{id}}, sizeof({_display(name)}), {align});", (ref,)))

    # constants

    def _constant(self, index: int, ref: int) -> None:
        name = self.tables.name_at(index)
        spec = self.tables.spec(ref)
        tag = spec[0]
        subject = f"constant {name}"
        if tag == "i":
            code = (f"__lbk_i({{id}}, __LBK_KIND(({name})), ({name}) < 0, "
                    f"(long long)({name}), (unsigned long long)({name}));")
            value = int(spec[1:])
        elif tag == "f":
            code = f"__lbk_d({{id}}, __LBK_KIND(({name})), (double)({name}));"
            value = float(spec[1:])
        elif tag == "s":
            code = f"__lbk_s({{id}}, sizeof({name}), ({name}));"
            value = bytes.fromhex(spec[1:])
        elif tag == "n":
            code = f"__lbk_n({{id}}, __LBK_KIND(({name})), !({name}));"
            value = None
        elif tag == "a":  # a pointer at a fixed address, held as an int
            code = f"__lbk_i({{id}}, __LBK_KIND(({name})), 0, 0, (unsigned long long)({name}));"
            value = int(spec[1:])
        else:
            self.skip(index, subject, f"unknown value spec {spec!r}")
            return
        kind = "d" if tag == "f" else tag  # "f" is a field probe
        self.probes.append(_Probe(kind, index, subject, code, (name, value)))


# -- compiling and running ------------------------------------------------------------------------

@dataclass
class _Compiler:
    command: List[str]
    display: str
    flavor: str  # "gcc" or "clang"
    target: str
    native: bool

    @property
    def label(self) -> str:
        # no version number: a module regenerated with another gcc release is still current
        return f"the C compiler ({self.flavor}, {self.target})"


def _find_compiler(target: str) -> _Compiler:
    base = os.environ.get("CC") or "cc"
    command = shlex.split(base)
    if not command or not shutil.which(command[0]):
        raise CheckError(
            f"no C compiler ({base}) found: lazybind check needs the system C compiler")
    host = _run_text(command + ["-dumpmachine"]).strip()
    if not target or _same_target(target, host):
        return _Compiler(command, " ".join(command), _flavor(command), host or "host", True)
    for candidate in _cross_candidates(target, host, command):
        if candidate and shutil.which(candidate[0]) and _can_link(candidate):
            return _Compiler(candidate, " ".join(candidate), _flavor(candidate), target, False)
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


_DIAGNOSTIC = re.compile(r"^(?P<file>[^\s:][^:]*):(?P<line>\d+):(?:(?P<col>\d+):)? "
                         r"(?P<kind>fatal error|error|warning|note): (?P<message>.*)$")


class _Program:
    """The C program for a list of probes, compiled and run; probes cc rejects are dropped."""

    def __init__(self, compiler: _Compiler, meta: dict, module_dir: str) -> None:
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

    def source(self, probes: List[Tuple[int, _Probe]]) -> Tuple[str, Dict[int, int]]:
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

    def run(self, probes: List[_Probe]) -> Tuple[Dict[int, list], Dict[int, str]]:
        """Compile and run; return (outputs by probe number, rejection reasons by probe number)."""
        active = list(enumerate(probes))
        rejected: Dict[int, str] = {}
        with tempfile.TemporaryDirectory(prefix="lazybind-check-") as directory:
            source_path = os.path.join(directory, _SOURCE_NAME)
            exe = os.path.join(directory, "check")
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
                    break
                bad = self._rejected(result.stderr, by_line, source_path)
                rejected.update(bad)
                active = [(n, p) for n, p in active if n not in bad]
            else:
                raise CheckError(f"the C compiler keeps rejecting the check program: "
                                 f"{_first_error(result.stderr)}")
            outputs = self._execute(exe)
        return outputs, rejected

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


# -- comparing ------------------------------------------------------------------------------------

class _ModuleSide:
    """The values the imported module gives (host target) for each probe."""

    def __init__(self, path: str) -> None:
        stem = re.sub(r"[^0-9A-Za-z_]", "_", os.path.basename(path))
        name = f"_lazybind_check_{next(_counter)}_{stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise CheckError(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        saved = sys.dont_write_bytecode
        sys.dont_write_bytecode = True
        try:
            spec.loader.exec_module(module)
            self.binding = module.__lazybind__._binding
        except LazybindError:
            raise
        except Exception as error:
            raise CheckError(f"cannot import {path}: {type(error).__name__}: {error}")
        finally:
            sys.dont_write_bytecode = saved
        self.module = module
        self._classes: Dict[int, object] = {}
        self._fresh_bindings: list = []  # each builds a class again after a refusal

    def record_class(self, index: int, record: _Record):
        """The ctypes class, or raises _Refused(reason). A record is asked for once, the way a
        user's first access does; a class left half-built by an earlier refusal (of a record
        containing it) is asked for again from a fresh copy of the module's state."""
        found = self._classes.get(index)
        if found is None:
            try:
                found = self.binding.record_class(index)
            except Exception as error:  # noqa: BLE001 - the runtime's own error classes
                found = _Refused(error, self._second_use(index))
            else:
                if record.fields and "_fields_" not in found.__dict__:
                    found = self._fresh_class(index)
            self._classes[index] = found
        if isinstance(found, _Refused):
            raise found
        return found

    def _fresh_binding(self):
        binding = self.binding
        fresh = type(binding)({"__name__": binding._module_name}, binding._sections)
        self._fresh_bindings.append(fresh)
        return fresh

    def _fresh_class(self, index: int):
        try:
            fresh = self._fresh_binding()
        except Exception as error:  # noqa: BLE001
            return _Refused("not built: the layout of a record it contains was refused (%s)"
                            % error)
        try:
            return fresh.record_class(index)
        except Exception as error:  # noqa: BLE001
            return _Refused(error, None)

    def _second_use(self, index: int):
        """What a second access gives after a refusal: None when it raises again, as it must."""
        try:
            cls = self.binding.record_class(index)
            cls()
        except Exception:  # noqa: BLE001
            return None
        return cls

    def ctype(self, ref: int):
        return self.binding.ctype(ref)

    def inexact(self, key: tuple) -> str:
        """Why the runtime could not give this type C's alignment here ("" if it did not say)."""
        for binding in [self.binding] + self._fresh_bindings:
            if key in binding._inexact:
                return binding._inexact[key]
        return ""

    def constant(self, name: str):
        return self.binding.getattr(name)


class _Refused(Exception):
    def __init__(self, error: object, second_use=None) -> None:
        super().__init__(str(error))
        self.error = error
        self.second_use = second_use  # a class a second access hands out instead of refusing


_REFUSALS = ("LayoutError", "UnsupportedTypeError")


def _is_refusal(error: BaseException) -> bool:
    return any(cls.__name__ in _REFUSALS for cls in type(error).__mro__)


def _bit_summary(data: bytes) -> Tuple[int, int, int]:
    value = int.from_bytes(data, "little")
    if not value:
        return -1, -1, 0
    return (value & -value).bit_length() - 1, value.bit_length() - 1, bin(value).count("1")


def _describe_bits(first: int, last: int, count: int) -> str:
    if count == 0:
        return "no bits"
    if count == last - first + 1:
        return f"bits {first}..{last}"
    return f"{count} bits in {first}..{last}"


_KIND_NAMES = {1: "integer", 2: "floating", 3: "pointer or other"}
_EXPECTED_KIND = {"i": 1, "d": 2, "n": 3, "a": 3}


class _Comparer:
    def __init__(self, tables: _Tables, planner: _Planner, report: Report,
                 module: Optional[_ModuleSide]) -> None:
        self.tables = tables
        self.planner = planner
        self.report = report
        self.module = module  # None: a foreign target, compared with the tables' own numbers
        self._refused: Dict[int, bool] = {}

    def mismatch(self, probe: _Probe, message: str) -> None:
        self.report.mismatches.append(Finding(self.tables.location(probe.index), probe.subject,
                                              message))

    def cls(self, probe: _Probe):
        """The record's ctypes class; None when refused (reported once per record)."""
        if self.module is None:
            return None
        record = self.planner.records[probe.index]
        try:
            return self.module.record_class(probe.index, record)
        except _Refused as refused:
            if probe.index not in self._refused:
                self._refused[probe.index] = True
                error = refused.error
                subject = self.planner.spelling(probe.index)[1]
                finding = Finding(self.tables.location(probe.index), subject, str(error))
                if isinstance(error, BaseException) and not _is_refusal(error):
                    self.mismatch(probe, f"the module cannot build it: "
                                         f"{type(error).__name__}: {error}")
                else:
                    self.report.refused.append(finding)
                second = refused.second_use
                if second is not None:
                    self.mismatch(probe, f"refused at first use, but a second use gives a class "
                                         f"of size {ctypes.sizeof(second)} "
                                         f"(C size {self.planner.records[probe.index].size})")
            raise

    def compare(self, probe: _Probe, words: list) -> None:
        try:
            getattr(self, "_" + probe.kind)(probe, words)
        except _Refused:
            pass  # a record the module refuses: reported as refused, nothing left to compare

    def _r(self, probe, words):
        size, align = int(words[0]), int(words[1])
        record = self.planner.records[probe.index]
        if align != record.align:
            self.mismatch(probe, f"C alignment {align}, module alignment {record.align}")
        cls = self.cls(probe)
        self.report.counts["records"] += 1
        module_size = record.size if cls is None else ctypes.sizeof(cls)
        if size != module_size:
            self.mismatch(probe, f"C size {size}, module size {module_size}")
        if cls is not None:
            self._alignment(probe, align, cls, self.module.inexact(("record", probe.index)))

    def _alignment(self, probe, align: int, ctype, inexact: str) -> None:
        """ctypes' alignment must be C's: it places the type inside a user's own Structure. The
        one excuse is what this Python's ctypes cannot do, which the runtime names; it is taken
        only where it can be true (a scalar's alignment is fixed; `_align_` from 3.13 raises a
        record's)."""
        actual = ctypes.alignment(ctype)
        if actual == align:
            return
        excusable = inexact and (sys.version_info < (3, 13) or not issubclass(
            ctype, (ctypes.Structure, ctypes.Union)))
        if excusable:
            self.report.inexact.append(Finding(self.tables.location(probe.index), probe.subject,
                                               inexact))
        else:
            self.mismatch(probe, f"C alignment {align}, ctypes alignment {actual}")

    def _f(self, probe, words):
        offset, size = int(words[0]), int(words[1])
        name, offset_bits, flexible = probe.data
        cls = self.cls(probe)
        self.report.counts["fields"] += 1
        if cls is None:
            module_offset, module_size = offset_bits // 8, None
        else:
            descriptor = getattr(cls, name, None)
            if descriptor is None or not hasattr(descriptor, "offset"):
                self.mismatch(probe, "the module's class has no such field")
                return
            module_offset, module_size = descriptor.offset, descriptor.size
            if name in rt._declared_bitfields(cls):  # put in a bitfield's unit by the runtime
                module_offset += rt._bit_offset(descriptor) // 8
                module_size = rt._bit_size(descriptor) // 8
        if offset != module_offset or (cls is None and offset_bits % 8):
            self.mismatch(probe, f"C offset {offset}, module offset {offset_bits / 8:g}"
                          if cls is None else f"C offset {offset}, module offset {module_offset}")
        elif module_size is not None and not flexible and size != module_size:
            self.mismatch(probe, f"C size {size}, module size {module_size}")

    def _b(self, probe, words):
        first, last, count, negative = (int(w) for w in words)
        name, offset_bits, width = probe.data
        cls = self.cls(probe)
        self.report.counts["fields"] += 1
        if cls is None:
            if self.tables.meta.get("compile", {}).get("target", "").startswith(
                    ("powerpc", "ppc", "s390", "mips-", "sparc", "m68k")):
                return  # big-endian bit numbering: offsets are compared through whole fields only
            module = (offset_bits, offset_bits + width - 1, width)
            if (first, last, count) != module:
                self.mismatch(probe, f"C {_describe_bits(first, last, count)}, "
                                     f"module {_describe_bits(*module)}")
            return
        try:
            instance = cls()
            setattr(instance, name, -1)
            data = ctypes.string_at(ctypes.addressof(instance), ctypes.sizeof(instance))
            module_negative = int(getattr(instance, name) < 0)
        except Exception as error:  # noqa: BLE001
            self.mismatch(probe, f"the module cannot store into it: "
                                 f"{type(error).__name__}: {error}")
            return
        module = _bit_summary(data)
        if (first, last, count) != module:
            self.mismatch(probe, f"C {_describe_bits(first, last, count)}, "
                                 f"module {_describe_bits(*module)}")
        elif negative != module_negative:
            signed = {1: "signed", 0: "unsigned"}
            self.mismatch(probe, f"C {signed[negative]}, module {signed[module_negative]}")

    def _t(self, probe, words):
        size = int(words[0])
        try:
            ctype = self.module.ctype(probe.data[0])
            module_size = 0 if ctype is None else ctypes.sizeof(ctype)
        except Exception as error:  # noqa: BLE001
            finding = Finding(self.tables.location(probe.index), probe.subject, str(error))
            if _is_refusal(error):
                self.report.refused.append(finding)
            else:
                self.mismatch(probe, f"the module cannot build it: {type(error).__name__}: {error}")
            return
        self.report.counts["types"] += 1
        if size != module_size:
            self.mismatch(probe, f"C size {size}, module size {module_size}")
        elif ctype is not None and int(words[1]):
            self._alignment(probe, int(words[1]), ctype, self.module.inexact(("aligned", probe.data[0])))

    def _value(self, probe):
        name, value = probe.data
        if self.module is None:
            return value
        return self.module.constant(name)

    def _kind_ok(self, probe, kind: int) -> bool:
        expected = _EXPECTED_KIND[probe.kind]
        if kind != expected:
            self.mismatch(probe, f"C type {_KIND_NAMES.get(kind, kind)}, "
                                 f"module value {_KIND_NAMES[expected]}")
            return False
        return True

    def _i(self, probe, words):
        kind, c_value = int(words[0]), int(words[1])
        self.report.counts["constants"] += 1
        if not self._kind_ok(probe, kind):
            return
        value = self._value(probe)
        if c_value != value:
            self.mismatch(probe, f"C value {c_value}, module value {value!r}")

    _a = _i  # an address: the same comparison, of a C pointer

    def _d(self, probe, words):
        kind = int(words[0])
        self.report.counts["constants"] += 1
        if not self._kind_ok(probe, kind):
            return
        try:
            c_value = float.fromhex(words[1])
        except ValueError:
            c_value = float(words[1])
        value = self._value(probe)
        same = (math.isnan(c_value) and isinstance(value, float) and math.isnan(value)) or (
            c_value == value)
        if not same:
            self.mismatch(probe, f"C value {c_value!r}, module value {value!r}")

    def _s(self, probe, words):
        c_value = bytes.fromhex(words[0] if words else "")
        self.report.counts["constants"] += 1
        value = self._value(probe)
        if c_value != value:
            self.mismatch(probe, f"C value {c_value!r}, module value {value!r}")

    def _n(self, probe, words):
        null = int(words[1])  # words[0]: the type kind the probe printed, unused here
        self.report.counts["constants"] += 1
        value = self._value(probe)
        if not null or value is not None:
            self.mismatch(probe, f"C value {'a null pointer' if null else 'not a null pointer'}, "
                                 f"module value {value!r}")


# -- the entry point -------------------------------------------------------------------------------

def _module_data(path: str) -> str:
    """The text holding the module's data sections: the module, or its --data-file beside it."""
    try:
        with open(path, encoding="utf-8") as handle:
            source = handle.read()
        if "\n#@runtime\n" in source:
            return source
        data_path = os.path.splitext(path)[0] + rt.DATA_SUFFIX
        with open(data_path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as error:
        raise CheckError(f"cannot read {error.filename or path}: {error.strerror or error}")


def check_module(path) -> Report:
    """Compare the module at `path` with what the system C compiler computes for its headers."""
    import time

    started = time.perf_counter()
    path = os.fspath(path)
    tables = _Tables(_module_data(path))
    target = (tables.meta.get("compile") or {}).get("target") or ""
    compiler = _find_compiler(target)
    report = Report(module=path, compiler=compiler.display, target=compiler.target)
    planner = _Planner(tables, with_types=compiler.native)
    planner.plan()
    report.skipped.extend(planner.skipped)
    report.refused.extend(planner.refused)
    program = _Program(compiler, tables.meta, os.path.dirname(os.path.abspath(path)))
    outputs, rejected = program.run(planner.probes)
    module = _ModuleSide(path) if compiler.native else None
    comparer = _Comparer(tables, planner, report, module)
    for number, probe in enumerate(planner.probes):
        if number in rejected:
            report.skipped.append(Finding(tables.location(probe.index), probe.subject,
                                          rejected[number]))
        elif number not in outputs:
            report.skipped.append(Finding(tables.location(probe.index), probe.subject,
                                          "the check program printed nothing for it"))
        else:
            before = report.verified
            comparer.compare(probe, outputs[number])
            if report.verified > before:
                report.checked.append(probe.subject)
    report.seconds = time.perf_counter() - started
    return report


@dataclass(frozen=True)
class LayoutConfirmation:
    """What the C compiler said of a module's record layouts at generation time."""

    note: str  # for the module's meta: who confirmed how many records, or why nobody did
    disagreements: Dict[str, str]  # record name -> the first difference the compiler found


def confirm_layouts(sections: Dict[str, str], base_dir: str) -> LayoutConfirmation:
    """Compile sizeof/_Alignof/offsetof and bitfield probes of every record in the tables
    (`sections`, as emit wrote them) and compare them with the tables' own numbers. Never fails:
    without a usable compiler, the note says why the layouts are clang's alone."""
    tables = _Tables.from_sections(sections)
    planner = _Planner(tables, with_types=False, with_values=False)
    planner.plan()
    try:
        compiler = _find_compiler((tables.meta.get("compile") or {}).get("target") or "")
        if not planner.probes:
            return LayoutConfirmation(f"no record layout to confirm ({compiler.label})", {})
        outputs, _ = _Program(compiler, tables.meta, base_dir).run(planner.probes)
    except CheckError:
        # the reason may hold temporary paths: the module's text must not depend on them
        return LayoutConfirmation("clang's, not confirmed: the C compiler could not check them "
                                  "(`lazybind check` says why)", {})
    report = Report(module="")
    comparer = _Comparer(tables, planner, report, None)
    disagreements: Dict[str, str] = {}
    confirmed = set()
    for number, probe in enumerate(planner.probes):
        if number not in outputs:
            continue
        before = len(report.mismatches)
        comparer.compare(probe, outputs[number])
        name = tables.name_at(probe.index)
        if len(report.mismatches) > before:
            finding = report.mismatches[-1]
            # the tables compared are clang's numbers: say so, not "module"
            difference = finding.message.replace(", module ", ", clang ")
            disagreements.setdefault(name, f"{compiler.label} and clang disagree on its layout: "
                                           f"{finding.subject}: {difference}")
        elif probe.kind == "r":
            confirmed.add(name)
    confirmed -= disagreements.keys()
    return LayoutConfirmation(
        f"confirmed by {compiler.label}: {len(confirmed)} of {len(planner.records)} records",
        disagreements)


def refusals_at_use(sections: Dict[str, str]) -> Tuple[Dict[str, str], Dict[str, str]]:
    """({name: why} for what a module made of `sections` refuses at use on this machine (ctypes
    cannot express it), {name: why} for the records and typedefs it gives with another alignment
    than C's, ctypes here having no way to give C's), found by the module's own runtime building
    them: no guessing twice."""
    binding = rt.Binding({"__name__": "lazybind_generation"}, dict(sections))
    found = {}
    for index, reason in binding.refusals().items():
        name = binding.name_at(index)
        found[name] = reason if reason.startswith(name) else f"{name}: {reason}"
    inexact = {binding.name_at(index): f"{binding.name_at(index)}: {reason}"
               for index, reason in binding.inexact().items()}
    return found, inexact
