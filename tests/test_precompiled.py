"""The headers precompiled for the C compiler's runs at generation (lazybind.precompiled): both
runs read the precompiled form, it changes nothing they compute, and nothing of it is left."""

from __future__ import annotations

import tempfile

import pytest

import lazybind
from lazybind import objdata, parse, precompiled
from lazybind.precompiled import WRAPPER

# a macro and an enumerator gcc computes otherwise than clang, and a record and a typedef whose
# layouts the compiler confirms: both runs have work that shows in the module
HEADER = """\
#include <zlib.h>
#ifdef __clang__
#define LB_ANSWER 1
enum lb_colour { LB_RED = 1 };
#else
#define LB_ANSWER 10
enum lb_colour { LB_RED = 10 };
#endif
struct lb_pair { char tag; long long value; };
typedef struct lb_pair lb_pair_t;
"""


def _generate(tmp_path):
    header = tmp_path / "lb_pch.h"
    header.write_text(HEADER)
    return lazybind.generate([str(header)], library="z")


def _runs_reading(tmp_path, monkeypatch, spare):
    """Each compiler run of a generation, with what gcc's -H says it read, a core to spare or
    not (`spare`). -H marks a precompiled header it reads with `!`, and one it finds invalid for
    the run's options with `x`."""
    runs = []
    compile_object = objdata.compile_object

    def compile_telling_what_it_reads(command, flags, source_path, timeout=600):
        done, data = compile_object(command, [*flags, "-H"], source_path, timeout)
        runs.append((source_path, done.stderr))
        return done, data

    monkeypatch.setattr(objdata, "compile_object", compile_telling_what_it_reads)
    monkeypatch.setattr(precompiled, "core_to_spare", lambda: spare)
    module = _generate(tmp_path)
    assert {path.rsplit("/", 1)[1] for path, _ in runs} == {
        "__lazybind_probe__.c", "__lazybind_check__.c"}  # the macro values', the layouts'
    return module, [(path, [line for line in stderr.splitlines() if WRAPPER in line])
                    for path, stderr in runs]


def test_both_compiler_runs_read_the_precompiled_headers(tmp_path, monkeypatch):
    _, runs = _runs_reading(tmp_path, monkeypatch, spare=True)
    for path, read in runs:
        precompiled_read = [line for line in read if line.endswith(".gch")]
        assert precompiled_read and all(line.startswith("! ") for line in precompiled_read), (
            path, read)


def test_a_machine_without_a_core_to_spare_builds_none(tmp_path, monkeypatch):
    """It would cost more processor time than it saves: the runs read the headers' text."""
    module, runs = _runs_reading(tmp_path, monkeypatch, spare=False)
    for path, read in runs:
        assert read and not any(line.endswith(".gch") for line in read), (path, read)
    monkeypatch.setattr(parse, "headers_ahead", lambda options: None)
    assert _generate(tmp_path) == module


def test_they_change_nothing_the_module_holds(tmp_path, monkeypatch):
    monkeypatch.setattr(precompiled, "core_to_spare", lambda: True)
    with_them = _generate(tmp_path)
    assert "LB_ANSWER" in with_them
    monkeypatch.setattr(parse, "headers_ahead", lambda options: None)
    assert _generate(tmp_path) == with_them


def test_nothing_is_left_in_the_temporary_directory(tmp_path, monkeypatch):
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    _generate(tmp_path)
    assert list(scratch.iterdir()) == []


@pytest.mark.parametrize("spare", [True, False])
def test_a_header_named_from_the_working_directory_is_found_by_every_run(tmp_path, monkeypatch, spare):
    """The wrapper lies in a directory of its own: a header it names by a path relative to the
    working directory must be found from there by every run, with the precompiled form or
    without. Without it (a machine with no core to spare: two generations at once on two cores),
    the layouts' run did not find it, and the layouts went unconfirmed."""
    (tmp_path / "include").mkdir()
    (tmp_path / "include" / "lb_pch.h").write_text(HEADER)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(precompiled, "core_to_spare", lambda: spare)
    module = lazybind.generate(["include/lb_pch.h"], library="z")
    assert '"layouts": "confirmed by the C compiler' in module
    monkeypatch.setattr(parse, "headers_ahead", lambda options: None)
    assert lazybind.generate(["include/lb_pch.h"], library="z") == module
