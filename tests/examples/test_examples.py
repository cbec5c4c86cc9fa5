"""Each example in examples/ runs in a fresh interpreter and its output is compared with an
oracle nobody here wrote: hashlib, hmac, ssl, sqlite3, zlib, pyexpat, os, time, math, Python ints, the
running interpreter, and the C compiler. The module each example generated is then verified
with `lazybind check`."""

from __future__ import annotations

import hashlib
import hmac
import math
import operator
import os
import platform
import random
import re
import sqlite3
import ssl
import subprocess
import sys
import time
import xml.parsers.expat
import zlib
from pathlib import Path

import pytest

import lazybind
from conftest import run_c

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
# example -> (the module it generates, its arguments: {sample} is a data file, {dir} a directory)
EXAMPLE_RUNS = {
    "openssl_digest": ("openssl_ffi", ["{sample}"]),
    "sqlite_udf": ("sqlite_ffi", ["{dir}/words.db"]),
    "zlib_stream": ("zlib_ffi", ["{sample}"]),
    "libc_tour": ("libc_ffi", ["{sample}"]),
    "xlib_nodisplay": ("xlib_ffi", []),
    "gl_lazy": ("gl_ffi", []),
    "cpython_api": ("cpython_ffi", []),
    "gmp_factorial": ("gmp_ffi", []),
    "win32_tables": ("win32_ffi", []),
}


@pytest.fixture(scope="session")
def example_dir(tmp_path_factory):
    """Where the examples write their modules and files; the sample is some text to work on."""
    directory = tmp_path_factory.mktemp("examples")
    rng = random.Random(8)
    words = ["lazy", "binding", "header", "struct", "callback", "pointer"]
    lines = ("%d %s %r\n" % (n, " ".join(rng.choices(words, k=6)), rng.random()) for n in range(8000))
    (directory / "sample.txt").write_text("".join(lines))
    return directory


@pytest.fixture(scope="session")
def run_example(example_dir):
    """example name -> its stdout, each example run once per session."""
    outputs = {}

    def run(name):
        if name not in outputs:
            args = [a.format(sample=example_dir / "sample.txt", dir=example_dir)
                    for a in EXAMPLE_RUNS[name][1]]
            result = subprocess.run(
                [sys.executable, str(EXAMPLES / f"{name}.py"), *args], capture_output=True,
                text=True, env=dict(os.environ, LAZYBIND_EXAMPLE_DIR=str(example_dir)))
            assert result.returncode == 0, result.stderr
            outputs[name] = result.stdout
        return outputs[name]

    return run


def fields(output):
    """`key: value` lines of an example's output as a dict."""
    return dict(line.split(": ", 1) for line in output.splitlines() if ": " in line)


@pytest.mark.parametrize("name", sorted(EXAMPLE_RUNS))
def test_the_generated_module_agrees_with_the_compiler(run_example, example_dir, name):
    run_example(name)
    report = lazybind.check(str(example_dir / f"{EXAMPLE_RUNS[name][0]}.py"))
    assert report.mismatches == [], report.text()
    assert report.counts["constants"] > 0


def test_openssl_digests_hmac_aes_and_tls_context(run_example, example_dir):
    out = fields(run_example("openssl_digest"))
    data = (example_dir / "sample.txt").read_bytes()
    for algorithm in ("sha256", "sha512", "md5"):
        assert out[algorithm] == hashlib.new(algorithm, data).hexdigest()
    assert out["hmac-sha256"] == hmac.new(b"lazybind example key", data, "sha256").hexdigest()
    # McGrew & Viega, "The Galois/Counter Mode of Operation", test case 14
    assert out["aes-256-gcm test vector"] == ("ciphertext=cea7403d4d606b6e074ec5d3baf39d18 "
                                              "tag=d0d1c8a799996bf0265b98b5d48ab919")
    assert out["aes-256-gcm round trip"] == "ok"
    assert out["aes-256-gcm forged ciphertext"] == "rejected"
    assert out["tls client context"] == "minimum protocol %#06x" % ssl.TLSVersion.TLSv1_2
    # the certificates OpenSSL's stack macros listed are those Python's ssl module loads
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cafile=ssl.get_default_verify_paths().openssl_cafile)
    known = sorted(set(context.get_ca_certs(binary_form=True)))
    assert known, "no CA certificates: install ca-certificates"
    assert out["trusted certificates"] == "%d, sha256 of the sorted DER %s" % (
        len(known), hashlib.sha256(b"".join(known)).hexdigest())


