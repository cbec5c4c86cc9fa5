"""Macros a probe must not take as they are (found by the Windows corpus in mingw-w64's yvals.h).

- C++'s `::` in a macro's expansion: libclang 18, parsing C, never returns from `(::f())`, and a
  probe puts every macro in parentheses. Such macros are left out of the probes, through other
  macros and other files too, so generation ends; the others keep their values.
- A wide string made of __FILE__ (`__FILEW__`): its value is where the probe expands it, not a
  constant of the header. It is skipped, as the narrow __FILE__ already is.
- A list of values reached through other macros (OpenSSL's `#define OBJ_internet OBJ_iana`, whose
  expansion is `1L,3L,6L,1L`): clang folds it with the comma operator, cc rejects it as no
  constant and had to run again without it. It is left out before the probes, and cc runs once.

Generation runs in a subprocess with a time limit: a regression fails, it does not hang the suite.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

OTHER = """\
#define SCOPED_CALL(x) ::report(x)
#define PLAIN_OTHER 7
"""

HEADER = """\
#include "other.h"
void report(const char *what);
#define KEPT (3 << 2)
#define DIRECT (::report)
#define THROUGH_OTHER SCOPED_CALL("invalid argument")
#define TWICE THROUGH_OTHER
#define STRING_WITH_COLONS "a::b"
#define WIDEN_(s) L ## s
#define WIDEN(s) WIDEN_(s)
#define FILE_WIDE WIDEN(__FILE__)
#define WIDE_TEXT WIDEN("text")
#define BARRIER __asm__ __volatile__("" ::: "memory")
#define OID_BASE 1L,3L,6L
#define OID_ALIAS OID_BASE
#define OID_PAREN (OID_ALIAS)
#define OID_COUNT sizeof(long[3])
"""

GENERATE = """
import json, sys
import lazybind
from lazybind import ir, objdata
compiled = []
compile_object = objdata.compile_object
def counting(command, flags, source_path, *rest):
    compiled.append(source_path.rpartition("/")[2])
    return compile_object(command, flags, source_path, *rest)
objdata.compile_object = counting
declarations = lazybind.inspect([sys.argv[2]], include_dirs=["."], scope=sys.argv[1])
print(json.dumps({
    "constants": {d.name: d.value if not isinstance(d.value, bytes) else d.value.decode()
                  for d in declarations.declarations if isinstance(d, ir.Constant)},
    "skipped": {s.name: s.reason for s in declarations.skipped},
    "compiled": compiled,
}))
"""


def _inspect(tmp_path, scope, header="hazards.h", env=None):
    (tmp_path / "other.h").write_text(OTHER)
    (tmp_path / "hazards.h").write_text(HEADER)
    done = subprocess.run([sys.executable, "-c", GENERATE, scope, header], cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_cxx_scope_operator_is_left_out_and_generation_ends(tmp_path):
    for scope in ("all", "named"):
        found = _inspect(tmp_path, scope)
        for name in ("DIRECT", "THROUGH_OTHER", "TWICE"):
            assert "C++'s `::`" in found["skipped"][name], (scope, name)
        assert found["constants"]["KEPT"] == 12
        assert found["constants"]["STRING_WITH_COLONS"] == "a::b"  # in a literal, `::` is text
        # an asm statement's colons are no scope operator: probed, and no expression
        assert found["skipped"]["BARRIER"].startswith("not a constant"), found["skipped"]["BARRIER"]


def test_wide_file_name_is_no_constant(tmp_path):
    found = _inspect(tmp_path, "all")
    assert found["skipped"]["FILE_WIDE"] == "depends on where it is expanded (__FILE__)"
    assert found["constants"]["WIDE_TEXT"] == "text"


def test_a_list_of_values_through_other_macros_is_left_out_before_cc(tmp_path):
    found = _inspect(tmp_path, "all")
    # the compiler recomputed the integers in one run: nothing it rejects was given to it
    assert found["compiled"] == ["__lazybind_probe__.c"]
    assert found["skipped"]["OID_BASE"] == "not an expression"
    for name in ("OID_ALIAS", "OID_PAREN"):
        assert "a list of values" in found["skipped"][name], name
    assert found["constants"]["OID_COUNT"] == 24


def test_a_list_in_another_file_is_left_out_with_scope_named(tmp_path):
    # no `::` anywhere: the other files' macros are followed all the same; without a C compiler
    # to reject it, the list would have become its last value (clang's comma operator)
    (tmp_path / "lists.h").write_text("#define OTHER_LIST 1L,3L,6L\n")
    (tmp_path / "named.h").write_text('#include "lists.h"\n#define MY_LIST OTHER_LIST\n#define MY_VALUE 5\n')
    no_compiler = {**os.environ, "CC": str(tmp_path / "no-such-cc")}
    for env in (None, no_compiler):
        found = _inspect(tmp_path, "named", "named.h", env)
        assert "a list of values" in found["skipped"].get("MY_LIST", ""), found
        assert found["constants"]["MY_VALUE"] == 5
    assert found["compiled"] == []  # (the run without a compiler compiled nothing)
