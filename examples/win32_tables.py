"""Win32 from windows.h: kernel32, user32 and advapi32 for 64-bit Windows, generated on Linux from
mingw-w64's headers and checked against the Windows cross compiler.

    python examples/win32_tables.py

Here it prints records and constants of the module beside what x86_64-w64-mingw32-gcc computes
(compiled to an object file and read, never run), the A/W names the headers chose (-DUNICODE:
the W ones), and which DLL exports each function called below, from wine's PE files when wine64
is installed. On 64-bit Windows the same module also calls GetSystemInfo and GetModuleFileNameW
(the end of this file): that path is written and documented, but this project's CI has no
Windows to run it on.
"""

import ctypes
import os
import shutil
import sys
import tempfile

from example_binding import bind
from lazybind import ir, objdata

TARGET = "x86_64-w64-mingw32"
RECORDS = ("OSVERSIONINFOEXW", "SYSTEM_INFO", "WIN32_FIND_DATAW")
CONSTANTS = ("MB_OK", "MB_ICONERROR", "GENERIC_READ", "ERROR_ACCESS_DENIED", "INVALID_HANDLE_VALUE",
             "IDC_ARROW")
CALLED = ("GetSystemInfo", "GetModuleFileNameW", "MessageBoxW", "RegOpenKeyExW")

details = []
w = bind("win32_ffi", ["windows.h"], library=["kernel32", "user32", "advapi32"], target=TARGET,
         defines=["UNICODE"], details=details)
declarations = {d.name: d for d in details[0].declarations}


def record_of(name):
    """The record a typedef names (SYSTEM_INFO is `struct _SYSTEM_INFO`)."""
    ctype = ir.strip_typedefs(declarations[name].target)
    return declarations[ctype.name]


def compiler_numbers():
    """{name: (size, alignment)} of RECORDS, as the cross compiler lays them out."""
    rows = [f"__LBK_ROW({n}, sizeof({name}), _Alignof({name}), 0, 0)" for n, name in enumerate(RECORDS)]
    source = "#define UNICODE\n#include <windows.h>\n" + objdata.PRELUDE + "\n".join(
        objdata.table_lines(0, rows)) + "\n"
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "sizes.c")
        with open(path, "w") as handle:
            handle.write(source)
        result, data = objdata.compile_object([TARGET + "-gcc"], ["-w"], path)
    if result.returncode:
        sys.exit(result.stderr)
    items = objdata.read_items(data)
    return {name: tuple(items[n].integers()[:2]) for n, name in enumerate(RECORDS)}


compiler = shutil.which(TARGET + "-gcc")
numbers = compiler_numbers() if compiler else {}
print("target:", TARGET)
for name in RECORDS:
    record = record_of(name)
    theirs = "%d/%d" % numbers[name] if name in numbers else "(no cross compiler)"
    print("sizeof/alignof %s: module %d/%d, %s-gcc %s" % (name, record.size, record.align,
                                                          TARGET, theirs))
for name in CONSTANTS:  # constants are the target's values, usable on any machine
    print("%s: %r" % (name, getattr(w, name)))
for name in ("CreateFile", "MessageBox", "GetModuleFileName"):
    print("alias %s: %s" % (name, declarations[name].target))
missing = {f.name for f in details[0].unexported}
for name in CALLED:
    where = "not exported" if name in missing else "exported"
    print("export %s: %s" % (name, where if details[0].exports else "no PE files here"))
print(details[0].exports or "exports: no PE files here (install wine64)")

if sys.platform == "win32" and ctypes.sizeof(ctypes.c_void_p) == 8:
    # On Windows: the module loads kernel32.dll by name on first use, and these are plain calls.
    info = w.SYSTEM_INFO()
    w.GetSystemInfo(ctypes.byref(info))
    print("processors:", info.dwNumberOfProcessors, "page size:", info.dwPageSize)
    path = ctypes.create_unicode_buffer(260)  # WCHAR[MAX_PATH]
    length = w.GetModuleFileNameW(None, path, len(path))
    if not length:
        raise ctypes.WinError()
    print("this interpreter:", path.value)