def test_sqlite_rows_and_python_sql_functions_read_by_pythons_sqlite3(run_example, example_dir):
    out = run_example("sqlite_udf")
    phrases = re.findall(r"^row \d+: (.*)$", out, re.M)
    with sqlite3.connect(example_dir / "words.db") as db:
        assert db.execute("select phrase from words order by id").fetchall() == [(p,) for p in phrases]
        summary = db.execute("select initials, vowels from summary order by id").fetchall()
    assert len(phrases) == 5
    assert summary == [("".join(w[0].upper() for w in p.split()), sum(p.count(v) for v in "aeiou"))
                       for p in phrases]


def test_zlib_streaming_equals_pythons_zlib(run_example, example_dir):
    output = run_example("zlib_stream")
    out = fields(output)
    data = (example_dir / "sample.txt").read_bytes()
    compressed = (example_dir / "sample.txt.zz").read_bytes()
    assert zlib.decompress(compressed) == data
    if output.startswith("zlib %s\n" % zlib.ZLIB_RUNTIME_VERSION):
        assert compressed == zlib.compress(data, 6)  # the same library makes the same stream
    assert "%d bytes -> %d bytes" % (len(data), len(compressed)) in output
    assert out["crc32"] == "%08x adler32: %08x" % (zlib.crc32(data), zlib.adler32(data))
    assert out["inflated back"] == "identical"


def test_libc_tour_equals_python(run_example, example_dir):
    output = run_example("libc_tour")
    out = fields(output)
    texts = {"3.25": 3.25, "-1e3": -1e3, "0x1.8p1": float.fromhex("0x1.8p1"), "42abc": 42.0,
             "  .5": 0.5, "inf": math.inf, "2.5e-3": 2.5e-3}
    for text, value in texts.items():
        rest = "abc" if text == "42abc" else ""
        assert f"strtod {text!r}: {value!r} rest {rest!r}" in output.splitlines()
    ordered = sorted(texts.values())
    assert out["qsort"] == " ".join(repr(v) for v in ordered)
    assert out["bsearch 0.0025"] == str(ordered.index(2.5e-3)) and out["bsearch 7.0"] == "absent"
    assert out["getenv HOME"] == os.environ["HOME"]
    assert out["setenv, seen by a child process"] == "set by setenv"
    sample = example_dir / "sample.txt"
    st = os.stat(sample)
    assert out[f"stat {sample}"] == "mode=%o size=%d ino=%d nlink=%d uid=%d mtime_ns=%d" % (
        st.st_mode, st.st_size, st.st_ino, st.st_nlink, st.st_uid, st.st_mtime_ns)
    now = int(out["time"])
    assert abs(now - time.time()) < 600
    assert out["strftime"] == time.strftime("%Y-%m-%d %H:%M:%S %z %A, day %j", time.localtime(now))
    assert out["math"] == "cos(0.5)=%r exp(1)=%r log(10)=%r atan2(1,2)=%r fmod(7.5,2)=%r frexp(1000)=(%r, %d)" % (
        math.cos(0.5), math.exp(1.0), math.log(10.0), math.atan2(1.0, 2.0), math.fmod(7.5, 2.0),
        *math.frexp(1000.0))
    assert "M_PI=%r HUGE_VAL=inf" % math.pi in output


