"""`lazybind check` against the real oracle: the system C compiler, on real headers.

Each header is generated once per test module; a check is one compile and run of a C program."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import lazybind
from lazybind.verify import CheckError, check_module

OWN_HEADER = r"""
#include <stdint.h>
struct nested {
    int kind;
    union {
        int i;
        double d;
        struct { short lo, hi; };
    };
    struct { char tag; long value; } named_inner;
    union { uint8_t bytes[8]; uint64_t word; } u;
    struct { int a; char b; } grid[2][3];
};
struct __attribute__((packed)) packed_rec { char c; int i; short s; double d; };
struct packed_member { char c; int i __attribute__((packed)); long l; };
#pragma pack(push, 2)
struct pragma_packed { char c; long l; int i; };
#pragma pack(pop)
struct matrix { float m[4][4]; int cube[2][3][4]; struct packed_rec recs[2][2]; };
struct flexible { uint32_t len; uint16_t flags; unsigned char data[]; };
struct flexible_ld { char c; long double values[]; };
struct simple_bits { unsigned a : 3; signed b : 5; int c : 7; unsigned : 0; unsigned d : 30; };
struct with_bool_ld { _Bool flag; long double ld; char after; };
typedef struct { int x, y; } point_t;
typedef union { point_t p; long long raw; } point_u;
typedef struct { uint16_t id; } *handle_t;
enum small_enum { SMALL_A = -3, SMALL_B = 7 };
enum big_enum { BIG_A = 0x100000000LL, BIG_B = -1 };
enum __attribute__((packed)) packed_enum { PACKED_A = 1, PACKED_B = 200 };
struct with_enums { enum packed_enum pe; enum big_enum be; enum small_enum se; };
struct macro_member { union { int raw; struct { short lo, hi; } half; } m_u; };
#define mm_lo m_u.half.lo
#define NEG_ONE (-1)
#define BIG_UNSIGNED 0xFFFFFFFFFFFFFFF0ULL
#define SHIFTED (1u << 31)
#define A_FLOAT 1.5e-3
#define A_STRING "hello\tworld"
#define NULL_PTR ((void *)0)
#define SEED_VALUE 0x5EED1234
#define SIZE_OF_NESTED sizeof(struct nested)
#ifdef __clang__
#define ONLY_CLANG 42
struct only_clang { int x; };
#else
#define ONLY_CLANG undefined_identifier_for_gcc
#endif
"""

# name: (headers, generate options)
HEADERS = {
    "zlib": (["zlib.h"], {"library": "z"}),
    "sqlite3": (["sqlite3.h"], {"library": "sqlite3"}),
    "sys_stat": (["<sys/stat.h>"], {"library": "c"}),
    "time": (["<time.h>"], {"library": "c"}),
    "signal": (["<signal.h>"], {"library": "c"}),
    "netinet_in": (["<netinet/in.h>"], {"library": "c"}),
    "linux_input": (["linux/input.h"], {}),
    "own": (None, {}),
    "xlib": (["X11/Xlib.h"], {"library": "X11"}),
    "kfd_ioctl": (["linux/kfd_ioctl.h"], {}),
    "openssl": (["openssl/ssl.h"], {"library": ["ssl", "crypto"]}),
}
NEEDS_FILE = {"xlib": "/usr/include/X11/Xlib.h", "kfd_ioctl": "/usr/include/libdrm/drm.h",
              "sqlite3": "/usr/include/sqlite3.h", "zlib": "/usr/include/zlib.h",
              "linux_input": "/usr/include/linux/input.h", "openssl": "/usr/include/openssl/ssl.h"}


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """name -> path of the generated module, each generated once for this test module."""
    directory = tmp_path_factory.mktemp("verify")
    cache = {}

    def get(name):
        if name not in cache:
            if name in NEEDS_FILE and not os.path.exists(NEEDS_FILE[name]):
                pytest.fail(f"{NEEDS_FILE[name]} is not installed (.ci/run installs it)")
            headers, options = HEADERS[name]
            if headers is None:
                header = directory / "own.h"
                header.write_text(OWN_HEADER)
                headers = [str(header)]
            if name == "kfd_ioctl" and not os.path.exists("/usr/include/drm/drm.h"):
                # kfd_ioctl.h includes <drm/drm.h>; here libdrm-dev has it as libdrm/drm.h
                (directory / "drm").symlink_to("/usr/include/libdrm")
                options = dict(options, include_dirs=[str(directory)])
            out = directory / f"{name}_ffi.py"
            lazybind.generate(headers, output=str(out), **options)
            cache[name] = out
        return cache[name]

    return get


@pytest.fixture(scope="module")
def reports(generated):
    cache = {}

    def get(name):
        if name not in cache:
            cache[name] = check_module(generated(name))
        return cache[name]

    return get


def _params():
    for name in HEADERS:
        yield pytest.param(name, id=name)


@pytest.mark.parametrize("name", list(_params()))
def test_real_headers_agree_with_the_compiler(reports, name):
    report = reports(name)
    print(report.summary())
    assert report.mismatches == [], report.text()
    assert report.ok
    assert report.counts["records"] > 0
    assert report.counts["fields"] > 0
    assert report.counts["constants"] > 0
    assert report.verified == len(report.checked)


def test_signal_h_apart_from_the_sigevent_refusal(reports):
    """signal.h's other records (siginfo_t with its field macros, sigaction, ucontext) agree."""
    report = reports("signal")
    others = [m for m in report.mismatches if "struct sigevent" not in m.subject]
    assert others == [], report.text()
    assert "siginfo_t._sifields._kill field si_pid" in report.checked  # si_pid is also a macro
    assert report.counts["records"] > 40


