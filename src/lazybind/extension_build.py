"""Building a module's compiled fast path with the system C compiler. A build that cannot run
(no compiler, no Python.h) or fails is a warning: the module works without it, through ctypes."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sysconfig
import tempfile
from importlib import machinery
from typing import Optional

_TIMEOUT = 900  # seconds: a binding of ~5k functions builds in well under a minute


def extension_path(directory: str, name: str) -> str:
    """Where the runtime looks for the extension `name` of a module in `directory` (the same
    expression as lazybind.runtime.load_extension)."""
    return os.path.join(directory, name + machinery.EXTENSION_SUFFIXES[0])


def build_extension(c_path: str, target: str) -> Optional[str]:
    """Compile `c_path` into the extension `target` (replaced atomically). Returns None on
    success, else why it was not built (and any older `target` is removed, so no stale build can
    be mistaken for this one)."""
    problem = _build(c_path, target)
    if problem is not None and os.path.exists(target):
        os.unlink(target)
    return problem


def _build(c_path: str, target: str) -> Optional[str]:
    compiler = shlex.split(os.environ.get("CC") or "cc")
    if not compiler or shutil.which(compiler[0]) is None:
        return f"no C compiler ({os.environ.get('CC') or 'cc'} not found)"
    include = sysconfig.get_paths()["include"]
    if not os.path.isfile(os.path.join(include, "Python.h")):
        return f"Python.h not found in {include} (install the Python development headers)"
    handle, temporary = tempfile.mkstemp(prefix=".lazybind-", suffix=".so", dir=os.path.dirname(target) or ".")
    os.close(handle)
    command = [*compiler, "-shared", "-fPIC", "-O2", "-I", include, "-o", temporary, c_path]
    try:
        run = subprocess.run(command, capture_output=True, text=True, timeout=_TIMEOUT)
        if run.returncode != 0:
            lines = run.stderr.strip().splitlines()
            first = next((line for line in lines if "error" in line), lines[0] if lines else "")
            return f"{shlex.join(command)} failed: {first or run.returncode}"
        os.chmod(temporary, 0o755)
        os.replace(temporary, target)
        return None
    except (OSError, subprocess.TimeoutExpired) as error:
        return f"{shlex.join(command)} failed: {error}"
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
