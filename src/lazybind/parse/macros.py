"""Macro values as the compiler computes them.

Instead of re-implementing C arithmetic, each object-like macro becomes one probe declaration
appended to the headers (`static __auto_type __lazybind_probe_N = (MACRO);`) and clang evaluates the
initializer: int promotion, unsigned wrap-around, suffixes, casts, sizeof and enum members come out
exactly as the compiler sees them. String and pointer results are read from the probe's cursors
where they are plain (lazybind.parse.literals); the others take a second probe, since a string
must initialize an array (to keep its length) and a pointer must be compared with a null pointer.
The system C compiler then computes every plain value again, and its answer wins (cc_values).
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import AbstractSet, Callable, Dict, List, Optional, Sequence, Set, Tuple, Union

from .. import ir
from ..precompiled import PrecompiledHeaders
from . import clang_api, literals, macro_calls
from .clang_api import CursorKind, TypeKind
from .cc_values import (ENUMERATOR, FLOATING, INTEGER, LINKER_ADDRESS, POINTER, PROBE_FILE as _PROBE_FILE,
                        STRING, WIDE_STRING, compiler_values)
from .decls import _PRIMITIVE_KINDS
from .macro_definitions import MacroDefinition
from .macro_text import CXX_REASON, LIST_REASON, UNBALANCED, Reach, single_expression, strip_literals

PROBE_PREFIX = "__lazybind_probe_"
_LINE_BASE = 1_000_000_000
_CHAR_KINDS = {TypeKind.CHAR_S, TypeKind.CHAR_U}
_VAR_DECL = CursorKind.VAR_DECL.value


@dataclass(frozen=True)
class MacroResults:
    constants: Tuple[ir.Constant, ...]
    skipped: Tuple[ir.Skipped, ...]
    aliases: Tuple[ir.Alias, ...] = ()
    calls: Tuple[ir.MacroCall, ...] = ()


@dataclass(frozen=True)
class MacroProbe:
    """A unit's macros, their probe parsed: what `evaluate_macros` reads."""
    candidates: Tuple[MacroDefinition, ...]  # the object-like macros probed, in probe order
    function_macros: Tuple[MacroDefinition, ...]  # probed after them
    skipped: Tuple[ir.Skipped, ...]  # the macros not probed: no expression, or C++
    parsed: "_Parsed"


def probe_macros(main_path: str, main_source: str, args: Sequence[str],
                 macros: Sequence[MacroDefinition], function_macros: Sequence[MacroDefinition] = (),
                 reach: Optional[Reach] = None) -> MacroProbe:
    """Parse the headers with one probe declaration per macro (`function_macros`: whether each
    calls one function), those whose expansion reaches C++ or a list (`reach`) left out. Only
    libclang's parse, which runs without the interpreter's lock: a thread does it while the
    declarations are collected (reading the probe is Python's work: in a thread it would only
    take turns with the walk)."""
    cxx, lists = (reach.cxx, reach.lists) if reach else (frozenset(), frozenset())
    candidates: List[MacroDefinition] = []
    skipped: List[ir.Skipped] = []
    for macro in macros:
        body = strip_literals(macro.body)
        if UNBALANCED.search(body) or not single_expression(body):
            skipped.append(ir.Skipped(macro.name, macro.location, "not an expression"))
        elif macro.name in lists:
            skipped.append(ir.Skipped(macro.name, macro.location, LIST_REASON))
        elif macro.name in cxx:
            skipped.append(ir.Skipped(macro.name, macro.location, CXX_REASON))
        else:
            candidates.append(macro)
    function_macros = [m for m in function_macros if m.name not in cxx]
    parsed = _parse_probe(main_path, main_source, args,
                          [(m, "static __auto_type {probe} = ({macro});") for m in candidates]
                          + [(m, macro_calls.probe_template(m)) for m in function_macros],
                          prelude=macro_calls.placeholders(function_macros))
    return MacroProbe(tuple(candidates), tuple(function_macros), tuple(skipped), parsed)


_STRING, _POINTER = "a string", "a pointer"  # read by literals, or by the second probe


