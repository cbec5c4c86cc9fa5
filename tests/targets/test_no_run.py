"""Verified without running anything: the probes are compiled to an object file and read, for
this machine as for a cross target (aarch64 here, by its Debian cross compiler)."""

from __future__ import annotations

import stat

import lazybind
from conftest import bind_text, import_path
from lazybind.verify import check_module

from .conftest import ARM64, cross_gcc, oracle_ints

HEADER = """\
#include <stddef.h>
struct mixed { char c; long l; long double ld; wchar_t w; char bits : 3; unsigned u : 5;
               signed char s : 2; struct { int q : 4; }; };
union both { long double d; char text[20]; };
#define LONG_MAX_HERE __LONG_MAX__
#define A_STRING "tab\\there"
#define A_WIDE L"wide \\u00e9"
#define A_DOUBLE 2.5e-3
#define NEGATIVE (-7)
#define NOTHING ((void *)0)
#define AN_ADDRESS ((void *)-1)
"""

COMPILER_ONLY = """#!/bin/sh
# the C compiler, but it refuses to link: a check that needed to run a program would fail
echo "$@" >> "{log}"
for argument in "$@"; do
  case "$argument" in -c|-fsyntax-only|-E|-dumpmachine|--version|-print-*|-v) exec {cc} "$@";; esac
done
echo "lazybind must not link: $*" >&2
exit 1
"""


def test_aarch64_is_verified_by_its_cross_compiler(tmp_path):
    cross_gcc(ARM64)
    path = bind_text(tmp_path, "arm", HEADER, target=ARM64)
    report = check_module(path)
    assert report.ok, report.text()
    assert report.compiler == ARM64 + "-gcc" and report.target == ARM64
    assert report.counts["records"] >= 3 and report.counts["constants"] >= 7, report.summary()
    declarations = lazybind.inspect([str(tmp_path / "arm.h")], target=ARM64)
    mixed = {d.name: d for d in declarations.declarations}["struct_mixed"]
    theirs = oracle_ints(ARM64, ["stddef.h", str(tmp_path / "arm.h")],
                         ["sizeof(struct mixed)", "_Alignof(struct mixed)",
                          "__builtin_offsetof(struct mixed, ld)", "(char)-1 < 0"], tmp_path)
    assert [mixed.size, mixed.align, [f.offset_bits // 8 for f in mixed.fields
                                      if f.name == "ld"][0]] == theirs[:3]
    assert theirs[3] == 0  # aarch64's char is unsigned: the bitfield probe's sign is gcc's


def test_a_check_compiles_and_never_links_or_runs(tmp_path, monkeypatch):
    """With a compiler that refuses to link, generation and check still confirm everything."""
    log = tmp_path / "cc.log"
    wrapper = tmp_path / "cc-no-link"
    wrapper.write_text(COMPILER_ONLY.format(log=log, cc="cc"))
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("CC", str(wrapper))
    # no wide string here: the runtime has yet to read their "w" values (issue 18, its part)
    path = bind_text(tmp_path, "host", HEADER.replace('#define A_WIDE L"wide \\u00e9"\n', ""))
    report = check_module(path)
    assert report.ok and report.counts["fields"] >= 7 and report.counts["constants"] >= 6, \
        report.text()
    assert " -c " in log.read_text()
    layouts = import_path(path).__lazybind__.layouts
    assert layouts.startswith("confirmed by the C compiler (gcc, x86_64"), layouts
