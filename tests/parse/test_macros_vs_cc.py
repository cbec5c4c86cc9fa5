"""Object-like macros of real headers against the system C compiler (issue 16).

The oracle is cc alone: `cc -dD -E` names the macros each header defines in its own file, one
syntax-only compile tells which of them cc accepts as a static initializer (a scalar) or as the
initializer of a char array (a string literal), and one program prints their values. Every macro
cc computes as an integer, floating or string constant must be in the generated module with cc's
value, or be skipped for a reason that does not deny what cc shows (it is no "not an expression").
A comment that runs on past the #define line (elf.h's DT_POSFLAG_1, tcl.h's TCL_THREAD_NOFLAGS)
used to end up in the body, and such macros were refused as "not an expression".
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, List, Tuple

import pytest

import lazybind
from lazybind import ir
from conftest import import_path, run_c

# Spread over /usr/include: glibc, kernel UAPI, libraries; floats (math.h), strings (sqlite3.h,
# zlib.h). tcl.h comes from Debian's tcl-dev, which .ci/run installs: a missing header fails.
HEADERS = ["elf.h", "resolv.h", "netdb.h", "linux/ipc.h", "sys/ioctl.h", "linux/input.h",
           "linux/input-event-codes.h", "linux/fs.h", "netinet/in.h", "zlib.h", "sqlite3.h",
           "math.h", "tcl/tcl.h"]

# Macros followed by a comment that ends on a later line: the oracle must see them as constants,
# or the test would prove nothing about them.
COMMENTED_ON = {
    "elf.h": {"DT_POSFLAG_1", "NT_SIGINFO", "R_386_GOT32X", "R_ARM_LDRS_PC_G0"},
    "resolv.h": {"RES_SNGLKUPREOP"},
    "netdb.h": {"NO_DATA", "NO_RECOVERY", "TRY_AGAIN"},
    "linux/ipc.h": {"IPC_64", "IPC_OLD"},
    "linux/input-event-codes.h": {"SW_RFKILL_ALL"},
    "tcl/tcl.h": {"TCL_THREAD_NOFLAGS", "TCL_REG_EXPANDED"},
}

# Every form of comment in and after a body, each checked against cc like a real header.
COMMENTS = r"""
#define ML_AFTER (0000) /* a comment, with
                           a comma; {and "quotes */
#define ML_SPANS 1 /* the comment ends
  on the next line, and the body goes on */ + 2
#define MID_CONT (1 /* one, */ + \
   2 /* two; { */)