def _outcome(macro: MacroDefinition, number: int, cursor, reason: Optional[str]):
    """A candidate's Constant, or the Skipped why not, or _STRING or _POINTER: a string or a
    pointer, read by lazybind.parse.literals where it is plain, else by the second probe."""
    if cursor is None or reason:
        return ir.Skipped(macro.name, macro.location, reason or "not a constant")
    ctype = cursor.type.get_canonical()
    primitive = _PRIMITIVE_KINDS.get(ctype.kind)
    if ctype.kind == TypeKind.POINTER:
        literal = literals.string_literal(cursor)
        wide = literals.wide_string(literal) if literal is not None else None
        if wide is not None:
            return _wide_constant(macro, wide)
        # a char pointer other than a literal may be a fixed address (MAKEINTRESOURCEA)
        char = ctype.get_pointee().get_canonical().kind in _CHAR_KINDS
        return _STRING if char and literal is not None else _POINTER
    value = clang_api.evaluate(cursor) if primitive else None
    if value is None or primitive in ("int128", "uint128", "void"):
        return ir.Skipped(macro.name, macro.location, "not a constant of a scalar type")
    if primitive in ("float", "double", "longdouble"):
        value = float(value)
    elif value == _LINE_BASE + number:
        return ir.Skipped(macro.name, macro.location, "depends on where it is expanded (__LINE__)")
    return ir.Constant(macro.name, macro.location, value, ir.Primitive(primitive))


def evaluate_macros(probe: MacroProbe, main_path: str, main_source: str, args: Sequence[str],
                    exported: AbstractSet[str] = frozenset(), functions: AbstractSet[str] = frozenset(),
                    convert_type: Optional[Callable] = None,
                    enumerators: Optional[Dict[str, ir.Constant]] = None,
                    precompiled: Optional[PrecompiledHeaders] = None) -> MacroResults:
    """Constants for the probed macros with a value; `exported` (the declared functions and
    variables) tells which macros merely rename one of them. The probed function-like macros
    that call one of the declared `functions` become MacroCalls. `enumerators`, the enums'
    constants by name, cc computes with the macros: corrected in place where its value is
    another, left out (skipped) where it has no such constant. cc's runs include the `precompiled`
    headers, if given."""
    enumerators = {} if enumerators is None else enumerators
    first = _read_probe(probe.parsed)
    aliases: List[ir.Alias] = []
    skipped: List[ir.Skipped] = list(probe.skipped)
    constants: Dict[str, ir.Constant] = {}
    strings: List[MacroDefinition] = []
    pointers: List[MacroDefinition] = []
    integers, others = _typed(first, probe.candidates)
    # those of the other types cc computes first (a few: strings, pointers to data, floating
    # constants), so that cc computes them with the integers
    numbered = list(enumerate(probe.candidates))
    outcomes = {macro.name: _candidate(first, number, macro, exported)
                for number, macro in numbered if macro.name in others}
    wanted = [(name, INTEGER, None) for name in integers] + _asked(
        {name: outcome for name, outcome in outcomes.items() if isinstance(outcome, ir.Constant)}) + [
        (name, ENUMERATOR, None) for name in enumerators]
    # cc computes the values in another process while the integers' candidates are read (the
    # integer constants found below are among those it was given), and clang parses the second
    # probe (the strings and pointers that are not plain, if any) while the calls are read (the
    # threads only wait on them)
    with ThreadPoolExecutor(max_workers=2) as pool:
        compiler_values_ = pool.submit(compiler_values, main_source, args, wanted, precompiled)
        for number, macro in numbered:
            outcome = (outcomes[macro.name] if macro.name in outcomes
                       else _candidate(first, number, macro, exported))
            if isinstance(outcome, ir.Alias):
                aliases.append(outcome)
            elif isinstance(outcome, ir.Constant):
                constants[macro.name] = outcome
            elif outcome is _STRING or outcome is _POINTER:  # for the second probe
                (strings if outcome is _STRING else pointers).append(macro)
            else:
                skipped.append(outcome)
        second = pool.submit(_parse_probe, main_path, main_source, args,
                             [(m, "static const char {probe}[] = {macro};") for m in strings]
                             + [(m, "static const unsigned long long {probe} = "
                                    "(unsigned long long)({macro});") for m in pointers])
        calls = _macro_calls(first, probe.function_macros, len(probe.candidates), functions,
                             convert_type)
        second_constants, second_skipped = _strings_and_pointers(_read_probe(second.result()),
                                                                 strings, pointers)
        values = compiler_values_.result()
        _prefer_compiler_values(values, [name for name, kind, _ in wanted if kind != ENUMERATOR],
                                constants, skipped)
        _prefer_compiler_values(values, list(enumerators), enumerators, skipped)
    if second_constants:  # (rare: u8"..." strings, pointers clang gives no plain value for)
        _prefer_compiler_values(*_compiler_values_of(second_constants, main_source, args, precompiled),
                                second_constants, second_skipped)
    constants.update(second_constants)
    skipped.extend(second_skipped)
    return MacroResults(tuple(constants.values()), tuple(skipped), tuple(aliases), tuple(calls))


