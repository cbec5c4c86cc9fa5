"""A generated module's tables, read without importing the module: the part of them a check needs.

Names, entries, type specs, locations and meta, decoded with lazybind.runtime's readers, and the
records' layouts (size, alignment, fields) as the tables hold them; the format is described once,
in the docstring of lazybind.runtime, beside its reader. Must not import lazybind.parse
(libclang) nor any module of this package but report.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from .. import runtime as rt
from .report import CheckError


@dataclass
class Field:
    name: str
    ref: int
    offset_bits: int
    bits: Optional[int]


@dataclass
class Record:
    index: int
    name: str
    union: bool
    size: int
    align: int
    fields: List[Field]


class Tables:
    """The parts of a generated module's tables the check needs, read without importing it."""

    def __init__(self, source: str) -> None:
        try:
            self._read(rt.read_sections(source))
        except ValueError as error:
            raise CheckError(f"not a lazybind module (its data section is unreadable: {error})")

    @classmethod
    def from_sections(cls, sections: Dict[str, str]) -> "Tables":
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

    def record(self, index: int) -> Optional[Record]:
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
            fields.append(Field(parts[0], int(parts[1]), int(parts[2]), bits))
        return Record(index, self.name_at(index), spec[0] == "N", size, align, fields)