#define LINE_CONT 7 // a line comment, \
   continued; {
#define STR_COMMENTS "a /* not a comment */ b // nor this, {"
#define CHAR_QUOTE '"' /* " , */
#define PASTED 1 ## 2
#define SPLICED 0x1\
0
#define AFTER_NAME/* then a body, not parameters */(5)
#define FLOAT_ML 1.5 /* a float,
   with a comment */
#define STRING_ML "text" /* a string,
   with a comment */
#define WITH_NUL "a\0b"
#define HERE __FILE__
#define LINE_NUMBER __LINE__
"""
COMMENTS_VALUES = {"ML_AFTER": 0, "ML_SPANS": 3, "MID_CONT": 3, "LINE_CONT": 7,
                   "STR_COMMENTS": b"a /* not a comment */ b // nor this, {", "CHAR_QUOTE": 34,
                   "PASTED": 12, "SPLICED": 16, "AFTER_NAME": 5, "FLOAT_ML": 1.5,
                   "STRING_ML": b"text", "WITH_NUL": b"a\0b"}

# Skip reasons that a constant cc computes proves false.
DENIED_BY_CC = ("not an expression", "not a constant", "a char pointer, not a string literal",
                "the system C compiler rejects it")

_ORACLE_FILE = "lazybind-oracle.c"
_FIRST_PROBE_LINE = 1_000_000
_ARITHMETIC = ("_Bool", "char", "signed char", "unsigned char", "short", "unsigned short", "int",
               "unsigned int", "long", "unsigned long", "long long", "unsigned long long",
               "float", "double", "long double")
_FLOATING = {"float", "double", "long double"}
_DIAGNOSTIC = re.compile(r"^([^\n]*?):(\d+):\d+: (?:error|note):", re.M)


@dataclass(repr=False)  # thousands of values: a failure lists its own
class Case:
    """One header: its module, what lazybind skipped, and cc's constants."""
    module: object
    skipped: Dict[str, str]
    constants: Dict[str, object]  # name -> int, float or bytes, as cc computes it


def _cc() -> str:
    cc = shutil.which("cc")
    assert cc, "the tests need a C compiler (cc)"
    return cc


def _run_cc(args: List[str], source: str) -> subprocess.CompletedProcess:
    # in the C locale cc quotes names with ', as _rejected reads them
    return subprocess.run([_cc(), "-w", *args, "-x", "c", "-"], input=source, capture_output=True,
                          text=True, env=dict(os.environ, LC_ALL="C"))


def _include(header: str) -> str:
    # generated modules take macro values from a file that includes <stddef.h> first (DESIGN.md)
    return f"#include <stddef.h>\n#include <{header}>\n"


def own_macros(include: str) -> List[str]:
    """The object-like macros, with a body, that the last file `include` names defines itself."""
    output = _run_cc(["-E", "-dD"], include)
    assert output.returncode == 0, output.stderr
    marker = re.compile(r'# \d+ "([^"]+)"((?: \d)*)$')
    define = re.compile(r"#define ([A-Za-z_]\w*)(\(?)(.*)$")
    current, own = "", ""
    where: Dict[str, str] = {}  # name -> the file of its definition in force
    for line in output.stdout.splitlines():
        mark = marker.match(line)
        if mark:
            if current == "<stdin>" and " 1" in mark.group(2):
                own = mark.group(1)  # a file the oracle includes itself: the last one is ours
            current = mark.group(1)
        elif line.startswith("#undef "):
            where.pop(line.split()[1], None)
        elif (match := define.match(line)):
            name, function_like, body = match.groups()
            where.pop(name, None)
            if not function_like and body.strip():
                where[name] = current
    return [name for name, file in where.items() if file == own]


def _accepted(include: str, probes: Dict[str, str], args: List[str], tail: str = "") -> List[str]:
    """The names whose probe line cc accepts after `include`: the lines it reports errors on
    are dropped and the rest compiled again, since cc reports an undeclared name only once."""
    kept = list(probes)
    for _ in range(20):
        source = (f'{include}#line {_FIRST_PROBE_LINE} "{_ORACLE_FILE}"\n'
                  + "".join(probes[name] + "\n" for name in kept) + tail)
        done = _run_cc(args, source)
        if done.returncode == 0:
            return kept
        rejected = _rejected(done.stderr, kept)
        assert rejected, f"cc cannot compile the oracle for {include!r}:\n{done.stderr[:2000]}"
        kept = [name for name in kept if name not in rejected]
    pytest.fail(f"cc keeps rejecting the oracle for {include!r}:\n{done.stderr[:2000]}")


def _rejected(stderr: str, names: List[str]) -> set:
    """The macros whose probe lines (one per name, in order) cc reports errors on. An error in
    a macro is reported where it is defined, with notes down to the probe that expanded it; cc
    leaves that note out for a token continued on the next line, so the macro's name has to do."""
    rejected = set()
    for error in re.split(r"^(?=[^\n]*?:\d+:\d+: error:)", stderr, flags=re.M)[1:]:
        lines = [int(line) - _FIRST_PROBE_LINE for file, line in _DIAGNOSTIC.findall(error)
                 if file == _ORACLE_FILE]
        expanded = re.findall(r"macro '(\w+)'", error)
        if lines and 0 <= lines[0] < len(names):
            rejected.add(names[lines[0]])
        elif expanded:
            rejected.add(expanded[-1])
    return rejected


def cc_constants(include: str, names: List[str], work: Path) -> Dict[str, object]:
    """{name: value} for the `names` cc evaluates to an integer, floating or string constant."""
    # Pass 1, one compile each: which macros initialize a scalar, and which a char array.
    scalar = {name: f"static const __auto_type lazybind_oracle_{name} = ({name});" for name in names}
    string = {name: f"static const char lazybind_oracle_{name}[] = {name};" for name in names}
    with ThreadPoolExecutor(max_workers=2) as pool:
        scalars, strings = pool.map(
            lambda probes: set(_accepted(include, probes, ["-fsyntax-only"])), (scalar, string))
    # Pass 2: a table of every accepted macro's kind and value (without the rows cc rejects: a
    # struct compound literal, say, initializes a scalar probe but no row).
    rows = {name: _string_row(name) if name in strings else _scalar_row(name)
            for name in names if name in strings or name in scalars}
    exe = work / "oracle"
    _accepted(include + _PRINTER_HEAD, rows, ["-o", str(exe)], _PRINTER_TAIL)
    output = subprocess.run([str(exe)], capture_output=True, text=True, check=True).stdout
    return dict(_read_row(line) for line in output.splitlines() if not line.endswith(" other"))


def _generic(name: str, value: Callable[[str], str], otherwise: str = "0") -> str:
    """`value(type)` for a macro of an arithmetic type, `otherwise` for any other."""
    return (f"_Generic(({name}), " + ", ".join(f"{t}: {value(t)}" for t in _ARITHMETIC)
            + f", default: {otherwise})")


def _scalar_row(name: str) -> str:
    kind = _generic(name, lambda t: "'f'" if t in _FLOATING else "'i'", otherwise="'o'")
    values = [f"({name}) < 0", f"(long long)({name})", f"(unsigned long long)({name})",
              f"(double)({name})"]
    selected = (_generic(name, lambda t, v=v: v) for v in values)
    return f'{{"{name}", {kind}, ' + ", ".join(selected) + "},"


def _string_row(name: str) -> str:
    return f'{{"{name}", \'s\', .text = {name}, .size = sizeof({name})}},'


_PRINTER_HEAD = """
static const struct lazybind_oracle_row {
  const char *name; char kind; int negative; long long s; unsigned long long u; double f;
  const char *text; unsigned long size;
} lazybind_oracle_rows[] = {
"""
_PRINTER_TAIL = r"""};
int main(void) {
  for (unsigned long i = 0; i < sizeof lazybind_oracle_rows / sizeof lazybind_oracle_rows[0]; i++) {
    const struct lazybind_oracle_row *r = &lazybind_oracle_rows[i];
    __builtin_printf("%s ", r->name);
    if (r->kind == 's') {
      for (unsigned long j = 0; j + 1 < r->size; j++)
        __builtin_printf("%02x", (unsigned char)r->text[j]);
      __builtin_printf(" string\n");
    } else if (r->kind == 'f') __builtin_printf("%a float\n", r->f);
    else if (r->kind == 'o') __builtin_printf("other\n");
    else if (r->negative) __builtin_printf("%lld int\n", r->s);
    else __builtin_printf("%llu int\n", r->u);
  }
  return 0;
}
"""


def _read_row(line: str) -> Tuple[str, object]:
    name, text, kind = line.split(" ")
    if kind == "string":
        return name, bytes.fromhex(text)
    return name, float.fromhex(text) if kind == "float" else int(text)


def _same(bound, expected) -> bool:
    if isinstance(expected, float):
        both_nan = isinstance(bound, float) and math.isnan(bound) and math.isnan(expected)
        return isinstance(bound, float) and (bound == expected or both_nan)
    return type(bound) is not float and bound == expected


def make_case(header: str, work: Path) -> Case:
    details: list = []
    out = work / "module.py"
    lazybind.generate([header], output=str(out), details=details)
    skipped = {s.name: s.reason for s in details[0].skipped}
    include = _include(header)
    return Case(import_path(out), skipped, cc_constants(include, own_macros(include), work))


def wrongly_bound(case: Case) -> List[str]:
    """Each of cc's constants the module lacks or binds otherwise, and why: an empty list when
    every one is bound with cc's value or skipped for a reason cc does not deny."""
    problems = []
    for name, expected in case.constants.items():
        if hasattr(case.module, name):
            bound = getattr(case.module, name)
            if not _same(bound, expected):
                problems.append(f"{name}: bound as {bound!r}, cc computes {expected!r}")
        elif name not in case.skipped:
            problems.append(f"{name}: neither bound nor skipped, cc computes {expected!r}")
        elif case.skipped[name].startswith(DENIED_BY_CC):
            problems.append(f"{name}: skipped as {case.skipped[name]!r}, cc computes {expected!r}")
    return problems


def _installed(header: str) -> bool:
    return _run_cc(["-fsyntax-only"], f"#include <{header}>\n").returncode == 0


@pytest.fixture(scope="module", params=HEADERS)
def case(request, tmp_path_factory):
    header = request.param
    assert _installed(header), f"{header} is not installed (tcl.h: Debian's tcl-dev; .ci/run installs it)"
    return header, make_case(header, tmp_path_factory.mktemp(header.replace("/", "_")))


def test_every_constant_cc_computes_is_bound_with_its_value_or_honestly_skipped(case):
    header, found = case
    assert found.constants, f"cc computed no constant of {header}: the oracle is broken"
    problems = wrongly_bound(found)
    assert not problems, (f"{header}: {len(problems)} of {len(found.constants)}:\n"
                          + "\n".join(problems))


def test_the_oracle_sees_the_macros_followed_by_multi_line_comments(case):
    header, found = case
    missing = COMMENTED_ON.get(header, set()) - set(found.constants)
    assert not missing, f"cc computes no constant for {sorted(missing)} in {header}"


def test_comments_never_enter_a_macro_body(tmp_path):
    (tmp_path / "comments.h").write_text(COMMENTS)
    found = make_case(str(tmp_path / "comments.h"), tmp_path)
    assert found.constants.items() >= COMMENTS_VALUES.items()  # cc itself, as C is expected to be
    assert {"HERE", "LINE_NUMBER"} <= set(found.constants)  # honestly skipped, being positions
    assert not wrongly_bound(found), wrongly_bound(found)


def test_parameters_with_comments_still_make_a_macro_call(tmp_path):
    header = tmp_path / "call.h"
    header.write_text("#include <string.h>\n"
                      "#define LENGTH(/* the text */ s) strlen(s) /* its length,\n"
                      "   in bytes; not counting the NUL */\n")
    details: list = []
    lazybind.generate([str(header)], library="c", details=details)
    calls = [d.name for d in details[0].declarations if isinstance(d, ir.MacroCall)]
    assert calls == ["LENGTH"]



# clang poses as another compiler: a header may give it another string, floating constant or
# address than it gives cc (and cc's address may be a symbol's, which only the linker knows)
COMPILER_BRANCHES = r"""
extern int lb_somewhere;
#ifdef __clang__
#define WHO "clang"
#define ESCAPED "a\"b\\c\n\x7f\xff"
#define HALF 0.25
#define AT ((void *)16)
#define LINKED ((void *)64)
#else
#define WHO "gcc"
#define ESCAPED "a\"b\\c\n\x7f\xfe"
#define HALF 0.5
#define AT ((void *)32)
#define LINKED ((void *)&lb_somewhere)
#endif
#define SAME "same\xe9\t"
"""


def test_cc_s_strings_floating_constants_and_addresses_win_over_clang_s(tmp_path):
    (tmp_path / "branches.h").write_text(COMPILER_BRANCHES)
    found = make_case(str(tmp_path / "branches.h"), tmp_path)
    assert {"WHO", "ESCAPED", "HALF", "SAME"} <= set(found.constants)  # the oracle sees them
    assert not wrongly_bound(found), wrongly_bound(found)
    address = run_c(tmp_path, '#include <stdio.h>\n#include <stdint.h>\n#include "branches.h"\n'
                    'int main(void) { printf("%ju", (uintmax_t)(uintptr_t)AT); return 0; }',
                    [f"-I{tmp_path}"])
    assert found.module.AT == int(address) == 32
    assert not hasattr(found.module, "LINKED")
    assert found.skipped["LINKED"] == "a pointer constant other than NULL"


# what only the second probe reads (a u8"..." string, a pointer clang gives no plain value for)
# is the compiler's as well
SECOND_PROBE_BRANCHES = r"""
#ifdef __clang__
#define U8TEXT u8"clang"
#define SHIFTED (&((char *)16)[4])
#else
#define U8TEXT u8"gcc"
#define SHIFTED (&((char *)32)[4])
#endif
"""


def test_what_the_second_probe_reads_is_cc_s_too(tmp_path):
    (tmp_path / "second.h").write_text(SECOND_PROBE_BRANCHES)
    found = make_case(str(tmp_path / "second.h"), tmp_path)
    text, address = run_c(tmp_path, '#include <stdio.h>\n#include <stdint.h>\n#include "second.h"\n'
                          'int main(void) { printf("%s %ju", U8TEXT, (uintmax_t)(uintptr_t)SHIFTED); '
                          'return 0; }', [f"-I{tmp_path}"]).split()
    assert (found.module.U8TEXT, found.module.SHIFTED) == (text.encode(), int(address)) == (b"gcc", 36)
    assert not wrongly_bound(found), wrongly_bound(found)


# an enum's constants are the compiler's too: the same #ifdef __clang__ can give them other values
ENUM_BRANCHES = r"""
#ifdef __clang__
enum colour { RED = 1, GREEN = 2 };
enum only_clang { ONLY_CLANG = 5 };
#else
enum colour { RED = 10, GREEN = RED * 2 };
#endif
"""


def test_enum_constants_are_cc_s(tmp_path):
    (tmp_path / "enums.h").write_text(ENUM_BRANCHES)
    found = make_case(str(tmp_path / "enums.h"), tmp_path)
    printed = run_c(tmp_path, '#include <stdio.h>\n#include "enums.h"\n'
                    'int main(void) { printf("%d %d", RED, GREEN); return 0; }', [f"-I{tmp_path}"])
    assert (found.module.RED, found.module.GREEN) == tuple(map(int, printed.split())) == (10, 20)
    assert not hasattr(found.module, "ONLY_CLANG")
    assert found.skipped["ONLY_CLANG"] == "the system C compiler rejects it"
    (colour,) = [d for d in lazybind.inspect([str(tmp_path / "enums.h")]).declarations
                 if d.name == "enum_colour"]
    assert colour.members == (("RED", 10), ("GREEN", 20))


# cc's value, where it is not clang's, passes the checks clang's passes: as far as C's string
# functions read (an embedded NUL), nothing from where it is expanded (__FILE__)
COMPILER_ONLY_FLAWS = r"""
#ifdef __clang__
#define NUL_INSIDE "ab"
#define WIDE_NUL_INSIDE L"ab"
#define WHERE "here"
#define WIDE_WHERE L"here"
#else
#define NUL_INSIDE "a\0b"
#define WIDE_NUL_INSIDE L"a\0b"
#define WHERE __FILE__
#define _WIDEN(s) L ## s
#define WIDEN(s) _WIDEN(s)
#define WIDE_WHERE WIDEN(__FILE__)
#endif
"""


def test_cc_s_strings_are_refused_for_what_clang_s_would_be(tmp_path):
    (tmp_path / "flaws.h").write_text(COMPILER_ONLY_FLAWS)
    found = make_case(str(tmp_path / "flaws.h"), tmp_path)
    assert found.constants["NUL_INSIDE"] == b"a\0b"  # the oracle: cc's own program
    assert found.constants["WHERE"].endswith(b".c")
    assert found.skipped == {
        "NUL_INSIDE": "a string with an embedded NUL byte",
        "WIDE_NUL_INSIDE": "a wide string with an embedded NUL",
        "WHERE": "depends on where it is expanded (__FILE__)",
        "WIDE_WHERE": "depends on where it is expanded (__FILE__)"}
