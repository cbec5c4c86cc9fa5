"""Pointer constants at a fixed address (MAP_FAILED, SIG_IGN, SQLITE_TRANSIENT) are ints, as the
C compiler computes them; a function-pointer parameter accepts one. NULL stays None, and an
address only the linker knows (`&variable`) is still skipped."""

from __future__ import annotations

import signal

import lazybind
from conftest import bind_text, import_path, python_in_subprocess, run_c

HEADER = """\
#include <signal.h>
#include <sys/mman.h>
extern int some_variable;
#define SOME_ADDRESS ((void *)&some_variable)
#define NOTHING ((void *)0)
"""
ORACLE = """\
#include <stdio.h>
#include <signal.h>
#include <sys/mman.h>
int main(void) {
    printf("%llu %llu %llu\\n", (unsigned long long)MAP_FAILED, (unsigned long long)SIG_IGN,
           (unsigned long long)SIG_ERR);
    return 0;
}
"""


def test_fixed_addresses_are_the_compilers_ints(tmp_path):
    path = bind_text(tmp_path, "pointers", HEADER, library="c")
    module = import_path(path)
    c_values = [int(word) for word in run_c(tmp_path, ORACLE).split()]
    assert [module.MAP_FAILED, module.SIG_IGN, module.SIG_ERR] == c_values
    assert module.NOTHING is None and module.SIG_DFL is None
    assert not hasattr(module, "SOME_ADDRESS")
    report = lazybind.check(str(path))
    assert "constant MAP_FAILED" in report.checked and "constant SIG_IGN" in report.checked
    assert report.mismatches == [], report.text()


def test_a_function_pointer_parameter_takes_an_address(tmp_path):
    path = bind_text(tmp_path, "signals", "#include <signal.h>\n#include <sys/mman.h>\n", library="c")
    ignored_mask = python_in_subprocess(f"""
import importlib.util, os, signal
spec = importlib.util.spec_from_file_location("signals_ffi", {str(path)!r})
c = importlib.util.module_from_spec(spec); spec.loader.exec_module(c)
c.signal(c.SIGUSR1, c.SIG_IGN)
os.kill(os.getpid(), signal.SIGUSR1)  # ignored: the process goes on
failed = c.mmap(None, 1 << 62, c.PROT_READ, c.MAP_PRIVATE | c.MAP_ANONYMOUS, -1, 0)
assert failed == c.MAP_FAILED, failed
print([line for line in open("/proc/self/status") if line.startswith("SigIgn:")][0].split()[1])
""")
    assert int(ignored_mask, 16) >> (signal.SIGUSR1 - 1) & 1  # the kernel ignores SIGUSR1
