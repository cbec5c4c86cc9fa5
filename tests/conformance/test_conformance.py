"""Call conformance against C (issue 16): every function lazybind lets through is called exactly
as C expects, and every one it refuses is one ctypes/libffi would call wrongly.

One library per module run: model.py draws the suite from LAZYBIND_CONFORMANCE_SEED (16) with
LAZYBIND_CONFORMANCE_COUNT (300) random signatures, harness.py writes it as a header and a C
file and compiles it, lazybind binds the header, and runner.py makes the calls (calls.py) in a
child process, under LAZYBIND_CONFORMANCE_PYTHON if set (another CPython; the module is
stdlib-only). README.md says what is covered and the rule the refusals follow.
"""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import sys
from collections import Counter

import pytest

import lazybind
from lazybind import runtime as lazybind_runtime

from . import harness, runner
from .model import Record, draw_suite

pytestmark = pytest.mark.skipif(shutil.which("cc") is None, reason="needs a C compiler (cc)")

SEED = int(os.environ.get("LAZYBIND_CONFORMANCE_SEED", "16"))
COUNT = int(os.environ.get("LAZYBIND_CONFORMANCE_COUNT", "300"))
PYTHON = os.environ.get("LAZYBIND_CONFORMANCE_PYTHON", sys.executable)
# =1: the calls are made with the runtime's check switched off, to see the suite fail without it
UNGUARDED = os.environ.get("LAZYBIND_CONFORMANCE_UNGUARDED") == "1"
SYSV_X86_64 = lazybind_runtime._SYSV_X86_64

# what the runtime's refusal says (runtime `_record_misrouted`), and its last-register rule
REFUSAL = re.compile(r"^UnsupportedTypeError: (\w+): ctypes/libffi passes (struct|union) (r\d+) "
                     r"by value wrongly here: (.*)$")
LAST_REGISTER = "copies all of it into the last integer register"


@pytest.fixture(scope="module")
def suite():
    return draw_suite(SEED, COUNT)


@pytest.fixture(scope="module")
def module_path(suite, tmp_path_factory):
    directory = tmp_path_factory.mktemp("conformance")
    header, library = harness.build(suite, directory)
    path = directory / "lb_ffi.py"
    lazybind.generate([str(header)], library=str(library), output=str(path))
    return path


@pytest.fixture(scope="module")
def outcomes(suite, module_path):
    return runner.run(module_path, SEED, COUNT, [s.name for s in suite.signatures], python=PYTHON,
                      unguarded=UNGUARDED)


@pytest.fixture(scope="module")
def refused(outcomes):
    """{name: (record tag, why)} of the functions the runtime refused as called wrongly."""
    found = {}
    for name, outcome in outcomes.items():
        match = REFUSAL.match(outcome["refused"])
        if match:
            assert match.group(1) == name, outcome["refused"]
            found[name] = match.group(3), match.group(4)
    return found


@pytest.fixture(scope="module")
def unguarded(suite, module_path, refused):
    """The refused functions' outcomes with the refusal switched off, and their records' probes'."""
    names = set(refused) | {probe for tag, _ in refused.values()
                            for probe in ("take_" + tag, "give_" + tag)}
    return runner.run(module_path, SEED, COUNT,
                      [s.name for s in suite.signatures if s.name in names],
                      unguarded=True, python=PYTHON)


def _report(suite, outcomes, names):
    return "\n".join("%s\n    %s" % (suite.by_name(n).describe(), "\n    ".join(
        outcomes[n]["problems"])) for n in names)


def test_every_call_is_right_or_refused(suite, outcomes):
    wrong = [name for name, outcome in outcomes.items() if outcome["problems"]]
    assert not wrong, "%d of %d calls wrong (seed %d):\n%s" % (
        len(wrong), len(outcomes), SEED, _report(suite, outcomes, wrong))


def test_refusals_are_named_errors(suite, outcomes, refused):
    """A function is refused by the call check (naming it and a record it passes or returns by
    value) or because a record it uses cannot be laid out (LayoutError, naming the record)."""
    for name, outcome in outcomes.items():
        if name in refused:
            sig = suite.by_name(name)
            tags = {t.tag for t in sig.params + [sig.result] if isinstance(t, Record)}
            assert refused[name][0] in tags, outcome["refused"]
        elif outcome["refused"]:
            assert outcome["refused"].startswith("LayoutError: "), outcome["refused"]
    if not SYSV_X86_64:
        assert not refused, "the x86-64 System V rule applied on another ABI"


