"""Cursors to IR: the declarations of a translation unit, dispatched by cursor kind through a table.

A kind without a handler becomes a `Skipped` entry with its location, never a crash. The
macro definitions go to lazybind.parse.macro_definitions, which reads their text.
"""

from __future__ import annotations

import dataclasses
import os
from typing import AbstractSet, Callable, Dict, Iterable, List, Optional, Sequence, Set, Tuple

from .. import ir
from .clang_api import (Cursor, CursorKind, Positions, Type, TypeKind, argument_types, children,
                        calling_convention, spelling, type_spelling)
from .macro_definitions import MacroDefinitions
from .paths import PathDisplay

_PRIMITIVE_KINDS = {
    TypeKind.VOID: "void", TypeKind.BOOL: "bool", TypeKind.CHAR_U: "char", TypeKind.CHAR_S: "char",
    TypeKind.UCHAR: "uchar", TypeKind.SCHAR: "schar", TypeKind.CHAR16: "char16",
    TypeKind.CHAR32: "char32", TypeKind.USHORT: "ushort", TypeKind.UINT: "uint",
    TypeKind.ULONG: "ulong", TypeKind.ULONGLONG: "ulonglong", TypeKind.UINT128: "uint128",
    TypeKind.SHORT: "short", TypeKind.INT: "int", TypeKind.LONG: "long",
    TypeKind.LONGLONG: "longlong", TypeKind.INT128: "int128", TypeKind.FLOAT: "float",
    TypeKind.DOUBLE: "double", TypeKind.LONGDOUBLE: "longdouble", TypeKind.WCHAR: "wchar",
}

_PRIMITIVE_BY_ID = {kind.value: name for kind, name in _PRIMITIVE_KINDS.items()}
_POINTER_ID = TypeKind.POINTER.value  # the one type kind named by its spelling alone
# C has no wchar_t of its own: a header's typedef names it, as 2-byte `unsigned short` on Windows
_WINDOWS_WCHAR = ir.Primitive("ushort")
# the calling conventions ctypes can call: the target's C one, and stdcall (WinDLL, WINFUNCTYPE)
CALLABLE_CONVENTIONS = ("", "stdcall")
_RECORD_KINDS = {CursorKind.STRUCT_DECL: "struct", CursorKind.UNION_DECL: "union"}


def _is_identifier(text: str) -> bool:
    return text.isidentifier()


