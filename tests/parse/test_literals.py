"""String and pointer macros read from the macro probe itself (lazybind.parse.literals): the
plain ones need no second parse of the headers, and every value is the C compiler's. What the
probe cannot settle (a pointer variable) still goes to the second probe."""

from __future__ import annotations

import lazybind
from lazybind import ir
from lazybind.parse import macros
from conftest import run_c

PLAIN = r"""
#define AN_INTEGER 7
#define FUNCTION_NAME __func__
#define PRETTY_NAME __PRETTY_FUNCTION__
#define BASE ((const int *)1000)
#define NEXT (BASE + 2)
#define BEFORE (-1 + (BASE - 3) + 1)
#define VOID_NEXT ((void *)BASE + 5)
#define GREETING "hello, \"world\"\n\t\x7f\377"
#define JOINED "ab" "cd"
#define WITH_NUL "a\0b"
#define HANDLE_MINUS_ONE ((void *)(long)-1)
#define RESOURCE ((char *)((unsigned long)((unsigned short)(32512))))
#define NOTHING ((void *)0)
typedef void (*destructor)(void *);
#define TRANSIENT ((destructor)-1)
static inline int local_function(void) { return 0; }
#define FUNCTION_ADDRESS local_function
static char local_array[4];
#define ARRAY_ADDRESS local_array
"""
LEFT_TO_THE_SECOND = r"""
static const char *const pointer_variable = "text";
#define POINTER_VARIABLE pointer_variable
"""
ORACLE = r"""
#include <stdio.h>
#include "%s"
int main(void) {
    printf("%%llu %%llu %%llu %%llu %%llu %%llu\n", (unsigned long long)HANDLE_MINUS_ONE,
           (unsigned long long)RESOURCE, (unsigned long long)TRANSIENT, (unsigned long long)NEXT,
           (unsigned long long)BEFORE, (unsigned long long)VOID_NEXT);
    printf("%%d %%d\n", (int)sizeof(GREETING), (int)sizeof(JOINED));
    for (int i = 0; i < (int)sizeof(GREETING) - 1; i++) printf("%%d ", (unsigned char)GREETING[i]);
    printf("\n");
    return 0;
}
"""


def _inspect(tmp_path, name, text, monkeypatch):
    """The header's declarations, and the macros each second probe was given."""
    (tmp_path / name).write_text(text)
    probes, parse_probe = [], macros._parse_probe

    def recorded(main_path, main_source, args, items, prelude=""):
        probes.append(sorted(m.name for m, _ in items))
        return parse_probe(main_path, main_source, args, items, prelude)

    monkeypatch.setattr(macros, "_parse_probe", recorded)
    declarations = lazybind.inspect([str(tmp_path / name)])
    constants = {d.name: d.value for d in declarations.declarations if isinstance(d, ir.Constant)}
    return constants, {s.name: s.reason for s in declarations.skipped}, probes[1:]  # the first: all


def test_plain_strings_and_addresses_take_no_second_parse(tmp_path, monkeypatch):
    constants, skipped, second = _inspect(tmp_path, "plain.h", PLAIN, monkeypatch)
    assert second == [[]], second  # nothing left for a second parse of the headers
    lines = run_c(tmp_path, ORACLE % (tmp_path / "plain.h")).splitlines()
    addresses = [int(word) for word in lines[0].split()]
    assert [constants["HANDLE_MINUS_ONE"], constants["RESOURCE"], constants["TRANSIENT"],
            constants["NEXT"], constants["BEFORE"], constants["VOID_NEXT"]] == addresses
    greeting = bytes(int(word) for word in lines[2].split())
    assert constants["GREETING"] == greeting and len(greeting) + 1 == int(lines[1].split()[0])
    assert constants["JOINED"] == b"abcd"
    assert constants["NOTHING"] is None
    assert constants["AN_INTEGER"] == 7  # (cc recomputes the integers: an address is none)
    assert skipped["WITH_NUL"] == "a string with an embedded NUL byte"
    for name in ("FUNCTION_NAME", "PRETTY_NAME"):  # as the second probe says of them
        assert skipped[name] == "a char pointer, not a string literal", name
    for name in ("FUNCTION_ADDRESS", "ARRAY_ADDRESS"):
        assert skipped[name] == "a pointer constant other than NULL", name


def test_what_the_probe_cannot_settle_goes_to_the_second(tmp_path, monkeypatch):
    constants, skipped, second = _inspect(tmp_path, "left.h", LEFT_TO_THE_SECOND, monkeypatch)
    assert second == [["POINTER_VARIABLE"]], second
    assert skipped["POINTER_VARIABLE"] == "a pointer constant other than NULL"
