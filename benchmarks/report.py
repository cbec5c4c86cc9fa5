"""RESULTS.md (and scaling.png) from a full run's measurements: the machine, the summary, the goals,
the method, then a table a measurement. A new table is a block of `write_results`; the figures'
formats are in formats.py, the goals in goals.py, the plot in plot.py, the compiled fast path's
section in report_compiled.py (kept as it is across a full run). Measures nothing but the
machine's description; imports no module that measures.
"""

import os
import platform
import time

from common import PY, VENV, log, rel, run
from formats import cell, fmt_bytes, fmt_time, ratio
from goals import goals_table
from plot import plot
from report_compiled import section_in, write_section
from suite import FLOORS, TARGETS, TOOL_TITLES, TOOLS, Settings, scaling_targets


def render(data, output, plot_path):
    """RESULTS.md and the plot from the measurements (also alone: --render)."""
    settings = Settings(data["quick"])
    gens, counts, imports, floors = data["gens"], data["counts"], data["imports"], data["floors"]
    firsts, steady, env_info = data["firsts"], data["steady"], data["env_info"]
    t0 = time.perf_counter()
    # scaling
    scaling = []
    for t in scaling_targets(settings):
        for tool in ("lazybind", "ctypesgen", "clang2py"):
            g = gens.get((t["key"], tool), {})
            scaling.append((t["n"], tool, g, imports.get((t["key"], tool), {})))
    plot(plot_path, scaling, floors.get("empty_module", {}))

    goals = goals_table(gens, imports, floors, firsts, steady, scaling, data.get("comments_floor", {}),
                        data.get("first_use", {}))
    info = machine_info(env_info)
    total = data["measure_s"] + time.perf_counter() - t0
    previous = section_in(output)
    write_results(output, settings, info, gens, counts, imports, firsts, floors, steady,
                  scaling, goals, total, data.get("first_use", {}))
    write_section(output, previous)  # measured by --compiled; kept across full runs
    log("wrote", rel(output), "and", rel(plot_path), "in %.0f s" % total)


def machine_info(env_info):
    info = {}
    info["platform"] = platform.platform()
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    info["cpu"] = "%s, %d cores" % (cpu, os.cpu_count())
    try:
        mem = [ln for ln in open("/proc/meminfo") if ln.startswith("MemTotal")][0].split()[1]
        info["memory"] = "%.1f GiB" % (int(mem) / (1 << 20))
    except (OSError, IndexError):
        pass
    info["python"] = "%s %s (%s)" % (platform.python_implementation(), platform.python_version(),
                                     " ".join(platform.python_build()))
    versions = run([PY, "-c", "import importlib.metadata as m\n"
                    "for p in ('lazybind','libclang','ctypesgen','cffi','matplotlib'):\n"
                    "    print(p, m.version(p))"]).stdout.split("\n")
    vlist = [v for v in versions if v.strip()]
    venv_py = os.path.join(VENV, "bin", "python")
    if os.path.exists(venv_py):
        vlist += [v for v in run([venv_py, "-c", "import importlib.metadata as m\n"
                                  "for p in ('ctypeslib2','clang'):\n"
                                  "    print(p, m.version(p))"]).stdout.split("\n") if v.strip()]
    info["packages"] = ", ".join(vlist)
    info["cc"] = run(["cc", "--version"]).stdout.splitlines()[0]
    libs = run([PY, "-c", r"""
import ctypes
z = ctypes.CDLL('libz.so.1'); z.zlibVersion.restype = ctypes.c_char_p
s = ctypes.CDLL('libsqlite3.so.0'); s.sqlite3_libversion.restype = ctypes.c_char_p
c = ctypes.CDLL('libcrypto.so.3'); c.OpenSSL_version.restype = ctypes.c_char_p
c.OpenSSL_version.argtypes = [ctypes.c_int]
z3 = ctypes.CDLL('libz3.so.4'); z3.Z3_get_full_version.restype = ctypes.c_char_p
print('zlib %s, sqlite %s, %s, z3 %s' % (z.zlibVersion().decode(), s.sqlite3_libversion().decode(),
      c.OpenSSL_version(0).decode(), z3.Z3_get_full_version().decode()))
"""]).stdout.strip()
    info["libraries"] = libs
    return info


def first_use_table(results):
    """RESULTS.md's "First use" table (benchmarks/first_use.py measures it)."""
    lines = ["| | import + first use of two names | traced memory after | a further function |",
             "|---|--:|--:|--:|"]
    for name, what in (("ssl", "openssl/ssl.h"), ("zlib", "zlib.h"),
                       ("synth", "synthetic, 100k declarations")):
        for kind in ("hand", "lazybind"):
            key = "%s %s" % (name, kind)
            if key + " use" not in results:
                continue
            further = results.get(key + " further")
            lines.append("| %s, %s | %s | %s | %s |" % (
                what, "hand-written ctypes" if kind == "hand" else kind,
                fmt_time(results[key + " use"]), fmt_bytes(results[key + " memory"]),
                fmt_time(further) if further else ""))
    return lines