class DeclarationCollector:
    """Walks the top level of a translation unit and accumulates IR declarations."""

    def __init__(self, display: PathDisplay, read_file: Callable[[str], bytes], main_path: str,
                 builtin_dirs: Sequence[str] = (), comments: bool = True) -> None:
        self._display, self._comments = display, comments  # comments: the functions' header comments
        # the compiler's own headers: their functions are intrinsics, no library's exports
        self._builtin_prefixes = tuple(d + os.sep for d in builtin_dirs)
        self._main_path = main_path
        self.main_inclusions: Dict[int, str] = {}  # line of the main file -> the file it included
        self._read_file = read_file
        self.functions: Dict[str, ir.Function] = {}
        self.variables: Dict[str, ir.Variable] = {}
        self.records: Dict[str, ir.Record] = {}
        self.enums: Dict[str, ir.Enum] = {}
        self.typedefs: Dict[str, ir.Typedef] = {}
        self.enum_constants: Dict[str, ir.Constant] = {}
        self.intrinsic_enumerators: Set[str] = set()  # those of the compiler's own headers
        self.definitions = MacroDefinitions(display, read_file, self._intrinsic)
        self.skipped: List[ir.Skipped] = []
        self.elsewhere: Dict[str, Cursor] = {}  # with only_files: functions and variables passed over
        self._record_names: Dict[str, str] = {}  # USR -> exposed name
        self._records_in_progress: Set[str] = set()
        self._typedef_refs: Dict[str, ir.TypedefRef] = {}
        self._converted: Dict[str, ir.CType] = {}  # pointer types, by spelling
        self._positions = Positions()  # the collector reads one translation unit
        self._handlers: Dict[CursorKind, Callable[[Cursor], None]] = {
            CursorKind.FUNCTION_DECL: self._function,
            CursorKind.VAR_DECL: self._variable,
            CursorKind.STRUCT_DECL: self._record_declaration,
            CursorKind.UNION_DECL: self._record_declaration,
            CursorKind.ENUM_DECL: self._enum_declaration,
            CursorKind.TYPEDEF_DECL: self._typedef,
            CursorKind.MACRO_DEFINITION: self._macro,
            CursorKind.MACRO_INSTANTIATION: _ignore,
            CursorKind.INCLUSION_DIRECTIVE: self._inclusion,
            CursorKind.STATIC_ASSERT: _ignore,
        }

    # -- walking -------------------------------------------------------------------------------

    def collect(self, cursors: Sequence[Cursor], only_files: Optional[AbstractSet[str]] = None,
                macros: bool = False) -> None:
        """Every declaration of `cursors` (a unit's top level); with `only_files` (--scope named),
        those of these files, and what they need as it is met, the functions and variables of the
        others by name only (`elsewhere`: a macro may name one, see `complete`), the rest of them
        not at all, but their macros, whose bodies are read if `definitions.body` asks. With
        `macros`, the macro definitions alone, else everything but them: the macros are
        collected first, so that their probe is parsed while the rest is collected."""
        handlers = self._handlers
        for cursor in cursors:
            # the kind's number first: a unit's top level is half macros, passed over twice
            if (cursor._kind_id == _MACRO_DEFINITION_ID) != macros:
                continue
            kind = cursor.kind
            if only_files is not None and kind not in _ALWAYS:
                where = self._positions.of(cursor)
                if where.path not in only_files:
                    if kind in _OBJECTS:
                        self.elsewhere.setdefault(spelling(cursor), cursor)
                    elif kind == CursorKind.MACRO_DEFINITION and where.path:
                        self.definitions.pass_over(cursor, where)
                    continue
            handler = handlers.get(kind)
            if handler is None:
                self.skip(cursor, cursor.spelling, f"unhandled declaration kind {kind.name}")
            else:
                handler(cursor)

    def complete(self, names: Iterable[str]) -> None:
        """Collect the functions and variables of other files among `names` (the targets of the
        named files' macros), which `collect` passed over."""
        for name in names:
            cursor = self.elsewhere.pop(name, None)
            if cursor is not None:
                self._handlers[cursor.kind](cursor)

    def location(self, cursor: Cursor) -> ir.Location:
        where = self._positions.of(cursor)
        return ir.Location(self._display(where.path), where.line, where.column)

    def skip(self, cursor: Cursor, name: str, reason: str) -> None:
        self.skipped.append(ir.Skipped(name or "<unnamed>", self.location(cursor), reason))

    # -- handlers ------------------------------------------------------------------------------

    def _function(self, cursor: Cursor) -> None:
        name = spelling(cursor)
        if name in self.functions or name.startswith("__builtin_"):
            return
        if cursor.storage_class.name == "STATIC":
            self.skip(cursor, name, "static function: not exported by any library")
            return
        if self._builtin_prefixes and self._intrinsic(self._positions.of(cursor).path):
            return  # an intrinsic (x86intrin.h's _mm_pause), like the __builtin_ functions
        ftype = ir.strip_typedefs(self.convert(cursor.type))
        if not isinstance(ftype, ir.FunctionType):
            self.skip(cursor, name, "declaration of a non-function type")
            return
        if ftype.convention not in CALLABLE_CONVENTIONS:
            self.skip(cursor, name, f"calling convention {ftype.convention}: ctypes cannot call it")
            return
        params = tuple(spelling(arg) for arg in cursor.get_arguments())
        comment = _comment_text(cursor.raw_comment or "") if self._comments else ""
        self.functions[name] = ir.Function(name, self.location(cursor), ftype, params, comment)

    def _variable(self, cursor: Cursor) -> None:
        name = spelling(cursor)
        if name in self.variables:
            return
        if cursor.storage_class.name == "STATIC":
            self.skip(cursor, name, "static variable: not exported by any library")
            return
        self.variables[name] = ir.Variable(name, self.location(cursor), self.convert(cursor.type),
                                           layout=(cursor.type.get_size(), 0))

    def _record_declaration(self, cursor: Cursor) -> None:
        self.record_name(cursor)

    def _enum_declaration(self, cursor: Cursor) -> None:
        self.enum_name(cursor)

    def _typedef(self, cursor: Cursor) -> None:
        self.typedef_ref(cursor)

    def _inclusion(self, cursor: Cursor) -> None:
        """The main file's own #include lines tell which file each named header is, even one
        an earlier header already included (a guarded re-inclusion adds no inclusion record)."""
        where = self._positions.of(cursor)
        if where.path == self._main_path:
            included = cursor.get_included_file()
            if included is not None:
                self.main_inclusions[where.line] = included.name

    def _macro(self, cursor: Cursor) -> None:
        self.definitions.define(cursor, self._positions.of(cursor))

    # -- records -------------------------------------------------------------------------------

    def record_name(self, cursor: Cursor, suggested: Optional[str] = None) -> str:
        """The exposed name of a struct/union, building its IR on first sight of its definition."""
        usr = _identity(cursor)
        name = self._record_names.get(usr)
        if name is None:
            name = self._name_tagged(cursor, _RECORD_KINDS[cursor.kind], suggested)
            self._record_names[usr] = name
        definition = cursor.get_definition()
        if definition is not None and name not in self._records_in_progress:
            existing = self.records.get(name)
            if existing is None or not existing.complete:
                self._records_in_progress.add(name)
                self.records[name] = self._build_record(definition, name)
        elif name not in self.records:
            kind = _RECORD_KINDS[cursor.kind]
            self.records[name] = ir.Record(name, kind, self.location(cursor))
        return name

    def _name_tagged(self, cursor: Cursor, kind: str, suggested: Optional[str]) -> str:
        if not cursor.is_anonymous():
            spelling = cursor.spelling
            # `typedef struct {...} T;` has no tag: clang spells the record by the typedef name.
            tagged = cursor.type.spelling.startswith(kind + " ")
            return f"{kind}_{spelling}" if tagged else spelling
        if suggested:
            return suggested
        location = self.location(cursor)
        return f"{kind}@{location.file}:{location.line}:{location.column}"

    def _build_record(self, cursor: Cursor, name: str) -> ir.Record:
        kind = _RECORD_KINDS[cursor.kind]
        rtype = cursor.type
        fields: List[ir.Field] = []
        for index, field_cursor in enumerate(rtype.get_fields()):
            field = self._field(field_cursor, name, index)
            if field is not None:
                fields.append(field)
        packed = any(child.kind == CursorKind.PACKED_ATTR for child in children(cursor))
        size, align = rtype.get_size(), rtype.get_align()
        return ir.Record(
            name, kind, self.location(cursor), tuple(fields), max(size, 0), max(align, 1),
            packed, complete=size >= 0,
        )

    def _field(self, cursor: Cursor, parent: str, index: int) -> Optional[ir.Field]:
        spelling = cursor.spelling
        named = _is_identifier(spelling)
        bit_width = cursor.get_bitfield_width() if cursor.is_bitfield() else None
        if not named and bit_width is not None:
            return None  # an unnamed bitfield only shapes the layout, which offsets already say
        declaration = _declaration_of(cursor.type)
        suggested = f"{parent}.{spelling if named else f'anon{index}'}"
        if declaration is not None and declaration.kind in _RECORD_KINDS and declaration.is_anonymous():
            self._record_names.setdefault(_identity(declaration), suggested)
        ftype = self.convert(cursor.type)
        return ir.Field(spelling if named else "", ftype, cursor.get_field_offsetof(), bit_width)

    # -- enums ---------------------------------------------------------------------------------

    def enum_name(self, cursor: Cursor) -> str:
        usr = cursor.get_usr()
        name = self._record_names.get(usr)
        if name is not None:
            return name
        name = self._name_tagged(cursor, "enum", None)
        self._record_names[usr] = name
        underlying = self._primitive(cursor.enum_type) or ir.Primitive("int")
        intrinsic = self._intrinsic(self._positions.of(cursor).path)
        members = []
        for member in children(cursor):
            if member.kind != CursorKind.ENUM_CONSTANT_DECL:
                continue
            value = member.enum_value
            members.append((member.spelling, value))
            if intrinsic:
                self.intrinsic_enumerators.add(member.spelling)
            ctype = self._primitive(member.type) or ir.Primitive("int")
            self.enum_constants.setdefault(
                member.spelling, ir.Constant(member.spelling, self.location(member), value, ctype)
            )
        self.enums[name] = ir.Enum(name, self.location(cursor), underlying, tuple(members),
                                   layout=self._layout(cursor, intrinsic, cursor.type.get_align()))
        return name

    def _intrinsic(self, path: str) -> bool:
        """Whether `path` is one of the compiler's own headers (x86intrin.h's intrinsics)."""
        return path.startswith(self._builtin_prefixes)

    def _layout(self, cursor: Cursor, intrinsic: bool, align: int) -> Tuple[int, int]:
        """clang's (sizeof, _Alignof) of a typedef or enum, for the C compiler to confirm; none
        for the compiler's own headers' (intrinsics): clang reads them configured otherwise than
        cc (i686 gcc has no xmmintrin.h types in windows.h), and a type cc lacks costs its
        layout run a second round."""
        if intrinsic:
            return (-1, 0)
        return (cursor.type.get_size(), align)

    def use_enumerators(self, values: Dict[str, ir.Constant], left_out: AbstractSet[str]) -> None:
        """The enums' constants as the C compiler has them: `values` (its values, where another
        than clang's), none of `left_out` (it has no such constant); in enum_constants and in
        each enum's members."""
        for name in left_out:
            del self.enum_constants[name]
        self.enum_constants.update(values)
        for name, enum in self.enums.items():
            members = tuple((member, self.enum_constants[member].value) for member, _ in enum.members
                            if member not in left_out)
            if members != enum.members:
                self.enums[name] = dataclasses.replace(enum, members=members)

    # -- typedefs ------------------------------------------------------------------------------

    def typedef_ref(self, cursor: Cursor) -> ir.TypedefRef:
        name = spelling(cursor)
        ref = self._typedef_refs.get(name)
        if ref is not None:
            return ref
        target = self.convert(cursor.underlying_typedef_type)
        if name == "wchar_t" and target == _WINDOWS_WCHAR:
            target = ir.Primitive("wchar")  # UTF-16 code units: ctypes' c_wchar on Windows
        ref = self._typedef_refs[name] = ir.TypedefRef(name, target)
        names_itself = isinstance(target, (ir.RecordRef, ir.EnumRef)) and target.name == name
        if names_itself and name in self.records:
            # `typedef struct {...} T __attribute__((aligned(16)))`: the alignment is the typedef's
            align = cursor.type.get_align()
            if align > self.records[name].align:
                self.records[name] = dataclasses.replace(self.records[name], align=align)
        path = self._positions.of(cursor).path
        compiler_internal = name.startswith("__builtin_") or not path
        if not names_itself and not compiler_internal:
            # `typedef struct vring_desc __attribute__((aligned(16))) vring_desc_t`: its own alignment
            align = cursor.type.get_align()
            own = align if align != cursor.underlying_typedef_type.get_canonical().get_align() else 0
            self.typedefs[name] = ir.Typedef(name, self.location(cursor), target, max(own, 0),
                                             layout=self._layout(cursor, self._intrinsic(path), align))
        return ref

    # -- types ---------------------------------------------------------------------------------

    def convert(self, ctype: Type) -> ir.CType:
        kind = ctype._kind_id  # by number: cindex's TypeKind lookup was a tenth of a header's walk
        primitive = _PRIMITIVE_BY_ID.get(kind)
        if primitive is not None:
            return ir.Primitive(primitive)
        converter = _CONVERTER_BY_ID.get(kind)
        if converter is not None:
            if kind != _POINTER_ID:
                return converter(self, ctype)
            key = type_spelling(ctype)  # headers repeat a few thousand: each converted once
            converted = self._converted.get(key)
            if converted is None:
                converted = self._converted[key] = converter(self, ctype)
            return converted
        try:
            TypeKind.from_id(kind)
        except ValueError:  # a kind these bindings do not know (clang 18's _Float16 is 32)
            return ir.Unsupported(type_spelling(ctype), max(ctype.get_size(), 0),
                                  max(ctype.get_align(), 1))
        canonical = ctype.get_canonical()
        if canonical._kind_id != kind:
            return self.convert(canonical)
        return ir.Unsupported(ctype.spelling, max(ctype.get_size(), 0), max(ctype.get_align(), 1))

    def _primitive(self, ctype: Type) -> Optional[ir.Primitive]:
        name = _PRIMITIVE_BY_ID.get(ctype.get_canonical()._kind_id)
        return ir.Primitive(name) if name else None

    def _elaborated(self, ctype: Type) -> ir.CType:
        return self.convert(ctype.get_named_type())

    def _typedef_type(self, ctype: Type) -> ir.CType:
        return self.typedef_ref(ctype.get_declaration())

    def _record_type(self, ctype: Type) -> ir.CType:
        return ir.RecordRef(self.record_name(ctype.get_declaration()))

    def _enum_type(self, ctype: Type) -> ir.CType:
        declaration = ctype.get_declaration()
        underlying = self._primitive(declaration.enum_type) or ir.Primitive("int")
        return ir.EnumRef(self.enum_name(declaration), underlying)

    def _pointer(self, ctype: Type) -> ir.CType:
        pointee = ctype.get_pointee()
        return ir.Pointer(self.convert(pointee), pointee.is_const_qualified())

    def _constant_array(self, ctype: Type) -> ir.CType:
        return ir.Array(self.convert(ctype.element_type), ctype.element_count)

    def _incomplete_array(self, ctype: Type) -> ir.CType:
        return ir.Array(self.convert(ctype.element_type), None)

    def _prototype(self, ctype: Type) -> ir.CType:
        params = tuple(self.convert(arg) for arg in argument_types(ctype))
        return ir.FunctionType(self.convert(ctype.get_result()), params, ctype.is_function_variadic(),
                               calling_convention(ctype))

    def _no_prototype(self, ctype: Type) -> ir.CType:
        convention = calling_convention(ctype)
        if convention == "stdcall":  # `WINBOOL WINAPI F ();`: the callee pops, so no extras
            return ir.FunctionType(self.convert(ctype.get_result()), (), False, convention)
        return ir.FunctionType(self.convert(ctype.get_result()), (), True, convention)


