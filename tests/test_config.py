"""[tool.lazybind] in pyproject.toml: `lazybind generate` with no arguments builds every binding."""

from __future__ import annotations

import subprocess
import sys

from test_cli import lazybind

PYPROJECT = """\
[project]
name = "demo"

[tool.lazybind.bindings.zlib_ffi]
headers = ["zlib.h"]
libraries = ["z"]
output = "pkg/zlib_ffi.py"
stubs = true

[tool.lazybind.bindings.consts]
headers = ["consts.h"]
output = "pkg/consts.py"
scope = "named"
"""


def test_generate_every_binding_then_check(tmp_path):
    (tmp_path / "pkg").mkdir()
    (tmp_path / "consts.h").write_text("#include <stddef.h>\n#define ANSWER 42\n")
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    assert lazybind("generate", cwd=tmp_path).returncode == 0
    assert (tmp_path / "pkg" / "zlib_ffi.pyi").exists()
    use = subprocess.run([sys.executable, "-c", "from pkg import zlib_ffi, consts; "
                          "print(consts.ANSWER, zlib_ffi.crc32(0, b'', 0), hasattr(consts, 'NULL'))"],
                         capture_output=True, text=True, cwd=tmp_path)
    assert use.stdout.split() == ["42", "0", "False"], use.stderr
    assert lazybind("generate", "--check", cwd=tmp_path).returncode == 0
    (tmp_path / "consts.h").write_text("#define ANSWER 43\n")
    stale = lazybind("generate", "--check", cwd=tmp_path)
    assert stale.returncode == 1 and "pkg/consts.py" in stale.stderr


def test_bad_configuration_is_bad_input(tmp_path):
    (tmp_path / "pyproject.toml").write_text("[tool.lazybind.bindings.x]\nheaders = ['a.h']\nsurprise = 1\n")
    result = lazybind("generate", cwd=tmp_path)
    assert result.returncode == 2 and "surprise" in result.stderr
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    assert lazybind("generate", cwd=tmp_path).returncode == 2
