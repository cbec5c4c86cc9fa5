"""The compiled fast path (`lazybind generate --compiled`, issue 11), measured on its own.

    python benchmarks/run.py --compiled     # ~2 minutes; rewrites the "Compiled fast path"
                                            # section of RESULTS.md, nothing else

Generates zlib.h, sqlite3.h and openssl/ssl.h with --compiled (counting the functions that take
the compiled path), builds the hand-written extension and the empty extension in hand/ and the
cffi API module, then measures in fresh processes and in one interleaved steady-call process:
steady call overhead (compiled vs ctypes vs hand-written C vs cffi API), import of each
extension vs an empty extension, first use. Its data goes to _work/compiled.json, from which
report_compiled.py writes the section (now, and again after a full run). Measures only; imports
common, suite, peers (the cffi API module), report_compiled and steady.
"""

import json
import os
import shutil
import statistics
import sys
import sysconfig
import time

import steady
from common import COMPILED, COMPILED_DATA, HERE, PY, child_env, first_error_line, log, rel, run
from peers import build_cffi_api
from report_compiled import write_section
from suite import COMPILED_IMPORT_ROUNDS, COMPILED_TARGETS

SMALL = b"lazybind: sixteen"[:16]


def generate():
    """Each target with --compiled (and zlib, sqlite without, for the ctypes backend)."""
    import lazybind

    coverage = {}
    for stem, title, headers, libraries in COMPILED_TARGETS:
        details = []
        started = time.perf_counter()
        lazybind.generate(headers, library=libraries,
                          output=os.path.join(COMPILED, stem + "_compiled.py"),
                          compiled=True, details=details)
        counts = dict(details[1])
        coverage[stem] = dict(title=title, seconds=time.perf_counter() - started, counts=counts)
        log("generated %s --compiled: %d of %d functions compiled" % (
            stem, counts.get("compiled", 0), sum(counts.values())))
        if stem != "ssl":
            lazybind.generate(headers, library=libraries,
                              output=os.path.join(COMPILED, stem + "_plain.py"))
    return coverage


def build_peers():
    """The hand-written and empty extensions, and the cffi API module."""
    include = sysconfig.get_paths()["include"]
    suffix = sysconfig.get_config_var("EXT_SUFFIX")
    for name, libraries in (("hand_ext", ["-lz", "-lsqlite3"]), ("empty_ext", [])):
        source = os.path.join(HERE, "hand", name + ".c")
        command = ["cc", "-O2", "-shared", "-fPIC", "-I", include, "-o",
                   os.path.join(COMPILED, name + suffix), source] + libraries
        done = run(command)
        if done.returncode != 0:
            raise SystemExit("building %s failed: %s" % (name, first_error_line(done.stderr)))
    build_cffi_api(os.path.join(COMPILED, "cffi"), COMPILED)


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
        "_%s_compiled_lazybind" % stem for stem, _, _, _ in COMPILED_TARGETS] + ["zlib_compiled"]
    shutil.copy(os.path.join(HERE, "hand", "empty_module.py"), COMPILED)
    run([PY, "-m", "compileall", "-q", COMPILED], env=child_env())
    runs = {m: [] for m in modules}
    for _ in range(COMPILED_IMPORT_ROUNDS):
        for m in modules:
            runs[m].append(probe("time", m)["ns"])
    firsts = {}
    for stem in ("zlib_compiled", "zlib_plain"):
        done = [probe("first", stem, "m.zlibVersion()", "m.zlibCompileFlags()") for _ in range(9)]
        firsts[stem] = {k: statistics.median(d[k] for d in done) for k in ("first", "second", "again")}
    return {m: statistics.median(r) for m, r in runs.items()}, firsts


def probe(mode, module, *calls):
    done = run([PY, os.path.join(HERE, "probe.py"), mode, COMPILED, module, *calls],
                     env=child_env())
    if done.returncode != 0:
        raise SystemExit("probe %s %s failed: %s" % (mode, module, first_error_line(done.stderr)))
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(results_path):
    started = time.perf_counter()
    if os.path.exists(COMPILED):
        shutil.rmtree(COMPILED)
    os.makedirs(COMPILED)
    coverage = generate()
    build_peers()
    log("import timing, %d rounds" % COMPILED_IMPORT_ROUNDS)
    imports, firsts = measure_imports()
    log("steady-state calls")
    done = run([PY, os.path.abspath(__file__), "--steady", COMPILED], env=child_env(),
                     timeout=1800)
    if done.returncode != 0:
        raise SystemExit("steady calls failed: " + first_error_line(done.stderr))
    data = dict(coverage=coverage, imports=imports, firsts=firsts, steady=json.loads(done.stdout),
                seconds=time.perf_counter() - started)
    with open(COMPILED_DATA, "w") as handle:
        json.dump(data, handle, indent=1, sort_keys=True)
    write_section(results_path)
    log("wrote the compiled fast path section of", rel(results_path))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--steady"]:
        json.dump(steady.measure(sys.argv[2], 7, variants), sys.stdout)
    else:
        main(os.path.join(HERE, "RESULTS.md"))
