"""The #define lines of a translation unit, as the walk over its cursors meets them: each macro's
name and what follows it on its logical line, read from the file the way the preprocessor reads
it (lines joined at backslash-newlines, each comment one space); the object-like macros with a
body and the function-like ones with plain parameters, for the probes to evaluate
(lazybind.parse.macros), and any macro's text when asked (macro_text follows them).

Knows nothing of the other declarations: the collector (decls.py) hands it the macro cursors.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Dict, Optional, Tuple

from .. import ir
from .clang_api import Cursor, spelling
from .paths import PathDisplay


@dataclass(frozen=True)
class MacroDefinition:
    name: str
    location: ir.Location
    body: str
    params: Optional[Tuple[str, ...]] = None  # a function-like macro's parameters


class MacroDefinitions:
    """The macros of one unit: `macros` (object-like, with a body), `function_macros`, and
    every macro's text read so far (`body`)."""

    def __init__(self, display: PathDisplay, read_file: Callable[[str], bytes],
                 intrinsic: Callable[[str], bool]) -> None:
        self._display, self._read_file = display, read_file
        self._intrinsic = intrinsic  # whether a path is one of the compiler's own headers
        self.macros: Dict[str, MacroDefinition] = {}
        self.function_macros: Dict[str, MacroDefinition] = {}
        self._bodies: Dict[str, str] = {}  # every macro read: what follows its name
        self._elsewhere: Dict[str, Tuple[Cursor, object]] = {}

    def pass_over(self, cursor: Cursor, where) -> None:
        """A macro outside the named headers' files (--scope named): read only if `body` asks."""
        self._elsewhere[spelling(cursor)] = (cursor, where)

    def body(self, name: str) -> Optional[str]:
        """What follows macro `name` on its logical line (a function-like macro's parameters,
        then its body); None for no macro. Of a macro passed over, read now."""
        body = self._bodies.get(name)
        if body is None and name in self._elsewhere:
            body = self._read(*self._elsewhere.pop(name))[1]
        return body

    def _read(self, cursor: Cursor, where) -> Tuple[str, str]:
        """A macro's name and what follows it on its logical line, also kept in `_bodies`."""
        data = self._read_file(where.path)
        plain = _PLAIN_NAME.match(data, where.offset)  # the cursor is at its name
        name = plain.group().decode() if plain else spelling(cursor)
        rest = self._bodies[name] = _logical_line(data, where.offset + len(name.encode()))
        return name, rest

    def define(self, cursor: Cursor, where) -> None:
        """The macro a MACRO_DEFINITION cursor at `where` defines."""
        if not where.path:
            return  # predefined by the compiler
        name, rest = self._read(cursor, where)
        path = where.path
        if rest.startswith("("):
            self._function_macro(name, path, where, rest)
            return
        body = rest.strip()
        if not body or name.startswith("__builtin"):
            return  # include guards and other empty macros
        self.macros.pop(name, None)  # a later definition wins, and is ordered last
        self.macros[name] = MacroDefinition(name, self._location(path, where), body)

    def _function_macro(self, name: str, path: str, where, rest: str) -> None:
        """Keep `#define NAME(a, b) ...` when its parameters are plain names (no `...`) and it
        has a body, outside the compiler's own headers (whose functions are intrinsics, left
        out): the macro probes find out whether it calls one function with them."""
        close = rest.find(")")
        params = tuple(p.strip() for p in rest[1:close].split(",")) if close > 0 else ("...",)
        if params == ("",):
            params = ()
        if not all(p.isidentifier() for p in params) or name.startswith("__"):
            return
        if not rest[close + 1:].strip() or self._intrinsic(path):
            return  # no call in it (sal.h's annotations), or one of intrinsics (x86intrin.h's)
        self.function_macros.pop(name, None)
        self.function_macros[name] = MacroDefinition(name, self._location(path, where), rest, params)

    def _location(self, path: str, where) -> ir.Location:
        return ir.Location(self._display(path), where.line, where.column)


# The pieces of a directive as the preprocessor reads them (C11 5.1.1.2 phases 2 and 3). A /* */
# comment may end lines later and the directive goes on after it; a // comment ends with the line,
# which a backslash continues; a literal is one piece, so "/*" in a string opens no comment.
_DIRECTIVE_PIECE = re.compile(rb"""
    (?P<splice>\\\r?\n)
  | (?P<comment>/\*.*?\*/|//(?:\\\r?\n|[^\n])*)
  | (?P<end>\r?\n)
  | (?P<text>"(?:\\.|[^"\\\n])*"|'(?:\\.|[^'\\\n])*'|[^\\/"'\r\n]+|.)
""", re.S | re.X)
_SPLICE = re.compile(rb"\\\r?\n")
_PLAIN_LINE = re.compile(rb"[^\\/\"'\r]*\r?")
_PLAIN_NAME = re.compile(rb"[A-Za-z_]\w*(?![\w\x80-\xff$\\])")  # else libclang spells it (UTF-8, \u)


def _logical_line(data: bytes, start: int) -> str:
    """The rest of a preprocessor directive from `start`, as the preprocessor sees it: lines
    joined at backslash-newlines, each comment one space, string and character literals whole."""
    end = data.find(b"\n", start)
    line = data[start:end if end >= 0 else len(data)]
    if _PLAIN_LINE.fullmatch(line):  # most: nothing but text on one line
        return line.removesuffix(b"\r").decode("utf-8", "replace")
    pieces, position = [], start
    while position < len(data):
        piece = _DIRECTIVE_PIECE.match(data, position)
        kind = piece.lastgroup
        if kind == "end":
            break
        if kind != "splice":
            pieces.append(b" " if kind == "comment" else piece.group())
        position = piece.end()
    joined = b"".join(pieces)
    if b"\n" in joined:  # a literal continued on the next line
        joined = _SPLICE.sub(b"", joined)
    return joined.decode("utf-8", "replace")