XLIB_ORACLE = r"""
#include <stdio.h>
#include <stddef.h>
#include <X11/Xlib.h>
#include <X11/keysym.h>
int main(void) {
    printf("sizeof XEvent=%zu XKeyEvent=%zu XButtonEvent=%zu XConfigureEvent=%zu XClientMessageEvent=%zu\n",
           sizeof(XEvent), sizeof(XKeyEvent), sizeof(XButtonEvent), sizeof(XConfigureEvent),
           sizeof(XClientMessageEvent));
    printf("offsetof XKeyEvent.keycode=%zu XClientMessageEvent.data=%zu\n",
           offsetof(XKeyEvent, keycode), offsetof(XClientMessageEvent, data));
    printf("KeyPress=%d ButtonPress=%d ClientMessage=%d LASTEvent=%d KeyPressMask=%ld StructureNotifyMask=%ld\n",
           KeyPress, ButtonPress, ClientMessage, LASTEvent, KeyPressMask, StructureNotifyMask);
    printf("event.type through xany: %d, data.l[0]=0x1234\n", ClientMessage);
    printf("keysym Return=%#x back to Return\nkeysym Escape=%#x back to Escape\n", XK_Return, XK_Escape);
    printf("keysym a=%#x back to a\nkeysym F1=%#x back to F1\n", XK_a, XK_F1);
    printf("keysym Shift_L=%#x back to Shift_L\n", XK_Shift_L);
    printf("XOpenDisplay(:99-nonexistent): NULL, no display\n");
    return 0;
}
"""


def test_xlib_layouts_keysyms_and_no_display_equal_the_compilers(run_example, tmp_path):
    assert run_example("xlib_nodisplay") == run_c(tmp_path, XLIB_ORACLE)


def test_gl_is_lazy_and_complete(run_example):
    out = fields(run_example("gl_lazy"))
    functions, constants, _ = (int(n) for n in re.findall(r"\d+", out["bound"]))
    assert functions > 2900 and constants > 5000
    assert out["after import"] == "libGL mapped=False, resolved=[]"
    # the values the OpenGL registry assigns (`lazybind check` compares all of them with cc)
    assert "GL_TEXTURE_2D=0xde1 GL_COMPUTE_SHADER=0x91b9 GL_VERSION_4_6=1" in run_example("gl_lazy")
    assert out["after three constants"] == (
        "libGL mapped=False, resolved=['GL_COMPUTE_SHADER', 'GL_TEXTURE_2D', 'GL_VERSION_4_6']")
    looked_up = re.fullmatch(r"libGL mapped=True, (\d+) of (\d+) exported by .*libGL\.so.*",
                             out["after looking up every function"])
    assert looked_up and int(looked_up[2]) == functions and int(looked_up[1]) > 1000


def test_cpython_api_answers_as_the_interpreter_does(run_example):
    out = fields(run_example("cpython_api"))
    assert out["Py_GetVersion"] == sys.version
    versions = "PY_VERSION=%s PY_VERSION_HEX=%#x" % (platform.python_version(), sys.hexversion)
    assert versions in run_example("cpython_api").splitlines()
    assert out["PyList of squares"] == repr([n * n for n in range(10)])
    assert out["PyNumber_Multiply"] == str(int("123456789" * 5) ** 2)
    assert out["PyUnicode_FromString"] == "h\u00e9llo, w\u00f6rld"
    assert out["PyLong_AsLong(2**40)"] == str(2 ** 40)
    counts = re.fullmatch(r"(\d+), sys.getrefcount: (\d+)", out["ob_refcnt of an object"])
    assert int(counts[1]) == int(counts[2]) - 1
    assert out["ob_type->tp_name of a dict"] == type({}).__name__
    with pytest.raises(TypeError) as python_error:
        operator.index("not a number")
    assert out["PyLong_AsLong(str) raised TypeError"] == str(python_error.value)


