"""Which functions a DLL exports, read from wine64's PE files at generation (lazybind.pe), against
the export tables binutils' objdump prints."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys

import pytest

from lazybind import pe
from lazybind.errors import LazybindError

from .conftest import X64

DLLS = ("kernel32", "user32", "advapi32")


def objdump_exports(path):
    objdump = shutil.which("x86_64-w64-mingw32-objdump")
    assert objdump, "binutils-mingw-w64-x86-64 is missing: .ci/run installs it"
    text = subprocess.run([objdump, "-p", path], capture_output=True, text=True, check=True).stdout
    table = text.split("[Ordinal/Name Pointer] Table", 1)[1].split("\n\n", 1)[0]
    return {match.group(1) for match in re.finditer(r"\]\s+(\S+)\s*$", table, re.M)}


@pytest.mark.parametrize("dll", DLLS)
def test_export_names_are_objdumps(dll):
    path = pe.find_dll(dll, X64)
    assert path, "no PE file of %s.dll: .ci/run installs wine64" % dll
    names = pe.export_names(path)
    assert names == objdump_exports(path) and len(names) > 300


def test_not_a_pe_file_is_an_error(tmp_path):
    bogus = tmp_path / "bogus.dll"
    bogus.write_bytes(b"MZ" + b"\0" * 200)
    with pytest.raises(LazybindError):
        pe.export_names(str(bogus))


def test_generation_reports_the_functions_no_dll_exports(windows):
    _, declarations, _ = windows(X64)
    assert declarations.exports.startswith("exports: ")
    missing = {f.name for f in declarations.unexported}
    for name in ("GetSystemInfo", "GetModuleFileNameW", "MessageBoxW", "RegOpenKeyExW", "CreateFileW"):
        assert name not in missing
    assert "AbortDoc" in missing  # gdi32's, declared by windows.h, in none of the three DLLs
    assert all(f.reason == "not exported by kernel32.dll, user32.dll, advapi32.dll"
               for f in declarations.unexported)


def test_the_cli_summary_and_verbose_list(tmp_path):
    header = tmp_path / "two.h"
    header.write_text("#include <windef.h>\nDWORD WINAPI GetTickCount(void);\n"
                      "DWORD WINAPI NoSuchFunctionAnywhere(void);\n")
    result = subprocess.run([sys.executable, "-m", "lazybind.cli", "generate", str(header),
                             "--target", X64, "--library", "kernel32", "--scope", "named", "-v",
                             "-o", str(tmp_path / "two.py")], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "exports: 1 of 2 functions found in kernel32.dll" in result.stderr
    assert "two.h:3:" in result.stderr and "NoSuchFunctionAnywhere: not exported by kernel32.dll" \
        in result.stderr
