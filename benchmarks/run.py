#!/usr/bin/env python3
"""lazybind side by side with hand-written ctypes, ctypesgen, clang2py (ctypeslib2) and cffi.

    python benchmarks/run.py            # full run (a few minutes on 2 cores)
    python benchmarks/run.py --quick    # fewer repeats, scaling without ctypesgen at 100k
    python benchmarks/run.py --compiled # only the compiled fast path's section (benchmarks/compiled.py)

Installs what it needs if missing (ctypesgen, cffi and matplotlib with pip into this
environment; ctypeslib2 with the `clang` bindings matching our libclang into a venv of its own,
because the `clang` package would overwrite the `clang` module that the `libclang` wheel
provides; the -dev packages of the headers with apt-get when run as root), generates bindings
with every tool into benchmarks/_work/, measures them and writes benchmarks/RESULTS.md and
benchmarks/scaling.png. All figures come from this one run on this one machine.
"""

import argparse
import json
import os
import pickle
import platform
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import sysconfig
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.path.join(HERE, "_work")
MODS = os.path.join(WORK, "mods")          # every module that is imported / timed
GEN = os.path.join(WORK, "gen")            # logs and preprocessed text
NOPYC = os.path.join(WORK, "nopyc")        # an empty pycache prefix: source-only imports
VENV = os.path.join(WORK, "venv-clang2py")
SCRIPTS = sysconfig.get_path("scripts")
PY = sys.executable
LIBDIR = "/usr/lib/x86_64-linux-gnu"

# ---------------------------------------------------------------------------------------------
# What is measured

# key, title, headers for lazybind's default scope, headers given to the peers (and to
# lazybind --scope named), libraries (short names), -D macros, two functions for first-call
# latency (run with no arguments), apt package that ships the headers.
TARGETS = [
    dict(key="zlib", title="zlib.h", headers=["zlib.h"], peer=["zlib.h"], libs=["z"],
         defines=[], calls=("zlibVersion", "zlibCompileFlags"), apt="zlib1g-dev"),
    dict(key="sqlite3", title="sqlite3.h", headers=["sqlite3.h"], peer=["sqlite3.h"],
         libs=["sqlite3"], defines=[], calls=("sqlite3_libversion", "sqlite3_threadsafe"),
         apt="libsqlite3-dev"),
    dict(key="z3", title="z3.h", headers=["z3.h"],
         # z3.h itself declares nothing: its API is in the z3_*.h files it includes, which the
         # peers (and --scope named) are given explicitly.
         peer=["z3.h", "z3_macros.h", "z3_api.h", "z3_ast_containers.h", "z3_algebraic.h",
               "z3_polynomial.h", "z3_rcf.h", "z3_fixedpoint.h", "z3_optimization.h",
               "z3_fpa.h", "z3_spacer.h"],
         libs=["z3"], defines=[], calls=("Z3_get_full_version", "Z3_mk_config"),
         apt="libz3-dev"),
    dict(key="ssl", title="openssl/ssl.h (+crypto)", headers=["openssl/ssl.h"],
         peer=["openssl/ssl.h"], libs=["ssl", "crypto"], defines=[],
         calls=("TLS_method", "DTLS_method"), apt="libssl-dev"),
    dict(key="gl", title="GL/gl.h + GL/glext.h", headers=["GL/gl.h", "GL/glext.h"],
         peer=["GL/gl.h", "GL/glext.h"], libs=["GL"], defines=["GL_GLEXT_PROTOTYPES"],
         calls=("glGetError", "glFlush"), apt="libgl-dev"),
    dict(key="evp", title="openssl/evp.h (crypto)", headers=["openssl/evp.h"],
         peer=["openssl/evp.h"], libs=["crypto"], defines=[], calls=("EVP_md5", "EVP_sha256"),
         apt="libssl-dev"),
    dict(key="xlib", title="X11/Xlib.h", headers=["X11/Xlib.h"], peer=["X11/Xlib.h"],
         libs=["X11"], defines=[], calls=("XInitThreads", "XDisplayName(None)"), apt="libx11-dev"),
    dict(key="libc", title="stdlib.h + time.h (libc)", headers=["stdlib.h", "time.h"],
         peer=["stdlib.h", "time.h"], libs=["c"], defines=[],
         calls=("rand", "clock"), apt=None),
]
SCALING = [10, 1000, 10000, 100000]
TOOLS = ["lazybind", "lazybind_named", "ctypesgen", "clang2py", "cffi"]
TOOL_TITLES = {"lazybind": "lazybind", "lazybind_named": "lazybind --scope named",
               "lazybind_data": "lazybind --data-file",
               "ctypesgen": "ctypesgen", "clang2py": "clang2py", "cffi": "cffi (cdef of the header)"}