def _comment_text(raw: str) -> str:
    """The words of a C comment, without its /* */, // and leading-asterisk decoration."""
    lines = []
    for line in raw.replace("\r", "").split("\n"):
        line = line.strip()
        for mark in ("/**<", "/*!<", "///<", "/**", "/*!", "/*", "///", "//!", "//"):
            if line.startswith(mark):
                line = line[len(mark):]
                break
        if line.endswith("*/"):
            line = line[:-2]
        lines.append(line.lstrip("*").strip() if line.lstrip().startswith("*") else line.strip())
    return "\n".join(lines).strip()


def _identity(cursor: Cursor) -> str:
    """A key for one record: its USR, which clang gives alike to two anonymous members of the same
    record, so for those also clang's hash of the declaration itself (where it starts is not
    enough: two unions written by one macro start at the same place, mingw-w64's prsht.h)."""
    usr = cursor.get_usr()
    if cursor.is_anonymous():
        return f"{usr}@{cursor.location.offset}@{cursor.hash}"
    return usr


# with only_files: what is looked at wherever it is (the main file's #include lines), and what
# is kept by name (a macro of a named file may name it)
_ALWAYS = {CursorKind.INCLUSION_DIRECTIVE}
_OBJECTS = {CursorKind.FUNCTION_DECL, CursorKind.VAR_DECL}
_MACRO_DEFINITION_ID = CursorKind.MACRO_DEFINITION.value