def _candidate(first: "_ProbeResult", number: int, macro: MacroDefinition, exported: AbstractSet[str]):
    """A candidate's Alias (it renames a declared function or variable), Constant, or Skipped;
    or _STRING or _POINTER when its value is for the second probe to read."""
    cursor = first.cursors.get(macro.name)
    # a variable's name is no constant initializer (an error), yet the macro renames it
    target = _named_object(cursor) if cursor and _NAME_OR_CALL.match(macro.body) else None
    if target in exported and target != macro.name:
        return ir.Alias(macro.name, macro.location, target)
    outcome = _outcome(macro, number, cursor, first.errors.get(macro.name))
    if outcome is _STRING or outcome is _POINTER:  # read here if it is plain enough
        value = (literals.plain_string if outcome is _STRING else literals.pointer_value)(cursor)
        if value is literals.UNSURE:
            return outcome
        outcome = (_string_constant if outcome is _STRING else _pointer_constant)(macro, value)
    return outcome


def _compiler_values_of(constants: Dict[str, ir.Constant], main_source: str, args: Sequence[str],
                        precompiled: Optional[PrecompiledHeaders]):
    """cc's values of `constants` (compiler_values), and the names it was asked for."""
    wanted = _asked(constants)
    return compiler_values(main_source, args, wanted, precompiled), [name for name, _, _ in wanted]


def _asked(constants: Dict[str, ir.Constant]) -> List[Tuple[str, str, object]]:
    """What cc is asked of `constants`: (name, kind, clang's value) of each it computes."""
    return [(name, _compiler_kind(constant), constant.value) for name, constant in constants.items()
            if _compiler_kind(constant)]


def _compiler_kind(constant: ir.Constant) -> str:
    """What cc computes a constant as (cc_values' kinds); "" for a value it is not asked for."""
    value = constant.value
    if isinstance(value, float):
        return FLOATING
    if isinstance(value, bytes):
        return STRING
    if isinstance(value, str):
        return WIDE_STRING
    if isinstance(constant.ctype, ir.Pointer):  # an address, or None: a null pointer
        return POINTER
    return INTEGER if isinstance(value, int) else ""


def _typed(probe: "_ProbeResult", candidates: Sequence[MacroDefinition]) -> Tuple[List[str], Set[str]]:
    """The candidates whose probe clang took without error: the names of an integer type, and
    those of a floating type or a pointer to data (a function's is an alias, or an address cc
    is not asked for)."""
    integers, others = [], set()
    for macro in candidates:
        cursor = probe.cursors.get(macro.name)
        if cursor is None or macro.name in probe.errors:
            continue
        ctype = cursor.type  # (its kind by number: the canonical type only for a typedef's)
        if ctype._kind_id not in _INTEGER_KIND_IDS:
            ctype = ctype.get_canonical()
        if ctype._kind_id in _INTEGER_KIND_IDS:
            integers.append(macro.name)
        elif ctype._kind_id in _FLOATING_KIND_IDS or (
                ctype._kind_id == _POINTER_KIND_ID
                and ctype.get_pointee().get_canonical()._kind_id not in _FUNCTION_KIND_IDS):
            others.add(macro.name)
    return integers, others


_FLOATING_KIND_IDS = frozenset(kind.value for kind, primitive in _PRIMITIVE_KINDS.items()
                               if primitive in ("float", "double", "longdouble"))
_POINTER_KIND_ID = TypeKind.POINTER.value
_FUNCTION_KIND_IDS = frozenset((TypeKind.FUNCTIONPROTO.value, TypeKind.FUNCTIONNOPROTO.value))
_INTEGER_KIND_IDS = frozenset(
    kind.value for kind, primitive in _PRIMITIVE_KINDS.items()
    if primitive not in ("void", "float", "double", "longdouble", "int128", "uint128"))


def _macro_calls(probe: "_ProbeResult", macros: Sequence[MacroDefinition], first_number: int,
                 functions: AbstractSet[str], convert_type: Optional[Callable]) -> List[ir.MacroCall]:
    """The function-like macros that are a call of one function. The others are not listed as
    skipped: most take types or statements (offsetof, va_start) and were never functions."""
    calls = []
    identities: Dict[str, bool] = {}
    for number, macro in enumerate(macros, first_number):
        cursor = probe.cursors.get(macro.name)
        if cursor is None or macro.name in probe.errors:
            continue
        found = macro_calls.read_call(cursor, macro, functions, _LINE_BASE + number, _PROBE_FILE,
                                      convert_type, identities)
        if not isinstance(found, str):
            calls.append(found)
    return calls


