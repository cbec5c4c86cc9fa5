"""What every part of the suite shares: where things are, and how a child process is run.

Paths under benchmarks/_work/ (git-ignored), the log line, a path as RESULTS.md shows it, the
first error line of a failed tool, the environment of a measured child process. Imports no other
module of the suite.
"""

import os
import re
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
RESULTS_DATA = os.path.join(WORK, "results.pickle")  # a full run's measurements (--render)
COMPILED = os.path.join(WORK, "compiled")   # the compiled fast path's modules (--compiled)
COMPILED_DATA = os.path.join(WORK, "compiled.json")
SCRIPTS = sysconfig.get_path("scripts")
PY = sys.executable
LIBDIR = "/usr/lib/x86_64-linux-gnu"


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
