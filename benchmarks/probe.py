"""One measurement in a fresh process; run.py starts this many times and prints nothing else.

    python probe.py time  DIR MODULE         import time (ns) and RSS delta (bytes), no tracemalloc
    python probe.py mem   DIR MODULE [CALL]  tracemalloc delta of the import (and after CALL)
    python probe.py first DIR MODULE CALL1 CALL2   first-call latencies after the import

ctypes is imported before anything is timed (a module's own imports of ctypes.util, struct, ...
count against it). CALL is Python code run with the module bound to `m` (e.g. "m.zlibVersion()") and `ctypes`. Output: one JSON line.
"""

import ctypes  # noqa: F401  (imported before timing on purpose)
import importlib
import importlib.util
import json
import os
import sys
import time

_PAGE = os.sysconf("SC_PAGE_SIZE")


def rss():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * _PAGE


def main(argv):
    mode, directory, module = argv[:3]
    sys.path.insert(0, directory)
    # Fill the path finder's cache for the module directory before timing: listing a directory
    # of benchmark files is a cost of this layout, not of the module being imported.
    importlib.util.find_spec("_lazybind_benchmark_no_such_module_")
    out = {}
    if mode == "time":
        r0 = rss()
        t0 = time.perf_counter_ns()
        m = importlib.import_module(module)
        t1 = time.perf_counter_ns()
        out["ns"] = t1 - t0
        out["rss"] = rss() - r0
        cached = getattr(m, "__cached__", None)
        out["pyc"] = bool(cached and os.path.exists(cached))
    elif mode == "mem":
        import tracemalloc
        tracemalloc.start()
        b0 = tracemalloc.get_traced_memory()[0]
        m = importlib.import_module(module)
        out["bytes"] = tracemalloc.get_traced_memory()[0] - b0
        if len(argv) > 3:
            exec(argv[3], {"m": m, "ctypes": ctypes})
            out["after_call"] = tracemalloc.get_traced_memory()[0] - b0
    elif mode == "first":
        m = importlib.import_module(module)
        env = {"m": m, "ctypes": ctypes}
        codes = [compile(argv[3], "<call1>", "exec"), compile(argv[4], "<call2>", "exec")]
        # first: library open + symbol + prototype (+ a lazy runtime's own start-up);
        # second: another function of the same, already open library; again: that call repeated
        for key, code in (("first", codes[0]), ("second", codes[1]), ("again", codes[1])):
            t0 = time.perf_counter_ns()
            exec(code, env)
            out[key] = time.perf_counter_ns() - t0
    else:
        raise SystemExit("unknown mode " + mode)
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
