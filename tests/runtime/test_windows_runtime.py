"""The runtime's Windows branches (issue 18), which this project's CI cannot run (no Windows here),
driven with substituted loaders: a module generated for i686-w64-mingw32 from a header with
stdcall and cdecl functions, a stdcall function pointer type and a function no DLL exports, built
by the real runtime as an i686 Windows interpreter would, with fake CDLL/WinDLL/WINFUNCTYPE
standing in for ctypes' Windows classes. What is checked is what the runtime decides: the DLL
name it loads, which calling convention each function gets, a missing export answered once, and
with_last_error's GetLastError and WinError."""

from __future__ import annotations

import ctypes

import pytest

import lazybind
from lazybind import runtime as rt

HEADER = """\
int __stdcall add_stdcall(int a, int b);
int __cdecl add_cdecl(int a, int b);
typedef int (__stdcall *visit_t)(int value);
int __stdcall walk(visit_t visit);
int not_exported(void);
const wchar_t *__stdcall widen(const wchar_t *text, wchar_t *buffer);
struct point { long x, y; };
#define GREETING L"h\\u00e9llo"
"""
EXPORTS = {"add_stdcall", "add_cdecl", "walk", "widen"}


@pytest.fixture(scope="module")
def i686_module(tmp_path_factory):
    directory = tmp_path_factory.mktemp("windows_runtime")
    (directory / "win.h").write_text(HEADER)
    out = directory / "win_ffi.py"
    lazybind.generate([str(directory / "win.h")], library="fakedll", target="i686-w64-mingw32",
                      output=str(out))
    return out


class FakeCDLL:
    """ctypes.CDLL as Windows has it: LoadLibrary by name; cdecl functions."""

    convention = "cdecl"
    loaded = []

    def __init__(self, name, handle=None):
        if handle is None:
            FakeCDLL.loaded.append(name)
            if name != "fakedll.dll":
                raise OSError("[WinError 126] The specified module could not be found")
        self._name, self._handle = name, handle or 0x1000
        library = self

        class FuncPtr:
            lookups = []
            restype = ctypes.c_int  # a real library's functions return int until told otherwise

            def __init__(self, spec):
                name, _ = spec
                FuncPtr.lookups.append(name)
                if name not in EXPORTS:
                    raise AttributeError("function %r not found" % name)
                self.name, self.convention, self.handle = name, library.convention, library._handle

        self._FuncPtr = FuncPtr


class FakeWinDLL(FakeCDLL):
    convention = "stdcall"


@pytest.fixture
def as_on_windows(monkeypatch, i686_module):
    """The module's Binding, on "Windows": ctypes' Windows classes faked, the runtime told so."""
    made = []

    def winfunctype(restype, *argtypes, **flags):
        made.append((restype, argtypes))
        return ctypes.CFUNCTYPE(restype, *argtypes, **flags)  # a class the runtime can subclass

    FakeCDLL.loaded = []
    monkeypatch.setattr(ctypes, "CDLL", FakeCDLL)
    monkeypatch.setattr(ctypes, "WinDLL", FakeWinDLL, raising=False)
    monkeypatch.setattr(ctypes, "WINFUNCTYPE", winfunctype, raising=False)
    monkeypatch.setattr(rt, "_WINDOWS", True)
    binding = rt.Binding({"__name__": "win_ffi"}, rt.data_of_file(str(i686_module)))
    binding._foreign = ""  # the module is for i686: as an i686 interpreter runs it
    return binding, made


def test_a_dll_is_loaded_by_its_name_and_stdcall_functions_go_through_windll(as_on_windows):
    binding, _ = as_on_windows
    stdcall, cdecl = binding.getattr("add_stdcall"), binding.getattr("add_cdecl")
    assert FakeCDLL.loaded == ["fakedll.dll"]  # once, by name: LoadLibrary's safe search
    assert (stdcall.convention, cdecl.convention) == ("stdcall", "cdecl")
    assert stdcall.handle == cdecl.handle == 0x1000  # one DLL, two views of it
    assert stdcall.argtypes == (ctypes.c_int, ctypes.c_int) and stdcall.restype is ctypes.c_int


