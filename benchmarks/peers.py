"""The peers: installed when missing, and each tool's bindings generated and timed.

lazybind (default scope, --scope named, --data-file), ctypesgen, clang2py (ctypeslib2, in a venv
of its own) and cffi (`cdef()` of the preprocessed header, cffi_attempt.py); the hand-written
modules of hand/ and the out-of-line cffi module. A new tool is a TOOLS name in suite.py and a
command line in `gen_commands`. Measures nothing but generation time; imports common and suite.
"""

import os
import shlex
import shutil
import statistics
import subprocess
import time

from common import (GEN, HERE, LIBDIR, MODS, PY, SCRIPTS, VENV, child_env, first_error_line, log,
                    rel, run)
from suite import SONAMES, TARGETS, TOOLS, scaling_targets


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


def copy_hand_modules():
    for name in os.listdir(os.path.join(HERE, "hand")):
        if name.endswith(".py"):
            shutil.copy(os.path.join(HERE, "hand", name), os.path.join(MODS, name))


def build_cffi_api(build_dir, dest_dir):
    """The out-of-line (API mode) cffi module, built in `build_dir` and copied into `dest_dir`;
    returns the build's first error line, or None."""
    done = run([PY, os.path.join(HERE, "cffi_api_build.py"), build_dir], env=child_env())
    if done.returncode != 0:
        return first_error_line(done.stderr)
    for name in os.listdir(build_dir):
        if name.startswith("bench_cffi_api") and name.endswith(".so"):
            shutil.copy(os.path.join(build_dir, name), os.path.join(dest_dir, name))
    return None


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


def generate_all(settings, env_info, status):
    """Every target with every tool, ssl.h also with --data-file, and the synthetic headers:
    {(target key, tool): the generation's record}."""
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
    return gens


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
