"""The compiled fast path (`lazybind generate --compiled`): what it adds to the ctypes backend
(speed, overflow errors) and everything it must keep identical. The behaviour suites in
tests/runtime run against both backends through the parametrized *_mod fixtures."""

from __future__ import annotations

import ctypes
import os
import re
import shutil
import subprocess
import sys
import threading
import zlib

import pytest

import lazybind
from conftest import bind_header, bind_text, import_path, python_in_subprocess, record_symbol_lookups
from lazybind import ir
from lazybind.emit.extension import NOT_AN_IDENTIFIER, classify, extension_name
from lazybind.errors import BuildWarning

EXTENSION_SUFFIX = __import__("importlib.machinery").machinery.EXTENSION_SUFFIXES[0]


@pytest.fixture(scope="module")
def both(zlib_path, zlib_compiled_path):
    return import_path(zlib_path), import_path(zlib_compiled_path)


def error_of(call):
    try:
        call()
    except Exception as error:  # noqa: BLE001 - the point is to compare whatever is raised
        return type(error), str(error)
    return None


def test_integers_out_of_range_raise_overflow_error_instead_of_truncating(zlib_compiled_path):
    z = import_path(zlib_compiled_path)
    for bad in (2 ** 64, -1):
        with pytest.raises(OverflowError, match="argument 1: .* does not fit in unsigned long"):
            z.crc32(bad, None, 0)
    with pytest.raises(OverflowError, match="argument 3: 4294967296 does not fit in unsigned int"):
        z.crc32(0, b"", 2 ** 32)
    with pytest.raises(OverflowError, match="int"):
        z.deflateInit_(None, 2 ** 31, z.ZLIB_VERSION, 0)
    assert z.crc32(2 ** 64 - 1, b"", 0) == 2 ** 64 - 1 & 0xFFFFFFFF  # zlib keeps the low 32 bits


def test_what_the_extension_does_not_convert_is_refused_as_ctypes_refuses_it(both):
    plain, compiled = both
    calls = [
        lambda z: z.crc32(0.5, None, 0),  # a float for an integer
        lambda z: z.crc32(0, None),  # too few arguments
        lambda z: z.crc32(0, "text", 4),  # a str for a byte pointer
        lambda z: z.deflate(z.z_stream(), 0),  # a struct where a pointer to it is wanted
    ]
    for call in calls:
        assert error_of(lambda: call(compiled)) == error_of(lambda: call(plain))


def test_pointer_parameters_take_buffers_ctypes_objects_and_addresses(both):
    _, z = both
    data = b"lazybind compiled"
    expected = zlib.crc32(data)
    array = (ctypes.c_ubyte * len(data)).from_buffer_copy(data)
    for argument in (data, bytearray(data), memoryview(data), array, ctypes.create_string_buffer(data),
                     ctypes.cast(array, ctypes.POINTER(ctypes.c_ubyte)), ctypes.addressof(array)):
        assert z.crc32(0, argument, len(data)) == expected, type(argument)
    with pytest.raises(ctypes.ArgumentError):
        z.crc32(0, memoryview(data)[::2], 4)  # not contiguous: ctypes refuses it too


def test_results_are_the_ctypes_backends_values_and_types(zlib_path, zlib_compiled_path, monkeypatch):
    plain, compiled = import_path(zlib_path), import_path(zlib_compiled_path)
    runtime = sys.modules[type(compiled.__lazybind__._binding).__module__]
    handed_over = []
    monkeypatch.setattr(runtime._CtypesCall, "__call__", lambda *args: handed_over.append(args))
    for name, args in [("zlibVersion", ()), ("zError", (-3,)), ("zError", (99,)), ("get_crc_table", ()),
                       ("crc32", (0, b"abc", 3)), ("zlibCompileFlags", ())]:
        expected, got = getattr(plain, name)(*args), getattr(compiled, name)(*args)
        assert type(got).__name__ == type(expected).__name__, name
        if isinstance(expected, ctypes._Pointer):
            expected, got = expected[0], got[0]
        assert got == expected, name
    assert handed_over == []  # every call above was made by the extension itself


def test_struct_pointers_and_byref_reach_the_c_function(both):
    _, z = both
    stream = z.z_stream()
    assert z.deflateInit_(ctypes.byref(stream), 6, z.ZLIB_VERSION, ctypes.sizeof(stream)) == z.Z_OK
    pointer = ctypes.pointer(stream)
    assert z.deflateParams(pointer, 9, 0) == z.Z_OK  # a pointer instance of the declared type
    assert z.deflateEnd(pointer) == z.Z_OK


@pytest.fixture(scope="module")
def missing_pair(tmp_path_factory):
    text = "#include <zlib.h>\nint deflateNewIn2099(int level);\ndouble cos(double);\n"
    directory = tmp_path_factory.mktemp("missing_compiled")
    plain = bind_text(directory, "plain", text, library=["z", "m"])
    compiled = bind_text(directory, "extra", text, library=["z", "m"], compiled=True)
    return import_path(plain), import_path(compiled)


