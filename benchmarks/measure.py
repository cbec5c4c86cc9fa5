"""The measurements of a full run, each in fresh processes (probe.py) or one interleaved process
(steady.py): declarations counted, import time and memory, first calls, steady calls, and the
floor of compiling a one-file module's comment lines. Imports common, suite and formats.
"""

import json
import os
import statistics
import subprocess
import sys
import time

from common import HERE, MODS, PY, child_env, first_error_line, log, run
from formats import fmt_time
from suite import FLOORS, TARGETS, TOOL_TITLES


def count_all(gens):
    """Names and functions of every module generated without failure."""
    counts = {}
    for (key, tool), rec in gens.items():
        if rec.get("status") == "ok":
            counts[(key, tool)] = count_declarations(rec)
    return counts


def count_declarations(rec):
    """Exposed names and functions of a module, counted in a fresh process."""
    code = r"""
import ctypes, json, sys, os
sys.path.insert(0, sys.argv[1])
path = os.path.join(sys.argv[1], sys.argv[2] + ".py")
from lazybind import runtime
data = runtime.data_of_file(path)  # None: not a lazybind module
out = {}
if data is not None:
    kinds = [kind for _, _, kind, _ in data.entries()]
    out["names"] = len(kinds)
    out["functions"] = sum(1 for k in kinds if k == runtime.KIND_FUNCTION)
else:
    import importlib
    floor = set(dir(ctypes)) | {"ctypes", "sys", "os", "platform", "warnings"}
    m = importlib.import_module(sys.argv[2])
    public = {k: v for k, v in vars(m).items() if not k.startswith("_") and k not in floor}
    out["names"] = len(public)
    out["functions"] = sum(1 for v in public.values()
                           if isinstance(v, ctypes._CFuncPtr) and hasattr(v, "argtypes")
                           or type(v).__name__ == "_variadic_function")
print(json.dumps(out))
"""
    proc = run([PY, "-c", code, MODS, rec["module"]], timeout=600, env=child_env())
    if proc.returncode != 0:
        return {"error": first_error_line(proc.stderr)}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def imports_and_floors(gens, cffi_api_error, settings):
    """Import time, source-only time, memory of every generated module and of the floors:
    ({(target key, tool): figures}, {floor module: figures})."""
    floors = {}
    modules = []
    for title, module, _, _ in FLOORS:
        if module == "bench_cffi_api" and cffi_api_error:
            floors[module] = {"import_error": cffi_api_error}
        elif module not in modules:
            modules.append(module)
    for (key, tool), rec in gens.items():
        if rec.get("status") == "ok":
            modules.append(rec["module"])
    measured = measure_imports(modules, settings)
    imports = {}
    for m in modules:
        if m in dict((f[1], 1) for f in FLOORS):
            floors[m] = measured[m]
    for (key, tool), rec in gens.items():
        if rec.get("status") == "ok":
            imports[(key, tool)] = measured[rec["module"]]
            imports[(key, tool)]["pyc_bytes"] = pyc_size(rec["module"])
    return imports, floors


def measure_imports(modules, settings):
    """Import time (pyc, then source-only) and RSS delta, then tracemalloc delta, of every module.

    Timed runs go in rounds over all modules, so that drift of the machine hits every module
    alike (the empty module's figure is the floor the others are compared with). A module whose
    import takes longer than `slow_ns` stops after 3 rounds."""
    out = {m: {} for m in modules}
    runs = {m: {"pyc": [], "src": []} for m in modules}
    for kind, source_only, rounds in (("pyc", False, settings.time_runs),
                                      ("src", True, settings.source_runs)):
        log("import timing (%s), %d rounds over %d modules" % (
            "source only" if source_only else ".pyc", rounds, len(modules)))
        for r in range(rounds):
            for m in modules:
                if out[m].get("import_error"):
                    continue
                done = runs[m][kind]
                if r >= 3 and statistics.median(x["ns"] for x in done) > settings.slow_ns:
                    continue
                try:
                    done.append(probe("time", m, source_only=source_only))
                except Exception as exc:  # noqa: BLE001 - a peer's module that does not import
                    out[m]["import_error"] = str(exc)
    log("import memory (tracemalloc)")
    for m in modules:
        rec = out[m]
        if rec.get("import_error"):
            continue
        rec["import_ns"] = statistics.median(x["ns"] for x in runs[m]["pyc"])
        rec["rss"] = statistics.median(x["rss"] for x in runs[m]["pyc"])
        rec["pyc_used"] = all(x["pyc"] for x in runs[m]["pyc"])
        rec["runs"] = len(runs[m]["pyc"])
        rec["source_ns"] = statistics.median(x["ns"] for x in runs[m]["src"])
        assert not any(x["pyc"] for x in runs[m]["src"])
        # tracemalloc slows the import of a module of many classes by orders of magnitude
        # (minutes for a 100k-declaration clang2py module): fewer runs, or none, for those
        if rec["import_ns"] > settings.slow_ns:
            rec["traced_error"] = "not measured: the import takes %s, tracemalloc would take" \
                                  " minutes (see RSS)" % fmt_time(rec["import_ns"])
            continue
        try:
            mem = repeated("mem", m, 1 if rec["import_ns"] > 10e6 else settings.mem_runs,
                           settings.module_budget, timeout=settings.mem_timeout)
            rec["traced"] = statistics.median(x["bytes"] for x in mem)
        except subprocess.TimeoutExpired:
            rec["traced_error"] = "tracemalloc import timed out after %d s" % settings.mem_timeout
        except Exception as exc:  # noqa: BLE001
            rec["traced_error"] = str(exc)
    return out


