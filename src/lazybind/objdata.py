"""Numbers out of an object file: the C compiler computes them, nothing is run.

A C file holds static constants whose initializers the compiler must fold (sizeof, offsetof, a
macro's value, a string, a record with one bitfield set to -1), each behind a marker. The
compiler builds an object file for the target (`-c`); the numbers are found in it by their
marker, whatever the object format (ELF, COFF, Mach-O) and the target's byte order, the way the
Linux kernel's asm-offsets reads numbers from compiler output. So a cross compiler verifies a
target this machine cannot run, and this machine is verified the same way.

Two shapes, both numbered by the caller (`id`):
- a *row* of four integers, `__LBK_ROW(id, a, b, c, d)`, one line each inside a *table*
  (`table_lines`): one object for thousands of rows, which the compiler builds far faster than
  as many objects. A row may also be written as the initializer the macro makes, `{id, a, b},`
  (the numbers left out are 0), where the table's conversion to unsigned 64 bits does what the
  macro's casts do: the compiler reads it faster. A row may stand between `#ifdef NAME` and
  `#endif` (a macro the compiler may not define): the table then holds fewer rows. In memory:
  the marker, 'T', the byte order (1: big-endian), 14 zero bytes, then the rows, each five
  unsigned 64-bit numbers (id and the four) in the target's byte order, up to a row whose id is
  2**64 - 1.
- an *item*, `__LBK_ITEM` and the macros built on it (a double, a string, a wide string, a
  record with a bitfield set): its payload, then the marker, 'X', the byte order, one more number
  (`aux`: 8 bytes), the id (8) and the payload's size (8), each little-endian whatever the
  target, being built byte by byte from constant expressions.

Must import nothing of lazybind.
"""

from __future__ import annotations

import os
import re
import struct
import subprocess
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple, Union

MARKER = bytes((0x9C, 0x4B, 0x1D, 0x7E, 0x22, 0xA0, 0x5F, 0x13,
                0xE8, 0x6B, 0x30, 0xD4, 0x81, 0x0F, 0xB2, 0x57))
_SHIFTS = ", ".join(f"(unsigned char)((__lbk_u64)(x) >> {8 * n})" for n in range(8))
_ORDER = "__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__"

PRELUDE = r"""
/* lazybind.objdata: every name starts with __lbk_ or __LBK_, out of the headers' reach */
typedef unsigned long long __lbk_u64;
#define __LBK_MARKER {%(marker)s}
#define __LBK_B8(x) %(shifts)s
/* the payload `decl` initialized by the rest, then the marker and the header */
#define __LBK_ITEM(id, aux, decl, ...) static const struct { decl; unsigned char __m[16]; \
    unsigned char __h[26]; } __lbk_item##id __attribute__((used)) = { __VA_ARGS__, \
    __LBK_MARKER, { 'X', %(order)s, __LBK_B8(aux), __LBK_B8(id), \
    __LBK_B8(sizeof __lbk_item##id.__v) } };
/* a table's row: the id and four integers, each as an unsigned 64-bit number */
#define __LBK_ROW(id, a, b, c, d) \
    {(__lbk_u64)(id), (__lbk_u64)(a), (__lbk_u64)(b), (__lbk_u64)(c), (__lbk_u64)(d)},
/* an integer, then a double */
#define __LBK_DOUBLE(id, k, x) __LBK_ITEM(id, 0, struct { __lbk_u64 __k; double __d; } __v, \
    {(__lbk_u64)(k), (double)(x)})
/* a string literal's bytes, its NUL included; a wide one's code units, each `aux` bytes */
#define __LBK_STRING(id, s) __LBK_ITEM(id, 1, char __v[sizeof(s)], s)
#define __LBK_WSTRING(id, s) __LBK_ITEM(id, sizeof((s)[0]), \
    __typeof__((s)[0]) __v[sizeof(s) / sizeof((s)[0])], s)
/* a record of type T, member m set to -1 and the rest zero; aux 1 when m reads back negative
   (the compiler folds reads and copies of a static constant) */
#define __LBK_BITS(id, T, m) static const T __lbk_bits##id = {.m = -1}; \
    __LBK_ITEM(id, __lbk_bits##id.m < 0, T __v, __lbk_bits##id)
""" % {"marker": ", ".join(str(b) for b in MARKER), "shifts": _SHIFTS, "order": _ORDER}


def is_row(code: str) -> bool:
    """Whether a line of C is a table's row (it belongs inside `table_lines`)."""
    return code.startswith("__LBK_ROW(")


def table_lines(number: int, rows: Sequence[str], count: int = -1) -> List[str]:
    """The lines of table `number` around `rows` (its lines, the second line onwards), which
    hold `count` rows (default: one a line)."""
    if not rows:
        return []
    count = len(rows) if count < 0 else count
    return [f"static const struct {{ unsigned char __m[16]; unsigned char __h[16]; "
            f"__lbk_u64 __v[{count + 1}][5]; }} __lbk_table{number} __attribute__((used)) = "
            f"{{ __LBK_MARKER, {{ 'T', {_ORDER} }}, {{",
            *rows, "{~0ULL, 0, 0, 0, 0} } };"]


