"""What a check says: its findings, its report, and the error when it cannot run at all.

Plain data, shared by every job of the package (the planner's skipped and refused items, the
comparisons' mismatches, `lazybind check`'s report). Must not import anything of lazybind but
lazybind.errors: not the runtime, and no other module of this package (they all import this one).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List

from ..errors import LazybindError


class CheckError(LazybindError):
    """The check cannot run: no compiler, headers the compiler rejects, an unreadable module."""

    exit_code = 2


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
        functions = f", {c['functions']} functions" if c.get("functions") else ""
        return (f"{self.module}: checked {c['records']} records, {c['fields']} fields, "
                f"{c['types']} types, {c['constants']} constants{functions} against {self.compiler} "
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
