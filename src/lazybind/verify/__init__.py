"""Verification against the C compiler: the numbers a generated module holds, checked by `cc`.

Two callers, one mechanism (a C program of probes the compiler folds into an object file, whose
numbers are read back: nothing is linked or run):

- generation (lazybind.api.render): `confirm_layouts` has the compiler confirm every record's
  layout in the tables, and `refusals_at_use` finds, with the module's own runtime, what ctypes
  cannot express here;
- `lazybind check OUT.py`: `check_module` compares an imported module (or, for another target,
  its tables) with the compiler: records, fields, bitfields, type sizes, constants.

The modules, by job; each imports only modules listed above it:

    report.py      CheckError, Finding, Report: what a check says
    tables.py      a generated module's tables, read without importing it
    program.py     the C probe program: finding the (cross) compiler, writing and compiling the
                   program, reading its numbers out of the object file
    planner.py     tables -> probes, one line of C each, and what is left out and why
    compare.py     a probe's output against the imported module or the tables
    generation.py  confirm_layouts, refusals_at_use
    check.py       check_module

This package reads tables with lazybind.runtime's readers; it must not import lazybind.parse
(libclang) or lazybind.emit.
"""

from .check import check_module
from .generation import LayoutConfirmation, confirm_layouts, refusals_at_use
from .report import CheckError, Finding, Report

__all__ = ["CheckError", "Finding", "LayoutConfirmation", "Report", "check_module",
           "confirm_layouts", "refusals_at_use"]
