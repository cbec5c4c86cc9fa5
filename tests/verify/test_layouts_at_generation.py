"""The compiler's answer travels with the module (issue #5): at generation, `cc` confirms clang's
record layouts; a record they disagree on is refused at use; --target is checked by a 32-bit gcc.

The oracle is the system C compiler, asked directly here (not through `lazybind check`)."""

from __future__ import annotations

import ctypes
import os
import subprocess
import sys

import pytest

from lazybind import runtime as rt
from lazybind.verify import check_module
from lazybind.verify.tables import Tables
from conftest import bind_text, import_path, run_c

# clang and gcc see different members: the layout only the C compiler's view can settle
DISAGREEING = r"""
struct agreed { char c; long l; };
struct disputed {
    int a;
#ifdef __clang__
    char only_clang[4];
#endif
    int b;
};
struct holds_disputed { struct disputed inner; int after; };
struct points_to_disputed { struct disputed *p; };
"""

THIRTY_TWO_BIT = r"""
#include <sys/stat.h>
#include <time.h>
struct mixed { char c; long l; void *p; long double ld; long long ll; double d; short s : 3; int x : 7; };
"""


def _meta(path) -> dict:
    return Tables(rt.data_of_file(str(path))).meta


@pytest.fixture(scope="module")
def disputed(tmp_path_factory):
    return bind_text(tmp_path_factory.mktemp("disputed"), "disputed", DISAGREEING)


def test_a_record_the_compiler_disagrees_on_is_refused_with_the_difference(disputed):
    module = import_path(disputed)
    with pytest.raises(module.__lazybind__.LayoutError) as error:
        module.struct_disputed
    message = str(error.value)
    assert "disputed.h:3" in message and "disagree" in message
    assert "struct disputed: C size 8, clang size 12" in message  # gcc's sizeof, clang's
    with pytest.raises(module.__lazybind__.LayoutError):
        module.struct_holds_disputed  # embeds it by value: cannot be right either
    assert ctypes.sizeof(module.struct_points_to_disputed) == 8  # a pointer to it stays usable
    assert module.struct_agreed.l.offset == 8


def test_the_generation_note_and_selftest_name_what_the_compiler_confirmed(disputed):
    module = import_path(disputed)
    assert module.__lazybind__.layouts.startswith("confirmed by the C compiler (gcc")
    # max_align_t (stddef.h), agreed, points_to_disputed; not disputed nor the one holding it
    assert "3 of 5 records" in module.__lazybind__.layouts
    problems = module.__lazybind__.selftest()
    assert any("struct_disputed" in p and "disagree" in p for p in problems), problems


# a record the walk does not see (--scope named): a macro brings in another file's function
BROUGHT_BY_A_MACRO = r"""
#include "late.h"
#define use_late late_use
struct early { char c; long l; };
"""
LATE = r"""
struct late {
    int a;
#ifdef __clang__
    char only_clang[4];
#endif
    int b;
};
int late_use(struct late *);
"""


def _layout_runs(monkeypatch, started=None):
    """The compiler runs confirming layouts during generation, each the records it confirmed;
    `started` (a threading.Event) is set as one begins."""
    import lazybind.verify as verify

    runs, confirm = [], verify.confirm_layouts

    def counted(data, base_dir, types, precompiled=None):
        if started is not None:
            started.set()
        confirmation = confirm(data, base_dir, types, precompiled)
        runs.append(confirmation.planned)
        return confirmation

    monkeypatch.setattr(verify, "confirm_layouts", counted)
    return runs


def test_layouts_are_confirmed_once_while_the_macros_are_evaluated(tmp_path, monkeypatch):
    import threading

    import lazybind.parse as parse

    started, evaluate = threading.Event(), parse.evaluate_macros
    runs = _layout_runs(monkeypatch, started)

    def after_the_layouts_started(*args, **kwargs):
        assert started.wait(30), "the layouts were not being confirmed before the macros"
        return evaluate(*args, **kwargs)

    monkeypatch.setattr(parse, "evaluate_macros", after_the_layouts_started)
    path = bind_text(tmp_path, "once", DISAGREEING)
    assert len(runs) == 1 and "struct_disputed" in runs[0]
    assert "3 of 5 records" in _meta(path)["layouts"]


def test_a_record_a_macro_brings_in_is_confirmed_too(tmp_path, monkeypatch):
    runs = _layout_runs(monkeypatch)
    (tmp_path / "late.h").write_text(LATE)
    module = import_path(bind_text(tmp_path, "brought", BROUGHT_BY_A_MACRO, scope="named"))
    assert "struct_late" not in runs[0] and "struct_late" in runs[-1], runs
    assert module.__lazybind__.layouts.endswith(": 1 of 2 records"), module.__lazybind__.layouts
    with pytest.raises(module.__lazybind__.LayoutError, match="struct late: C size 8, clang size 12"):
        module.struct_late
    assert module.struct_early.l.offset == 8