SONAMES = {"z": "libz.so.1", "sqlite3": "libsqlite3.so.0", "z3": "libz3.so.4", "ssl": "libssl.so.3",
           "crypto": "libcrypto.so.3", "GL": "libGL.so.1", "c": "libc.so.6",
           "X11": "libX11.so.6"}

# Reference modules (the floors) and their first-call code: (title, module, call1, call2)
FLOORS = [
    ("empty module", "empty_module", None, None),
    ("hand ctypes: 4 zlib functions, set up at import", "hand_zlib",
     "m.zlibVersion()", "m.zlibCompileFlags()"),
    ("hand ctypes: CDLL + prototype at first use", "empty_module",
     "lib = ctypes.CDLL('libz.so.1'); f = lib.zlibVersion; f.argtypes = []; "
     "f.restype = ctypes.c_char_p; f()",
     "g = lib.zlibCompileFlags; g.argtypes = []; g.restype = ctypes.c_ulong; g()"),
    ("cffi ABI: 4 hand cdefs, dlopen at import", "cffi_abi_zlib",
     "m.lib.zlibVersion()", "m.lib.zlibCompileFlags()"),
    ("cffi API: compiled module (zlib, libc)", "bench_cffi_api",
     "m.lib.zlibVersion()", "m.lib.zlibCompileFlags()"),
]


class Settings:
    def __init__(self, quick):
        self.quick = quick
        self.gen_repeats = 1 if quick else 3
        self.time_runs = 9 if quick else 21
        self.source_runs = 5 if quick else 9
        self.mem_runs = 1 if quick else 3
        self.first_runs = 5 if quick else 9
        self.slow_ns = 0.2e9        # an import slower than this gets 3 timed runs, no tracemalloc
        self.steady_repeats = 3 if quick else 7
        self.module_budget = 8.0     # seconds of first-call runs per module
        self.scaling_ctypesgen_max = 10000 if quick else 100000
        self.gen_timeout = 900
        self.mem_timeout = 60


def log(*args):
    print("[bench %s]" % time.strftime("%H:%M:%S"), *args, flush=True)


def rel(path):
    """A path as shown in RESULTS.md: relative to the repository, never this machine's layout."""
    root = os.path.dirname(HERE)
    return path.replace(root + os.sep, "").replace(sys.executable, "python")


def first_error_line(text):
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    for ln in lines:
        if re.search(r"error|Error|ERROR|exception|Exception", ln):
            return ln[:200]
    return (lines[-1] if lines else "no output")[:200]


def child_env(source_only=False):
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPYCACHEPREFIX", None)
    env.pop("PYTHONSTARTUP", None)
    if source_only:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env["PYTHONPYCACHEPREFIX"] = NOPYC      # stays empty: nothing is found, nothing written
    return env


def run(cmd, timeout=None, env=None, cwd=None):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=env, cwd=cwd)


# ---------------------------------------------------------------------------------------------
# Set-up: peers, headers

