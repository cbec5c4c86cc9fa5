"""What importing and first use of a generated module do, and what they must not do."""

from __future__ import annotations

import ctypes
import threading

import pytest

import lazybind
from conftest import bind_text, import_path, record_symbol_lookups, python_in_subprocess

STANDARD_MODULE_ATTRIBUTES = {
    "__name__", "__doc__", "__package__", "__loader__", "__spec__", "__file__", "__cached__",
    "__builtins__",
}


def test_import_opens_no_library_and_builds_nothing(sqlite_path):
    code = f"""
import sys
before = open('/proc/self/maps').read()
sys.path.insert(0, {str(sqlite_path.parent)!r})
import {sqlite_path.stem} as m
after = open('/proc/self/maps').read()
assert 'libsqlite3' not in after, 'import mapped libsqlite3'
assert 'ctypes' not in sys.modules, 'import loaded ctypes'
extra = set(vars(m)) - set({sorted(STANDARD_MODULE_ATTRIBUTES)!r})
assert extra == {{'__getattr__', '__dir__'}}, extra
assert m.SQLITE_OK == 0 and m.SQLITE_ROW == 100
assert 'libsqlite3' not in open('/proc/self/maps').read(), 'a constant opened the library'
m.sqlite3_libversion()
assert 'libsqlite3' in open('/proc/self/maps').read()
print('ok')
"""
    assert python_in_subprocess(code).strip() == "ok"


def test_resolved_object_is_the_backends_function_and_cached(zlib_mod):
    crc32 = zlib_mod.crc32
    if zlib_mod.__lazybind__.backend == "ctypes":
        assert isinstance(crc32, ctypes._CFuncPtr)
    else:
        assert type(crc32).__name__ == "compiled_function" and crc32.__name__ == "crc32"
        assert repr(crc32) == "<compiled C function crc32>"
    assert vars(zlib_mod)["crc32"] is crc32  # later accesses are plain module-dict lookups
    assert "crc32" in zlib_mod.__lazybind__.resolved()


@pytest.fixture(scope="module")
def missing_path(tmp_path_factory):
    return bind_text(tmp_path_factory.mktemp("missing"), "extra",
                     "#include <zlib.h>\nint deflateNewIn2099(int level);\ndouble cos(double);\n",
                     library=["z", "m"])


def test_missing_symbol_is_an_attribute_error_naming_it(missing_path):
    module = import_path(missing_path)
    assert not hasattr(module, "deflateNewIn2099")
    with pytest.raises(AttributeError) as first:
        module.deflateNewIn2099
    assert type(first.value).__name__ == "MissingSymbolError"
    message = str(first.value)
    assert "deflateNewIn2099" in message and "extra.h:2" in message and "libz" in message
    with pytest.raises(AttributeError) as second:
        module.deflateNewIn2099
    assert second.value is first.value  # looked up once, the answer remembered
    assert not module.__lazybind__.available("deflateNewIn2099")
    assert module.__lazybind__.available("crc32")


def test_a_name_no_c_declaration_can_have_is_an_attribute_error(zlib_mod):
    # a lone surrogate cannot be UTF-8 encoded; a newline could otherwise match across lines
    for name in ("crc32\udc80", "\ud800", "crc32 x\n#:crc32", "nosuchname"):
        assert not hasattr(zlib_mod, name), repr(name)
        with pytest.raises(AttributeError, match="has no attribute"):
            getattr(zlib_mod, name)


def test_symbol_found_in_second_library(missing_path):
    module = import_path(missing_path)
    assert module.cos(0.0) == 1.0  # libz lacks cos: found in libm, the second --library


def test_missing_library_lists_what_was_tried(tmp_path, monkeypatch):
    header = tmp_path / "nolib.h"
    header.write_text("int nolib_function(int);\n#define NOLIB_VALUE 12\n")
    out = tmp_path / "nolib_ffi.py"
    lazybind.generate([str(header)], library="lazybind_no_such_library", output=str(out))
    module = import_path(out)
    assert module.NOLIB_VALUE == 12  # constants need no library
    with pytest.raises(OSError) as error:
        module.nolib_function
    assert type(error.value).__name__ == "LibraryNotFoundError"
    assert "lazybind_no_such_library" in str(error.value) and "LAZYBIND_LIB_" in str(error.value)


def test_environment_variable_overrides_library_path(tmp_path, monkeypatch, zlib_mod):
    header = tmp_path / "renamed.h"
    header.write_text("unsigned long crc32(unsigned long, const unsigned char *, unsigned int);\n")
    out = tmp_path / "renamed_ffi.py"
    backend = zlib_mod.__lazybind__.backend
    lazybind.generate([str(header)], library="lazybind_renamed", output=str(out),
                      compiled=backend == "compiled")
    real = zlib_mod.__lazybind__.library_path[0]
    monkeypatch.setenv("LAZYBIND_LIB_LAZYBIND_RENAMED", real)
    module = import_path(out)
    assert module.__lazybind__.backend == backend
    assert module.crc32(0, b"abc", 3) == zlib_mod.crc32(0, b"abc", 3)
    assert module.__lazybind__.library_path == [real]


def test_many_threads_first_call_resolve_once(zlib_path):
    module = import_path(zlib_path)
    binding = module.__lazybind__._binding
    lookups = record_symbol_lookups(binding)
    barrier = threading.Barrier(64)
    results = []

    def first_call():
        barrier.wait()
        results.append(module.adler32)

    threads = [threading.Thread(target=first_call) for _ in range(64)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert lookups == ["adler32"]
    assert len(results) == 64 and all(r is results[0] for r in results)
    assert results[0](1, b"abc", 3) == 0x024D0127


def test_dir_lists_c_names(zlib_mod):
    names = dir(zlib_mod)
    assert {"crc32", "z_stream", "struct_z_stream_s", "Z_OK", "__lazybind__"} <= set(names)
    assert not any(n.startswith("__builtin_") for n in names)


def test_keyword_c_names_get_a_trailing_underscore_alias(tmp_path):
    header = tmp_path / "keywords.h"
    header.write_text("#define class 3\n#define lambda 4\nenum { None = 5 };\n")
    out = tmp_path / "keywords_ffi.py"
    lazybind.generate([str(header)], output=str(out))
    module = import_path(out)
    assert getattr(module, "class") == 3 and module.class_ == 3
    assert module.lambda_ == 4 and getattr(module, "None") == 5


def test_runtime_bytecode_is_cached_like_a_modules(tmp_path):
    out = tmp_path / "cached_ffi.py"
    lazybind.generate(["zlib.h"], library="z", output=str(out))
    code = "import cached_ffi as z, zlib; assert z.crc32(0, b'ab', 2) == zlib.crc32(b'ab'); print('ok')"
    environment = {"PYTHONDONTWRITEBYTECODE": ""}
    assert python_in_subprocess(code, cwd=tmp_path, env=environment).strip() == "ok"
    cached = sorted((tmp_path / "__pycache__").glob("cached_ffi.*.__lazybind_runtime_*.pyc"))
    assert [path.name.split(".")[-3] for path in cached] == ["core"]  # the part used
    assert python_in_subprocess(code, cwd=tmp_path, env=environment).strip() == "ok"  # from the cache
    for path in cached:
        path.write_bytes(b"corrupt")
    assert python_in_subprocess(code, cwd=tmp_path, env=environment).strip() == "ok"  # recompiled
