"""Which functions a Windows DLL exports: its PE export table, read with the standard library.

At generation for a Windows target, when a PE file of a `--library` is at hand (Debian's wine64
ships real PE builds of kernel32.dll, user32.dll, advapi32.dll... under its lib directory), the
declared functions it does not export are reported (`-v` names them): the Windows form of the
'missing' sentinel, checked at generation. Optional: without a PE file nothing is said, and
nothing of it is written into the module (the module stays the same with or without wine).

Imports nothing of lazybind but ir and errors.
"""

from __future__ import annotations

import os
import struct
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

from . import ir
from .errors import LazybindError

# Where PE builds of the system DLLs are found, by the target's architecture: $LAZYBIND_PE_DIR
# (directories separated by os.pathsep) first, then wine's.
_WINE_DIRS = {
    "x86_64": ("/usr/lib/x86_64-linux-gnu/wine/x86_64-windows", "/usr/lib/wine/x86_64-windows"),
    "i686": ("/usr/lib/i386-linux-gnu/wine/i386-windows", "/usr/lib/wine/i386-windows"),
}


class PEError(LazybindError):
    """Not a PE file, or one whose export table cannot be read."""


def export_names(path: str) -> FrozenSet[str]:
    """The names a PE file (DLL) exports: its export directory's name table."""
    with open(path, "rb") as handle:
        data = handle.read()
    try:
        sections, directory = _headers(data)
        if directory is None:
            return frozenset()
        offset = _file_offset(sections, directory)
        count, names_rva = struct.unpack_from("<I4xI", data, offset + 24)
        names_at = _file_offset(sections, names_rva)
        return frozenset(_c_string(data, _file_offset(sections, rva)) for rva in
                         struct.unpack_from(f"<{count}I", data, names_at))
    except (struct.error, IndexError, UnicodeDecodeError) as error:
        raise PEError(f"{path}: not a readable PE export table ({error})") from None


def _headers(data: bytes) -> Tuple[List[Tuple[int, int, int]], Optional[int]]:
    """(sections as (virtual address, virtual size, file offset), the export directory's RVA)."""
    if data[:2] != b"MZ":
        raise PEError("no MZ header")
    pe = struct.unpack_from("<I", data, 0x3C)[0]
    if data[pe:pe + 4] != b"PE\0\0":
        raise PEError("no PE signature")
    section_count, optional_size = struct.unpack_from("<2xH12xH", data, pe + 4)
    optional = pe + 24
    magic = struct.unpack_from("<H", data, optional)[0]
    directories = optional + {0x10B: 96, 0x20B: 112}[magic]  # PE32, PE32+
    export_rva, export_size = struct.unpack_from("<II", data, directories)
    table = optional + optional_size
    sections = []
    for number in range(section_count):  # Name[8], VirtualSize, VirtualAddress, SizeOfRawData,
        size, address, _, raw = struct.unpack_from("<8xIIII", data, table + 40 * number)
        sections.append((address, size, raw))  # PointerToRawData, ...
    return sections, (export_rva if export_rva and export_size else None)


def _file_offset(sections: Sequence[Tuple[int, int, int]], rva: int) -> int:
    for address, size, raw in sections:
        if address <= rva < address + max(size, 1):
            return rva - address + raw
    raise IndexError(f"RVA {rva:#x} is in no section")


def _c_string(data: bytes, offset: int) -> str:
    return data[offset:data.index(b"\0", offset)].decode("ascii")


def find_dll(library: str, target: str) -> Optional[str]:
    """The PE file of `--library` (kernel32, user32.dll) for the target's architecture, or None."""
    name = library if library.lower().endswith(".dll") else library + ".dll"
    arch = "x86_64" if target.startswith(("x86_64", "amd64")) else "i686"
    extra = [d for d in os.environ.get("LAZYBIND_PE_DIR", "").split(os.pathsep) if d]
    for directory in (*extra, *_WINE_DIRS[arch]):
        for candidate in (name, name.lower()):
            path = os.path.join(directory, candidate)
            if os.path.isfile(path):
                return path
    return None


def unexported(declarations: ir.Declarations, libraries: Iterable[str], target: str
               ) -> Tuple[str, Tuple[ir.Skipped, ...]]:
    """(a note for the summary line, the declared functions no PE file of `libraries` exports);
    ("", ()) when a library has no PE file here: then nothing can be said."""
    paths: Dict[str, str] = {}
    for library in libraries:
        path = find_dll(library, target)
        if path is None:
            return "", ()
        paths[library] = path
    exported = frozenset().union(*(export_names(path) for path in paths.values()))
    functions = [d for d in declarations.declarations if isinstance(d, ir.Function)]
    missing = tuple(ir.Skipped(f.name, f.location, "not exported by " + ", ".join(
        os.path.basename(p) for p in paths.values())) for f in functions if f.name not in exported)
    note = (f"exports: {len(functions) - len(missing)} of {len(functions)} functions found in "
            f"{', '.join(os.path.basename(p) for p in paths.values())} "
            f"({os.path.dirname(next(iter(paths.values())))})")
    return note, missing