# a typedef the walk does not see (--scope named) and no record with it: a macro brings in
# another file's function taking it by value
BROUGHT_WITH_A_TYPEDEF = r"""
#include "late_word.h"
#define use_word late_take
struct early { char c; long l; };
"""
LATE_WORD = r"""
#ifdef __clang__
typedef int late_word;
#else
typedef long late_word;
#endif
long late_take(late_word);
"""


def test_a_typedef_a_macro_brings_in_is_confirmed_too(tmp_path):
    (tmp_path / "late_word.h").write_text(LATE_WORD)
    module = import_path(bind_text(tmp_path, "word", BROUGHT_WITH_A_TYPEDEF, scope="named",
                                   library="c"))
    for name in ("late_word", "late_take", "use_word"):
        with pytest.raises(module.__lazybind__.LayoutError, match="late_word: C size 8, clang size 4"):
            getattr(module, name)


def test_check_reports_the_refused_record_and_no_mismatch(disputed):
    report = check_module(disputed)
    assert report.ok, report.text()
    assert any(r.subject == "struct disputed" for r in report.refused), report.text()


def test_without_a_compiler_generation_works_and_says_layouts_are_unconfirmed(tmp_path):
    header = tmp_path / "plain.h"
    header.write_text("struct s { char c; double d; };\n")
    out = tmp_path / "plain_ffi.py"
    builtin = subprocess.run(["cc", "-print-file-name=include"], capture_output=True, text=True)
    env = {**os.environ, "PATH": str(tmp_path), "PYTHONPATH": os.pathsep.join(sys.path),
           "LAZYBIND_BUILTIN_INCLUDE": builtin.stdout.strip()}  # clang's stddef.h, but no cc
    env.pop("CC", None)
    result = subprocess.run([sys.executable, "-m", "lazybind.cli", "generate", str(header),
                             "-o", str(out)], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    assert _meta(out)["layouts"].startswith("clang's, not confirmed")
    assert import_path(out).struct_s.d.offset == 8


@pytest.fixture(scope="module")
def i686_module(tmp_path_factory):
    return bind_text(tmp_path_factory.mktemp("i686"), "abi32", THIRTY_TWO_BIT,
                     target="i686-linux-gnu")


def test_a_32_bit_target_is_confirmed_and_checked_by_gcc_m32(i686_module):
    assert _meta(i686_module)["layouts"].startswith("confirmed by the C compiler (gcc, i686")
    report = check_module(i686_module)
    assert report.ok and report.compiler.endswith("-m32"), report.text()
    assert report.counts["records"] >= 5 and report.counts["fields"] >= 40, report.summary()


def _record_layout(path, name):
    tables = Tables(rt.data_of_file(str(path)))
    record = tables.record(tables.index[name])
    return [record.size, record.align], {f.name: f.offset_bits // 8 for f in record.fields}


def test_32_bit_tables_equal_what_gcc_m32_computes(i686_module, tmp_path):
    program = r"""
#include <stdio.h>
#include <stddef.h>
#include <sys/stat.h>
struct mixed { char c; long l; void *p; long double ld; long long ll; double d; short s : 3; int x : 7; };
int main(void) {
    printf("%zu %zu %zu %zu\n", sizeof(struct stat), _Alignof(struct stat),
           offsetof(struct stat, st_size), offsetof(struct stat, st_mtim));
    printf("%zu %zu %zu %zu\n", sizeof(struct mixed), offsetof(struct mixed, ld),
           offsetof(struct mixed, ll), offsetof(struct mixed, d));
    return 0;
}
"""
    stat_line, mixed_line = run_c(tmp_path, program, args=("-m32",)).split("\n")[:2]
    (size, align), offsets = _record_layout(i686_module, "struct_stat")
    assert [size, align, offsets["st_size"], offsets["st_mtim"]] == [int(v) for v in stat_line.split()]
    (size, _), offsets = _record_layout(i686_module, "struct_mixed")
    assert [size, offsets["ld"], offsets["ll"], offsets["d"]] == [int(v) for v in mixed_line.split()]
    assert size == 44  # i386: long double is 12 bytes, long long and double 4-aligned


# clang and gcc size a typedef or an enum otherwise (a function taking one by value would be
# called wrongly)
DISAGREEING_TYPES = r"""
#include <stddef.h>
#ifdef __clang__
typedef int word;
typedef int count;
enum small { SMALL_ONE = 1 };
extern int tally;
#else
typedef long word;
typedef unsigned count;
enum small { SMALL_ONE = 1, SMALL_BIG = 0x100000000 };
extern long tally;
#endif
typedef word *word_pointer;
size_t strlen(const char *s);
word strlen_word(word w);
void free(word *memory);
struct holds_word { word w; };
"""


def test_a_typedef_or_enum_the_compiler_sizes_otherwise_is_refused_and_what_passes_it(tmp_path):
    module = import_path(bind_text(tmp_path, "types", DISAGREEING_TYPES, library="c"))
    sizes = run_c(tmp_path, '#include <stdio.h>\n#include "types.h"\nint main(void) { '
                  'printf("%zu %zu %d", sizeof(word), sizeof(enum small), (count)-1 < 0); return 0; }',
                  [f"-I{tmp_path}"])
    assert sizes.split() == ["8", "8", "0"]  # gcc's (clang's: 4, 4, and a signed count)
    for name in ("word", "enum_small", "strlen_word", "struct_holds_word", "count", "tally"):
        with pytest.raises(module.__lazybind__.LayoutError, match="disagree"):
            getattr(module, name)
    assert module.free.argtypes == (ctypes.c_void_p,)  # a pointer to it keeps its address
    assert module.strlen(b"abc") == 3  # the rest is bound as ever
    assert check_module(str(tmp_path / "types_ffi.py")).mismatches == []


def test_check_sees_a_typedef_of_another_signedness(tmp_path, monkeypatch):
    import lazybind.api as api

    monkeypatch.setattr(api, "_with_refusals", lambda declarations, disagreements: declarations)
    bind_text(tmp_path, "unrefused", DISAGREEING_TYPES)  # as a module with clang's types
    report = check_module(str(tmp_path / "unrefused_ffi.py"))
    found = {finding.subject: finding.message for finding in report.mismatches}
    assert found["typedef count"] == "C unsigned, module signed", found
    assert found["typedef word"] == "C size 8, module size 4", found


def test_disputes_known_before_the_encoding_or_after_give_the_same_module(tmp_path, monkeypatch):
    import lazybind.api as api

    def waited(layouts, records):  # the early confirmation in before the encoding: refused first
        return layouts._confirming.result() if layouts._covers(records) else None

    monkeypatch.setattr(api._Layouts, "settled", waited)
    before = bind_text(tmp_path, "same", DISAGREEING_TYPES).read_bytes()
    # still running at the encoding: encoded, then refused and encoded again
    monkeypatch.setattr(api._Layouts, "settled", lambda layouts, records: None)
    after = bind_text(tmp_path, "same", DISAGREEING_TYPES).read_bytes()
    assert b"#:X" in before and before == after


def test_the_cli_summary_counts_refused_records_and_verbose_names_them(tmp_path):
    header = tmp_path / "disputed.h"
    header.write_text(DISAGREEING)
    result = subprocess.run([sys.executable, "-m", "lazybind.cli", "generate", str(header), "-o",
                             str(tmp_path / "d_ffi.py"), "-v"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    summary = result.stderr.splitlines()[0]
    # counted once: not again as what ctypes cannot express
    assert summary.endswith("; 2 records refused at use (the C compiler disagrees with clang)")
    assert "disputed.h:3:8: refused struct_disputed: the C compiler" in result.stderr


def test_the_summary_counts_what_passes_a_disputed_type_with_it(tmp_path):
    header = tmp_path / "passes.h"
    header.write_text(DISAGREEING_TYPES + "__int128 lb_big(__int128);\n")
    result = subprocess.run([sys.executable, "-m", "lazybind.cli", "generate", str(header), "-o",
                             str(tmp_path / "p_ffi.py"), "-l", "c"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    summary = result.stderr.splitlines()[0]
    # word, count, enum small, tally and holds_word are disputed, strlen_word passes word by
    # value; lb_big is ctypes' limit alone
    assert "; 1 more passing them by value)" in summary, summary
    assert summary.endswith("; 1 refused at use (ctypes cannot express them)"), summary


def test_a_32_bit_module_imported_here_gives_constants_and_refuses_the_rest(i686_module):
    module = import_path(i686_module)
    assert module.CLOCKS_PER_SEC == 1000000  # constants are the target's values, usable anywhere
    for name in ("struct_mixed", "stat", "time_t"):
        with pytest.raises(TypeError, match="generated with --target i686-linux-gnu"):
            getattr(module, name)


def test_a_type_the_module_leaves_out_does_not_stop_the_early_confirmation(tmp_path):
    # a name no module can hold, excluded: the types confirmed early include it, the module not
    long_name = "T" + "x" * 1100
    header = f"typedef struct {{ char c; long l; }} {long_name};\nstruct kept {{ char c; long l; }};\n"
    module = import_path(bind_text(tmp_path, "excluded", header, exclude="^T"))
    assert module.__lazybind__.layouts.endswith(": 2 of 2 records"), module.__lazybind__.layouts
    assert module.struct_kept.l.offset == 8