def test_missing_symbol_error_is_identical(missing_pair):
    plain, compiled = missing_pair
    assert compiled.__lazybind__.backend == "compiled"
    expected = error_of(lambda: plain.deflateNewIn2099)
    assert expected[0].__name__ == "MissingSymbolError"
    assert error_of(lambda: compiled.deflateNewIn2099) == (expected[0], expected[1].replace("plain.h", "extra.h"))
    with pytest.raises(AttributeError) as first:
        compiled.deflateNewIn2099
    with pytest.raises(AttributeError) as second:
        compiled.deflateNewIn2099
    assert second.value is first.value and not hasattr(compiled, "deflateNewIn2099")
    assert compiled.cos(0.0) == 1.0 and type(compiled.cos).__name__ == "compiled_function"


def test_without_the_extension_the_module_falls_back_to_ctypes(zlib_compiled_path, tmp_path):
    shutil.copy(zlib_compiled_path, tmp_path / "zlib_ffi.py")
    module = import_path(tmp_path / "zlib_ffi.py")
    assert module.__lazybind__.backend == "ctypes"
    assert isinstance(module.crc32, ctypes._CFuncPtr) and module.crc32(0, b"ab", 2) == zlib.crc32(b"ab")


def test_an_extension_built_from_other_tables_is_not_used(zlib_compiled_path, sqlite_compiled_path, tmp_path):
    shutil.copy(zlib_compiled_path, tmp_path / "zlib_ffi.py")
    other = sqlite_compiled_path.parent / (extension_name("sqlite_ffi.py") + EXTENSION_SUFFIX)
    shutil.copy(other, tmp_path / (extension_name("zlib_ffi.py") + EXTENSION_SUFFIX))
    # renamed, it does not even load (its PyInit has the other name); a rebuilt one would be
    # refused by its TABLES digest, which the next test checks
    assert import_path(tmp_path / "zlib_ffi.py").__lazybind__.backend == "ctypes"


def test_a_stale_extension_is_refused_by_its_digest(tmp_path):
    header = tmp_path / "versioned.h"
    header.write_text("unsigned long crc32(unsigned long, const unsigned char *, unsigned int);\n")
    out = tmp_path / "versioned_ffi.py"
    lazybind.generate([str(header)], library="z", output=str(out), compiled=True)
    old_module = out.read_text()
    header.write_text("unsigned long adler32(unsigned long, const unsigned char *, unsigned int);\n"
                      "unsigned long crc32(unsigned long, const unsigned char *, unsigned int);\n")
    lazybind.generate([str(header)], library="z", output=str(out), compiled=True)
    out.write_text(old_module)  # the module from before, beside the extension of the new header
    module = import_path(out)
    assert module.__lazybind__.backend == "ctypes" and module.crc32(0, b"a", 1) == zlib.crc32(b"a")


def test_no_compiler_is_a_warning_at_generation_and_the_module_uses_ctypes(tmp_path, monkeypatch):
    monkeypatch.setenv("CC", str(tmp_path / "no-such-cc"))
    with pytest.warns(BuildWarning) as warned:
        out = bind_header(tmp_path, "nocc", ["zlib.h"], library="z", compiled=True)
    messages = [str(warning.message) for warning in warned]
    assert any(re.search("compiled fast path not built.*no C compiler", m) for m in messages), messages
    assert any(m.startswith("record layouts not confirmed by a C compiler: no C compiler")
               for m in messages), messages
    assert (tmp_path / (extension_name(str(out)) + ".c")).is_file()
    assert not (tmp_path / (extension_name(str(out)) + EXTENSION_SUFFIX)).exists()
    module = import_path(out)
    assert module.__lazybind__.backend == "ctypes" and module.crc32(0, b"ab", 2) == zlib.crc32(b"ab")


def test_cli_reports_coverage_and_the_missing_compiler(tmp_path):
    command = [sys.executable, "-m", "lazybind.cli", "generate", "zlib.h", "--library", "z",
               "--compiled", "-o", str(tmp_path / "cli_ffi.py")]
    environment = dict(os.environ, CC=str(tmp_path / "no-such-cc"))  # the build's compiler
    run = subprocess.run(command, capture_output=True, text=True, env=environment)
    assert run.returncode == 0, run.stderr
    assert "lazybind: warning:" in run.stderr and "no C compiler" in run.stderr
    assert "; compiled: 18" in run.stderr and "variadic" in run.stderr