def pip_install(packages):
    log("pip install", " ".join(packages))
    subprocess.run([PY, "-m", "pip", "install", "-q", "--disable-pip-version-check"] + packages,
                   check=True)


def have_module(name):
    return run([PY, "-c", "import " + name]).returncode == 0


def libclang_path_and_version():
    import importlib.metadata
    import clang
    path = os.path.join(os.path.dirname(clang.__file__), "native", "libclang.so")
    version = importlib.metadata.version("libclang")
    return path, version


def setup(settings, status):
    missing = [pkg for pkg, mod in (("ctypesgen", "ctypesgen"), ("cffi", "cffi"),
                                    ("matplotlib", "matplotlib")) if not have_module(mod)]
    if missing:
        pip_install(missing)
    # ctypeslib2 requires the `clang` distribution, whose files collide with the `libclang`
    # wheel lazybind uses; it lives in a venv of its own and uses the same libclang.so.
    libclang, libclang_version = libclang_path_and_version()
    clang2py = os.path.join(VENV, "bin", "clang2py")
    major = libclang_version.split(".")[0]
    if not os.path.exists(clang2py):
        log("creating", rel(VENV), "for ctypeslib2 (clang2py)")
        try:
            subprocess.run([PY, "-m", "venv", VENV], check=True)
            subprocess.run([os.path.join(VENV, "bin", "python"), "-m", "pip", "install", "-q",
                            "--disable-pip-version-check", "ctypeslib2",
                            "clang==%s.*" % major], check=True)
        except subprocess.CalledProcessError as exc:
            status["clang2py"] = "could not install ctypeslib2: %s" % exc
    # every tool runs from bytecode, as pip leaves the peers it installs; lazybind may be an
    # editable checkout, whose modules would otherwise be compiled at every generation
    import lazybind
    subprocess.run([PY, "-m", "compileall", "-q", os.path.dirname(lazybind.__file__)],
                   env=child_env(), check=False)
    # headers: install the -dev packages when something is missing and we may
    need = []
    for t in TARGETS:
        for h in t["headers"] + t["peer"]:
            if not os.path.exists(os.path.join("/usr/include", h)) and t["apt"]:
                need.append(t["apt"])
    need = sorted(set(need))
    if need:
        if os.geteuid() == 0 and shutil.which("apt-get"):
            log("apt-get install", " ".join(need))
            subprocess.run(["apt-get", "update", "-qq"], check=False)
            subprocess.run(["apt-get", "install", "-y", "-qq"] + need, check=False)
        else:
            log("missing headers; install as root:", " ".join(need))
    return dict(libclang=libclang, libclang_version=libclang_version, clang2py=clang2py)


# ---------------------------------------------------------------------------------------------
# Generation

def header_path(name):
    for d in ("/usr/include", os.path.join("/usr/include", "x86_64-linux-gnu")):
        p = os.path.join(d, name)
        if os.path.exists(p):
            return p
    return name


def gcc_include():
    return run(["cc", "-print-file-name=include"]).stdout.strip()


def gen_commands(tool, target, out, env_info):
    """The command line (list) that generates `out` with `tool`, and an env override."""
    libs = target["libs"]
    defines = target["defines"]
    if tool in ("lazybind", "lazybind_data"):
        cmd = [PY, os.path.join(SCRIPTS, "lazybind"), "generate"] + target["headers"]
        for lib in libs:
            cmd += ["--library", lib]
        for d in defines:
            cmd += ["-D", d]
        return cmd + ["-o", out] + (["--data-file"] if tool == "lazybind_data" else []), None
    if tool == "lazybind_named":
        cmd = [PY, os.path.join(SCRIPTS, "lazybind"), "generate"] + target["peer"]
        for lib in libs:
            cmd += ["--library", lib]
        for d in defines:
            cmd += ["-D", d]
        return cmd + ["--scope", "named", "-o", out], None
    if tool == "ctypesgen":
        cmd = [PY, os.path.join(SCRIPTS, "ctypesgen")] + ["-l" + lib for lib in libs]
        cmd += ["-D" + d for d in defines]
        return cmd + [header_path(h) for h in target["peer"]] + ["-o", out], None
    if tool == "clang2py":
        cmd = [env_info["clang2py"]] + [header_path(h) for h in target["peer"]]
        for lib in libs:
            cmd += ["-l", os.path.join(LIBDIR, SONAMES.get(lib, "lib%s.so" % lib))]
        args = "-isystem" + gcc_include() + "".join(" -D" + d for d in defines)
        cmd += ["--clang-args=" + args, "-o", out]
        return cmd, {"CLANG_LIBRARY_PATH": env_info["libclang"]}
    if tool == "cffi":
        cmd = [PY, os.path.join(HERE, "cffi_attempt.py"), out, ",".join(libs),
               ",".join(defines)] + [header_path(h) for h in target["peer"]]
        return cmd, None
    raise ValueError(tool)


