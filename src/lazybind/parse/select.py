"""Which declarations a module exposes: one per name, in scope, filtered, plus the types they need."""

from __future__ import annotations

import re
from typing import Dict, Iterable, Iterator, List, Sequence, Set

from .. import ir
from ..options import Options

# When two declarations share a name, the earlier kind here wins: a function beats a macro that
# merely aliases it (glibc's `#define stdin stdin`, which has no constant value anyway); a macro
# with a value beats an enum member of its name, since the preprocessor replaces the name before
# C sees it (linux/pkt_sched.h: `#define __TC_MQPRIO_MODE_MAX (__TC_MQPRIO_MODE_MAX - 1)`).
_PRIORITY = ("functions", "variables", "macro_constants", "aliases", "macro_calls",
             "enum_constants", "records", "enums", "typedefs")


def select_declarations(collector, macro_results, options: Options, named_files: Sequence[str]):
    groups: Dict[str, Iterable] = {
        "functions": collector.functions.values(),
        "variables": collector.variables.values(),
        "enum_constants": collector.enum_constants.values(),
        "macro_constants": macro_results.constants,
        "aliases": macro_results.aliases,
        "macro_calls": macro_results.calls,
        "records": collector.records.values(),
        "enums": collector.enums.values(),
        "typedefs": collector.typedefs.values(),
    }
    skipped: List[ir.Skipped] = list(collector.skipped) + list(macro_results.skipped)
    by_name: Dict[str, ir.Declaration] = {}
    for group in _PRIORITY:
        for declaration in groups[group]:
            holder = by_name.get(declaration.name)
            if holder is None:
                by_name[declaration.name] = declaration
            elif holder is not declaration:
                reason = f"name already used by the {type(holder).__name__.lower()} at {holder.location}"
                skipped.append(ir.Skipped(declaration.name, declaration.location, reason))
    wanted = {name for name, decl in by_name.items() if _wanted(decl, options, named_files)}
    kept = _with_needed_types(wanted, by_name)
    declarations = tuple(by_name[name] for name in sorted(kept))
    return declarations, skipped


def _wanted(declaration: ir.Declaration, options: Options, named_files: Sequence[str]) -> bool:
    if "@" in declaration.name:
        return False  # an unnamed type: kept only if a kept declaration needs it
    if options.scope == "named" and declaration.location.file not in named_files:
        return False
    if options.only is not None and not re.search(options.only, declaration.name):
        return False
    if options.exclude is not None and re.search(options.exclude, declaration.name):
        return False
    return True


def _with_needed_types(wanted: Set[str], by_name: Dict[str, ir.Declaration]) -> Set[str]:
    kept: Set[str] = set()
    pending = list(wanted)
    while pending:
        name = pending.pop()
        if name in kept or name not in by_name:
            continue
        kept.add(name)
        pending.extend(_referenced_names(by_name[name]))
    return kept


def _referenced_names(declaration: ir.Declaration) -> Iterator[str]:
    if isinstance(declaration, ir.Function):
        yield from type_names(declaration.type)
    elif isinstance(declaration, (ir.Variable, ir.Constant)):
        yield from type_names(declaration.type if isinstance(declaration, ir.Variable) else declaration.ctype)
    elif isinstance(declaration, ir.Typedef):
        yield from type_names(declaration.target)
    elif isinstance(declaration, ir.Alias):
        yield declaration.target
    elif isinstance(declaration, ir.MacroCall):
        yield from declaration.targets()
        if declaration.result is not None:
            yield from type_names(declaration.result)
    elif isinstance(declaration, ir.Record):
        for field in declaration.fields:
            yield from type_names(field.type)


def type_names(ctype: ir.CType) -> Iterator[str]:
    """Names of the declarations a type refers to (records, enums, typedefs)."""
    if isinstance(ctype, (ir.RecordRef, ir.EnumRef)):
        yield ctype.name
    elif isinstance(ctype, ir.TypedefRef):
        yield ctype.name
        yield from type_names(ctype.target)
    elif isinstance(ctype, ir.Pointer):
        yield from type_names(ctype.pointee)
    elif isinstance(ctype, ir.Array):
        yield from type_names(ctype.element)
    elif isinstance(ctype, ir.FunctionType):
        yield from type_names(ctype.result)
        for param in ctype.params:
            yield from type_names(param)
