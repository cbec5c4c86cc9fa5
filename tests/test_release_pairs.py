"""Create/release pairs declared at generation time (`release = {TYPE = "FUNCTION"}` in
[tool.lazybind], `--release TYPE=FUNCTION`): `__lazybind__.scoped(x)` finds the release function
by x's type. The oracle is the file system: fclose flushes what stdio buffered."""

from __future__ import annotations

import pytest

from conftest import import_path
from test_cli import lazybind

PYPROJECT = """\
[tool.lazybind.bindings.stdio]
headers = ["stdio.h"]
libraries = ["c"]
output = "stdio_ffi.py"
release = {FILE = "fclose"}
"""


@pytest.fixture(scope="module")
def stdio(tmp_path_factory):
    directory = tmp_path_factory.mktemp("release")
    (directory / "pyproject.toml").write_text(PYPROJECT)
    result = lazybind("generate", cwd=directory)
    assert result.returncode == 0, result.stderr
    return import_path(directory / "stdio_ffi.py")


def test_scoped_releases_by_type_also_on_error(stdio, tmp_path):
    path = tmp_path / "out.txt"
    with pytest.raises(RuntimeError):
        with stdio.__lazybind__.scoped(stdio.fopen(str(path).encode(), b"w")) as handle:
            assert stdio.fputs(b"buffered until fclose\n", handle) >= 0
            assert path.read_bytes() == b""  # still in stdio's buffer
            raise RuntimeError("leaving the block early")
    assert path.read_bytes() == b"buffered until fclose\n"


def test_null_resource_is_not_released_and_unknown_types_are_refused(stdio, tmp_path):
    with stdio.__lazybind__.scoped(stdio.fopen(str(tmp_path / "absent" / "x").encode(), b"r")) as f:
        assert not f  # fopen failed: NULL, and fclose(NULL) would crash
    with pytest.raises(TypeError, match="no release function declared for int"):
        stdio.__lazybind__.scoped(3)


def test_release_on_the_command_line_is_checked_and_recorded(tmp_path):
    good = lazybind("generate", "stdio.h", "-l", "c", "--release", "FILE=fclose", "-o", "s.py",
                    cwd=tmp_path)
    assert good.returncode == 0, good.stderr
    assert "# options: stdio.h --library c --release FILE=fclose\n" in (tmp_path / "s.py").read_text()
    for wrong, message in (("FILE=fclosed", "no function 'fclosed'"), ("FILES=fclose", "no type 'FILES'"),
                           ("FILE", "give TYPE=FUNCTION")):
        bad = lazybind("generate", "stdio.h", "-l", "c", "--release", wrong, "-o", "s.py", cwd=tmp_path)
        assert bad.returncode == 2 and message in bad.stderr
