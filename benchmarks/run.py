#!/usr/bin/env python3
"""lazybind side by side with hand-written ctypes, ctypesgen, clang2py (ctypeslib2) and cffi.

    python benchmarks/run.py            # full run (a few minutes on 2 cores)
    python benchmarks/run.py --quick    # fewer repeats, scaling without ctypesgen at 100k
    python benchmarks/run.py --render   # only RESULTS.md and the plot, from the last run's data
    python benchmarks/run.py --compiled # only the compiled fast path's section (compiled.py)

Installs what it needs if missing (ctypesgen, cffi and matplotlib with pip into this
environment; ctypeslib2 with the `clang` bindings matching our libclang into a venv of its own,
because the `clang` package would overwrite the `clang` module that the `libclang` wheel
provides; the -dev packages of the headers with apt-get when run as root), generates bindings
with every tool into benchmarks/_work/, measures them and writes benchmarks/RESULTS.md and
benchmarks/scaling.png. All figures come from this one run on this one machine.

The one entry point of the suite; the parts, each in its own module:

    suite.py     what is measured: headers, tools, floors, how many runs
    peers.py     the peers installed, and every tool's bindings generated
    measure.py   counts, imports, first calls, steady calls (probe.py, steady.py: child processes)
    first_use.py import + first use of two names, and a further name, beside hand ctypes
    report.py    RESULTS.md from the measurements (with goals.py, plot.py, report_compiled.py)
    compiled.py  the compiled fast path, measured on its own (--compiled)
    common.py    paths, the log, running a child process; formats.py: how figures are written
"""

import argparse
import os
import pickle
import shutil
import subprocess
import time

import compiled
import first_use
import measure
import peers
import report
import synth
from common import GEN, HERE, MODS, NOPYC, PY, RESULTS_DATA, WORK, child_env, log
from suite import SCALING, Settings


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats; a smaller scaling run")
    ap.add_argument("--output", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--plot", default=os.path.join(HERE, "scaling.png"))
    ap.add_argument("--render", action="store_true",
                    help="only rewrite RESULTS.md and the plot from the last run's measurements")
    ap.add_argument("--compiled", action="store_true",
                    help="only measure the compiled fast path and rewrite its section of RESULTS.md")
    args = ap.parse_args()
    if args.compiled:
        compiled.main(args.output)
        return
    if args.render:
        with open(RESULTS_DATA, "rb") as f:
            report.render(pickle.load(f), args.output, args.plot)
        return
    data = full_run(Settings(args.quick))
    with open(RESULTS_DATA, "wb") as f:
        pickle.dump(data, f)
    report.render(data, args.output, args.plot)


def full_run(settings):
    """Every measurement of a full run, in order: the data RESULTS.md is written from."""
    started = time.perf_counter()
    if os.path.exists(MODS):
        shutil.rmtree(MODS)
    for d in (MODS, GEN, NOPYC):
        os.makedirs(d, exist_ok=True)
    status = {}
    env_info = peers.setup(settings, status)
    peers.copy_hand_modules()
    for n in SCALING:
        synth.write_header(n, os.path.join(GEN, "synth%d.h" % n))
    gens = peers.generate_all(settings, env_info, status)

    log("building the cffi API module")
    cffi_api_error = peers.build_cffi_api(os.path.join(WORK, "cffi"), MODS)
    # a peer's module that does not compile fails here too; its import records the error
    subprocess.run([PY, "-m", "compileall", "-q", MODS], env=child_env(), capture_output=True)

    counts = measure.count_all(gens)
    imports, floors = measure.imports_and_floors(gens, cffi_api_error, settings)
    firsts = measure.first_calls(gens, imports, cffi_api_error, settings)
    steady = measure.steady_calls(settings)
    log("first use: import + two names, a further function")
    first = first_use.run(settings.first_use_runs)
    return dict(quick=settings.quick, gens=gens, counts=counts, imports=imports, floors=floors,
                firsts=firsts, steady=steady, env_info=env_info, first_use=first,
                comments_floor=measure.comments_compile_floor(gens.get(("ssl", "lazybind"), {})),
                measure_s=time.perf_counter() - started)


if __name__ == "__main__":
    main()