def test_gmp_equals_python_ints(run_example):
    out = fields(run_example("gmp_factorial"))
    assert out["1000! has %d digits" % len(str(math.factorial(1000)))] == str(math.factorial(1000))
    a, b = int(out["a"]), int(out["b"])
    assert len(out["a"]) == len(out["b"]) == 1000
    assert int(out["a*b"]) == a * b
    limbs, bits = (int(n) for n in re.fullmatch(r"(\d+) limbs of (\d+) bits", out["a*b takes"]).groups())
    assert limbs == -(-(a * b).bit_length() // bits)


XML_DOCUMENT = ('<?xml version="1.0"?>\n<library name="city" open="yes"><book id="1"><title>C '
                '&amp; Python</title></book><book id="2"><title>ctypes</title><note lang="fr">'
                '\u00e9t\u00e9</note></book><empty/>tail text</library>\n')


def pyexpat_lines(document: bytes):
    """The events and error line expat_load.py prints, as Python's pyexpat reports them."""
    events = []

    def data(text):
        if events and events[-1][0] == "data":
            events[-1] = ("data", events[-1][1] + text)
        else:
            events.append(("data", text))

    parser = xml.parsers.expat.ParserCreate()
    parser.StartElementHandler = lambda name, attributes: events.append(
        ("start", name, tuple(attributes.items())))
    parser.EndElementHandler = lambda name: events.append(("end", name))
    parser.CharacterDataHandler = data
    try:
        parser.Parse(document, True)
        error = "none"
    except xml.parsers.expat.ExpatError as failure:
        error = "%s at line %d, column %d" % (xml.parsers.expat.ErrorString(failure.code),
                                              failure.lineno, failure.offset)
    return [" ".join(str(part) for part in event) for event in events] + ["error: " + error]


@pytest.mark.parametrize("document", [XML_DOCUMENT, XML_DOCUMENT.replace("</title></book>", "</book>", 1)],
                         ids=["well-formed", "mismatched tag"])
def test_expat_through_load_and_pkg_config_equals_pyexpat(example_dir, tmp_path, document):
    """examples/expat_load.py binds expat with lazybind.load("expat.h", pkg="expat"), then
    parses with Python handlers; the next load, here, imports the cached module."""
    path = tmp_path / "document.xml"
    path.write_bytes(document.encode())
    cache = example_dir / "load-cache"
    result = subprocess.run([sys.executable, str(EXAMPLES / "expat_load.py"), str(path)],
                            capture_output=True, text=True,
                            env=dict(os.environ, LAZYBIND_CACHE_DIR=str(cache)))
    assert result.returncode == 0, result.stderr
    first, *events = result.stdout.splitlines()
    assert re.fullmatch(r"expat: expat_\d+\.\d+\.\d+", first)
    assert events == pyexpat_lines(document.encode())
    module = lazybind.load("expat.h", pkg="expat", cache_dir=cache)
    assert module.XML_ExpatVersion().decode() == first.split(": ")[1]
    report = lazybind.check(module.__file__)
    assert report.mismatches == [] and report.counts["constants"] > 0, report.text()


def test_win32_tables_equal_the_windows_cross_compilers(run_example, tmp_path):
    """The example's records and constants against x86_64-w64-mingw32-gcc's own assembler output
    (an independent reading: `.long` lines, not lazybind's object-file reader)."""
    out = fields(run_example("win32_tables"))
    records = ["OSVERSIONINFOEXW", "SYSTEM_INFO", "WIN32_FIND_DATAW"]
    constants = ["MB_OK", "MB_ICONERROR", "GENERIC_READ", "ERROR_ACCESS_DENIED"]
    source = "#define UNICODE\n#include <windows.h>\nunsigned lbk_oracle[] = {%s};\n" % ", ".join(
        [f"sizeof({r}), _Alignof({r})" for r in records] + [f"(unsigned)({c})" for c in constants])
    (tmp_path / "oracle.c").write_text(source)
    asm = subprocess.run(["x86_64-w64-mingw32-gcc", "-S", "-o", "-", str(tmp_path / "oracle.c")],
                         capture_output=True, text=True, check=True).stdout
    numbers = [int(v) & 0xFFFFFFFF for v in re.findall(r"^\s*\.long\s+(-?\d+)$",
                                                       asm.split("lbk_oracle:", 1)[1], re.M)]
    for number, record in enumerate(records):
        size, align = numbers[2 * number:2 * number + 2]
        assert out[f"sizeof/alignof {record}"] == (f"module {size}/{align}, "
                                                   f"x86_64-w64-mingw32-gcc {size}/{align}")
    for number, constant in enumerate(constants):
        assert int(out[constant]) == numbers[2 * len(records) + number]
    assert out["alias CreateFile"] == "CreateFileW" and out["alias MessageBox"] == "MessageBoxW"
    for function in ("GetSystemInfo", "GetModuleFileNameW", "MessageBoxW", "RegOpenKeyExW"):
        assert out[f"export {function}"] == "exported"  # wine64's PE files (.ci/run installs it)