def _prefer_compiler_values(values, names, constants: Dict[str, ir.Constant], skipped) -> None:
    """Where the system compiler computes a macro (one of `names`) differently, its value wins."""
    if values is None:
        return  # no usable cc: clang's values stand
    for name in names:
        constant = constants.get(name)
        if constant is None:
            continue  # an integer-typed candidate that is no constant (an alias, a skip)
        value = values.get(name, _ABSENT)
        if value is _ABSENT or value is LINKER_ADDRESS:
            del constants[name]
            skipped.append(ir.Skipped(name, constant.location, "the system C compiler rejects it"
                                      if value is _ABSENT else "a pointer constant other than NULL"))
        elif _differs(value, constant.value):
            replacement = _with_compiler_value(constant, value)
            if isinstance(replacement, ir.Skipped):
                del constants[name]
                skipped.append(replacement)
            else:
                constants[name] = replacement


def _with_compiler_value(constant: ir.Constant, value):
    """`constant` with cc's value, or the Skipped of a string refused as clang's would have been
    (an embedded NUL, or __FILE__ in it)."""
    if isinstance(value, bytes):
        return _string_constant(constant, value)
    if isinstance(value, str):
        return _wide_constant(constant, value)
    return replace(constant, value=value)


_ABSENT = object()


def _differs(value, other) -> bool:
    if isinstance(value, float) and isinstance(other, float):
        return value.hex() != other.hex()  # -0.0 and 0.0 differ; one NaN is another
    return type(value) is not type(other) or value != other


def _strings_and_pointers(probe: "_ProbeResult", strings, pointers):
    """The second probe's constants and skips: strings initialized arrays, pointers were cast
    to integers."""
    outcomes = []
    for macro in strings:
        cursor = probe.cursors.get(macro.name)
        value = _string_value(cursor) if cursor is not None and macro.name not in probe.errors else None
        outcomes.append(_string_constant(macro, value))
    for macro in pointers:
        cursor = probe.cursors.get(macro.name)
        value = clang_api.evaluate(cursor) if cursor is not None else None
        outcomes.append(_pointer_constant(macro, None if macro.name in probe.errors else value))
    return ({o.name: o for o in outcomes if isinstance(o, ir.Constant)},
            [o for o in outcomes if not isinstance(o, ir.Constant)])


def _string_constant(macro: Union[MacroDefinition, ir.Constant], value: Union[bytes, str, None]):
    """A string macro's Constant from its bytes, NULs included, or the Skipped why not (`value`:
    why it is no string, or None for a char pointer that is no literal). `macro` gives the name
    and location: the definition, or the Constant of clang's value that cc's replaces."""
    if not isinstance(value, bytes):
        return ir.Skipped(macro.name, macro.location, value or "a char pointer, not a string literal")
    text = value.partition(b"\0")[0]  # as far as C's string functions read it
    if _PROBE_FILE.encode() in text:
        return ir.Skipped(macro.name, macro.location, _FROM_FILE)
    if len(text) != len(value):
        return ir.Skipped(macro.name, macro.location, "a string with an embedded NUL byte")
    return ir.Constant(macro.name, macro.location, value, ir.Pointer(ir.Primitive("char"), True))


def _wide_constant(macro: Union[MacroDefinition, ir.Constant], text: Union[str, Tuple[str]]):
    """A wide string macro's Constant from its text, or the Skipped why not (`text`: (why,) when
    clang's literal cannot be read exactly)."""
    if isinstance(text, tuple):
        return ir.Skipped(macro.name, macro.location, text[0])
    if _PROBE_FILE in text:  # mingw-w64's __FILEW__
        return ir.Skipped(macro.name, macro.location, _FROM_FILE)
    if "\0" in text:  # (cc's text: clang's literal with one is refused by literals.wide_string)
        return ir.Skipped(macro.name, macro.location, "a wide string with an embedded NUL")
    return ir.Constant(macro.name, macro.location, text, ir.Pointer(ir.Primitive("wchar"), True))


_FROM_FILE = "depends on where it is expanded (__FILE__)"


def _pointer_constant(macro: MacroDefinition, value: Optional[int]):
    """A pointer macro's Constant from its address, or the Skipped of one only the linker knows
    (`&some_variable`: None). NULL is None; a fixed address (MAP_FAILED, SIG_IGN,
    SQLITE_TRANSIENT) is an int."""
    if value is None:
        return ir.Skipped(macro.name, macro.location, "a pointer constant other than NULL")
    return ir.Constant(macro.name, macro.location, value or None, ir.Pointer(ir.VOID))


