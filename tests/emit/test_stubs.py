"""--stubs: real type checkers (mypy and pyright) accept correct use and reject wrong use."""

from __future__ import annotations

import subprocess
import sys

import pytest

import lazybind


@pytest.fixture(scope="module")
def stubbed(tmp_path_factory):
    directory = tmp_path_factory.mktemp("stubs")
    lazybind.generate(["zlib.h"], library="z", output=str(directory / "zlib_ffi.py"), stubs=True)
    return directory


CHECKERS = {
    "mypy": [sys.executable, "-m", "mypy", "--strict", "--no-incremental"],
    # "# pyright: strict" at the top of the checked file is pyright's counterpart of --strict
    "pyright": [sys.executable, "-m", "pyright"],
}


def type_check(checker, directory, name, code):
    """Run a real type checker on `code` saved as DIRECTORY/NAME.py; exit 0 means accepted."""
    strict = "# pyright: strict\n" if checker == "pyright" else ""
    (directory / f"{name}.py").write_text(strict + code)
    return subprocess.run([*CHECKERS[checker], f"{name}.py"], cwd=directory,
                          capture_output=True, text=True)


def test_stub_is_written_beside_the_module(stubbed):
    stub = (stubbed / "zlib_ffi.pyi").read_text()
    assert "def crc32(crc: int, buf: Any, len: int, /) -> int:" in stub
    assert "Z_OK: Final[int]" in stub and "ZLIB_VERSION: Final[bytes]" in stub
    assert "class struct_z_stream_s(ctypes.Structure):" in stub


@pytest.mark.parametrize("checker", sorted(CHECKERS))
def test_type_checkers_accept_correct_use(stubbed, checker):
    result = type_check(checker, stubbed, f"good_{checker}", "import zlib_ffi as z\n"
                  "value: int = z.crc32(0, b'abc', 3)\n"
                  "version: bytes | None = z.zlibVersion()\n"
                  "stream = z.z_stream()\n"
                  "avail: int = stream.avail_in\n"
                  "ok: int = z.Z_OK\n")
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize("wrong", [
    "z.crc32(0, b'abc')",             # wrong arity
    "z.crc32('text', b'abc', 3)",     # wrong type
    "z.no_such_function()",           # unknown name
    "x: str = z.Z_OK",                # constant has type int
])
@pytest.mark.parametrize("checker", sorted(CHECKERS))
def test_type_checkers_reject_wrong_use(stubbed, checker, wrong):
    result = type_check(checker, stubbed, f"bad_{checker}", f"import zlib_ffi as z\n{wrong}\n")
    assert result.returncode == 1 and "error" in result.stdout


def test_header_comments_become_docstrings(tmp_path):
    header = tmp_path / "documented.h"
    header.write_text('/* Adds two numbers.\n * Returns "a + b". */\nint add(int a, int b);\n'
                      '/** Tricky: \\"\\"\\" and a backslash \\\\ */\nint tricky(void);\n'
                      "int undocumented(void);\n")
    lazybind.generate([str(header)], output=str(tmp_path / "doc_ffi.py"), stubs=True)
    import ast

    tree = ast.parse((tmp_path / "doc_ffi.pyi").read_text())
    docs = {node.name: ast.get_docstring(node) for node in tree.body if isinstance(node, ast.FunctionDef)}
    assert docs["add"] == 'Adds two numbers.\nReturns "a + b".'
    assert docs["tricky"] == 'Tricky: \\"\\"\\" and a backslash \\\\'
    assert docs["undocumented"] is None
    sqlite = tmp_path / "sqlite_ffi.py"
    lazybind.generate(["sqlite3.h"], library="sqlite3", output=str(sqlite), stubs=True)
    tree = ast.parse(sqlite.with_suffix(".pyi").read_text())
    open_doc = next(ast.get_docstring(n) for n in tree.body
                    if isinstance(n, ast.FunctionDef) and n.name == "sqlite3_open")
    assert open_doc.startswith("CAPI3REF: Opening A New Database Connection")
