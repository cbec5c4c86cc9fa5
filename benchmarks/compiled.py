"""The compiled fast path (`lazybind generate --compiled`, issue 11), measured on its own.

    python benchmarks/run.py --compiled     # ~2 minutes; rewrites the "Compiled fast path"
                                            # section of RESULTS.md, nothing else

Generates zlib.h, sqlite3.h and openssl/ssl.h with --compiled (counting the functions that take
the compiled path), builds the hand-written extension and the empty extension in hand/ and the
cffi API module, then measures in fresh processes and in one interleaved steady-call process:
steady call overhead (compiled vs ctypes vs hand-written C vs cffi API), import of each
extension vs an empty extension, first use. Its data goes to _work/compiled.json, from which
run.py also writes the section after a full run.
"""

import json
import os
import shutil
import statistics
import sys
import sysconfig
import time

import run as suite
import steady

DIR = os.path.join(suite.WORK, "compiled")
DATA = os.path.join(suite.WORK, "compiled.json")
BEGIN, END = "<!-- compiled fast path: begin -->", "<!-- compiled fast path: end -->"
TARGETS = [  # stem, title, headers, libraries
    ("zlib", "zlib.h", ["zlib.h"], ["z"]),
    ("sqlite", "sqlite3.h", ["sqlite3.h"], ["sqlite3"]),
    ("ssl", "openssl/ssl.h (+crypto)", ["openssl/ssl.h"], ["ssl", "crypto"]),
]
IMPORT_ROUNDS = 31
SMALL = b"lazybind: sixteen"[:16]


def generate():
    """Each target with --compiled (and zlib, sqlite without, for the ctypes backend)."""
    import lazybind

    coverage = {}
    for stem, title, headers, libraries in TARGETS:
        details = []
        started = time.perf_counter()
        lazybind.generate(headers, library=libraries, output=os.path.join(DIR, stem + "_compiled.py"),
                          compiled=True, details=details)
        counts = dict(details[1])
        coverage[stem] = dict(title=title, seconds=time.perf_counter() - started, counts=counts)
        suite.log("generated %s --compiled: %d of %d functions compiled" % (
            stem, counts.get("compiled", 0), sum(counts.values())))
        if stem != "ssl":
            lazybind.generate(headers, library=libraries, output=os.path.join(DIR, stem + "_plain.py"))
    return coverage


def build_peers():
    """The hand-written and empty extensions, and the cffi API module."""
    include = sysconfig.get_paths()["include"]
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    for name, libraries in (("hand_ext", ["-lz", "-lsqlite3"]), ("empty_ext", [])):
        source = os.path.join(suite.HERE, "hand", name + ".c")
        command = ["cc", "-O2", "-shared", "-fPIC", "-I", include, "-o",
                   os.path.join(DIR, name + suffix), source] + libraries
        done = suite.run(command)
        if done.returncode != 0:
            raise SystemExit("building %s failed: %s" % (name, suite.first_error_line(done.stderr)))
    done = suite.run([suite.PY, os.path.join(suite.HERE, "cffi_api_build.py"), os.path.join(DIR, "cffi")],
                     env=suite.child_env())
    if done.returncode == 0:
        for name in os.listdir(os.path.join(DIR, "cffi")):
            if name.startswith("bench_cffi_api") and name.endswith(".so"):
                shutil.copy(os.path.join(DIR, "cffi", name), os.path.join(DIR, name))