# A body that can name a function or variable: a name, or a call of a function-like macro
# (`__MPN(add_n)`), in parentheses or not. Only these probes are walked to find out (cheaply).
_NAME_OR_CALL = re.compile(r"[\s(]*[A-Za-z_]\w*\s*(\(.*\))?[\s)]*$", re.S)


def _named_object(probe) -> Optional[str]:
    """The function or variable a probe's initializer names, if it is nothing but that name
    (`#define mpz_init __gmpz_init`, or `#define mpn_add_n __MPN(add_n)` through a function-like
    macro, or a chain of such macros: clang has expanded them all)."""
    expression = next(iter(clang_api.children(probe)), None)
    while expression is not None and expression.kind in (CursorKind.PAREN_EXPR, CursorKind.UNEXPOSED_EXPR):
        expression = next(iter(clang_api.children(expression)), None)
    if expression is None or expression.kind != CursorKind.DECL_REF_EXPR:
        return None
    referenced = expression.referenced
    if referenced is None or referenced.kind not in (CursorKind.FUNCTION_DECL, CursorKind.VAR_DECL):
        return None
    return referenced.spelling


def _string_value(cursor) -> Optional[bytes]:
    """A string macro's bytes from the second probe (its array initialized): clang's value stops
    at a NUL, the array's size does not, so an embedded NUL stays one. None for a char pointer."""
    array = cursor.type.get_canonical()
    if array.kind != TypeKind.CONSTANTARRAY:
        return None
    literal = next((c for c in clang_api.descendants(cursor) if c.kind == CursorKind.STRING_LITERAL), None)
    value = clang_api.evaluate(literal) if literal is not None else None
    if value is None:
        return None
    return value + b"\0" * (array.element_count - 1 - len(value))  # (what follows a NUL: unknown)


@dataclass
class _ProbeResult:
    cursors: Dict[str, object]
    errors: Dict[str, str]


@dataclass
class _Parsed:
    """A probe's unit, parsed and not yet read."""
    unit: Optional[clang_api.TranslationUnit]  # None: nothing was probed
    main_path: str
    macros: List[MacroDefinition]
    positions: List[Tuple[int, int]]  # (physical line, column) of each probe's name


def _parse_probe(main_path, main_source, args, items, prelude: str = "") -> _Parsed:
    """Append one declaration per (macro, template) to the headers (after `prelude`) and parse
    them once: libclang's work alone, for a thread."""
    macros = [macro for macro, _ in items]
    if not items:
        return _Parsed(None, main_path, macros, [])
    lines = [main_source.rstrip("\n")] + ([prelude] if prelude else [])
    main_lines = lines[0].count("\n") + 1
    positions = []
    for number, (macro, template) in enumerate(items):
        # Each probe on a line of its own far-away number, so diagnostics map back to it and a
        # value that merely echoes __LINE__ is recognized.
        lines.append(f'#line {_LINE_BASE + number} "{_PROBE_FILE}"')
        probe = f"{PROBE_PREFIX}{number}"
        lines.append(template.format(probe=probe, macro=macro.name))
        positions.append((main_lines + len(lines) - 1, lines[-1].index(probe) + 1))
    # with bodies: a macro's call may go through an inline function that only returns its argument
    unit = clang_api.parse(main_path, "\n".join(lines) + "\n",
                           list(args) + ["-ferror-limit=0", "-w", "-Wno-int-conversion"], with_bodies=True)
    return _Parsed(unit, main_path, macros, positions)


def _read_probe(parsed: _Parsed) -> _ProbeResult:
    """Map a parsed probe's cursors and error messages back to macro names."""
    if parsed.unit is None:
        return _ProbeResult({}, {})
    macros, main_path = parsed.macros, parsed.main_path
    errors: Dict[str, str] = {}
    numbers = {line: number for number, (line, _) in enumerate(parsed.positions)}
    for diag in parsed.unit.errors():  # at the probe's physical line (a #line does not move it)
        number = numbers.get(diag.line) if diag.file == main_path else None
        if number is not None:
            errors.setdefault(macros[number].name, f"not a constant: {diag.message}")
    cursors: Dict[str, object] = {}
    for number, cursor in enumerate(parsed.unit.cursors_at(main_path, parsed.positions)):
        if cursor._kind_id == _VAR_DECL and clang_api.spelling(cursor) == f"{PROBE_PREFIX}{number}":
            cursors[macros[number].name] = cursor
    return _ProbeResult(cursors, errors)