def test_openssl_constants_are_the_system_compilers(reports):
    report = reports("openssl")
    assert "constant __HAVE_FLOAT128" in report.checked  # clang says 0, cc says 1: cc wins
    assert report.counts["constants"] > 5000 and report.counts["records"] > 50


def test_own_header_covers_the_hard_cases(reports):
    report = reports("own")
    checked = set(report.checked)
    for subject in [
        "struct nested field lo",  # through two anonymous members
        "struct nested field d",
        "struct nested.named_inner field value",
        "struct nested.grid field b",  # an unnamed struct reached through an array of arrays
        "struct packed_rec field d",
        "struct packed_member field l",
        "struct pragma_packed field i",
        "struct matrix field cube",
        "struct matrix field recs",
        "struct flexible field data",  # a flexible array member
        "struct flexible_ld field values",
        "struct simple_bits field a", "struct simple_bits field b",  # bitfields, by their bits
        "struct simple_bits field c", "struct simple_bits field d",
        "struct with_bool_ld field after",
        "point_t field y", "point_u field raw",
        "typedef handle_t field id",  # an unnamed struct named through a pointer typedef
        "struct macro_member.m_u.half field lo",
        "enum packed_enum", "enum big_enum",
        "constant NEG_ONE", "constant BIG_UNSIGNED", "constant SHIFTED", "constant A_FLOAT",
        "constant A_STRING", "constant NULL_PTR", "constant SIZE_OF_NESTED", "constant BIG_A",
        "constant BIG_B", "constant SMALL_A",
    ]:
        assert subject in checked, (subject, sorted(checked))
    skipped = {s.subject: s.message for s in report.skipped}
    # what only clang sees is dropped from the program, which then compiles
    assert "cc rejects it" in skipped["struct only_clang"]
    # a macro the C compiler has no value for is left out at generation already
    assert "constant ONLY_CLANG" not in checked and "constant ONLY_CLANG" not in skipped


def _tamper(path, out, pattern, replacement):
    text = Path(path).read_text()
    new, count = re.subn(pattern, replacement, text)
    assert count == 1, f"{pattern!r} found {count} times"
    Path(out).write_text(new)
    return out


@pytest.fixture(scope="module")
def tampered_zlib(generated, tmp_path_factory):
    # z_stream's avail_in is at byte 8 (bit 64); the copy claims bit 96
    out = tmp_path_factory.mktemp("tampered") / "zlib_bad_ffi.py"
    return _tamper(generated("zlib"), out, r";avail_in:(\d+):64;", r";avail_in:\1:96;")


def test_a_wrong_field_offset_is_a_mismatch(tampered_zlib):
    report = check_module(tampered_zlib)
    assert not report.ok
    lines = report.text().splitlines()
    assert any(re.fullmatch(r"zlib\.h:\d+: struct z_stream_s field avail_in: "
                            r"C offset 8, module offset 12", line) for line in lines), lines
    assert len(report.mismatches) == 1, report.text()
    mismatch = report.mismatches[0]
    assert mismatch.location.startswith("zlib.h:")


