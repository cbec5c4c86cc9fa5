"""The comparisons: each probe's output from the compiler against the module.

`ModuleSide` imports a generated module (host target) and asks its runtime for each record class,
type and constant, the way a user's first access does, keeping what it refuses apart from what it
gets wrong. `Comparer` compares the numbers a probe printed with that module, or, for a module
generated for another target (`module` None), with the tables' own numbers, and writes the
findings into a Report. It takes the probes and outputs it is given: it runs no compiler and
decides nothing about what to probe. Must not import generation.py or check.py (its callers).
"""

from __future__ import annotations

import ctypes
import importlib.util
import itertools
import math
import os
import re
import sys
from typing import Dict, Optional, Tuple

from .. import runtime as rt
from ..errors import LazybindError
from .planner import Planner
from .program import Probe
from .report import CheckError, Finding, Report
from .tables import Record, Tables

_counter = itertools.count()


class ModuleSide:
    """The values the imported module gives (host target) for each probe."""

    def __init__(self, path: str) -> None:
        stem = re.sub(r"[^0-9A-Za-z_]", "_", os.path.basename(path))
        name = f"_lazybind_check_{next(_counter)}_{stem}"
        spec = importlib.util.spec_from_file_location(name, path)
        if spec is None or spec.loader is None:
            raise CheckError(f"cannot import {path}")
        module = importlib.util.module_from_spec(spec)
        saved = sys.dont_write_bytecode
        sys.dont_write_bytecode = True
        try:
            spec.loader.exec_module(module)
            self.binding = module.__lazybind__._binding
            # the parts whose Binding methods the check calls (a use loads them on need)
            runtime = sys.modules[type(self.binding).__module__]
            for part in ("records", "tools"):
                runtime._need(part)
        except LazybindError:
            raise
        except Exception as error:
            raise CheckError(f"cannot import {path}: {type(error).__name__}: {error}")
        finally:
            sys.dont_write_bytecode = saved
        self.module = module
        self._classes: Dict[int, object] = {}
        self._fresh_bindings: list = []  # each builds a class again after a refusal

    def record_class(self, index: int, record: Record):
        """The ctypes class, or raises _Refused(reason). A record is asked for once, the way a
        user's first access does; a class left half-built by an earlier refusal (of a record
        containing it) is asked for again from a fresh copy of the module's state."""
        found = self._classes.get(index)
        if found is None:
            try:
                found = self.binding.record_class(index)
            except Exception as error:  # noqa: BLE001 - the runtime's own error classes
                found = _Refused(error, self._second_use(index))
            else:
                if record.fields and "_fields_" not in found.__dict__:
                    found = self._fresh_class(index)
            self._classes[index] = found
        if isinstance(found, _Refused):
            raise found
        return found

    def _fresh_binding(self):
        binding = self.binding
        fresh = type(binding)({"__name__": binding._module_name}, binding._data)
        self._fresh_bindings.append(fresh)
        return fresh

    def _fresh_class(self, index: int):
        try:
            fresh = self._fresh_binding()
        except Exception as error:  # noqa: BLE001
            return _Refused("not built: the layout of a record it contains was refused (%s)"
                            % error)
        try:
            return fresh.record_class(index)
        except Exception as error:  # noqa: BLE001
            return _Refused(error, None)

    def _second_use(self, index: int):
        """What a second access gives after a refusal: None when it raises again, as it must."""
        try:
            cls = self.binding.record_class(index)
            cls()
        except Exception:  # noqa: BLE001
            return None
        return cls

    def ctype(self, ref: int):
        return self.binding.ctype(ref)

    def inexact(self, key: tuple) -> str:
        """Why the runtime could not give this type C's alignment here ("" if it did not say)."""
        for binding in [self.binding] + self._fresh_bindings:
            if key in binding._inexact:
                return binding._inexact[key]
        return ""

    def constant(self, name: str):
        return self.binding.getattr(name)


