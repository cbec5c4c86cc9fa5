"""`lazybind check OUT.py`: a generated module compared with the system C compiler.

One program for the whole module (program.py) prints, for every record and field the planner
finds, sizeof, _Alignof and offsetof, the bit positions of every bitfield, the size of every
typedef, enum and variable type, and the value of every constant; the module is then imported and
compared with it (compare.py). For a module generated with --target for another machine, a cross
compiler is needed, and the program's numbers are compared with the module's tables instead
(ctypes here knows only this machine). Must not import generation.py.
"""

from __future__ import annotations

import os
import time
from typing import Sequence

from .. import runtime as rt
from .compare import Comparer, ModuleSide
from .planner import Planner
from .program import Program, find_compiler
from .report import CheckError, Finding, Report
from .tables import Tables


def check_module(path, extra_flags: Sequence[str] = ()) -> Report:
    """Compare the module at `path` with what the system C compiler computes for its headers;
    `extra_flags` (-I/-D) come after the module's own."""
    started = time.perf_counter()
    path = os.fspath(path)
    tables = Tables(_module_data(path))
    target = (tables.meta.get("compile") or {}).get("target") or ""
    compiler = find_compiler(target)
    report = Report(module=path, compiler=compiler.display, target=compiler.target)
    planner = Planner(tables, with_types=compiler.native)
    planner.plan()
    report.skipped.extend(planner.skipped)
    report.refused.extend(planner.refused)
    program = Program(compiler, tables.meta, os.path.dirname(os.path.abspath(path)), extra_flags)
    outputs, rejected = program.run(planner.probes)
    module = ModuleSide(path) if compiler.native else None
    comparer = Comparer(tables, planner, report, module)
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


def _module_data(path: str) -> "rt.Data":
    """The module's data sections: in the module, or in its --data-file beside it."""
    try:
        data = rt.data_of_file(path)
    except OSError as error:
        raise CheckError(f"cannot read {error.filename or path}: {error.strerror or error}")
    if data is None:
        raise CheckError(f"{path}: not a lazybind module (it has no data directory)")
    return data
