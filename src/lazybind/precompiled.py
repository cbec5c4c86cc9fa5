"""The headers compiled once ahead, for the C compiler's runs during generation.

Generation runs the target's compiler twice on the same headers: for the macros' values
(parse.cc_values) and for the layouts (verify.program), each time parsing the headers anew;
windows.h for x86_64 took gcc 0.9 s of each run's 1.4 s. A `PrecompiledHeaders` starts gcc on
the headers alone as generation begins, in a process of its own at a lower priority (it takes
the core the Python work leaves idle, not the Python work's), writing a precompiled header
(`.gch`). A run begins its C file with `head()`, the line that includes the wrapper header:
gcc then reads the precompiled form, and the headers' text where the precompiled form is missing
(its build failed) or not valid for that run's options, so what a run computes is the same
either way; only its time differs.

Only gcc is asked (clang reads a precompiled header only through -include-pch), and only with a
core to spare: building the precompiled header costs more processor time than the two parses
it saves (windows.h: 2.2 s against 1.8 s), so on a machine whose cores are all busy (two
generations at once on two cores) it would slow generation down. Imports nothing of lazybind but
toolchain's Compiler.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import threading
from typing import Optional, Sequence

from .toolchain import Compiler

WRAPPER = "__lazybind_headers__.h"
# below generation's own work, which the runs wait for, yet not so low that a busy machine
# starves it while a run waits for it
_NICENESS = 5


def core_to_spare() -> bool:
    """Whether a core is idle beside this process: fewer tasks runnable right now (Linux's
    /proc/loadavg) than the cores this process may use; elsewhere, a one-minute load average
    below them (none known: yes)."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    try:
        with open("/proc/loadavg", encoding="ascii") as handle:
            runnable = int(handle.read().split()[3].split("/")[0])  # this process among them
        return runnable < cores
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.getloadavg()[0] < cores - 1
    except (AttributeError, OSError):
        return True


class PrecompiledHeaders:
    """The head of a C file (the lines that include the headers) compiled ahead by gcc."""

    def __init__(self, compiler: Compiler, flags: Sequence[str], head: str) -> None:
        self._directory = tempfile.mkdtemp(prefix="lazybind-pch-")
        self._header = os.path.join(self._directory, WRAPPER)
        with open(self._header, "w", encoding="utf-8") as handle:
            handle.write(head)
        self._lock = threading.Lock()
        self._process: Optional[subprocess.Popen] = None
        if compiler.flavor == "gcc" and core_to_spare():
            try:
                self._process = subprocess.Popen(
                    [*compiler.command, *flags, "-x", "c-header", self._header,
                     "-o", self._header + ".gch"],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            except OSError:
                return
            try:
                os.setpriority(os.PRIO_PROCESS, self._process.pid, _NICENESS)
            except (AttributeError, OSError):  # (no setpriority on Windows; it has exited)
                pass

    def head(self) -> str:
        """The line that stands for the head in a C file, once the precompiled header is built
        (or its build failed: then the wrapper is read as text)."""
        with self._lock:
            if self._process is not None and self._process.wait() != 0:
                try:  # a failed build leaves nothing a run could read as half a header
                    os.remove(self._header + ".gch")
                except OSError:
                    pass
                self._process = None
        return f'#include "{self._header}"'

    def close(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        shutil.rmtree(self._directory, ignore_errors=True)

    def __enter__(self) -> "PrecompiledHeaders":
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()