def variants(moddir):
    """What steady.measure times: each call through every backend, in one process."""
    import ctypes
    import importlib

    sys.path.insert(0, moddir)
    out = {"crc32(0, NULL, 0)": [], "sqlite3_libversion_number()": [], "crc32(0, data, 16)": []}
    zlib_call = ("f(0, None, 0)", "f(0, data, 16)")

    def calls(bench, name, get, statement, null="None"):
        def make():
            function, extra = get()
            env = dict(extra, f=function, data=SMALL)
            text = statement.replace("None", null)
            return text, env, lambda: eval(text, env)
        steady.attempt(out[bench], name, make)

    def module(name):
        return importlib.import_module(name)

    def holding(bound, name):
        return bound.__lazybind__.holding_gil(getattr(bound, name))

    def hand_ctypes(library, name, restype, argtypes):
        function = getattr(ctypes.CDLL(library), name)
        function.restype, function.argtypes = restype, argtypes
        return function, {}

    def cffi(name, pass_buffer):
        api = module("bench_cffi_api")
        extra = {"NULL": api.ffi.NULL}
        if pass_buffer:  # cffi takes a pointer to a buffer as a cdata made once, outside the loop
            extra["data"] = api.ffi.from_buffer(SMALL)
        return getattr(api.lib, name), extra

    crc_types = (ctypes.c_ulong, [ctypes.c_ulong, ctypes.c_char_p, ctypes.c_uint])
    for bench, statement in zip(("crc32(0, NULL, 0)", "crc32(0, data, 16)"), zlib_call):
        calls(bench, "lazybind compiled", lambda: (module("zlib_compiled").crc32, {}), statement)
        calls(bench, "lazybind compiled, holding_gil", lambda: (holding(module("zlib_compiled"), "crc32"), {}),
              statement)
        calls(bench, "lazybind ctypes", lambda: (module("zlib_plain").crc32, {}), statement)
        calls(bench, "hand C extension, GIL held", lambda: (module("hand_ext").crc32, {}), statement)
        calls(bench, "hand C extension, GIL released", lambda: (module("hand_ext").crc32_nogil, {}),
              statement)
        calls(bench, "cffi API (compiled)", lambda b=bench: cffi("crc32", "data" in b), statement,
              null="NULL")
        calls(bench, "hand ctypes, argtypes", lambda: hand_ctypes("libz.so.1", "crc32", *crc_types),
              statement)
    bench = "sqlite3_libversion_number()"
    name = "sqlite3_libversion_number"
    calls(bench, "lazybind compiled", lambda: (getattr(module("sqlite_compiled"), name), {}), "f()")
    calls(bench, "lazybind compiled, holding_gil", lambda: (holding(module("sqlite_compiled"), name), {}), "f()")
    calls(bench, "lazybind ctypes", lambda: (getattr(module("sqlite_plain"), name), {}), "f()")
    calls(bench, "hand C extension, GIL held", lambda: (getattr(module("hand_ext"), name), {}), "f()")
    calls(bench, "hand C extension, GIL released",
          lambda: (getattr(module("hand_ext"), name + "_nogil"), {}), "f()")
    calls(bench, "cffi API (compiled)", lambda: cffi(name, False), "f()")
    calls(bench, "hand ctypes, argtypes",
          lambda: hand_ctypes("libsqlite3.so.0", name, ctypes.c_int, []), "f()")
    return out


def measure_imports():
    """Median import time of each extension (and the .py module) in fresh processes, in rounds."""
    modules = ["empty_ext", "empty_module"] + [
        "_%s_compiled_lazybind" % stem for stem, _, _, _ in TARGETS] + ["zlib_compiled"]
    shutil.copy(os.path.join(suite.HERE, "hand", "empty_module.py"), DIR)
    suite.run([suite.PY, "-m", "compileall", "-q", DIR], env=suite.child_env())
    runs = {m: [] for m in modules}
    for _ in range(IMPORT_ROUNDS):
        for m in modules:
            runs[m].append(probe("time", m)["ns"])
    firsts = {}
    for stem in ("zlib_compiled", "zlib_plain"):
        done = [probe("first", stem, "m.zlibVersion()", "m.zlibCompileFlags()") for _ in range(9)]
        firsts[stem] = {k: statistics.median(d[k] for d in done) for k in ("first", "second", "again")}
    return {m: statistics.median(r) for m, r in runs.items()}, firsts


def probe(mode, module, *calls):
    done = suite.run([suite.PY, os.path.join(suite.HERE, "probe.py"), mode, DIR, module, *calls],
                     env=suite.child_env())
    if done.returncode != 0:
        raise SystemExit("probe %s %s failed: %s" % (mode, module, suite.first_error_line(done.stderr)))
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(results_path):
    started = time.perf_counter()
    if os.path.exists(DIR):
        shutil.rmtree(DIR)
    os.makedirs(DIR)
    coverage = generate()
    build_peers()
    suite.log("import timing, %d rounds" % IMPORT_ROUNDS)
    imports, firsts = measure_imports()
    suite.log("steady-state calls")
    done = suite.run([suite.PY, os.path.abspath(__file__), "--steady", DIR], env=suite.child_env(),
                     timeout=1800)
    if done.returncode != 0:
        raise SystemExit("steady calls failed: " + suite.first_error_line(done.stderr))
    data = dict(coverage=coverage, imports=imports, firsts=firsts, steady=json.loads(done.stdout),
                seconds=time.perf_counter() - started)
    with open(DATA, "w") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
    write_section(results_path)
    suite.log("wrote the compiled fast path section of", suite.rel(results_path))


def section_in(results_path):
    """The compiled section RESULTS.md holds now ("" when none)."""
    if not os.path.exists(results_path):
        return ""
    with open(results_path, encoding="utf-8") as handle:
        text = handle.read()
    if BEGIN not in text:
        return ""
    return text[text.index(BEGIN) + len(BEGIN) + 1:text.index(END)]