def _ignore(cursor: Cursor) -> None:
    """Cursor kinds that declare nothing a module exposes."""


def _declaration_of(ctype: Type) -> Optional[Cursor]:
    while ctype.kind == TypeKind.ELABORATED:
        ctype = ctype.get_named_type()
    if ctype.kind in (TypeKind.RECORD, TypeKind.ENUM):
        return ctype.get_declaration()
    return None


_TYPE_CONVERTERS: Dict[TypeKind, Callable[[DeclarationCollector, Type], ir.CType]] = {
    TypeKind.ELABORATED: DeclarationCollector._elaborated,
    TypeKind.TYPEDEF: DeclarationCollector._typedef_type,
    TypeKind.RECORD: DeclarationCollector._record_type,
    TypeKind.ENUM: DeclarationCollector._enum_type,
    TypeKind.POINTER: DeclarationCollector._pointer,
    TypeKind.CONSTANTARRAY: DeclarationCollector._constant_array,
    TypeKind.INCOMPLETEARRAY: DeclarationCollector._incomplete_array,
    # `buf[n]` in a parameter list: C passes a pointer, which an array of unknown length becomes
    TypeKind.VARIABLEARRAY: DeclarationCollector._incomplete_array,
    TypeKind.FUNCTIONPROTO: DeclarationCollector._prototype,
    TypeKind.FUNCTIONNOPROTO: DeclarationCollector._no_prototype,
}
_CONVERTER_BY_ID = {kind.value: converter for kind, converter in _TYPE_CONVERTERS.items()}
