"""A generated module's tables, read without importing the module: the part of them a check needs.

Names, kinds, type specs, locations and meta, read with lazybind.runtime's reader (Data), and the
records' layouts (size, alignment, fields) as the tables hold them; the format is described once,
in the docstring of lazybind/runtime (the package), beside its reader. Must not import lazybind.parse
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
    """The parts of a generated module's tables the check needs, read without importing it:
    from a module file (`lazybind.runtime.data_of_file`) or from memory at generation."""

    def __init__(self, data: "rt.Data") -> None:
        try:
            entries = data.entries()
            specs_start, specs_end, _ = data.where("specs")
            self.specs = data.read(specs_start, specs_end - specs_start)
            self.files = data.section("files")
            self.meta = json.loads(data.section("meta")[0])
        except (ValueError, KeyError, IndexError) as error:
            raise CheckError(f"not a lazybind module (its data section is unreadable: {error})")
        self._data = data
        self.names = [name for _, name, _, _ in entries]
        self._kind_refs = [(kind, ref) for _, _, kind, ref in entries]
        self.count = len(entries)
        self.index = {name: i for i, name in enumerate(self.names)}
        self._records: Dict[int, Optional[Record]] = {}  # read once: the planner asks twice

    def name_at(self, index: int) -> str:
        return self.names[index]

    def kind_ref(self, index: int) -> Tuple[int, int]:
        return self._kind_refs[index]

    def spec(self, ref: int) -> str:
        return self.specs[ref:self.specs.index(b"\n", ref)].decode("utf-8")

    def location(self, index: int) -> str:
        packed = self._data.fixed("locations", index, rt.LOCATION_WIDTH)
        return "%s:%d" % (self.files[packed >> rt.LINE_BITS], packed & ((1 << rt.LINE_BITS) - 1))

    def refusal(self, index: int) -> str:
        """Why the module refuses the record at `index` whatever ctypes does ("" if it does not)."""
        spec = self.spec(self.kind_ref(index)[1])
        return bytes.fromhex(spec[2:]).decode("utf-8") if spec[1:2] == "!" else ""

    def record(self, index: int) -> Optional[Record]:
        """The record at `index`, or None when it is opaque or refused."""
        if index not in self._records:
            self._records[index] = self._read_record(index)
        return self._records[index]

    def _read_record(self, index: int) -> Optional[Record]:
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
