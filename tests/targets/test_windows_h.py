"""windows.h for both mingw-w64 targets, generated once per session and checked against the cross
compilers: layouts and constants (lazybind check), LLP64, 2-byte wchar_t, the A/W names the
headers choose, MAKEINTRESOURCE and TEXT() constants, and i686's stdcall functions."""

from __future__ import annotations

import re

import lazybind
from conftest import bind_text, import_path
from lazybind import ir
from lazybind import runtime as rt

from .conftest import X64, X86, Tables, compile_asm, oracle_ints


def test_windows_h_is_verified_by_each_cross_compiler(windows):
    for target in (X64, X86):
        path, declarations, _ = windows(target)
        report = lazybind.check(str(path))
        assert report.ok, report.text()
        assert report.compiler.endswith(target + "-gcc") and report.target == target
        assert report.counts["records"] > 2000 and report.counts["fields"] > 10000, report.summary()
        assert report.counts["constants"] > 20000, report.summary()
        assert declarations.layouts.startswith(f"confirmed by the C compiler (gcc, {target})")
        if target == X86:  # every function's convention and argument bytes, from gcc's symbols
            assert report.counts["functions"] > 6000, report.summary()


def test_a_stdcall_function_made_cdecl_is_a_mismatch(windows, tmp_path):
    text = windows(X86)[0].read_text()
    start = text.index("\n#@specs\n")
    at = text.index("\n#:W", start)  # one stdcall signature (interned: shared by functions)
    tampered = tmp_path / "tampered.py"
    tampered.write_text(text[:at] + "\n#:F" + text[at + 4:])
    report = lazybind.check(str(tampered))
    assert report.mismatches and all("module cdecl" in m.message and "C stdcall" in m.message
                                     for m in report.mismatches), report.text()


def test_llp64_and_the_records_the_example_prints(windows, tmp_path):
    records = ["OSVERSIONINFOEXW", "SYSTEM_INFO", "WIN32_FIND_DATAW", "CONTEXT", "OVERLAPPED"]
    for target in (X64, X86):
        path, declarations, _ = windows(target)
        by_name = {d.name: d for d in declarations.declarations}
        theirs = oracle_ints(target, ["windows.h"], [f"sizeof({r})" for r in records]
                             + ["sizeof(long)", "sizeof(wchar_t)", "sizeof(void *)"], tmp_path)
        ours = [by_name[ir.strip_typedefs(by_name[r].target).name].size for r in records]
        assert ours == theirs[:len(records)]
        assert theirs[len(records):] == [4, 2, 8 if target == X64 else 4]  # LLP64
        tables = Tables(path)
        assert tables.spec("LONG") == "plong" and tables.spec("WCHAR") == "pwchar"
        assert tables.spec("LONGLONG") == "plonglong"  # __int64


def test_a_and_w_names_are_the_headers_choice(windows):
    unicode, ansi = Tables(windows(X64)[0]), Tables(windows(X86)[0])
    for name in ("CreateFile", "MessageBox", "GetModuleFileName", "RegOpenKeyEx"):
        assert unicode.kind(name) == rt.KIND_ALIAS and unicode.target_of(name) == name + "W"
        assert ansi.kind(name) == rt.KIND_ALIAS and ansi.target_of(name) == name + "A"


def test_text_and_makeintresource_constants_have_their_values(windows):
    unicode, ansi = import_path(windows(X64)[0]), import_path(windows(X86)[0])
    for module in (unicode, ansi):
        assert module.IDC_ARROW == 32512 and module.RT_CURSOR == 1  # MAKEINTRESOURCE(n)
        assert module.MB_OK == 0 and module.GENERIC_READ == 0x80000000
        assert module.ERROR_ACCESS_DENIED == 5
    assert unicode.INVALID_HANDLE_VALUE == 2 ** 64 - 1 and ansi.INVALID_HANDLE_VALUE == 2 ** 32 - 1
    # TEXT("SeShutdownPrivilege"): a wide string under UNICODE, bytes without (checked against
    # the cross compilers by test_windows_h_is_verified_by_each_cross_compiler)
    wide = {d.name: d.value for d in windows(X64)[1].declarations if isinstance(d, ir.Constant)}
    narrow = {d.name: d.value for d in windows(X86)[1].declarations if isinstance(d, ir.Constant)}
    assert wide["SE_SHUTDOWN_NAME"] == "SeShutdownPrivilege"
    assert narrow["SE_SHUTDOWN_NAME"] == b"SeShutdownPrivilege"
    assert Tables(windows(X64)[0]).spec("SE_SHUTDOWN_NAME") == "w" + b"SeShutdownPrivilege".hex()


def test_i686_stdcall_functions_are_those_gcc_decorates(windows, tmp_path):
    """A function is a 'W' spec (stdcall) exactly when i686 gcc gives it a stdcall symbol
    (`_CreateFileW@28`), and 'F'/'V' (cdecl) when it does not; x86_64 has one convention."""
    path, declarations, _ = windows(X86)
    tables = Tables(path)
    functions = sorted(d.name for d in declarations.declarations if isinstance(d, ir.Function))
    sample = functions[::7]  # a few hundred, across the alphabet
    asm = compile_asm(X86, "#include <windows.h>\nvoid *lbk_refs[] = {%s};\n" % ", ".join(
        f"(void *)&{name}" for name in sample), tmp_path)
    decorated = set(re.findall(r"\b_(\w+)@\d+\b", asm))
    referenced = set(re.findall(r"\b_(\w+)\b", asm))
    for name in sample:
        assert name in referenced, name
        assert (tables.spec(name)[0] == "W") == (name in decorated), (name, tables.spec(name))
    assert tables.spec("CreateFileA")[0] == "W" and tables.spec("wsprintfA")[0] == "V"
    wndproc = tables.spec("WNDPROC")  # a pointer to a CALLBACK: WINFUNCTYPE
    assert wndproc[0] == "*" and tables.spec_at(int(wndproc[1:]))[0] == "W"
    x64 = Tables(windows(X64)[0])
    assert x64.spec("CreateFileW")[0] == "F" and x64.spec("wsprintfW")[0] == "V"


def test_windows_modules_on_linux_give_constants_only(windows):
    module = import_path(windows(X86)[0])
    assert module.MB_ICONERROR == 16
    for name in ("CreateFileA", "SYSTEM_INFO"):
        try:
            getattr(module, name)
        except TypeError as error:
            assert "generated with --target i686-w64-mingw32" in str(error)
        else:
            raise AssertionError(f"{name} was built for another ABI")


def test_an_unprototyped_winapi_function_is_stdcall_without_parameters(tmp_path):
    """authz.h: `WINBOOL WINAPI AuthzFreeCentralAccessPolicyCache ();` is `_...@0` for gcc."""
    path = bind_text(tmp_path, "noproto", "#include <windef.h>\nWINBOOL WINAPI NoPrototype ();\n"
                     "int Plain ();\n", target=X86, scope="named")
    tables = Tables(path)
    assert tables.spec("NoPrototype")[0] == "W" and tables.spec("Plain")[0] == "V"
    report = lazybind.check(str(path))
    assert report.ok and report.counts["functions"] == 2, report.text()
