"""Broken and hostile input: one clear error, exit 2, no traceback, no output file touched."""

from __future__ import annotations

import os

import pytest

from test_cli import lazybind


@pytest.mark.parametrize("content, where, message", [
    ("#error this header refuses to compile\n", "bad.h:1:2:", "this header refuses"),
    (bytes(range(256)) * 8, "bad.h:", "error"),
    ("struct unterminated { int a;\n", "bad.h:", "error"),
])
def test_broken_headers(tmp_path, content, where, message):
    header = tmp_path / "bad.h"
    header.write_bytes(content if isinstance(content, bytes) else content.encode())
    out = tmp_path / "out.py"
    out.write_text("earlier output\n")
    result = lazybind("generate", "bad.h", "-o", "out.py", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(where) and message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.splitlines()) == 1
    assert out.read_text() == "earlier output\n"
    assert sorted(os.listdir(tmp_path)) == ["bad.h", "out.py"]


def test_directory_given_as_header(tmp_path):
    (tmp_path / "include").mkdir()
    result = lazybind("generate", "include", "-o", "out.py", cwd=tmp_path)
    assert result.returncode == 2 and result.stderr.startswith("include: error:")
    assert "directory" in result.stderr and not (tmp_path / "out.py").exists()


def test_inspect_of_missing_header(tmp_path):
    result = lazybind("inspect", "absent_header_lazybind.h", cwd=tmp_path)
    assert result.returncode == 2 and "absent_header_lazybind.h" in result.stderr
    assert "Traceback" not in result.stderr
