"""pkg-config packages (lazybind/pkgconfig.py): `load(header, pkg=...)`, `--pkg` on the command
line and `pkg = [...]` in [tool.lazybind]. Headers that need a package's include directories are
found with it; its libraries are the ones called. Real packages (.ci/run installs them), and one
made here: a .pc file, a header and a library the C compiler builds."""

from __future__ import annotations

import base64
import ctypes
import subprocess
import sys
import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

import lazybind
from lazybind.pkgconfig import close_names, find_package
from test_cli import lazybind as lazybind_cli


def modversion(package: str) -> str:
    done = subprocess.run(["pkg-config", "--modversion", package], capture_output=True, text=True)
    assert done.returncode == 0, f"pkg-config knows no {package} (.ci/run installs it)"
    return done.stdout.strip()


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    return tmp_path_factory.mktemp("pkg-cache")


def test_glib_through_its_package(cache):
    g = lazybind.load("glib.h", pkg="glib-2.0", cache_dir=cache)
    assert "%d.%d.%d" % (g.glib_major_version.value, g.glib_minor_version.value,
                         g.glib_micro_version.value) == modversion("glib-2.0")
    assert g.GLIB_MAJOR_VERSION == g.glib_major_version.value
    text = "h\u00e9llo, w\u00f6rld"
    assert g.g_utf8_strlen(text.encode(), -1) == len(text)
    data = bytes(range(256)) * 3
    encoded = g.g_base64_encode(data, len(data))  # gchar *: the caller frees it
    assert ctypes.string_at(encoded) == base64.b64encode(data)
    g.g_free(encoded)


def test_cairo_through_its_package(cache):
    c = lazybind.load("cairo.h", pkg="cairo", cache_dir=cache)
    assert c.cairo_version_string() == modversion("cairo").encode()
    surface = c.cairo_image_surface_create(c.CAIRO_FORMAT_ARGB32, 4, 3)
    with c.__lazybind__.scoped(surface, c.cairo_surface_destroy):
        context = c.cairo_create(surface)
        c.cairo_set_source_rgb(context, 1.0, 0.0, 0.0)
        c.cairo_paint(context)
        c.cairo_destroy(context)
        c.cairo_surface_flush(surface)
        stride = c.cairo_image_surface_get_stride(surface)
        assert stride == c.cairo_format_stride_for_width(c.CAIRO_FORMAT_ARGB32, 4) >= 16
        pixels = ctypes.string_at(c.cairo_image_surface_get_data(surface), stride * 3)
    # opaque red, ARGB32 in native byte order (little-endian here: B, G, R, A)
    assert pixels[:16] == bytes([0, 0, 255, 255]) * 4 and sys.byteorder == "little"


DOCUMENT = b'<shelf owner="ada"><book id="1">C</book><book id="2">Python</book><note/></shelf>'


def test_libxml2_through_its_package(cache):
    x = lazybind.load("libxml/parser.h", pkg="libxml-2.0", cache_dir=cache)
    assert x.LIBXML_DOTTED_VERSION == modversion("libxml-2.0").encode()
    document = x.xmlReadMemory(DOCUMENT, len(DOCUMENT), b"shelf.xml", None, 0)
    with x.__lazybind__.scoped(document, x.xmlFreeDoc):
        root = x.xmlDocGetRootElement(document).contents
        root_name = ctypes.string_at(root.name).decode()
        names = []
        child = root.children
        while child:
            if child.contents.type == x.XML_ELEMENT_NODE:
                names.append(ctypes.string_at(child.contents.name).decode())
            child = child.contents.next
    tree = ElementTree.fromstring(DOCUMENT)
    assert root_name == tree.tag
    assert names == [element.tag for element in tree]


@pytest.fixture(scope="module")
def made_package(tmp_path_factory):
    """A package made here: lbdemo.pc (its -I, a -D, its -L and -l), lbdemo.h, liblbdemo.so."""
    root = tmp_path_factory.mktemp("lbdemo")
    for directory in ("include", "lib", "pc"):
        (root / directory).mkdir()
    (root / "include" / "lbdemo.h").write_text(
        "#ifdef LBDEMO_FAST\n#define LBDEMO_MODE 2\n#else\n#define LBDEMO_MODE 1\n#endif\n"
        "int lbdemo_twice(int x);\n")
    (root / "lbdemo.c").write_text("int lbdemo_twice(int x) { return 2 * x; }\n")
    subprocess.run(["cc", "-shared", "-fPIC", "-o", str(root / "lib" / "liblbdemo.so"),
                    str(root / "lbdemo.c")], check=True)
    (root / "pc" / "lbdemo.pc").write_text(
        f"prefix={root}\nName: lbdemo\nDescription: a test package\nVersion: 1.0\n"
        "Cflags: -I${prefix}/include -DLBDEMO_FAST\nLibs: -L${prefix}/lib -llbdemo\n")
    (root / "pc" / "lbbroken.pc").write_text(
        "Name: lbbroken\nDescription: needs what is not there\nVersion: 1.0\n"
        "Requires: lb-not-installed\nCflags: -I/nowhere\n")
    return root


def with_made_packages(monkeypatch, made_package):
    monkeypatch.setenv("PKG_CONFIG_PATH", str(made_package / "pc"))


def test_a_package_gives_include_dirs_defines_and_its_library(made_package, monkeypatch):
    with_made_packages(monkeypatch, made_package)
    package = find_package("lbdemo")
    assert package.include_dirs == (str(made_package / "include"),)
    assert package.defines == ("LBDEMO_FAST",)
    assert package.libraries == (str(made_package / "lib" / "liblbdemo.so"),)
    assert package.pc_file == str(made_package / "pc" / "lbdemo.pc")


