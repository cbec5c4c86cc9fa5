"""Making the suite's calls in a child process, so that a wrong call that crashes (C writing a
record through what it takes for the hidden result pointer) is reported, not fatal.

`run(module, seed, count, names)` starts `python -m conformance.runner`, which draws the same
suite, imports the generated module and calls the named functions (calls.Caller), printing one
JSON line as each call starts and one with its outcome. When the child dies or a call hangs,
the function it was calling is reported as crashed and a new child goes on with the next.

`unguarded=True` first replaces, in the module's own copy of the runtime, the check that
refuses the signatures ctypes passes wrongly (runtime `_record_misrouted`) with one that
refuses nothing: how the suite shows what that check prevents. A child stops after a wrong call
returning a record, since C may have written it through a pointer it was wrongly handed (the
library's functions write nowhere else but their log).
"""

from __future__ import annotations

import faulthandler
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

GUARD = "_record_misrouted"  # the runtime function Binding._signature calls on each signature
CALL_SECONDS = 3  # a call takes microseconds, its first use milliseconds
SETUP_SECONDS = 120
TESTS = Path(__file__).resolve().parent.parent


def run(module: Path, seed: int, count: int, names: List[str], unguarded: bool = False,
        python: str = sys.executable) -> Dict[str, dict]:
    """{name: {"refused": why or "", "problems": [...]}} for each of `names`."""
    outcomes: Dict[str, dict] = {}
    pending = list(names)
    environment = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(TESTS)] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p]))
    while pending:
        command = [python, "-m", "conformance.runner", str(module), str(seed), str(count)]
        child = subprocess.run(command + (["--unguarded"] if unguarded else []),
                               input="\n".join(pending), capture_output=True, text=True,
                               env=environment, cwd=str(TESTS))
        started = None
        for line in child.stdout.splitlines():
            record = json.loads(line)
            if "start" in record:
                started = record["start"]
            else:
                outcomes[record.pop("name")] = record
        if started is None:
            raise RuntimeError("the conformance runner failed before a call:\n" + child.stderr)
        if started not in outcomes:
            outcomes[started] = {"refused": "", "problems": [
                "the call crashed or hung the process (exit status %d): %s" % (
                    child.returncode, (child.stderr.strip().splitlines() or [""])[0])]}
        pending = pending[pending.index(started) + 1:]
    return outcomes


def _main(arguments: List[str]) -> None:
    from .calls import Caller
    from .model import Record, draw_suite

    faulthandler.dump_traceback_later(SETUP_SECONDS, exit=True)
    module_path, seed, count = arguments[0], int(arguments[1]), int(arguments[2])
    spec = importlib.util.spec_from_file_location("lb_conformance", module_path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # lazybind need not be installed: the module is stdlib-only
    if "--unguarded" in arguments:
        runtime = type(module.__lazybind__).__init__.__globals__
        runtime["_need"]("abi")  # the check's part, loaded now so that it is not loaded again
        runtime[GUARD] = lambda *args: None
    suite = draw_suite(seed, count)
    caller = Caller(module, suite)
    for name in sys.stdin.read().split():
        # re-armed for each call, never disarmed: a hang, in a call or after one that wrote
        # where it should not have, ends the child as a crash would
        faulthandler.dump_traceback_later(CALL_SECONDS, exit=True)
        print(json.dumps({"start": name}), flush=True)
        try:
            outcome = caller.call(suite.by_name(name))
            refused, problems = outcome.refused, outcome.problems
        except Exception as error:  # e.g. ctypes rejecting an argument a user may pass
            refused, problems = "", ["raised %s: %s" % (type(error).__name__, error)]
        print(json.dumps({"name": name, "refused": refused, "problems": problems}), flush=True)
        if problems and isinstance(suite.by_name(name).result, Record):
            break  # C may have written its result through a wrong pointer: start afresh
    os._exit(0)  # nor may finalizing a process C wrote into at random hang or crash it


if __name__ == "__main__":
    _main(sys.argv[1:])