def test_a_stdcall_function_pointer_type_is_a_winfunctype(as_on_windows):
    binding, made = as_on_windows
    walk = binding.getattr("walk")
    assert made == [(ctypes.c_int, (ctypes.c_int,))]
    assert walk.argtypes[0]._lazybind_callback_ and walk.convention == "stdcall"


def test_wide_strings_are_str(as_on_windows, i686_module):
    binding, _ = as_on_windows
    widen = binding.getattr("widen")
    assert widen.argtypes == (ctypes.c_wchar_p, ctypes.c_wchar_p) and widen.restype is ctypes.c_wchar_p
    assert binding.getattr("GREETING") == "h\u00e9llo"


def test_a_windows_module_on_linux_gives_its_constants_only(tmp_path):
    """x86_64 is this machine's architecture, but Windows is not its system: LLP64 and 2-byte
    wchar_t records cannot be built with this ctypes."""
    (tmp_path / "win.h").write_text(HEADER.replace("__stdcall", "").replace("__cdecl", ""))
    out = tmp_path / "win64_ffi.py"
    lazybind.generate([str(tmp_path / "win.h")], library="fakedll", target="x86_64-w64-mingw32",
                      output=str(out))
    from conftest import import_path

    module = import_path(out)
    assert module.GREETING == "h\u00e9llo"
    for name in ("struct_point", "add_cdecl"):
        with pytest.raises(TypeError, match=r"--target x86_64-w64-mingw32, for "
                                                         r"another system or architecture"):
            getattr(module, name)


def test_a_missing_export_is_looked_up_once(as_on_windows):
    binding, _ = as_on_windows
    with pytest.raises(rt.MissingSymbolError, match=r"not_exported \(declared at .*win\.h:5\) "
                                                    r"is not exported by fakedll\.dll") as first:
        binding.getattr("not_exported")
    library = binding._libraries[0]
    lookups = len(library._FuncPtr.lookups)
    with pytest.raises(rt.MissingSymbolError) as second:
        binding.getattr("not_exported")
    assert second.value is first.value and len(library._FuncPtr.lookups) == lookups


def test_a_dll_that_is_not_there_lists_what_was_tried(monkeypatch, as_on_windows):
    monkeypatch.setenv("LAZYBIND_LIB_OTHER", "C:\\elsewhere\\other.dll")
    with pytest.raises(rt.LibraryNotFoundError) as missing:
        rt.open_library({"name": "other", "soname": ""})
    assert "C:\\elsewhere\\other.dll (" in str(missing.value) and "other.dll (" in str(missing.value)
    assert FakeCDLL.loaded == ["C:\\elsewhere\\other.dll", "other.dll"]  # no .so, no ctypes.util


def test_with_last_error_saves_getlasterror_and_raises_winerror(monkeypatch, as_on_windows):
    real = ctypes.cdll.LoadLibrary("libc.so.6")  # a real function to retype: abs
    monkeypatch.setattr(ctypes, "get_last_error", lambda: 5, raising=False)
    monkeypatch.setattr(ctypes, "WinError", lambda code: OSError(code, "Access is denied"),
                        raising=False)
    absolute = real.abs
    absolute.restype, absolute.argtypes = ctypes.c_int, (ctypes.c_int,)
    info = rt.Info(as_on_windows[0])
    variant = info.with_last_error(absolute, failed=lambda result: result == 0)
    assert variant._flags_ & ctypes._FUNCFLAG_USE_LASTERROR and variant(-7) == 7
    with pytest.raises(OSError) as failure:
        variant(0)
    assert failure.value.errno == 5
    monkeypatch.delattr(ctypes, "get_last_error")
    with pytest.raises(OSError, match="GetLastError is Windows'"):
        info.with_last_error(absolute)
