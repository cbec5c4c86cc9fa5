"""Numbers out of an object file: the C compiler computes them, nothing is run.

A C file holds one *item* per number wanted, a static constant whose initializer the compiler
must fold (sizeof, offsetof, a macro's value, a string, a record with one bitfield set to -1),
followed by a marker and a header. The compiler builds an object file for the target (`-c`); the
items are found in it by their marker, whatever the object format (ELF, COFF, Mach-O) and the
target's byte order, the way the Linux kernel's asm-offsets reads numbers from compiler output.
So a cross compiler verifies a target this machine cannot run, and the host is verified the
same way.

An item in memory: the payload, then 16 marker bytes, then a header of 25 bytes built from
constant expressions byte by byte (so in no byte order): the item's number (8 bytes, little-
endian), the payload's size (8), 1 when the target is big-endian (1), and one more number (8).
Payloads: `PRELUDE`'s macros, below. Must import nothing of lazybind.
"""

from __future__ import annotations

import os
import re
import struct
import subprocess
from dataclasses import dataclass
from typing import Dict, List, Sequence, Tuple

MARKER = bytes((0x9C, 0x4B, 0x1D, 0x7E, 0x22, 0xA0, 0x5F, 0x13,
                0xE8, 0x6B, 0x30, 0xD4, 0x81, 0x0F, 0xB2, 0x57))
_HEADER = 25
_SHIFTS = ", ".join(f"(unsigned char)((__lbk_u64)(x) >> {8 * n})" for n in range(8))

PRELUDE = r"""
/* lazybind.objdata: every name starts with __lbk_ or __LBK_, out of the headers' reach */
typedef unsigned long long __lbk_u64;
#define __LBK_MARKER {%(marker)s}
#define __LBK_B8(x) %(shifts)s
/* the payload `decl` initialized by the rest, then the marker and the header */
#define __LBK_ITEM(id, aux, decl, ...) static const struct { decl; unsigned char __m[16]; \
    unsigned char __h[25]; } __lbk_item##id __attribute__((used)) = { __VA_ARGS__, \
    __LBK_MARKER, { __LBK_B8(id), __LBK_B8(sizeof __lbk_item##id.__v), \
    __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__, __LBK_B8(aux) } };
/* four integers, each as an unsigned 64-bit number */
#define __LBK_INTS(id, a, b, c, d) __LBK_ITEM(id, 0, __lbk_u64 __v[4], \
    {(__lbk_u64)(a), (__lbk_u64)(b), (__lbk_u64)(c), (__lbk_u64)(d)})
/* an integer, then a double */
#define __LBK_DOUBLE(id, k, x) __LBK_ITEM(id, 0, struct { __lbk_u64 __k; double __d; } __v, \
    {(__lbk_u64)(k), (double)(x)})
/* a string literal's bytes, its NUL included; a wide one's code units, each `aux` bytes */
#define __LBK_STRING(id, s) __LBK_ITEM(id, 1, char __v[sizeof(s)], s)
#define __LBK_WSTRING(id, s) __LBK_ITEM(id, sizeof((s)[0]), \
    __typeof__((s)[0]) __v[sizeof(s) / sizeof((s)[0])], s)
/* a record of type T with member m set to -1, the rest zero; item id+1: 1 when m reads back
   negative (the compiler folds a read of a static constant) */
#define __LBK_BITS(id, id1, T, m) __LBK_ITEM(id, 0, T __v, {.m = -1}) \
    __LBK_INTS(id1, __lbk_item##id.__v.m < 0, 0, 0, 0)
""" % {"marker": ", ".join(str(b) for b in MARKER), "shifts": _SHIFTS}


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


def read_items(data: bytes) -> Dict[int, Item]:
    """Every item in an object file's bytes, by number."""
    items: Dict[int, Item] = {}
    at = data.find(MARKER)
    while at >= 0:
        header = data[at + len(MARKER):at + len(MARKER) + _HEADER]
        if len(header) == _HEADER:
            number, size = struct.unpack("<QQ", header[:16])
            aux = struct.unpack("<Q", header[17:])[0]
            if size <= at:
                items[number] = Item(data[at - size:at], bool(header[16]), aux)
        at = data.find(MARKER, at + 1)
    return items


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