def test_a_wrong_size_and_a_wrong_constant_are_mismatches(generated, tmp_path):
    # specs are addressed by character offset: a tampered copy keeps every spec's length
    own = generated("own")
    wrong_size = tmp_path / "own_size_ffi.py"
    _tamper(own, wrong_size, r"(\n#.)S15,1;c:(\d+):0;i:", r"\g<1>S16,1;c:\2:0;i:")  # packed_rec
    header = Path(own).parent / "own.h"  # shown as given: an absolute path outside cwd
    report = check_module(wrong_size)
    assert [str(m) for m in report.mismatches] == [
        f"{header}:{_line('struct __attribute__((packed)) packed_rec')}: struct packed_rec: "
        f"C size 15, module size 16"], report.text()

    wrong_value = tmp_path / "own_value_ffi.py"
    _tamper(own, wrong_value, r"(\n#.)i%d\n" % 0x5EED1234, r"\g<1>i%d\n" % 0x5EED1235)
    report = check_module(wrong_value)
    assert [str(m) for m in report.mismatches] == [
        f"{header}:{_line('#define SEED_VALUE')}: constant SEED_VALUE: C value {0x5EED1234}, "
        f"module value {0x5EED1235}"], report.text()


def _line(text):
    return next(n for n, line in enumerate(OWN_HEADER.split("\n"), 1) if line.startswith(text))


def _cli(*args, env=None):
    return subprocess.run([sys.executable, "-m", "lazybind.cli", *args], capture_output=True,
                          text=True, env=env)


def test_cli_exit_status(generated, tampered_zlib):
    good = _cli("check", str(generated("zlib")))
    assert good.returncode == 0, good.stdout + good.stderr
    assert "0 mismatches" in good.stdout.splitlines()[0]
    bad = _cli("check", str(tampered_zlib))
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert re.search(r"^zlib\.h:\d+: struct z_stream_s field avail_in: "
                     r"C offset 8, module offset 12$", bad.stdout, re.M), bad.stdout


def test_the_api_returns_the_report(generated):
    report = lazybind.check(str(generated("zlib")))
    assert report.ok and report.text().startswith(str(generated("zlib")))


def test_no_compiler_is_exit_2(generated, tmp_path, monkeypatch):
    env = {k: v for k, v in os.environ.items() if k != "CC"}
    env["PATH"] = str(tmp_path)  # an empty directory: no cc
    result = _cli("check", str(generated("zlib")), env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "no C compiler (cc) found" in result.stderr
    monkeypatch.delenv("CC", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(CheckError) as error:
        check_module(generated("zlib"))
    assert error.value.exit_code == 2


def test_a_foreign_target_needs_a_cross_compiler(tmp_path):
    header = tmp_path / "plain.h"
    header.write_text("struct s { long x; char *p; long long y; double d; };\n#define K 3\n")
    out = tmp_path / "plain_ffi.py"
    lazybind.generate([str(header)], output=str(out), target="aarch64-linux-gnu")
    only_cc = tmp_path / "bin"
    only_cc.mkdir()
    (only_cc / "cc").symlink_to(shutil.which("cc"))  # no aarch64 gcc on this PATH, whatever is installed
    env = {**os.environ, "PATH": str(only_cc), "PYTHONPATH": os.pathsep.join(sys.path)}
    env.pop("CC", None)
    result = _cli("check", str(out), env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "needs a C cross compiler" in result.stderr and "aarch64-linux-gnu" in result.stderr


def test_headers_the_compiler_rejects_are_exit_2(tmp_path):
    header = tmp_path / "clang_only.h"
    header.write_text("#ifndef __clang__\n#error only clang\n#endif\nstruct s { int x; };\n")
    out = tmp_path / "clang_only_ffi.py"
    # generation says why the compiler could not confirm the layouts (the module only that it
    # could not: the reason may hold paths)
    with pytest.warns(lazybind.errors.BuildWarning, match="record layouts not confirmed by a C "
                      "compiler: the C compiler rejects the headers: .*only clang"):
        lazybind.generate([str(header)], output=str(out))
    assert "lazybind check` says why" in out.read_text()
    with pytest.raises(CheckError) as error:
        check_module(out)
    assert "only clang" in str(error.value)
    assert error.value.exit_code == 2
