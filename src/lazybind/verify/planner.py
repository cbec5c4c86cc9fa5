"""The planner: a module's tables turned into probes, one line of C each, and what it leaves out.

For every record: its size and alignment, each named field's offset and size (through anonymous
members), each bitfield's bits; with types, the size and alignment of typedefs, enums and
variables; with values, every constant. An unnamed record is spelled in C through a member or a
typedef that has it; what C has no name for is skipped, with the reason. It reads tables
(tables.py) and writes probes (program.Probe); it runs nothing and imports no generated module.
Must not import compare.py, generation.py or check.py.
"""

from __future__ import annotations

from typing import AbstractSet, Dict, List, Optional, Tuple

from .. import runtime as rt
from . import conventions
from .program import Probe
from .report import Finding
from .tables import Record, Tables


class Planner:
    """Turns the module's tables into probes, and says why it leaves anything out."""

    def __init__(self, tables: Tables, with_types: bool, with_values: bool = True,
                 only_types: Optional[AbstractSet[str]] = None) -> None:
        self.tables = tables
        self.with_types = with_types
        self.with_values = with_values
        self.only_types = only_types  # with types: these names alone (None: all of them)
        self.probes: List[Probe] = []
        self.skipped: List[Finding] = []
        self.refused: List[Finding] = []  # records the module refuses whatever ctypes does
        self.records: Dict[int, Record] = {}
        self._spellings: Dict[int, Tuple[Optional[str], str]] = {}

    def plan(self) -> None:
        tables = self.tables
        for index in range(tables.count):
            kind, ref = tables.kind_ref(index)
            if kind == rt.KIND_RECORD:
                self._record(index)
            elif kind == rt.KIND_CONSTANT and self.with_values:
                self._constant(index, ref)
            elif self.with_types and kind in (rt.KIND_TYPEDEF, rt.KIND_ENUM, rt.KIND_VARIABLE):
                self._type(index, kind, ref)
        if self.with_values and conventions.applies(self.tables.meta.get("compile", {}).get(
                "target", "")):
            self.probes.extend(conventions.probes(tables))  # i686 Windows: stdcall or cdecl

    def skip(self, index: int, subject: str, reason: str) -> None:
        self.skipped.append(Finding(self.tables.location(index), subject, reason))

    # records

    def spelling(self, index: int) -> Tuple[Optional[str], str]:
        """(C type name or None, display name or the reason it has no C name) of a record."""
        found = self._spellings.get(index)
        if found is None:
            found = self._spellings[index] = self._spell(index)
        return found

    def _spell(self, index: int) -> Tuple[Optional[str], str]:
        name = self.tables.name_at(index)
        if name == "struct___va_list_tag":  # a compiler builtin, C names it through va_list
            return "__typeof__((*(__builtin_va_list *)0)[0])", _display(name)
        if "@" not in name and "." not in name:
            return _display(name), _display(name)
        # An unnamed record: C names it as the type of a member that has it (through arrays
        # and pointers), e.g. __typeof__(((struct S *)0)->u) for `struct S { union {...} u; }`.
        user = self._users().get(index)
        if user is None:
            if "@" in name:
                return None, "an unnamed record that no named member has: C has no name for it"
            return None, "the type of an anonymous member: its fields are checked in its parent"
        parent, member, spec = user
        if parent is None:  # a typedef such as `typedef struct {...} *handle_t;`
            expression, display = f"(*({member} *)0)", f"typedef {member}"
        else:
            parent_type, parent_display = self.spelling(parent)
            if parent_type is None:
                return None, parent_display
            expression = f"((({parent_type} *)0)->{member})"
            display = f"{parent_display}.{member}"
        while spec[0] in "[*&":
            if spec[0] == "[":
                expression = f"({expression}[0])"
                spec = self.tables.spec(int(spec[spec.index("]") + 1:]))
            else:
                expression = f"(*{expression})"
                spec = self.tables.spec(int(spec[1:]))
        if spec != f"R{index}":
            return None, f"the type of {display} is not this record"
        return f"__typeof__({expression})", display

    def _users(self) -> Dict[int, Tuple[int, str, str]]:
        """For each record, a named member of another record whose type leads to it:
        (parent index, member name, the member's type spec)."""
        users = getattr(self, "_users_map", None)
        if users is not None:
            return users
        users = self._users_map = {}
        tables = self.tables
        typedefs = []
        for index in range(tables.count):
            kind, ref = tables.kind_ref(index)
            if kind == rt.KIND_TYPEDEF:
                typedefs.append((None, tables.name_at(index), tables.spec(ref)))
            record = tables.record(index) if kind == rt.KIND_RECORD else None
            if record is None:
                continue
            for fld in record.fields:
                if fld.name:
                    self._add_user(users, (index, fld.name, tables.spec(fld.ref)))
        for user in typedefs:  # members first: they name nested records the way C code does
            if "@" not in user[1] and "." not in user[1]:
                self._add_user(users, user)
        return users

    def _add_user(self, users, user) -> None:
        target = user[2]
        while target[0] in "[*&":
            target = self.tables.spec(int(target[target.index("]") + 1:] if target[0] == "["
                                          else target[1:]))
        if target[0] == "R":
            users.setdefault(int(target[1:]), user)

    def _record(self, index: int) -> None:
        record = self.tables.record(index)
        if record is None:
            refusal = self.tables.refusal(index)
            if refusal:
                self.refused.append(Finding(self.tables.location(index),
                                            _display(self.tables.name_at(index)), refusal))
            return  # opaque or refused: nothing to verify
        ctype, display = self.spelling(index)
        if ctype is None:
            self.skip(index, self.tables.name_at(index), display)
            return
        self.records[index] = record
        chain = self._member_chain(index)
        self.probes.append(Probe("r", index, display,
                                  f"__LBK_ROW({{id}}, sizeof({ctype}), _Alignof({ctype}), 0, 0)",
                                  members=chain))
        for name, fld, offset in self.flat_fields(record):
            subject = f"{display} field {name}"
            if fld.bits is None:
                flexible = self.tables.spec(fld.ref).startswith("[]")
                size = "0" if flexible else f"sizeof((({ctype} *)0)->{name})"
                self.probes.append(Probe(
                    "f", index, subject,
                    f"__LBK_ROW({{id}}, __builtin_offsetof({ctype}, {name}), {size}, 0, 0)",
                    (name, offset, flexible), chain + (name,)))
            else:
                # the record with the field set to -1, read from the object file
                self.probes.append(Probe(
                    "b", index, subject, f"__LBK_BITS({{id}}, {ctype}, {name})",
                    (name, offset, fld.bits), chain + (name,)))

    def _member_chain(self, index: int) -> Tuple[str, ...]:
        """The member names the C spelling of a record goes through."""
        chain: List[str] = []
        name = self.tables.name_at(index)
        while "@" in name or "." in name:
            user = self._users().get(index)
            if user is None:
                break
            index, member, _ = user
            if index is None:
                break  # reached through a typedef name
            chain.insert(0, member)
            name = self.tables.name_at(index)
        return tuple(chain)

    def flat_fields(self, record: Record, base: int = 0):
        """(C name, field, offset in bits) of every named field, through anonymous members."""
        for fld in record.fields:
            if fld.name:
                yield fld.name, fld, base + fld.offset_bits
                continue
            spec = self.tables.spec(fld.ref)
            inner = self.tables.record(int(spec[1:])) if spec.startswith("R") else None
            if inner is not None:
                yield from self.flat_fields(inner, base + fld.offset_bits)

    # types

    def _type(self, index: int, kind: int, ref: int) -> None:
        name = self.tables.name_at(index)
        if self.only_types is not None and name not in self.only_types:
            return
        spec = self.tables.spec(ref)
        if "@" in name or "." in name:
            self.skip(index, _display(name), "an unnamed type: C has no name for it")
            return
        if spec[0] in "RFVW" or spec == "pvoid" or spec.startswith("[]"):
            return  # records are checked as records; functions and void have no size
        label = {rt.KIND_TYPEDEF: "typedef", rt.KIND_ENUM: "", rt.KIND_VARIABLE: "variable"}[kind]
        subject = f"{label} {name}" if label else _display(name)
        # a variable's alignment is the object's, not its type's: only types are compared
        align = f"_Alignof({_display(name)})" if kind != rt.KIND_VARIABLE else "0"
        # an integer type's signedness too: `typedef unsigned word` has int's size
        signed = None if kind == rt.KIND_VARIABLE else _signedness(self.tables, spec)
        test = f"(({_display(name)})-1 < 0)" if signed is not None else "0"
        self.probes.append(Probe("t", index, subject,
                                  f"__LBK_ROW({{id}}, sizeof({_display(name)}), {align}, {test}, 0)",
                                  (ref, signed)))

    # constants

    def _constant(self, index: int, ref: int) -> None:
        name = self.tables.name_at(index)
        spec = self.tables.spec(ref)
        tag = spec[0]
        subject = f"constant {name}"
        if tag == "i":
            code = f"__LBK_ROW({{id}}, __LBK_KIND(({name})), ({name}) < 0, ({name}), 0)"
            value = int(spec[1:])
        elif tag == "f":
            code = f"__LBK_DOUBLE({{id}}, __LBK_KIND(({name})), ({name}))"
            value = float(spec[1:])
        elif tag == "s":
            code = f"__LBK_STRING({{id}}, {name})"
            value = bytes.fromhex(spec[1:])
        elif tag == "w":  # a wide string: its text, held as UTF-8
            code = f"__LBK_WSTRING({{id}}, {name})"
            value = bytes.fromhex(spec[1:]).decode("utf-8", "surrogatepass")
        elif tag == "n":
            code = f"__LBK_ROW({{id}}, __LBK_KIND(({name})), !({name}), 0, 0)"
            value = None
        elif tag == "a":  # a pointer at a fixed address, held as an int
            # through uintptr_t: gcc sign-extends a 32-bit pointer cast to a wider integer
            code = (f"__LBK_ROW({{id}}, __LBK_KIND(({name})), 0, "
                    f"(unsigned long long)(__UINTPTR_TYPE__)({name}), 0)")
            value = int(spec[1:])
        else:
            self.skip(index, subject, f"unknown value spec {spec!r}")
            return
        kind = "d" if tag == "f" else tag  # "f" is a field probe
        self.probes.append(Probe(kind, index, subject, code, (name, value)))


def _display(name: str) -> str:
    """A table name as C spells it: struct_X is `struct X`."""
    if name.startswith("struct_"):
        return "struct " + name[7:]
    if name.startswith("union_"):
        return "union " + name[6:]
    if name.startswith("enum_"):
        return "enum " + name[5:]
    return name


# the integer primitives (spec names) whose spec says whether they are signed (char and wchar_t
# are what the target makes them)
_SIGNED = {"schar": True, "uchar": False, "short": True, "ushort": False, "int": True,
           "uint": False, "long": True, "ulong": False, "longlong": True, "ulonglong": False,
           "char16": False, "char32": False}


def _signedness(tables: Tables, spec: str) -> Optional[bool]:
    """Whether the integer type of a spec is signed (a typedef with an alignment of its own:
    its target's); None for any other type."""
    while spec.startswith("A"):
        spec = tables.spec(int(spec.partition(":")[2]))
    return _SIGNED.get(spec[1:]) if spec[:1] == "p" else None