class _Refused(Exception):
    def __init__(self, error: object, second_use=None) -> None:
        super().__init__(str(error))
        self.error = error
        self.second_use = second_use  # a class a second access hands out instead of refusing


_REFUSALS = ("LayoutError", "UnsupportedTypeError")


def _is_refusal(error: BaseException) -> bool:
    return any(cls.__name__ in _REFUSALS for cls in type(error).__mro__)


def _bit_summary(data: bytes) -> Tuple[int, int, int]:
    value = int.from_bytes(data, "little")
    if not value:
        return -1, -1, 0
    return (value & -value).bit_length() - 1, value.bit_length() - 1, bin(value).count("1")


def _describe_bits(first: int, last: int, count: int) -> str:
    if count == 0:
        return "no bits"
    if count == last - first + 1:
        return f"bits {first}..{last}"
    return f"{count} bits in {first}..{last}"


_KIND_NAMES = {1: "integer", 2: "floating", 3: "pointer or other"}
_EXPECTED_KIND = {"i": 1, "d": 2, "n": 3, "a": 3}


class Comparer:
    def __init__(self, tables: Tables, planner: Planner, report: Report,
                 module: Optional[ModuleSide], types: Optional[Dict[str, Tuple[int, int]]] = None
                 ) -> None:
        self.tables = tables
        self.planner = planner
        self.report = report
        self.module = module  # None: a foreign target, compared with the tables' own numbers
        self._types = types or {}  # without a module: clang's (size, alignment) of typedefs, enums
        self._refused: Dict[int, bool] = {}

    def mismatch(self, probe: Probe, message: str) -> None:
        self.report.mismatches.append(Finding(self.tables.location(probe.index), probe.subject,
                                              message))

    def cls(self, probe: Probe):
        """The record's ctypes class; None when refused (reported once per record)."""
        if self.module is None:
            return None
        record = self.planner.records[probe.index]
        try:
            return self.module.record_class(probe.index, record)
        except _Refused as refused:
            if probe.index not in self._refused:
                self._refused[probe.index] = True
                error = refused.error
                subject = self.planner.spelling(probe.index)[1]
                finding = Finding(self.tables.location(probe.index), subject, str(error))
                if isinstance(error, BaseException) and not _is_refusal(error):
                    self.mismatch(probe, f"the module cannot build it: "
                                         f"{type(error).__name__}: {error}")
                else:
                    self.report.refused.append(finding)
                second = refused.second_use
                if second is not None:
                    self.mismatch(probe, f"refused at first use, but a second use gives a class "
                                         f"of size {ctypes.sizeof(second)} "
                                         f"(C size {self.planner.records[probe.index].size})")
            raise

    def compare(self, probe: Probe, words: list) -> None:
        try:
            getattr(self, "_" + probe.kind)(probe, words)
        except _Refused:
            pass  # a record the module refuses: reported as refused, nothing left to compare

    def _r(self, probe, words):
        size, align = int(words[0]), int(words[1])
        record = self.planner.records[probe.index]
        if align != record.align:
            self.mismatch(probe, f"C alignment {align}, module alignment {record.align}")
        cls = self.cls(probe)
        self.report.counts["records"] += 1
        module_size = record.size if cls is None else ctypes.sizeof(cls)
        if size != module_size:
            self.mismatch(probe, f"C size {size}, module size {module_size}")
        if cls is not None:
            self._alignment(probe, align, cls, self.module.inexact(("record", probe.index)))

    def _alignment(self, probe, align: int, ctype, inexact: str) -> None:
        """ctypes' alignment must be C's: it places the type inside a user's own Structure. The
        one excuse is what this Python's ctypes cannot do, which the runtime names; it is taken
        only where it can be true (a scalar's alignment is fixed; `_align_` from 3.13 raises a
        record's, unless C's size, which the size check compares, is no multiple of it)."""
        actual = ctypes.alignment(ctype)
        if actual == align:
            return
        excusable = inexact and (sys.version_info < (3, 13) or not issubclass(
            ctype, (ctypes.Structure, ctypes.Union)) or ctypes.sizeof(ctype) % align != 0)
        if excusable:
            self.report.inexact.append(Finding(self.tables.location(probe.index), probe.subject,
                                               inexact))
        else:
            self.mismatch(probe, f"C alignment {align}, ctypes alignment {actual}")

    def _f(self, probe, words):
        offset, size = int(words[0]), int(words[1])
        name, offset_bits, flexible = probe.data
        cls = self.cls(probe)
        self.report.counts["fields"] += 1
        if cls is None:
            module_offset, module_size = offset_bits // 8, None
        else:
            descriptor = getattr(cls, name, None)
            if descriptor is None or not hasattr(descriptor, "offset"):
                self.mismatch(probe, "the module's class has no such field")
                return
            module_offset, module_size = descriptor.offset, descriptor.size
            if name in rt._declared_bitfields(cls):  # put in a bitfield's unit by the runtime
                module_offset += rt._bit_offset(descriptor) // 8
                module_size = rt._bit_size(descriptor) // 8
        if offset != module_offset or (cls is None and offset_bits % 8):
            self.mismatch(probe, f"C offset {offset}, module offset {offset_bits / 8:g}"
                          if cls is None else f"C offset {offset}, module offset {module_offset}")
        elif module_size is not None and not flexible and size != module_size:
            self.mismatch(probe, f"C size {size}, module size {module_size}")

    def _b(self, probe, words):
        first, last, count, negative = (int(w) for w in words)
        name, offset_bits, width = probe.data
        cls = self.cls(probe)
        self.report.counts["fields"] += 1
        if cls is None:
            if self.tables.meta.get("compile", {}).get("target", "").startswith(
                    ("powerpc", "ppc", "s390", "mips-", "sparc", "m68k")):
                return  # big-endian bit numbering: offsets are compared through whole fields only
            module = (offset_bits, offset_bits + width - 1, width)
            if (first, last, count) != module:
                self.mismatch(probe, f"C {_describe_bits(first, last, count)}, "
                                     f"module {_describe_bits(*module)}")
            return
        try:
            instance = cls()
            setattr(instance, name, -1)
            data = ctypes.string_at(ctypes.addressof(instance), ctypes.sizeof(instance))
            module_negative = int(getattr(instance, name) < 0)
        except Exception as error:  # noqa: BLE001
            self.mismatch(probe, f"the module cannot store into it: "
                                 f"{type(error).__name__}: {error}")
            return
        module = _bit_summary(data)
        if (first, last, count) != module:
            self.mismatch(probe, f"C {_describe_bits(first, last, count)}, "
                                 f"module {_describe_bits(*module)}")
        elif negative != module_negative:
            signed = {1: "signed", 0: "unsigned"}
            self.mismatch(probe, f"C {signed[negative]}, module {signed[module_negative]}")

    def _t(self, probe, words):
        size = int(words[0])
        if self.module is None:  # at generation: clang's numbers, from the walk
            self._clang_type(probe, size, int(words[1]), int(words[2]))
            return
        try:
            ctype = self.module.ctype(probe.data[0])
            module_size = 0 if ctype is None else ctypes.sizeof(ctype)
        except Exception as error:  # noqa: BLE001
            finding = Finding(self.tables.location(probe.index), probe.subject, str(error))
            if _is_refusal(error):
                self.report.refused.append(finding)
            else:
                self.mismatch(probe, f"the module cannot build it: {type(error).__name__}: {error}")
            return
        module_signed = None if probe.data[1] is None else ctype(-1).value < 0
        if self._size_and_sign(probe, size, int(words[2]), module_size, module_signed) and (
                ctype is not None and int(words[1])):
            inexact = self.module.inexact(("aligned", probe.data[0]))
            self._alignment(probe, int(words[1]), ctype, inexact)

    def _clang_type(self, probe, size: int, align: int, signed: int) -> None:
        clang_size, clang_align = self._types.get(self.tables.name_at(probe.index), (-1, 0))
        if clang_size < 0:
            return  # a variable, or a type clang gave no size
        if self._size_and_sign(probe, size, signed, clang_size, probe.data[1]) and (
                align and align != clang_align):
            self.mismatch(probe, f"C alignment {align}, module alignment {clang_align}")

    def _size_and_sign(self, probe, size: int, signed: int, module_size: int,
                       module_signed: Optional[bool]) -> bool:
        """Count a type, and compare its size, then its signedness (None: the spec leaves it
        open); False after a mismatch."""
        self.report.counts["types"] += 1
        if size != module_size:
            self.mismatch(probe, f"C size {size}, module size {module_size}")
            return False
        if module_signed is not None and bool(signed) != module_signed:
            words = {True: "signed", False: "unsigned"}
            self.mismatch(probe, f"C {words[bool(signed)]}, module {words[module_signed]}")
            return False
        return True

    def _value(self, probe):
        name, value = probe.data
        if self.module is None:
            return value
        return self.module.constant(name)

    def _kind_ok(self, probe, kind: int) -> bool:
        expected = _EXPECTED_KIND[probe.kind]
        if kind != expected:
            self.mismatch(probe, f"C type {_KIND_NAMES.get(kind, kind)}, "
                                 f"module value {_KIND_NAMES[expected]}")
            return False
        return True

    def _i(self, probe, words):
        kind, c_value = int(words[0]), int(words[1])
        self.report.counts["constants"] += 1
        if not self._kind_ok(probe, kind):
            return
        value = self._value(probe)
        if c_value != value:
            self.mismatch(probe, f"C value {c_value}, module value {value!r}")

    _a = _i  # an address: the same comparison, of a C pointer

    def _d(self, probe, words):
        kind = int(words[0])
        self.report.counts["constants"] += 1
        if not self._kind_ok(probe, kind):
            return
        try:
            c_value = float.fromhex(words[1])
        except ValueError:
            c_value = float(words[1])
        value = self._value(probe)
        same = (math.isnan(c_value) and isinstance(value, float) and math.isnan(value)) or (
            c_value == value)
        if not same:
            self.mismatch(probe, f"C value {c_value!r}, module value {value!r}")

    def _s(self, probe, words):
        c_value = bytes.fromhex(words[0] if words else "")
        self.report.counts["constants"] += 1
        value = self._value(probe)
        if c_value != value:
            self.mismatch(probe, f"C value {c_value!r}, module value {value!r}")

    def _w(self, probe, words):
        c_value = bytes.fromhex(words[0] if words else "").decode("utf-8", "surrogatepass")
        self.report.counts["constants"] += 1
        value = self._value(probe)
        if c_value != value:
            self.mismatch(probe, f"C value {c_value!r}, module value {value!r}")

    def _c(self, probe, words):
        """A function on i686 Windows: stdcall with these argument bytes, or cdecl (-1)."""
        stack, (_, expected) = int(words[0]), probe.data
        self.report.counts["functions"] = self.report.counts.get("functions", 0) + 1
        describe = lambda n: "cdecl" if n < 0 else f"stdcall, {n} bytes of arguments"  # noqa: E731
        if stack != expected:
            self.mismatch(probe, f"C {describe(stack)}, module {describe(expected)}")

    def _n(self, probe, words):
        null = int(words[1])  # words[0]: the type kind the probe printed, unused here
        self.report.counts["constants"] += 1
        value = self._value(probe)
        if not null or value is not None:
            self.mismatch(probe, f"C value {'a null pointer' if null else 'not a null pointer'}, "
                                 f"module value {value!r}")