def pyc_size(module):
    cache = os.path.join(MODS, "__pycache__")
    tag = sys.implementation.cache_tag
    p = os.path.join(cache, "%s.%s.pyc" % (module, tag))
    return os.path.getsize(p) if os.path.exists(p) else None


def first_calls(gens, imports, cffi_api_error, settings):
    """First-call latencies (and memory after the first call) of every module that imports,
    then of the floors: a list of (target key, title, tool title, calls, figures)."""
    firsts = []
    for t in TARGETS:
        for tool in ("lazybind", "lazybind_named", "ctypesgen", "clang2py"):
            rec = gens.get((t["key"], tool), {})
            if rec.get("status") != "ok" or imports.get((t["key"], tool), {}).get("import_error"):
                continue
            c1, c2 = ("m." + c if "(" in c else "m.%s()" % c for c in t["calls"])
            log("first call", rec["module"])
            fc = measure_first_call(rec["module"], c1, c2, settings)
            if not tool.startswith("lazybind"):
                # a peer builds everything at import: its traced memory is the import's
                fc["traced_import_only"] = imports.get((t["key"], tool), {}).get("traced")
                firsts.append((t["key"], t["title"], TOOL_TITLES[tool], t["calls"], fc))
                continue
            try:
                fc["traced_after_call"] = statistics.median(
                    r["after_call"] for r in repeated("mem", rec["module"], 1,
                                                      settings.module_budget, c1,
                                                      timeout=settings.mem_timeout))
            except Exception as exc:  # noqa: BLE001
                fc.setdefault("first_error", str(exc))
            firsts.append((t["key"], t["title"], TOOL_TITLES[tool], t["calls"], fc))
    for title, module, c1, c2 in FLOORS:
        if c1 is None:
            continue
        if module == "bench_cffi_api" and cffi_api_error:
            firsts.append(("zlib", "zlib.h", title, ("zlibVersion", "zlibCompileFlags"),
                           {"first_error": cffi_api_error}))
            continue
        log("first call", title)
        fc = measure_first_call(module, c1, c2, settings)
        try:
            fc["traced_after_call"] = statistics.median(
                r["after_call"] for r in repeated("mem", module, 1,
                                                  settings.module_budget, c1,
                                                  timeout=settings.mem_timeout))
        except Exception as exc:  # noqa: BLE001
            fc.setdefault("first_error", str(exc))
        firsts.append(("zlib", "zlib.h", title, ("zlibVersion", "zlibCompileFlags"), fc))
    return firsts


def measure_first_call(module, call1, call2, settings):
    try:
        runs = repeated("first", module, settings.first_runs, settings.module_budget,
                        call1, call2)
    except Exception as exc:  # noqa: BLE001
        return {"first_error": str(exc)}
    return {"first_ns": statistics.median(r["first"] for r in runs),
            "second_ns": statistics.median(r["second"] for r in runs),
            "again_ns": statistics.median(r["again"] for r in runs)}


def probe(mode, module, *extra, source_only=False, timeout=600):
    cmd = [PY, os.path.join(HERE, "probe.py"), mode, MODS, module] + list(extra)
    proc = run(cmd, timeout=timeout, env=child_env(source_only))
    if proc.returncode != 0:   # the exception's own line: the last of the traceback
        lines = [ln.strip() for ln in proc.stderr.splitlines() if ln.strip()]
        raise RuntimeError((lines[-1] if lines else "exit %d" % proc.returncode)[:200])
    return json.loads(proc.stdout.strip().splitlines()[-1])


def repeated(mode, module, runs, budget, *extra, source_only=False, timeout=600):
    """`runs` fresh processes (fewer when one import takes long: at least 3 within `budget`)."""
    results = []
    t0 = time.perf_counter()
    for i in range(runs):
        results.append(probe(mode, module, *extra, source_only=source_only, timeout=timeout))
        if i >= 2 and time.perf_counter() - t0 > budget:
            break
    return results


def steady_calls(settings):
    """Steady-state call overhead of every variant, interleaved in one process (steady.py)."""
    log("steady-state calls")
    proc = run([PY, os.path.join(HERE, "steady.py"), MODS, str(settings.steady_repeats)],
               env=child_env(), timeout=1800)
    return json.loads(proc.stdout) if proc.returncode == 0 else {
        "crc32": [{"variant": "all", "ns": None, "error": first_error_line(proc.stderr)}]}


def comments_compile_floor(rec):
    """What compiling the comment lines of a one-file module costs on their own: the least any
    module carrying its data in its .py pays on an import from source, whatever the runtime
    does. {"bytes": size of the comment lines, "ns": best of 9 compiles}, or {}."""
    if rec.get("status") != "ok":
        return {}
    with open(os.path.join(MODS, rec["module"] + ".py"), "rb") as f:
        source = f.read()
    comments = source[source.index(b"\n#@") + 1:]
    best = float("inf")
    for _ in range(9):
        t0 = time.perf_counter_ns()
        compile(comments, "comments", "exec", dont_inherit=True)
        best = min(best, time.perf_counter_ns() - t0)
    return {"bytes": len(comments), "ns": best}
