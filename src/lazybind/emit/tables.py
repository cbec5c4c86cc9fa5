"""IR to the packed tables a generated module carries. The format is described once, in the
docstring of lazybind.runtime, which reads what this module writes (and shares its constants)."""

from __future__ import annotations

import base64
import json
import sys
from array import array
from dataclasses import dataclass, replace
from typing import Dict, List, Sequence

from .. import ir
from .. import runtime as rt
from ..errors import InputError

_KINDS = {
    ir.Function: rt.KIND_FUNCTION,
    ir.Variable: rt.KIND_VARIABLE,
    ir.Record: rt.KIND_RECORD,
    ir.Enum: rt.KIND_ENUM,
    ir.Typedef: rt.KIND_TYPEDEF,
    ir.Constant: rt.KIND_CONSTANT,
    ir.Alias: rt.KIND_ALIAS,
}
_LINE_BITS = 20


@dataclass(frozen=True)
class Tables:
    names: str
    entries: str  # base64
    specs: str
    locations: str  # base64
    files: str
    meta: str  # JSON

    def sections(self) -> Dict[str, str]:
        """The data sections as a generated module holds them, for readers of module text."""
        return {"names": self.names, "entries": self.entries, "specs": self.specs,
                "locations": self.locations, "files": self.files, "meta": self.meta}

    def with_meta(self, **values: object) -> "Tables":
        meta = json.loads(self.meta)
        meta.update(values)
        return replace(self, meta=json.dumps(meta, sort_keys=True, ensure_ascii=True))


def encode_ints(values: Sequence[int], typecode: str) -> str:
    packed = array(typecode, values)
    if sys.byteorder == "big":
        packed.byteswap()
    return base64.b64encode(packed.tobytes()).decode("ascii")


class _Specs:
    """The interned spec blob: the same text is stored once and referred to by its offset."""

    def __init__(self) -> None:
        self._offsets: Dict[str, int] = {}
        self._parts: List[str] = []
        self._size = 0

    def intern(self, spec: str) -> int:
        offset = self._offsets.get(spec)
        if offset is None:
            offset = self._offsets[spec] = self._size
            self._parts.append(spec + "\n")
            self._size += len(spec) + 1
        return offset

    def text(self) -> str:
        return "".join(self._parts)


class _Encoder:
    def __init__(self, declarations: Sequence[ir.Declaration]) -> None:
        self.index = {d.name: i for i, d in enumerate(declarations)}
        self.specs = _Specs()
        self._type_refs: Dict[ir.CType, int] = {}

    def type_ref(self, ctype: ir.CType) -> int:
        ref = self._type_refs.get(ctype)
        if ref is None:
            ref = self._type_refs[ctype] = self.specs.intern(self._type_spec(ctype))
        return ref

    def _type_spec(self, ctype: ir.CType) -> str:
        if isinstance(ctype, ir.Primitive):
            return "p" + ctype.name
        if isinstance(ctype, ir.TypedefRef):
            return self._type_spec(ctype.target)
        if isinstance(ctype, ir.EnumRef):
            return "p" + ctype.underlying.name
        if isinstance(ctype, ir.Pointer):
            return ("&" if ctype.pointee_const else "*") + str(self.type_ref(ctype.pointee))
        if isinstance(ctype, ir.Array):
            length = "" if ctype.length is None else str(ctype.length)
            return f"[{length}]{self.type_ref(ctype.element)}"
        if isinstance(ctype, ir.FunctionType):
            params = ",".join(str(self.type_ref(p)) for p in ctype.params)
            return f"{'V' if ctype.variadic else 'F'}{self.type_ref(ctype.result)}:{params}"
        if isinstance(ctype, ir.RecordRef):
            return f"R{self.index[ctype.name]}"
        assert isinstance(ctype, ir.Unsupported)
        return f"U{ctype.size},{ctype.align},{ctype.spelling.encode().hex()}"

    def ref(self, declaration: ir.Declaration) -> int:
        if isinstance(declaration, ir.Function):
            return self.type_ref(declaration.type)
        if isinstance(declaration, ir.Variable):
            return self.type_ref(declaration.type)
        if isinstance(declaration, ir.Typedef):
            return self.type_ref(declaration.target)
        if isinstance(declaration, ir.Enum):
            return self.type_ref(declaration.underlying)
        if isinstance(declaration, ir.Constant):
            return self.specs.intern(_value_spec(declaration.value))
        if isinstance(declaration, ir.Alias):
            return self.index[declaration.target]
        return self.specs.intern(self._record_spec(declaration))

    def _record_spec(self, record: ir.Record) -> str:
        kind = "N" if record.kind == "union" else "S"
        if not record.complete:
            return kind + "?"
        if record.refused:
            return kind + "!" + record.refused.encode().hex()
        parts = [f"{kind}{record.size},{record.align}"]
        for field in record.fields:
            if field.name and not field.name.isidentifier():
                raise InputError(f"field name {field.name!r} of {record.name} is not an identifier")
            text = f"{field.name}:{self.type_ref(field.type)}:{field.offset_bits}"
            if field.bit_width is not None:
                text += f":{field.bit_width}"
            parts.append(text)
        return ";".join(parts)


def _value_spec(value: ir.ConstantValue) -> str:
    if value is None:
        return "n"
    if isinstance(value, bool):
        return f"i{int(value)}"
    if isinstance(value, int):
        return f"i{value}"
    if isinstance(value, float):
        return f"f{value!r}"
    return "s" + bytes(value).hex()


def encode(
    declarations: ir.Declarations,
    libraries: Sequence[Dict[str, str]],
    version: str,
    compile_options: Dict[str, object],
) -> Tables:
    decls = declarations.declarations
    for declaration in decls:
        _check_name(declaration)
    encoder = _Encoder(decls)
    names_parts: List[str] = []
    entries: List[int] = []
    position = 0
    for declaration in decls:
        ref = encoder.ref(declaration)
        entries.append(rt.pack_entry(_KINDS[type(declaration)], position, len(declaration.name), ref))
        names_parts.append(declaration.name)
        position += len(declaration.name) + 1
    specs = encoder.specs.text()
    if position >= 1 << rt.NAME_START_BITS or len(specs) >= 1 << rt.REF_BITS:
        raise InputError("too many declarations for one module; narrow them with --only/--exclude")
    files = sorted({d.location.file for d in decls})
    file_index = {f: i for i, f in enumerate(files)}
    locations = [
        file_index[d.location.file] << _LINE_BITS | min(d.location.line, (1 << _LINE_BITS) - 1)
        for d in decls
    ]
    meta = {
        "version": version,
        "libraries": list(libraries),
        "headers": [h.name for h in declarations.headers],
        "compile": compile_options,
        "layouts": declarations.layouts,
    }
    return Tables(
        names="\n".join(names_parts),
        entries=encode_ints(entries, "Q"),
        specs=specs,
        locations=encode_ints(locations, "I"),
        files="\n".join(files),
        meta=json.dumps(meta, sort_keys=True, ensure_ascii=True),
    )


def _check_name(declaration: ir.Declaration) -> None:
    name = declaration.name
    if not name or len(name) >= 1 << rt.NAME_LENGTH_BITS or any(c in name for c in "\r\n\0"):
        raise InputError(f"{name!r} cannot be a module attribute name", declaration.location.file,
                         declaration.location.line)