@pytest.mark.skipif(not SYSV_X86_64, reason="issue 16's rule is x86-64 System V's")
def test_regressions(suite, outcomes, refused):
    """The fixed cases (model.regressions)."""
    j, i, h, _, packed_union, _, packed_array = suite.records[-7:]
    assert refused["issue16_j"] == (j.tag, refused["issue16_j"][1])
    assert LAST_REGISTER in refused["issue16_j"][1]
    assert refused["issue16_h"][0] == i.tag and LAST_REGISTER in refused["issue16_h"][1]
    assert outcomes["issue16_j_alone"] == {"refused": "", "problems": []}
    assert refused["take_" + h.tag][1] == "C passes its eightbytes as MEMORY, libffi as (SSE, SSE)"
    assert refused["take_" + packed_union.tag][1] == (
        "C passes its eightbytes as MEMORY, libffi as (INTEGER, INTEGER)")
    assert outcomes["take_" + packed_array.tag] == {"refused": "", "problems": []}


@pytest.mark.skipif(not SYSV_X86_64, reason="issue 16's rule is x86-64 System V's")
def test_refused_calls_are_wrong_without_the_check(suite, module_path, refused, unguarded):
    """With the check off, each refused call goes wrong; or, where the rule is conservative (a
    record that would have gone on the stack anyway), the record it names goes wrong in one of
    its probes, or is aligned otherwise in ctypes than in C, as the refusal says."""
    unconfirmed = []
    for name, (tag, why) in sorted(refused.items()):
        if unguarded[name]["problems"]:
            continue
        probes_wrong = any(unguarded.get(p + tag, {}).get("problems") for p in ("take_", "give_"))
        if LAST_REGISTER not in why and (probes_wrong or _alignment_differs(
                module_path, suite, tag, why)):
            continue
        unconfirmed.append("%s: %s" % (suite.by_name(name).describe(), why))
    assert not unconfirmed, "refused, yet called right without the check:\n" + "\n".join(
        unconfirmed)


def _alignment_differs(module_path, suite, tag, why):
    match = re.match(r"aligned to (\d+) bytes in C, (\d+) in ctypes", why)
    if not match:
        return False
    library = ctypes.CDLL(str(module_path.with_name("liblb.so")))
    record = next(r for r in suite.records if r.tag == tag)
    return library.lb_alignof(record.number) == int(match.group(1)) != int(match.group(2))


def test_the_suite_covers_what_it_claims(suite, outcomes, refused):
    """Enough right calls of every kind, so that a suite that stopped calling would fail."""
    right = [suite.by_name(n) for n, o in outcomes.items()
             if not o["refused"] and not o["problems"]]
    kinds = Counter()
    for sig in right:
        kinds["variadic"] += bool(sig.varargs)
        kinds["callback"] += sig.callback is not None
        kinds["record result"] += isinstance(sig.result, Record)
        kinds["record parameter"] += any(isinstance(p, Record) for p in sig.params)
        kinds["spills to the stack"] += len(sig.params) > 8
        for t in sig.params + [sig.result]:
            if isinstance(t, Record):
                kinds["union"] += t.union
                kinds["packed"] += "packed" in t.attribute
                kinds["bitfield"] += any(m.bits for m in t.members)
                kinds["array member"] += any(m.length for m in t.members)
            elif t is not None:
                kinds[t.spelling] += 1
    scale = COUNT / 300
    for kind in ("variadic", "callback", "record result", "record parameter",
                 "spills to the stack", "union", "packed", "bitfield", "array member",
                 "_Bool", "long double", "const char *", "int *", "float", "unsigned char"):
        assert kinds[kind] >= 5 * scale, "only %d right calls with %s" % (kinds[kind], kind)
    print("\nconformance seed %d: %d calls, %d right, %d refused as called wrongly by ctypes, "
          "%d refused for their records' layout" % (
              SEED, len(outcomes), len(right), len(refused),
              sum(bool(o["refused"]) for o in outcomes.values()) - len(refused)))
