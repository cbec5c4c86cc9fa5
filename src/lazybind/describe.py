"""Human and JSON views of the IR, for `lazybind inspect`."""

from __future__ import annotations

import dataclasses
from typing import Any, Dict

from . import ir


def c_spelling(ctype: ir.CType) -> str:
    """A readable C-like spelling of a type (for people, not for a compiler)."""
    if isinstance(ctype, ir.Primitive):
        return ctype.name
    if isinstance(ctype, (ir.RecordRef, ir.EnumRef, ir.TypedefRef)):
        return ctype.name
    if isinstance(ctype, ir.Pointer):
        const = "const " if ctype.pointee_const else ""
        return f"{const}{c_spelling(ctype.pointee)} *"
    if isinstance(ctype, ir.Array):
        return f"{c_spelling(ctype.element)}[{'' if ctype.length is None else ctype.length}]"
    if isinstance(ctype, ir.FunctionType):
        params = [c_spelling(p) for p in ctype.params] + (["..."] if ctype.variadic else [])
        return f"{c_spelling(ctype.result)} (*)({', '.join(params)})"
    return f"<unsupported {ctype.spelling}>"


def _summary(declaration: ir.Declaration) -> str:
    if isinstance(declaration, ir.Function):
        ftype = declaration.type
        params = [c_spelling(p) for p in ftype.params] + (["..."] if ftype.variadic else [])
        return f"function {c_spelling(ftype.result)} {declaration.name}({', '.join(params)})"
    if isinstance(declaration, ir.Variable):
        return f"variable {c_spelling(declaration.type)} {declaration.name}"
    if isinstance(declaration, ir.Record):
        detail = f"size {declaration.size}, {len(declaration.fields)} fields" if declaration.complete else "opaque"
        return f"{declaration.kind} {declaration.name} ({detail})"
    if isinstance(declaration, ir.Enum):
        return f"enum {declaration.name} ({len(declaration.members)} members)"
    if isinstance(declaration, ir.Typedef):
        return f"typedef {declaration.name} = {c_spelling(declaration.target)}"
    if isinstance(declaration, ir.Alias):
        return f"alias {declaration.name} = {declaration.target}"
    if isinstance(declaration, ir.MacroCall):
        call = _call_text(declaration.target, declaration.arguments, declaration.params)
        if declaration.result is not None:
            call = f"({c_spelling(declaration.result)}){call}"
        return f"macro {declaration.name}({', '.join(declaration.params)}) = {call}"
    return f"constant {declaration.name} = {declaration.value!r}"


def _call_text(target: str, arguments, params) -> str:
    """`f(a, (cast)b, 3, g(a))`: a macro's call with its parameters' names."""
    parts = []
    for kind, value in arguments:
        if kind == "call":
            inner = _call_text(value.target, value.arguments, params)
            parts.append(f"(cast){inner}" if value.cast else inner)
        elif kind in ("param", "cast"):
            parts.append(params[value] if kind == "param" else f"(cast){params[value]}")
        else:
            parts.append(repr(value))
    return f"{target}({', '.join(parts)})"


def describe_text(declarations: ir.Declarations) -> str:
    lines = [f"{d.location}: {_summary(d)}" for d in declarations.declarations]
    lines += [f"{s.location}: skipped {s.name}: {s.reason}" for s in declarations.skipped]
    return "\n".join(lines) + "\n"


def _jsonable(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        out: Dict[str, Any] = {"node": type(value).__name__}
        for field in dataclasses.fields(value):
            out[field.name] = _jsonable(getattr(value, field.name))
        return out
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return {"bytes": value.hex()}
    return value


def describe_json(declarations: ir.Declarations) -> Dict[str, Any]:
    return _jsonable(declarations)