def write_results(path, settings, info, gens, counts, imports, firsts, floors, steady, scaling,
                  goals, total_s, first_use=None):
    L = []
    w = L.append
    w("# lazybind benchmarks")
    w("")
    w("Generated by `python benchmarks/run.py%s` in %.0f s. Every figure comes from this one run on"
      " this one machine; ratios are what to compare, absolute times move from machine to machine."
      % (" --quick" if settings.quick else "", total_s))
    w("Do not edit: rerun the command.")
    w("")
    w("## Machine")
    w("")
    for k in ("platform", "cpu", "memory", "python", "packages", "cc", "libraries"):
        if k in info:
            w("- %s: %s" % (k, info[k]))
    w("")
    w("## Summary")
    w("")
    w("Peers as multiples of lazybind (default scope, which binds far more: everything the header"
      " includes) on the same header; `named` is `lazybind --scope named`, the peers' coverage."
      " Import with .pyc, memory by tracemalloc; steady call ratios are in their own section.")
    w("")
    w("| header | lazybind import | named | ctypesgen | clang2py | lazybind memory | named |"
      " ctypesgen | clang2py | lazybind generation | named | ctypesgen | clang2py |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for t in TARGETS:
        base_i = imports.get((t["key"], "lazybind"), {})
        base_g = gens.get((t["key"], "lazybind"), {})
        row = [t["title"]]
        for field, fmt, src in (("import_ns", fmt_time, imports), ("traced", fmt_bytes, imports),
                                ("gen_s", lambda v: "%.2f s" % v, gens)):
            base = (base_g if src is gens else base_i).get(field)
            row.append(fmt(base) if base is not None else "—")
            for tool in ("lazybind_named", "ctypesgen", "clang2py"):
                v = src.get((t["key"], tool), {}).get(field)
                failed = gens.get((t["key"], tool), {}).get("status", "ok") != "ok" or \
                    imports.get((t["key"], tool), {}).get("import_error")
                if v is None or (failed and src is imports):
                    row.append("failed" if failed else "—")
                else:
                    row.append(ratio(v, base))
        w("| " + " | ".join(row) + " |")
    w("")
    w("## Goals (issues 7 and 17)")
    w("")
    w("| goal | target | achieved | |")
    w("|---|---|---|---|")
    for name, target, achieved, ok in goals:
        w("| %s | %s | %s | %s |" % (name, target, achieved,
                                     "met" if ok else ("not met" if ok is False else "n/a")))
    w("")
    if first_use:
        w("## First use")
        w("")
        w("Import plus the first access of two names in a fresh process (ctypes imported first,"
          " bytecode compiled), the traced memory after it (tracemalloc, separate processes), and"
          " the median first access of 50 further functions of ssl.h in a warm module, beside"
          " hand-written ctypes doing the same: `CDLL` of the libraries and `restype`/`argtypes`"
          " of the same functions (benchmarks/first_use.py, medians of %d processes). Hand"
          " ctypes' zlib row is small because Python itself has loaded libz." % settings.first_use_runs)
        w("")
        for line in first_use_table(first_use):
            w(line)
        w("")
    w("## Method")
    w("")
    w("- **Generation**: wall time of the tool's command line (a fresh process, so interpreter"
      " start-up and the tool's own imports count), median of %d." % settings.gen_repeats)
    w("- **Import**: `import MODULE` timed with `perf_counter_ns` in a fresh `python` process per"
      " run, `ctypes` already imported (a module's own imports of `ctypes.util`, `struct`... count"
      " against it), bytecode compiled first with `python -m compileall` and"
      " `PYTHONDONTWRITEBYTECODE` unset; median of %d runs, taken in rounds over all modules so"
      " that the machine's drift hits each alike (a module whose import takes over 0.2 s: 3 runs)."
      " **Source-only**: the same with `PYTHONDONTWRITEBYTECODE=1` and an empty"
      " `PYTHONPYCACHEPREFIX`, so the source is compiled every time; median of %d runs."
      % (settings.time_runs, settings.source_runs))
    w("- **Memory**: `tracemalloc` traced bytes after minus before the import, in separate fresh"
      " processes (never in the timed ones; median of up to %d; not measured for imports over"
      " 0.2 s, which tracemalloc slows to minutes); **RSS**: `/proc/self/statm` resident size"
      " after minus before the import in the timed processes (page granularity; catches C"
      " allocations such as cffi's that tracemalloc does not see)." % settings.mem_runs)
    w("- **Bytes per declaration**: file size (and traced import memory) divided by the names"
      " the module exposes: for lazybind the entries of its name table; for the peers the public"
      " names in the module after import, less those of `ctypes` itself. *Functions* counts"
      " lazybind's function entries, or the ctypes function objects a peer's module holds.")
    w("- **First call**: in a fresh process after the import: the first use of one function"
      " (library open + symbol + prototype, and for lazybind the start of its runtime), then the"
      " first use of a second function of the now open library, then that call again; median of"
      " up to %d processes." % settings.first_runs)
    w("- **Steady call**: `timeit` in one process, all variants interleaved, best of %d repeats"
      " of a loop of about 50 ms; the function is bound to a local name first (one row shows a"
      " module attribute lookup per call)." % settings.steady_repeats)
    w("- Peers get the headers on their command line as users give them; ctypesgen and clang2py"
      " wrap only the named files' own declarations, which is what `lazybind --scope named` does"
      " (its row has the same coverage). lazybind's default scope also takes everything the"
      " headers include (e.g. ssl.h: all of libcrypto's API and the C library's headers).")
    w("")

    # ---- main table
    w("## Per header")
    w("")
    w("Ratios in parentheses are against lazybind's default scope for the same header"
      " (import and memory against the empty module instead in the floor table below).")
    w("")
    w("| header | tool | status | generation | file | .pyc | names / functions |"
      " file B/name | import (.pyc) | import (source) | traced memory | traced B/name | RSS delta |")
    w("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for t in TARGETS + [s for s in scaling_targets(settings)]:
        base_gen = gens.get((t["key"], "lazybind"), {})
        base_imp = imports.get((t["key"], "lazybind"), {})
        for tool in TOOLS:
            g = gens.get((t["key"], tool))
            if g is None:
                continue
            imp = imports.get((t["key"], tool), {})
            cnt = counts.get((t["key"], tool), {})
            status = g.get("status", "?")
            if imp.get("import_error"):
                status = "import failed: " + imp["import_error"]
            if cnt.get("error") and status == "ok":
                status = "count failed: " + cnt["error"]
            if status == "ok" and cnt.get("functions") == 0 and not t.get("synthetic") \
                    and tool != "cffi":
                status = "ok, but binds no function"
            if g.get("note"):
                status += "; " + g["note"]
            names = cnt.get("names")
            fb = g.get("file_bytes")
            w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |" % (
                t["title"], TOOL_TITLES[tool], status.replace("|", "\\|"),
                cell(g.get("gen_s") and g["gen_s"] * 1e9, base_gen.get("gen_s") and
                     base_gen["gen_s"] * 1e9, fmt_time),
                fmt_bytes(fb), fmt_bytes(imp.get("pyc_bytes")),
                "%s / %s" % (names, cnt.get("functions")) if names is not None else "—",
                "%.0f" % (fb / names) if fb and names else "—",
                cell(imp.get("import_ns"), base_imp.get("import_ns"), fmt_time),
                cell(imp.get("source_ns"), base_imp.get("source_ns"), fmt_time),
                cell(imp.get("traced"), base_imp.get("traced"), fmt_bytes)
                if imp.get("traced") is not None else imp.get("traced_error", "—"),
                "%.1f" % (imp["traced"] / names) if imp.get("traced") is not None and names
                else "—",
                fmt_bytes(imp.get("rss"))))
    w("")

    # ---- floors
    w("## Floors and hand-written code")
    w("")
    empty = floors.get("empty_module", {})
    w("| module | import (.pyc) | import (source) | traced memory | RSS delta |")
    w("|---|---|---|---|---|")
    seen = set()
    for title, module, _, _ in FLOORS:
        if module in seen:
            continue
        seen.add(module)
        f = floors.get(module, {})
        if f.get("import_error"):
            w("| %s | import failed: %s | | | |" % (title, f["import_error"]))
            continue
        w("| %s | %s | %s | %s | %s |" % (
            title if module != "empty_module" else "empty module (the floor)",
            cell(f.get("import_ns"), empty.get("import_ns"), fmt_time),
            cell(f.get("source_ns"), empty.get("source_ns"), fmt_time),
            fmt_bytes(f.get("traced")), fmt_bytes(f.get("rss"))))
    for t in TARGETS:
        for tool in ("lazybind", "lazybind_named", "ctypesgen"):
            imp = imports.get((t["key"], tool), {})
            if imp.get("import_ns") is None:
                continue
            w("| %s, %s | %s | %s | %s above the floor | %s |" % (
                t["title"], TOOL_TITLES[tool],
                cell(imp.get("import_ns"), empty.get("import_ns"), fmt_time),
                cell(imp.get("source_ns"), empty.get("source_ns"), fmt_time),
                fmt_bytes(imp["traced"] - empty.get("traced", 0)) if imp.get("traced") is not None
                else imp.get("traced_error", "—"), fmt_bytes(imp.get("rss"))))
    w("")

    # ---- first call
    w("## First call")
    w("")
    w("Time of the first use of a function in a fresh process right after the import (library"
      " open + symbol lookup + prototype; for lazybind also compiling its runtime and reading its"
      " tables on the first attribute access), of the first use of a second function once the"
      " library is open, and of that call repeated. Traced memory after import and first call"
      " shows what the first use costs in memory.")
    w("")
    w("| header | tool | functions | first use | second function | repeated | import + first call,"
      " traced |")
    w("|---|---|---|---|---|---|---|")
    for key, title, tool, calls, rec in firsts:
        if rec.get("first_error"):
            w("| %s | %s | %s | failed: %s | | | |" % (title, tool, " / ".join(calls),
                                                     rec["first_error"].replace("|", "\\|")))
            continue
        w("| %s | %s | %s | %s | %s | %s | %s |" % (
            title, tool, " / ".join(calls), fmt_time(rec.get("first_ns")),
            fmt_time(rec.get("second_ns")), fmt_time(rec.get("again_ns")),
            fmt_bytes(rec.get("traced_after_call")) if rec.get("traced_after_call") is not None
            else (fmt_bytes(rec.get("traced_import_only")) + " (the import's)"
                  if rec.get("traced_import_only") is not None else "—")))
    w("")

    # ---- steady
    w("## Steady-state call overhead")
    w("")
    w("Per call, best of the repeats; ratio against hand-written ctypes with argtypes."
      " `crc32(0, NULL, 0)` (zlib); `clock_gettime(CLOCK_MONOTONIC, &ts)` (a struct pointer;"
      " the `byref` is made once); `qsort` of 16 ints with a Python comparator (the array is"
      " restored with `memmove` before each sort, in every variant).")
    w("")
    for bench, title in (("crc32", "crc32(0, NULL, 0)"),
                         ("clock_gettime", "clock_gettime(CLOCK_MONOTONIC, &ts)"),
                         ("qsort", "qsort, 16 ints, Python comparator")):
        rows = steady.get(bench, [])
        base = next((r["ns"] for r in rows if r["variant"] == "hand ctypes, argtypes"), None)
        w("| %s | per call | vs hand ctypes with argtypes |" % title)
        w("|---|---|---|")
        for r in rows:
            if r["error"]:
                w("| %s | failed: %s | |" % (r["variant"], r["error"].replace("|", "\\|")))
            else:
                w("| %s | %s | %s |" % (r["variant"], fmt_time(r["ns"]), ratio(r["ns"], base)))
        w("")

    # ---- scaling
    w("## Scaling with header size")
    w("")
    w("A synthetic header (`benchmarks/synth.py`: per 20 declarations 6 functions, 11 macros, a"
      " struct, a typedef, an enum) of 10 to 100k declarations. ![scaling](scaling.png)")
    w("")
    w("| declarations | tool | generation | file | import (.pyc) | import (source) | traced memory |"
      " RSS delta |")
    w("|---|---|---|---|---|---|---|---|")
    for n, tool, g, imp in scaling:
        if g.get("status") != "ok" or imp.get("import_error"):
            w("| %d | %s | %s | | | | | |" % (n, tool, (imp.get("import_error") and
                                                    "import failed: " + imp["import_error"])
                                               or g.get("status")))
            continue
        w("| %d | %s | %s | %s | %s | %s | %s | %s |" % (
            n, tool, fmt_time(g["gen_s"] * 1e9), fmt_bytes(g.get("file_bytes")),
            fmt_time(imp.get("import_ns")), fmt_time(imp.get("source_ns")),
            fmt_bytes(imp.get("traced")) if imp.get("traced") is not None
            else imp.get("traced_error", "—"), fmt_bytes(imp.get("rss"))))
    w("")

    # ---- commands
    w("## Commands")
    w("")
    w("Run from `benchmarks/_work/gen/`; modules are written to `benchmarks/_work/mods/`."
      " clang2py runs in a venv of its own (`benchmarks/_work/venv-clang2py`) with"
      " `CLANG_LIBRARY_PATH` set to the libclang.so of the `libclang` wheel lazybind uses. The cffi"
      " rows run `benchmarks/cffi_attempt.py`: the headers through `cc -E -P`, then `ffi.cdef()`"
      " on the result.")
    w("")
    w("```")
    for (key, tool), g in gens.items():
        if g.get("command"):
            w(g["command"])
    w("python -m compileall -q benchmarks/_work/mods")
    w("```")
    w("")
    with open(path, "w") as f:
        f.write("\n".join(L))
