"""i686 Windows' calling conventions, checked by the symbols the compiler writes.

On i686 Windows the compiler decorates a stdcall function's symbol with the bytes its arguments
take on the stack (`_CreateFileA@28`: each argument rounded up to 4 bytes) and leaves a cdecl
one's plain (`_wsprintfA`). So an object file that takes the address of every function tells,
without running anything, which ones the module must call through WinDLL/WINFUNCTYPE (its 'W'
specs) and that their parameters' sizes add up as in C: a stdcall call whose argument bytes are
wrong unbalances the stack. Makes the probes (kind 'c'); the numbers come from
objdata.decorated_symbols. Must not import compare.py, generation.py or check.py.
"""

from __future__ import annotations

from typing import List, Optional

from .. import runtime as rt
from ..toolchain import is_windows, normalize_triple
from .program import Probe
from .tables import Tables

# the sizes of the primitives on i686 Windows (clang and gcc agree: LLP64-like ILP32)
_SIZES = {"bool": 1, "char": 1, "schar": 1, "uchar": 1, "short": 2, "ushort": 2, "int": 4,
          "uint": 4, "long": 4, "ulong": 4, "longlong": 8, "ulonglong": 8, "float": 4,
          "double": 8, "longdouble": 12, "wchar": 2, "char16": 2, "char32": 4, "int128": 16,
          "uint128": 16}


def applies(target: str) -> bool:
    """Whether the target decorates stdcall symbols: i686 Windows."""
    return bool(target) and is_windows(target) and normalize_triple(target)[0] == "i686"


def probes(tables: Tables) -> List[Probe]:
    """One probe per function whose argument bytes the tables tell: its address taken."""
    found = []
    for index in range(tables.count):
        kind, ref = tables.kind_ref(index)
        if kind != rt.KIND_FUNCTION:
            continue
        name, spec = tables.name_at(index), tables.spec(ref)
        expected = _argument_bytes(tables, spec) if spec[0] == "W" else -1
        if expected is not None:
            found.append(Probe("c", index, f"function {name}", "static void *const "
                               f"__lbk_fn{{id}} __attribute__((used)) = (void *)&{name};",
                               (name, expected), members=(name,)))  # not a macro of its name
    return found


def _argument_bytes(tables: Tables, spec: str) -> Optional[int]:
    """The stack bytes of a function spec's parameters (None when a size is not known)."""
    params = [int(p) for p in spec[1:].partition(":")[2].split(",") if p]
    total = 0
    for ref in params:
        size = _size(tables, ref)
        if size is None:
            return None
        total += (size + 3) // 4 * 4
    return total


def _size(tables: Tables, ref: int) -> Optional[int]:
    spec = tables.spec(ref)
    tag = spec[0]
    if tag in "*&[":  # an array parameter is a pointer
        return 4
    if tag == "p":
        return _SIZES.get(spec[1:])
    if tag == "R":
        record = tables.record(int(spec[1:]))
        return record.size if record is not None else None
    if tag == "A":
        return _size(tables, int(spec.partition(":")[2]))
    if tag == "U":
        return int(spec[1:].split(",")[0]) or None
    return None