def test_generate_with_pkg_records_the_package_not_the_paths(made_package, monkeypatch, tmp_path):
    with_made_packages(monkeypatch, made_package)
    done = lazybind_cli("generate", "lbdemo.h", "--pkg", "lbdemo", "-o", "lbdemo_ffi.py", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    banner = (tmp_path / "lbdemo_ffi.py").read_text().splitlines()[2]
    assert banner == "# options: lbdemo.h --pkg lbdemo"
    use = subprocess.run([sys.executable, "-c", "import lbdemo_ffi as d; "
                          "print(d.LBDEMO_MODE, d.lbdemo_twice(21))"],
                         cwd=tmp_path, capture_output=True, text=True)
    assert use.stdout.split() == ["2", "42"], use.stderr
    inspected = lazybind_cli("inspect", "lbdemo.h", "--pkg", "lbdemo", cwd=tmp_path)
    assert "constant LBDEMO_MODE = 2" in inspected.stdout
    assert lazybind.check(str(tmp_path / "lbdemo_ffi.py")).mismatches == []
    checked = lazybind_cli("check", "lbdemo_ffi.py", "--pkg", "lbdemo", cwd=tmp_path)
    assert checked.returncode == 0 and " 0 mismatches" in checked.stdout, checked.stdout + checked.stderr
    missing = lazybind_cli("check", "lbdemo_ffi.py", "--pkg", "lbdem", cwd=tmp_path)
    assert missing.returncode == 2 and missing.stderr.startswith(
        "lazybind: error: pkg-config package 'lbdem' not found"), missing.stderr


def test_missing_packages_are_one_line_errors(made_package, monkeypatch, tmp_path):
    with_made_packages(monkeypatch, made_package)
    for args, message in (
            (["--pkg", "libxml2"], "lazybind: error: pkg-config package 'libxml2' not found; "
                                   "close names: libxml-2.0"),
            (["--pkg", "lbdem"], "lazybind: error: pkg-config package 'lbdem' not found; "
                                 "close names: lbdemo"),
            (["--pkg", "lbbroken"], "lazybind: error: pkg-config package 'lbbroken': "
                                    "Package 'lb-not-installed', required by 'lbbroken', not found")):
        done = lazybind_cli("generate", "lbdemo.h", *args, "-o", "out.py", cwd=tmp_path)
        assert done.returncode == 2 and len(done.stderr.splitlines()) == 1, done.stderr
        assert done.stderr.startswith(message), done.stderr
    assert not (tmp_path / "out.py").exists()
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools-here"))
    done = lazybind_cli("inspect", "lbdemo.h", "--pkg", "lbdemo", cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr == ("lazybind: error: --pkg lbdemo needs pkg-config, which is not "
                           "installed (or not on PATH)\n")


def test_close_names():
    known = ["expat", "glib-2.0", "gio-2.0", "libxml-2.0", "libxslt", "zlib"]
    assert close_names("libxml2", known)[0] == "libxml-2.0"
    assert close_names("glib", known)[0] == "glib-2.0"
    assert "libxml-2.0" in close_names("xml", known)
    assert close_names("qqq", known) == []


PYPROJECT = """\
[tool.lazybind.bindings.lbdemo_ffi]
headers = ["lbdemo.h"]
pkg = ["lbdemo"]
output = "lbdemo_ffi.py"
"""


def test_pkg_in_pyproject(made_package, monkeypatch, tmp_path):
    with_made_packages(monkeypatch, made_package)
    (tmp_path / "pyproject.toml").write_text(PYPROJECT)
    assert lazybind_cli("generate", cwd=tmp_path).returncode == 0
    use = subprocess.run([sys.executable, "-c", "import lbdemo_ffi as d; print(d.lbdemo_twice(4))"],
                         cwd=tmp_path, capture_output=True, text=True)
    assert use.stdout.strip() == "8", use.stderr
    assert lazybind_cli("generate", "--check", cwd=tmp_path).returncode == 0
    (made_package / "include" / "lbdemo.h").write_text(
        (made_package / "include" / "lbdemo.h").read_text() + "#define LBDEMO_NEW 1\n")
    try:
        assert lazybind_cli("generate", "--check", cwd=tmp_path).returncode == 1
    finally:
        text = (made_package / "include" / "lbdemo.h").read_text()
        (made_package / "include" / "lbdemo.h").write_text(text.replace("#define LBDEMO_NEW 1\n", ""))


def test_load_with_a_package_depends_on_its_pc_file(made_package, monkeypatch, tmp_path):
    pc = tmp_path / "pc" / "lbdemo.pc"
    pc.parent.mkdir()
    pc.write_text((made_package / "pc" / "lbdemo.pc").read_text())
    monkeypatch.setenv("PKG_CONFIG_PATH", str(pc.parent))
    module = lazybind.load("lbdemo.h", pkg=["lbdemo"], cache_dir=tmp_path / "cache")
    assert module.lbdemo_twice(5) == 10 and module.LBDEMO_MODE == 2
    assert lazybind.load("lbdemo.h", pkg=["lbdemo"], cache_dir=tmp_path / "cache") is module
    pc.write_text(pc.read_text().replace(" -DLBDEMO_FAST", ""))  # the package changed its flags
    changed = lazybind.load("lbdemo.h", pkg=["lbdemo"], cache_dir=tmp_path / "cache")
    assert changed.LBDEMO_MODE == 1 and changed.lbdemo_twice(5) == 10