def generate(tool, target, settings, env_info, status_key):
    """Generate, time it; returns a record with the time, file sizes and a status."""
    out = os.path.join(MODS, "%s_%s.py" % (target["key"], tool))
    rec = dict(tool=tool, target=target["key"], module="%s_%s" % (target["key"], tool), path=out)
    if tool == "clang2py" and status_key.get("clang2py"):
        rec.update(status="not run: " + status_key["clang2py"])
        return rec
    cmd, extra = gen_commands(tool, target, out, env_info)
    env = dict(os.environ)
    if extra:
        env.update(extra)
    shown = list(cmd)
    if shown[0] == PY and shown[1].startswith(SCRIPTS + os.sep):
        shown = [os.path.basename(shown[1])] + shown[2:]       # the console script, as typed
    rec["command"] = (" ".join("%s=%s" % (k, rel(v)) for k, v in (extra or {}).items()) + " "
                      if extra else "") + shlex.join(rel(c) for c in shown)
    times = []
    repeats = 1 if target.get("synthetic") else settings.gen_repeats
    for _ in range(repeats):
        if os.path.exists(out):
            os.remove(out)
        t0 = time.perf_counter()
        try:
            proc = run(cmd, timeout=settings.gen_timeout, env=env, cwd=GEN)
        except subprocess.TimeoutExpired:
            rec["status"] = "generation timed out after %d s" % settings.gen_timeout
            return rec
        times.append(time.perf_counter() - t0)
        with open(os.path.join(GEN, rec["module"] + ".log"), "w") as f:
            f.write(proc.stdout + proc.stderr)
        if proc.returncode != 0 or not os.path.exists(out) or os.path.getsize(out) == 0:
            rec["status"] = "generation failed: " + first_error_line(proc.stderr + proc.stdout)
            if tool != "cffi":
                rec["gen_s"] = statistics.median(times)
            return rec
    rec["gen_s"] = statistics.median(times)
    rec["file_bytes"] = os.path.getsize(out)
    log_text = open(os.path.join(GEN, rec["module"] + ".log")).read()
    if tool == "ctypesgen":
        errors = [ln for ln in log_text.splitlines() if ln.startswith("ERROR")]
        if errors:
            rec["note"] = "%d parse errors, continued (first: %s)" % (
                len(errors), errors[0].replace("ERROR: ", "")[:120])
    if tool == "clang2py":
        errors = [ln for ln in log_text.splitlines() if "error" in ln.lower()]
        if errors:
            rec["note"] = "%d error lines, e.g. %s" % (len(errors), errors[0][:120])
    rec["status"] = "ok"
    return rec


