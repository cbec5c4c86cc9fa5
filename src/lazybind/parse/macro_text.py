"""A macro's text, read before any probe: what its body and the macros it names (at any depth)
hold that no probe may (C++'s `::`, a list of values, a block or statements). Used by
lazybind.parse.macros to leave such macros out of the probes; imports nothing of lazybind.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import AbstractSet, Callable, Dict, Iterable, List, Optional

# Comments are gone from a body (macro_definitions._logical_line), so what is left of these is C: a block or
# statements, which a probe's `(MACRO)` cannot hold and which would spill into the next probe.
UNBALANCED = re.compile(r"[{};]")

CXX_REASON = "not an expression of C: it expands to C++'s `::`"
LIST_REASON = "not an expression: it expands to a list of values (`a, b`)"
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
# `::name`, not the colons of an asm statement (`__asm__("" ::: "memory")`, `asm("" :: "r"(x))`)
_SCOPE = re.compile(r"(?<!:)::(?!:)\s*\w")


@dataclass(frozen=True)
class Reach:
    """Macros whose expansion, their own body or a macro they name at any depth, holds what no
    probe may hold (a name shadowed by a parameter counts too: such a macro is left out, not
    guessed at)."""
    cxx: AbstractSet[str]  # C++'s scope operator (`::name`)
    lists: AbstractSet[str]  # a list of values: `#define OBJ_internet OBJ_iana` (`1L,3L,6L,1L`)


def macro_reach(names: Iterable[str], body_of: Callable[[str], Optional[str]]) -> Reach:
    """What the expansions of `names` (macros; `body_of`: None for a name that is no macro) reach.
    libclang 18 parsing C never returns from `(::` (mingw-w64's yvals.h: `(::f())`), and a
    probe puts each macro in parentheses. A list is folded by clang's comma operator into its
    last value, and then rejected by cc as no constant: found here, cc runs once."""
    words: Dict[str, List[str]] = {}  # the names in each body
    scoped, lists = [], []  # the macros with `::`, or a top-level comma, in their own bodies
    waiting = list(names)
    while waiting:  # the macros `names` reach, each body read once
        name = waiting.pop()
        if name not in words:
            body = body_of(name) or ""
            if '"' in body or "'" in body:
                body = strip_literals(body)
            if "::" in body and _SCOPE.search(body):
                scoped.append(name)
            if "," in body and not single_expression(body):
                lists.append(name)
            named = words[name] = _IDENTIFIER.findall(body)
            waiting.extend(named)
    if not scoped and not lists:
        return Reach(frozenset(), frozenset())
    users: Dict[str, List[str]] = {}
    for name, named in words.items():
        for word in set(named):
            users.setdefault(word, []).append(name)
    return Reach(_users_of(scoped, users), _users_of(lists, users))


def _users_of(found: List[str], users: Dict[str, List[str]]) -> AbstractSet[str]:
    """`found` and the macros that name one of them, at any depth."""
    tainted = set(found)
    while found:
        for user in users.get(found.pop(), ()):
            if user not in tainted:
                tainted.add(user)
                found.append(user)
    return tainted


def single_expression(text: str) -> bool:
    """Brackets balance and no comma stands outside them, in a body without its literals
    (`strip_literals`): `OBJ_internet,1L` is a list of values (clang would fold it with the
    comma operator, and cc rejects it as a constant)."""
    if not _COMMA_OR_BRACKET.search(text):
        return True  # most bodies: nothing to balance
    count = 1
    while count:  # the innermost brackets, and what they hold, out until none is left
        text, count = _INNERMOST_BRACKETS.subn("", text)
    return _COMMA_OR_BRACKET.search(text) is None


_INNERMOST_BRACKETS = re.compile(r"\([^()\[\]]*\)|\[[^()\[\]]*\]")
_COMMA_OR_BRACKET = re.compile(r"[,()\[\]]")


def strip_literals(body: str) -> str:
    return re.sub(r"\"(\\.|[^\"\\])*\"|'(\\.|[^'\\])*'", "", body)