def write_section(results_path, previous=""):
    """Put the section made from _work/compiled.json into RESULTS.md (replacing an older one);
    without that file (a fresh checkout: _work is not kept), the `previous` section stays."""
    if os.path.exists(DATA):
        with open(DATA) as handle:
            section = render(json.load(handle))
    elif previous:
        section = previous
    else:
        return
    with open(results_path, encoding="utf-8") as handle:
        text = handle.read()
    if BEGIN in text:
        text = text[:text.index(BEGIN)] + text[text.index(END) + len(END) + 1:]
    with open(results_path, "w", encoding="utf-8") as handle:
        handle.write(text.rstrip("\n") + "\n\n" + BEGIN + "\n" + section + END + "\n")


def render(data):
    lines = ["## Compiled fast path (issue 11)", "",
             "`python benchmarks/run.py --compiled` (%.0f s). lazybind modules generated with "
             "`--compiled`: functions whose signatures the extension converts exactly are C "
             "extension functions (vectorcall); the others, and calls with arguments the "
             "extension does not convert itself, use ctypes." % data["seconds"], ""]
    lines += _steady_table(data["steady"])
    lines += _import_table(data["imports"], data["firsts"])
    lines += _coverage_table(data["coverage"])
    return "\n".join(lines) + "\n"


def _steady_table(steady_data):
    lines = ["Steady call, ns per call (best of the interleaved rounds), and as a multiple of "
             "the hand-written extension that releases the GIL / that holds it. Like ctypes and "
             "cffi, a compiled function releases the GIL during the C call; "
             "`__lazybind__.holding_gil(f)` is a variant that keeps it, for short calls in hot "
             "loops:", "",
             "| call | variant | ns | / hand, GIL released | / hand, GIL held |", "|---|---|---|---|---|"]
    for bench, rows in steady_data.items():
        by_name = {r["variant"]: r["ns"] for r in rows}
        released = by_name.get("hand C extension, GIL released")
        held = by_name.get("hand C extension, GIL held")
        for row in rows:
            if row["ns"] is None:
                lines.append("| `%s` | %s | failed: %s | | |" % (bench, row["variant"], row["error"]))
                continue
            lines.append("| `%s` | %s | %.0f | %s | %s |" % (
                bench, row["variant"], row["ns"], suite.ratio(row["ns"], released),
                suite.ratio(row["ns"], held)))
        compiled, plain = by_name.get("lazybind compiled"), by_name.get("lazybind ctypes")
        if compiled and plain:
            lines.append("| `%s` | **ctypes / compiled** | **%.1fx faster** | | |" % (bench, plain / compiled))
    return lines + [""]


def _import_table(imports, firsts):
    floor = imports["empty_ext"]
    lines = ["Import in a fresh process (median of %d, .pyc compiled, ctypes already imported):"
             % IMPORT_ROUNDS, "", "| module | import | vs empty extension |", "|---|---|---|"]
    for module, ns in imports.items():
        lines.append("| `%s` | %s | %s |" % (module, suite.fmt_time(ns), suite.ratio(ns, floor)))
    lines += ["", "The extension is loaded on the first function access, not when the module is "
              "imported. First use (median of 9 fresh processes):", "",
              "| module | first call `zlibVersion()` | second function `zlibCompileFlags()` | again |",
              "|---|---|---|---|"]
    for module, times in firsts.items():
        lines.append("| `%s` | %s | %s | %s |" % (module, *(suite.fmt_time(times[k]) for k in (
            "first", "second", "again"))))
    return lines + [""]


def _coverage_table(coverage):
    lines = ["Functions that take the compiled path (generation + build time in brackets):", "",
             "| header | compiled | of | share | on ctypes, why |", "|---|---|---|---|---|"]
    for record in coverage.values():
        counts = dict(record["counts"])
        compiled = counts.pop("compiled", 0)
        total = compiled + sum(counts.values())
        why = ", ".join("%d %s" % (n, reason) for reason, n in sorted(counts.items(), key=lambda i: -i[1]))
        lines.append("| %s (%.1f s) | %d | %d | %.1f%% | %s |" % (
            record["title"], record["seconds"], compiled, total, 100.0 * compiled / total, why or "—"))
    return lines + [""]


if __name__ == "__main__":
    if sys.argv[1:2] == ["--steady"]:
        json.dump(steady.measure(sys.argv[2], 7, variants), sys.stdout)
    else:
        main(os.path.join(suite.HERE, "RESULTS.md"))
