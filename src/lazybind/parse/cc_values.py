"""The C compiler's values for macros: the system `cc`, or the target's cross compiler.

clang poses as an old GCC (`__GNUC__` 4.2), and headers test that: glibc's `__HAVE_FLOAT128` is 0
for clang and 1 for gcc, and a header may define a string, a floating constant or an address
under `#ifdef __clang__` too. The contract says the compiler's answer wins, so every macro
clang evaluated to a plain value (an integer, a floating constant, a string, a wide string, a
pointer at a fixed address) is computed again by the compiler of the target
(lazybind.toolchain), and its value replaces clang's. The compiler folds each value into an
object file that is read, never run (lazybind.objdata), so a cross compiler answers for its
target the same way `cc` does here.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from typing import Dict, List, Optional, Sequence, Tuple, Union

from .. import objdata, toolchain
from ..precompiled import PrecompiledHeaders

# the file name both probes' code is compiled under (clang's through #line): a string that holds
# it comes from __FILE__
PROBE_FILE = "__lazybind_probe__"
_SOURCE_NAME = f"{PROBE_FILE}.c"


INTEGER, FLOATING, STRING, WIDE_STRING, POINTER = "ifswp"
ENUMERATOR = "e"  # an enum's constant: an integer, and no macro (nothing to test with #ifdef)
_BYTES = "b"  # a string whose bytes cc gives (one whose STRING row found it differs)
# a pointer the compiler does not see at a fixed address (a symbol's: only the linker knows it)
LINKER_ADDRESS = "an address only the linker knows"
_DIFFERS = "a string other than clang's"
Wanted = Tuple[str, str, object]  # (name, kind, clang's value)


def compiler_values(main_source: str, args: Sequence[str], wanted: Sequence[Wanted],
                    precompiled: Optional[PrecompiledHeaders] = None) -> Optional[Dict[str, object]]:
    """{name: value} as the compiler computes the macros (and enumerators) `wanted`, each (name,
    kind, clang's value): INTEGER and ENUMERATOR an int, FLOATING a float, STRING the bytes (its
    NUL left out), WIDE_STRING a str, POINTER an int (None for a null pointer, LINKER_ADDRESS for
    no fixed address). Names it rejects or does not define are left out. None without a usable
    compiler for the target, or headers it cannot compile at all. A string is compared with
    clang's bytes by the compiler itself (a table's row, where an object of its own per string
    would cost more than all the integers); only one that differs is compiled again for its
    bytes. With `precompiled` (the main source's headers, lazybind.precompiled), the C file
    includes them."""
    values = _compile(main_source, args, list(wanted), precompiled)
    differing = [(name, _BYTES, None) for name, value in (values or {}).items() if value is _DIFFERS]
    if differing:
        bytes_of = _compile(main_source, args, differing, precompiled) or {}
        for name, _, _ in differing:
            if name in bytes_of:
                values[name] = bytes_of[name]
            else:
                del values[name]
    return values


def _compile(main_source: str, args: Sequence[str], wanted: List[Wanted],
             precompiled: Optional[PrecompiledHeaders]) -> Optional[Dict[str, object]]:
    found = _compiler(args)
    if found is None or not wanted:
        return None
    compiler, flags = found
    head = main_source if precompiled is None else precompiled.head() + "\n"
    with tempfile.TemporaryDirectory(prefix="lazybind-") as work:
        path = os.path.join(work, _SOURCE_NAME)
        remaining = wanted
        for _ in range(3):  # drop the lines the compiler rejects, then try again
            source, by_line = _program(head, remaining)
            with open(path, "w", encoding="utf-8") as handle:
                handle.write(source)
            try:
                done, data = objdata.compile_object(compiler.command, flags, path)
            except (OSError, subprocess.SubprocessError):
                return None
            if done.returncode == 0:
                return _read(objdata.read_items(data), remaining)
            rejected = {n for _, numbers in objdata.error_blocks(done.stderr, _SOURCE_NAME, by_line)
                        for n in numbers}
            if not rejected:
                return None
            remaining = [item for number, item in enumerate(remaining) if number not in rejected]
    return None


def compiler_accepts(main_source: str, args: Sequence[str]) -> bool:
    """True when the compiler compiles the main file without error (False also without one)."""
    found = _compiler(args)
    if found is None:
        return False
    compiler, flags = found
    done = subprocess.run([*compiler.command, "-fsyntax-only", "-x", "c", "-", *flags], input=main_source,
                          capture_output=True, text=True, cwd=os.getcwd())
    return done.returncode == 0


def precompiled_headers(main_source: str, args: Sequence[str]) -> Optional[PrecompiledHeaders]:
    """The headers `main_source` includes, being precompiled for the compiler of `args`' target
    with the flags its runs get (None without a compiler); the caller closes it."""
    compiler = _compiler(args)
    return None if compiler is None else PrecompiledHeaders(*compiler, main_source)


def _compiler(args: Sequence[str]) -> Optional[Tuple[toolchain.Compiler, List[str]]]:
    """The compiler for the target of clang's `args` and the flags to give it (their -I, -D,
    -isystem and C standard); None when there is none."""
    target = args[list(args).index("-target") + 1] if "-target" in args else ""
    try:
        compiler = toolchain.find_compiler(target)
    except toolchain.ToolchainError:
        return None
    flags = ["-w", "-iquote", os.getcwd()]
    flags += [a for a in args if a.startswith(("-I", "-D", "-isystem", "-std="))]
    return compiler, flags


# one line of C per kind: a row of the table, or an item of its own (objdata). The rows are
# written as initializers, not through __LBK_ROW: what the macro's casts do to an integer the
# table's conversion does too, and the compiler reads a windows.h run's 23k rows in 28% less time;
# a value that may be a pointer for gcc (an integer for clang) keeps its cast
_INTEGER_ROW = "{{{n}, ({name}) < 0, (__lbk_u64)({name})}},"
_ROWS = {INTEGER: _INTEGER_ROW, ENUMERATOR: _INTEGER_ROW,
         # through uintptr_t, as the pointer's width; the third number 1 for a symbol's address
         POINTER: "{{{n}, 0, (__UINTPTR_TYPE__)({name}), "
                  "!__builtin_constant_p((__UINTPTR_TYPE__)({name}))}},",
         # 1 when the string is not clang's (gcc folds memcmp of two literals)
         STRING: "{{{n}, sizeof({name}) != sizeof({literal}) ? 1 : "
                 "__builtin_memcmp({name}, {literal}, sizeof({literal})) != 0}},"}
_ITEMS = {FLOATING: "__LBK_DOUBLE({n}, 0, ({name}))", _BYTES: "__LBK_STRING({n}, {name})",
          WIDE_STRING: "__LBK_WSTRING({n}, {name})"}


def _program(head: str, wanted: List[Wanted]) -> Tuple[str, Dict[int, int]]:
    """The C file (`head`, which includes the headers, then the items, then a table of the rows)
    and the number of the macro on each line of C."""
    # #ifdef: a macro only clang defines (its headers took another branch) is left out at no
    # cost, where an error would make the compiler run again
    items, rows = [], []
    for number, (name, kind, value) in enumerate(wanted):
        literal = "".join("\\%03o" % byte for byte in value) if kind == STRING else ""
        code = (_ITEMS.get(kind) or _ROWS[kind]).format(n=number, name=name, literal=f'"{literal}"')
        (items if kind in _ITEMS else rows).append((number, code))
    lines = (head + objdata.PRELUDE).rstrip("\n").split("\n")
    by_line: Dict[int, int] = {}

    def add(number: int, code: str) -> None:
        name, kind, _ = wanted[number]
        if kind == ENUMERATOR:  # no macro: an enumerator cc does not know is an error
            lines.append(code)
            by_line[len(lines)] = number  # (lines count from 1: the line of `code`)
        else:
            lines.extend((f"#ifdef {name}", code, "#endif"))
            by_line[len(lines) - 1] = number

    for number, code in items:
        add(number, code)
    if rows:
        opening, *_, closing = objdata.table_lines(0, [code for _, code in rows])
        lines.append(opening)
        for number, code in rows:
            add(number, code)
        lines.append(closing)
    return "\n".join(lines) + "\n", by_line


def _read(items: Dict[int, Union[objdata.Item, objdata.Row]], wanted: List[Wanted]
          ) -> Dict[str, object]:
    """{name: value}; a string that is not clang's is _DIFFERS, for its bytes to be asked."""
    values: Dict[str, object] = {}
    for number, (name, kind, value) in enumerate(wanted):
        item = items.get(number)
        if item is None:
            continue  # the compiler does not define it
        if kind == INTEGER or kind == ENUMERATOR:
            negative, bits = item.integers()[:2]
            values[name] = bits - (1 << 64) if negative else bits
        elif kind == POINTER:
            _, address, elsewhere = item.integers()[:3]
            values[name] = LINKER_ADDRESS if elsewhere else address or None
        elif kind == STRING:
            values[name] = _DIFFERS if item.integers()[0] else value
        elif kind == FLOATING:
            values[name] = item.double()[1]
        elif kind == _BYTES:
            values[name] = item.payload[:-1]
        else:
            values[name] = item.text()
    return values