@dataclass(frozen=True)
class Item:
    payload: bytes
    big_endian: bool
    aux: int

    def integers(self) -> List[int]:
        """The payload as unsigned 64-bit numbers (__LBK_INTS)."""
        order = ">" if self.big_endian else "<"
        return list(struct.unpack(f"{order}{len(self.payload) // 8}Q", self.payload))

    def double(self) -> Tuple[int, float]:
        """(the integer, the double) of __LBK_DOUBLE."""
        order = ">" if self.big_endian else "<"
        return struct.unpack(f"{order}Qd", self.payload[:16])

    def text(self) -> str:
        """A wide string's code units as text (lone surrogates kept as such)."""
        width = self.aux or 1
        units = self.payload[:len(self.payload) - width]  # the terminating NUL left out
        if width == 1:
            return units.decode("latin-1")
        codec = {2: "utf-16", 4: "utf-32"}[width] + ("-be" if self.big_endian else "-le")
        return units.decode(codec, "surrogatepass")


def read_items(data: bytes) -> Dict[int, Union[Item, "Row"]]:
    """Every item and row in an object file's bytes, by id (a row's payload: its four numbers)."""
    items: Dict[int, Union[Item, Row]] = {}
    at = data.find(MARKER)
    while at >= 0:
        head = at + len(MARKER)
        tag, big = data[head:head + 1], bool(data[head + 1:head + 2] == b"\x01")
        if tag == b"X" and head + 26 <= len(data):
            aux, number, size = struct.unpack("<QQQ", data[head + 2:head + 26])
            if size <= at:
                items[number] = Item(data[at - size:at], big, aux)
        elif tag == b"T":
            items.update(_rows(data, head + 16, big))
        at = data.find(MARKER, at + 1)
    return items


_END = (1 << 64) - 1


def _rows(data: bytes, start: int, big: bool) -> Dict[int, "Row"]:
    """A table's rows from `start` up to its end row, unpacked in one call (tables have
    thousands of rows)."""
    whole = (len(data) - start) // 40 * 40
    rows = {}
    for number, *numbers in struct.iter_unpack((">" if big else "<") + "5Q",
                                               memoryview(data)[start:start + whole]):
        if number == _END:
            break
        rows[number] = Row(numbers)
    return rows


class Row:
    """A table's row: what `Item.integers` gives for it, its four numbers."""

    __slots__ = ("numbers",)

    def __init__(self, numbers: List[int]) -> None:
        self.numbers = numbers

    def integers(self) -> List[int]:
        return self.numbers


def compile_object(command: Sequence[str], flags: Sequence[str], source_path: str,
                   timeout: float = 600) -> Tuple[subprocess.CompletedProcess, bytes]:
    """Compile `source_path` to an object file beside it (never linked, never run); return the
    compiler's result and the object's bytes (empty when it failed)."""
    object_path = os.path.splitext(source_path)[0] + ".o"
    result = subprocess.run([*command, *flags, "-c", source_path, "-o", object_path],
                            capture_output=True, text=True, errors="replace", timeout=timeout,
                            stdin=subprocess.DEVNULL)
    if result.returncode != 0:
        return result, b""
    with open(object_path, "rb") as handle:
        return result, handle.read()


_DIAGNOSTIC = re.compile(r"^(?P<file>[^\s:][^:]*):(?P<line>\d+):(?:(?P<col>\d+):)? "
                         r"(?P<kind>fatal error|error|warning|note): (?P<message>.*)$")


def error_blocks(stderr: str, source_name: str, by_line: Dict[int, int]
                 ) -> List[Tuple[str, List[int]]]:
    """Each error the compiler reported, with the numbers (`by_line`'s values) of the lines of
    the file `source_name` it names: at the error itself, or in the notes after it (an item's
    error is reported inside the prelude's macro, then "in expansion of macro" at its line)."""
    blocks: List[Tuple[str, List[int]]] = []
    for line in stderr.splitlines():
        match = _DIAGNOSTIC.match(line)
        if not match:
            continue
        kind = match["kind"]
        ours = match["file"].endswith(source_name)
        if kind in ("error", "fatal error"):
            shown = f"{kind}: {match['message']}"
            blocks.append((shown if ours else f"{match['file']}:{match['line']}: {shown}", []))
        elif kind == "warning" or not blocks:
            continue
        if ours and int(match["line"]) in by_line:
            blocks[-1][1].append(by_line[int(match["line"])])
    return blocks


# a stdcall symbol as i686 Windows compilers decorate it, `_Name@N` (`__imp__Name@N` for a
# dllimport reference), in an object file's symbol or string table
_DECORATED = re.compile(rb"_([A-Za-z_][A-Za-z0-9_]*)@([0-9]+)")


def decorated_symbols(data: bytes) -> Dict[str, int]:
    """{function name: its arguments' stack bytes} of the stdcall symbols an object refers to."""
    return {match.group(1).decode(): int(match.group(2)) for match in _DECORATED.finditer(data)}