def test_output_is_deterministic_and_check_covers_the_c_source(zlib_compiled_path, tmp_path):
    out = bind_header(tmp_path, "zlib", ["zlib.h"], library="z", compiled=True)
    name = extension_name(str(out)) + ".c"
    assert (tmp_path / name).read_bytes() == (zlib_compiled_path.parent / name).read_bytes()
    assert out.read_bytes() == zlib_compiled_path.read_bytes()
    assert lazybind.api.is_current(str(out), ["zlib.h"], library="z", compiled=True)
    (tmp_path / name).write_text((tmp_path / name).read_text() + "\n")
    assert not lazybind.api.is_current(str(out), ["zlib.h"], library="z", compiled=True)


def test_import_loads_no_extension_and_first_use_adds_no_per_function_object(zlib_compiled_path):
    code = f"""
import sys
sys.path.insert(0, {str(zlib_compiled_path.parent)!r})
import zlib_ffi as z
assert 'lazybind.so' not in open('/proc/self/maps').read() and 'ctypes' not in sys.modules
assert z.crc32(0, None, 0) == 0
extension = z.__lazybind__._binding.extension()
print(sorted(n for n in vars(extension) if not n.startswith('__')))
"""
    assert python_in_subprocess(code).strip() == "['TABLES', 'bind', 'holding_gil', 'slot']"


def test_threads_racing_first_calls_resolve_each_symbol_once(zlib_compiled_path):
    module = import_path(zlib_compiled_path)
    lookups = record_symbol_lookups(module.__lazybind__._binding)
    names = ["crc32", "adler32", "crc32_z", "adler32_z", "zlibVersion", "compressBound"]
    barrier = threading.Barrier(32)
    seen = [dict() for _ in range(32)]

    def worker(slot):
        barrier.wait()
        for name in names[slot % 6:] + names[:slot % 6]:
            seen[slot][name] = getattr(module, name)
        for _ in range(200):
            assert module.crc32(0, b"abc", 3) == 0x352441C2

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(lookups) == sorted(names)
    for name in names:
        assert len({id(s[name]) for s in seen}) == 1


def test_only_c_identifiers_reach_the_c_source():
    location = ir.Location("x.h", 1)
    int_type = ir.Primitive("int")
    hostile = ir.Function('f"); system("x', location, ir.FunctionType(int_type, (int_type,)))
    assert classify(hostile) == NOT_AN_IDENTIFIER
    assert extension_name("dir/my-module.v2.py") == "_my_module_v2_lazybind"


def test_the_python_c_api_stays_on_ctypes_which_holds_the_gil(tmp_path):
    api = "const char *Py_GetVersion(void);\nint Py_IsInitialized(void);\n"
    module = import_path(bind_text(tmp_path, "capi", api, library="@python", compiled=True))
    assert module.__lazybind__.backend == "compiled"
    assert module.Py_GetVersion() == sys.version.encode() and module.Py_IsInitialized() == 1
    assert module.Py_IsInitialized.__class__._flags_ & ctypes._FUNCFLAG_PYTHONAPI


def test_docstrings_are_the_ctypes_backends(tmp_path):
    header = "/** Absolute value. */\nint abs(int j);\nlong labs(long j);\n"
    module = import_path(bind_text(tmp_path, "docs", header, library="c", docstrings=True, compiled=True))
    assert module.__lazybind__.backend == "compiled" and module.abs(-3) == 3
    assert module.abs.__doc__ == "Absolute value." and module.labs.__doc__ is None
    assert "Absolute value." in __import__("pydoc").render_doc(module.abs)


def test_holding_gil_variants_call_the_same_function(both):
    for module in both:
        fast = module.__lazybind__.holding_gil(module.crc32)
        assert fast is not module.crc32 and fast(0, b"abc", 3) == zlib.crc32(b"abc")
        assert type(fast) is type(module.crc32) or fast._flags_ & ctypes._FUNCFLAG_PYTHONAPI
    plain, compiled = both
    with pytest.raises(OverflowError):
        compiled.__lazybind__.holding_gil(compiled.crc32)(-1, None, 0)


def test_function_pointer_results_are_the_ctypes_backends(tmp_path):
    import signal

    results = {}
    for backend in ("ctypes", "compiled"):
        c = import_path(bind_text(tmp_path, backend, "#include <signal.h>\n", library="c",
                                  only="^signal$", compiled=backend == "compiled"))
        assert c.__lazybind__.backend == backend
        first = c.signal(signal.SIGUSR2, 1)  # SIG_IGN, given as its address
        second = c.signal(signal.SIGUSR2, None)  # SIG_DFL: the default comes back
        results[backend] = [(type(r).__name__, bool(r), ctypes.cast(r, ctypes.c_void_p).value)
                            for r in (first, second)]
    assert results["compiled"] == results["ctypes"]
    assert [value for _, _, value in results["ctypes"]] == [None, 1]


def test_with_a_data_file_too(tmp_path):
    out = bind_header(tmp_path, "split", ["zlib.h"], library="z", only="^crc32$", data_file=True,
                      compiled=True)
    module = import_path(out)
    assert module.__lazybind__.backend == "compiled" and module.crc32(0, b"ab", 2) == zlib.crc32(b"ab")
