"""What verification does at generation time (called from lazybind.api.render).

`confirm_layouts` compiles the layout probes of every record (and the size probes of every
typedef, enum and variable) and compares them with clang's numbers: never failing, it returns a
note for the module and the names the compiler disputes. `refusals_at_use` builds every record
and type with the module's own runtime to find what ctypes cannot express here (no generated
module is imported from a file). Must not import check.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import AbstractSet, Dict, FrozenSet, Optional, Tuple

from .. import runtime as rt
from ..precompiled import PrecompiledHeaders
from .compare import Comparer
from .planner import Planner
from .program import Program, find_compiler
from .report import CheckError, Report
from .tables import Tables


@dataclass(frozen=True)
class LayoutConfirmation:
    """What the C compiler said of the record layouts (and the typedefs', enums' and variables'
    sizes) of some tables: per name, so that what was confirmed early, from the types alone, can
    be told for the module's final declarations."""

    compiler: str  # the compiler's label; "" when none could check them
    planned: FrozenSet[str]  # the records given to the compiler (not opaque, with a C name)
    confirmed: FrozenSet[str]  # of those, the records it laid out as clang did
    # record, typedef, enum or variable name -> the first difference the compiler found
    disagreements: Dict[str, str]
    why: str = ""  # why none could check them (kept out of the module's text: it may hold paths)

    @property
    def note(self) -> str:
        """For the module's meta: who confirmed how many records, or why nobody did."""
        if not self.compiler:
            # the reason may hold temporary paths: the module's text must not depend on them
            return ("clang's, not confirmed: the C compiler could not check them "
                    "(`lazybind check` says why)")
        if not self.planned:
            return f"no record layout to confirm ({self.compiler})"
        return f"confirmed by {self.compiler}: {len(self.confirmed)} of {len(self.planned)} records"

    def of(self, names: AbstractSet[str]) -> "LayoutConfirmation":
        """The same answers for the records, typedefs and enums `names` alone (the module's, of
        all those confirmed)."""
        return LayoutConfirmation(
            self.compiler, self.planned & names, self.confirmed & names,
            {name: why for name, why in self.disagreements.items() if name in names}, self.why)


def confirm_layouts(data: "rt.Data", base_dir: str,
                    types: Optional[Dict[str, Tuple[int, int]]] = None,
                    precompiled: Optional[PrecompiledHeaders] = None) -> LayoutConfirmation:
    """Compile sizeof/_Alignof/offsetof and bitfield probes of every record in the tables
    (`data`, as emit wrote them), and the size and alignment of every typedef, enum and variable,
    and compare them with the tables' own numbers (a typedef's or enum's: clang's `types`, by
    name). Never fails: without a usable compiler, the note says why the layouts are clang's
    alone. The program includes the `precompiled` headers, if given (the tables' own)."""
    tables = Tables(data)
    types = types or {}
    # the typedefs and enums clang gave a size (a variable's is not compared here)
    planner = Planner(tables, with_types=True, with_values=False,
                      only_types={name for name, (size, _) in types.items() if size >= 0})
    planner.plan()
    try:
        compiler = find_compiler((tables.meta.get("compile") or {}).get("target") or "")
        if not planner.probes:
            return LayoutConfirmation(compiler.label, frozenset(), frozenset(), {})
        outputs, _ = Program(compiler, tables.meta, base_dir,
                             precompiled=precompiled).run(planner.probes)
    except CheckError as error:
        return LayoutConfirmation("", frozenset(), frozenset(), {}, error.message)
    report = Report(module="")
    comparer = Comparer(tables, planner, report, None, types)
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
            what = "its layout" if probe.kind != "t" else "it"
            disagreements.setdefault(name, f"{compiler.label} and clang disagree on {what}: "
                                           f"{finding.subject}: {difference}")
        elif probe.kind == "r":
            confirmed.add(name)
    planned = frozenset(tables.name_at(index) for index in planner.records)
    return LayoutConfirmation(compiler.label, planned, frozenset(confirmed - disagreements.keys()),
                              disagreements)


def refusals_at_use(data: "rt.Data") -> Tuple[Dict[str, str], Dict[str, str]]:
    """({name: why} for what a module made of these tables refuses at use on this machine (ctypes
    cannot express it), {name: why} for the records and typedefs it gives with another alignment
    than C's, ctypes here having no way to give C's), found by the module's own runtime building
    them: no guessing twice."""
    binding = rt.Binding({"__name__": "lazybind_generation"}, data)
    found = {}
    for index, reason in binding.refusals().items():
        name = binding.name_at(index)
        found[name] = reason if reason.startswith(name) else f"{name}: {reason}"
    inexact = {binding.name_at(index): f"{binding.name_at(index)}: {reason}"
               for index, reason in binding.inexact().items()}
    return found, inexact