def count_declarations(rec):
    """Exposed names and functions of a module, counted in a fresh process."""
    code = r"""
import ctypes, json, sys, os
sys.path.insert(0, sys.argv[1])
path = os.path.join(sys.argv[1], sys.argv[2] + ".py")
text = open(path).read()
if os.path.exists(path[:-3] + ".lazybind"):  # --data-file: the tables are beside the stub
    text = open(path[:-3] + ".lazybind").read()
out = {}
if "\n#@names" in text:
    from lazybind import runtime
    sections = runtime.read_sections(text)
    names = runtime.section_lines(sections["names"])
    kinds = [runtime.unpack_entry(e)[0] for e in runtime.decode_ints(sections["entries"], "Q")]
    out["names"] = len(names)
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


# ---------------------------------------------------------------------------------------------
# Fresh-process measurements

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


def measure_first_call(module, call1, call2, settings):
    try:
        runs = repeated("first", module, settings.first_runs, settings.module_budget,
                        call1, call2)
    except Exception as exc:  # noqa: BLE001
        return {"first_error": str(exc)}
    return {"first_ns": statistics.median(r["first"] for r in runs),
            "second_ns": statistics.median(r["second"] for r in runs),
            "again_ns": statistics.median(r["again"] for r in runs)}


def pyc_size(module):
    cache = os.path.join(MODS, "__pycache__")
    tag = sys.implementation.cache_tag
    p = os.path.join(cache, "%s.%s.pyc" % (module, tag))
    return os.path.getsize(p) if os.path.exists(p) else None


# ---------------------------------------------------------------------------------------------
# Report

def fmt_time(ns):
    if ns is None:
        return "—"
    if ns >= 1e9:
        return "%.2f s" % (ns / 1e9)
    if ns >= 1e6:
        return "%.1f ms" % (ns / 1e6)
    if ns >= 1e3:
        return "%.0f µs" % (ns / 1e3) if ns >= 1e4 else "%.1f µs" % (ns / 1e3)
    return "%.0f ns" % ns


def fmt_bytes(n):
    if n is None:
        return "—"
    if abs(n) >= 1 << 20:
        return "%.1f MiB" % (n / (1 << 20))
    if abs(n) >= 1 << 10:
        return "%.1f KiB" % (n / (1 << 10))
    return "%d B" % n


def ratio(value, base):
    if value is None or not base:
        return "—"
    r = value / base
    if r >= 100:
        return "%.0fx" % r
    if r >= 10:
        return "%.1fx" % r
    return "%.2fx" % r


def cell(value, base, fmt):
    if value is None:
        return "—"
    return "%s (%s)" % (fmt(value), ratio(value, base))


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


def write_results(path, settings, info, gens, counts, imports, firsts, floors, steady, scaling,
                  goals, total_s):
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
    w("## Goals of issue 7")
    w("")
    w("| goal | target | achieved | |")
    w("|---|---|---|---|")
    for name, target, achieved, ok in goals:
        w("| %s | %s | %s | %s |" % (name, target, achieved,
                                     "met" if ok else ("not met" if ok is False else "n/a")))
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


def scaling_targets(settings):
    return [dict(key="synth%d" % n, title="synthetic, %d declarations" % n, synthetic=True, n=n,
                 headers=[os.path.join(GEN, "synth%d.h" % n)],
                 peer=[os.path.join(GEN, "synth%d.h" % n)], libs=["c"], defines=[])
            for n in SCALING]


def plot(path, scaling, floor):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(11, 4.2))
    tools = []
    for _, tool, _, _ in scaling:
        if tool not in tools:
            tools.append(tool)
    for tool in tools:
        pts = [(n, imp) for n, t, g, imp in scaling
               if t == tool and g.get("status") == "ok" and imp.get("import_ns")]
        if pts:
            line, = ax1.plot([n for n, _ in pts], [imp["import_ns"] / 1e6 for _, imp in pts],
                             "o-", label=tool)
            src = [(n, imp["source_ns"]) for n, imp in pts if imp.get("source_ns")]
            if tool == "lazybind" and src:
                ax1.plot([n for n, _ in src], [v / 1e6 for _, v in src], "o:",
                         color=line.get_color(), label=tool + " (source only)")
        pts = [(n, imp) for n, imp in pts if imp.get("traced") is not None]
        if pts:
            ax2.plot([n for n, _ in pts], [max(imp["traced"], 1) / 1024 for _, imp in pts],
                     "o-", label=tool)
    if floor.get("import_ns"):
        ax1.axhline(floor["import_ns"] / 1e6, color="gray", ls="--", label="empty module")
        if floor.get("source_ns"):
            ax1.axhline(floor["source_ns"] / 1e6, color="gray", ls=":",
                        label="empty module (source only)")
        ax2.axhline(max(floor["traced"], 1) / 1024, color="gray", ls="--", label="empty module")
    for ax, title, unit in ((ax1, "import time (.pyc cached)", "ms"),
                            (ax2, "import memory (tracemalloc)", "KiB")):
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("declarations in the header")
        ax.set_ylabel(unit)
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("Import cost vs header size (synthetic header, one run)")
    fig.tight_layout()
    fig.savefig(path, dpi=110)


# ---------------------------------------------------------------------------------------------

def copy_hand_modules():
    for name in os.listdir(os.path.join(HERE, "hand")):
        if name.endswith(".py"):
            shutil.copy(os.path.join(HERE, "hand", name), os.path.join(MODS, name))


def goals_table(gens, imports, floors, firsts, steady, scaling, comments_floor):
    goals = []
    empty = floors.get("empty_module", {})
    e_t, e_s, e_m = empty.get("import_ns"), empty.get("source_ns"), empty.get("traced")
    named = imports.get(("ssl", "lazybind_named"), {})
    full = imports.get(("ssl", "lazybind"), {})
    cg = imports.get(("ssl", "ctypesgen"), {})

    def g(name, target, value, ok):
        goals.append((name, target, value, ok))

    if named.get("import_ns") and cg.get("import_ns"):
        r = cg["import_ns"] / named["import_ns"]
        g("ssl.h `--scope named` import vs ctypesgen's ssl.h module", "≥ 200x faster",
          "%.0fx (%s vs %s)" % (r, fmt_time(named["import_ns"]), fmt_time(cg["import_ns"])),
          r >= 200)
    if named.get("traced") is not None and cg.get("traced") is not None and e_m is not None:
        a, b = named["traced"] - e_m, cg["traced"] - e_m
        r = b / a if a > 0 else float("inf")
        g("ssl.h `--scope named` import memory above an empty module vs ctypesgen's",
          "≥ 200x smaller", "%s vs %s: %s" % (fmt_bytes(a), fmt_bytes(b),
                                             "%.0fx" % r if a > 0 else "nothing above the floor"),
          r >= 200)
    if full.get("import_ns") and e_t:
        r = full["import_ns"] / e_t
        g("ssl.h default scope import vs an empty module (.pyc)", "≤ 1.5x",
          "%.2fx (%s vs %s)" % (r, fmt_time(full["import_ns"]), fmt_time(e_t)), r <= 1.5)
    split = imports.get(("ssl", "lazybind_data"), {})
    if split.get("source_ns") and e_s:
        r = split["source_ns"] / e_s
        g("ssl.h default scope import vs an empty module (source only), with `--data-file`",
          "≤ 2x", "%.2fx (%s vs %s); with .pyc %.2fx" % (
              r, fmt_time(split["source_ns"]), fmt_time(e_s), split["import_ns"] / e_t), r <= 2)
    if full.get("source_ns") and e_s:
        r = full["source_ns"] / e_s
        floor = ""
        if comments_floor:
            floor = ("; compiling the file's %s of comment lines alone takes %s (%.1fx): no"
                     " module with its data inside its .py can be under that" % (
                         fmt_bytes(comments_floor["bytes"]), fmt_time(comments_floor["ns"]),
                         (e_s + comments_floor["ns"]) / e_s))
        g("same, one self-contained file (the default; source only)", "— (see `--data-file`)",
          "%.2fx (%s vs %s)%s" % (r, fmt_time(full["source_ns"]), fmt_time(e_s), floor), None)
    if full.get("traced") is not None and e_m is not None:
        d = full["traced"] - e_m
        g("ssl.h default scope import memory above an empty module", "≤ 64 KiB",
          "%s (module %s, empty %s)" % (fmt_bytes(d), fmt_bytes(full["traced"]), fmt_bytes(e_m)),
          d <= 64 * 1024)
    lb = {n: imp for n, t, gg, imp in scaling if t == "lazybind" and imp.get("import_ns")}
    if 10 in lb and 100000 in lb and lb[10].get("traced") is not None \
            and lb[100000].get("traced") is not None:
        rt = lb[100000]["import_ns"] / lb[10]["import_ns"]
        rm = lb[100000]["traced"] - lb[10]["traced"]
        g("flat from 10 to 100k declarations (import time; memory)", "~1x; ~0 B",
          "%.2fx (%s → %s); %+d B (%s → %s)" % (
              rt, fmt_time(lb[10]["import_ns"]), fmt_time(lb[100000]["import_ns"]), rm,
              fmt_bytes(lb[10]["traced"]), fmt_bytes(lb[100000]["traced"])),
          rt <= 1.2 and rm <= 1024)
    if 10 in lb and 100000 in lb and lb[10].get("source_ns") and lb[100000].get("source_ns"):
        rs = lb[100000]["source_ns"] / lb[10]["source_ns"]
        g("source-only import from 10 to 100k declarations", "flat (not set by the issue)",
          "%.1fx (%s → %s): the comment lines are still tokenized" % (
              rs, fmt_time(lb[10]["source_ns"]), fmt_time(lb[100000]["source_ns"])), None)
    crc = {r["variant"]: r["ns"] for r in steady.get("crc32", []) if r["ns"]}
    if "lazybind" in crc and "hand ctypes, argtypes" in crc:
        r = crc["lazybind"] / crc["hand ctypes, argtypes"]
        g("steady call crc32 vs hand ctypes with argtypes", "≤ 1.0x (noise ±3%)",
          "%.3fx (%s vs %s)" % (r, fmt_time(crc["lazybind"]), fmt_time(crc["hand ctypes, argtypes"])),
          r <= 1.03)
    if "hand ctypes, argtypes, use_errno=True" in crc and "hand ctypes, argtypes" in crc:
        r = crc["hand ctypes, argtypes, use_errno=True"] / crc["hand ctypes, argtypes"]
        g("cost of use_errno=True on every call (hand ctypes, for reference)", "—",
          "%.3fx" % r, None)
    for key, title, tool, calls, rec in firsts:
        if tool == "lazybind" and key in ("zlib", "ssl") and rec.get("second_ns"):
            g("first call after the library is open (%s: %s)" % (title, calls[1]), "≤ 30 µs",
              fmt_time(rec["second_ns"]), rec["second_ns"] <= 30e3)
    gen = gens.get(("ssl", "lazybind"), {})
    cgen = gens.get(("ssl", "ctypesgen"), {})
    if gen.get("gen_s"):
        g("generation of ssl.h (default scope)", "≤ 2 s",
          "%.2f s (ctypesgen: %s)" % (gen["gen_s"], "%.2f s" % cgen["gen_s"]
                                      if cgen.get("gen_s") else "—"), gen["gen_s"] <= 2)
    return goals


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
        import compiled
        compiled.main(args.output)
        return
    if args.render:
        with open(os.path.join(WORK, "results.pickle"), "rb") as f:
            render(pickle.load(f), args)
        return
    settings = Settings(args.quick)
    started = time.perf_counter()
    if os.path.exists(MODS):
        shutil.rmtree(MODS)
    for d in (MODS, GEN, NOPYC):
        os.makedirs(d, exist_ok=True)
    status = {}
    env_info = setup(settings, status)
    copy_hand_modules()

    # synthetic headers
    sys.path.insert(0, HERE)
    import synth
    for n in SCALING:
        synth.write_header(n, os.path.join(GEN, "synth%d.h" % n))

    # generation
    gens = {}
    for t in TARGETS:
        for tool in TOOLS:
            rec = generate(tool, t, settings, env_info, status)
            gens[(t["key"], tool)] = rec
            log("generate %-8s %-15s %s %s" % (t["key"], tool, rec.get("status"),
                                               "%.2f s" % rec["gen_s"] if rec.get("gen_s") else ""))
    ssl = next(t for t in TARGETS if t["key"] == "ssl")  # the one header measured split too
    gens[("ssl", "lazybind_data")] = generate("lazybind_data", ssl, settings, env_info, status)
    for t in scaling_targets(settings):
        for tool in ("lazybind", "ctypesgen", "clang2py"):
            if tool == "ctypesgen" and t["n"] > settings.scaling_ctypesgen_max:
                gens[(t["key"], tool)] = dict(status="skipped in --quick (ctypesgen takes minutes)",
                                              tool=tool, target=t["key"])
                continue
            rec = generate(tool, t, settings, env_info, status)
            gens[(t["key"], tool)] = rec
            log("generate %-8s %-15s %s %s" % (t["key"], tool, rec.get("status"),
                                               "%.2f s" % rec["gen_s"] if rec.get("gen_s") else ""))

    log("building the cffi API module")
    cffi_build = run([PY, os.path.join(HERE, "cffi_api_build.py"), os.path.join(WORK, "cffi")],
                     env=child_env())
    if cffi_build.returncode == 0:
        for name in os.listdir(os.path.join(WORK, "cffi")):
            if name.startswith("bench_cffi_api") and name.endswith(".so"):
                shutil.copy(os.path.join(WORK, "cffi", name), os.path.join(MODS, name))
    cffi_api_error = None if cffi_build.returncode == 0 else first_error_line(cffi_build.stderr)

    # a peer's module that does not compile fails here too; its import records the error
    subprocess.run([PY, "-m", "compileall", "-q", MODS], env=child_env(), capture_output=True)

    # declaration counts
    counts = {}
    for (key, tool), rec in gens.items():
        if rec.get("status") == "ok":
            counts[(key, tool)] = count_declarations(rec)

    # imports
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

    # first calls (and memory after the first call)
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

    # steady state
    log("steady-state calls")
    proc = run([PY, os.path.join(HERE, "steady.py"), MODS, str(settings.steady_repeats)],
               env=child_env(), timeout=1800)
    steady = json.loads(proc.stdout) if proc.returncode == 0 else {
        "crc32": [{"variant": "all", "ns": None, "error": first_error_line(proc.stderr)}]}

    data = dict(quick=settings.quick, gens=gens, counts=counts, imports=imports, floors=floors,
                firsts=firsts, steady=steady, env_info=env_info,
                comments_floor=comments_compile_floor(gens.get(("ssl", "lazybind"), {})),
                measure_s=time.perf_counter() - started)
    with open(os.path.join(WORK, "results.pickle"), "wb") as f:
        pickle.dump(data, f)
    render(data, args)


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


def render(data, args):
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
    plot(args.plot, scaling, floors.get("empty_module", {}))

    goals = goals_table(gens, imports, floors, firsts, steady, scaling, data.get("comments_floor", {}))
    info = machine_info(env_info)
    total = data["measure_s"] + time.perf_counter() - t0
    import compiled
    previous = compiled.section_in(args.output)
    write_results(args.output, settings, info, gens, counts, imports, firsts, floors, steady,
                  scaling, goals, total)
    compiled.write_section(args.output, previous)  # measured by --compiled; kept across full runs
    log("wrote", rel(args.output), "and", rel(args.plot), "in %.0f s" % total)


if __name__ == "__main__":
    main()
