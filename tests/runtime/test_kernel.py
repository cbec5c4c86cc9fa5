"""Kernel interfaces: ioctl numbers, syscall numbers and UAPI structs equal the compiler's, and
real calls through __lazybind__.ioctl/syscall against the running kernel."""

from __future__ import annotations

import ctypes
import errno
import os

import pytest

import lazybind
from conftest import bind_text, import_path, run_c

WRAPPER = """\
#define _GNU_SOURCE
#include <sys/ioctl.h>
#include <termios.h>
#include <sys/syscall.h>
#include <sys/mman.h>
#include <linux/input.h>
#include <linux/fs.h>
"""


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    return bind_text(tmp_path_factory.mktemp("kernel"), "kernel", WRAPPER, library="c")


def test_every_record_and_constant_agrees_with_the_compiler(kernel):
    report = lazybind.check(str(kernel))
    assert report.mismatches == [], report.text()
    assert report.counts["constants"] > 2000 and report.counts["records"] > 40


def test_ioctl_numbers_are_plain_ints_equal_to_the_compilers(kernel, tmp_path):
    module = import_path(kernel)
    names = ["FIONREAD", "TIOCGWINSZ", "TIOCSWINSZ", "EVIOCGVERSION", "EVIOCGID", "FS_IOC_GETFLAGS",
             "SYS_getpid", "SYS_memfd_create", "MFD_CLOEXEC"]
    program = WRAPPER + "#include <stdio.h>\nint main(void) {\n"
    program += "".join(f'  printf("%lld\\n", (long long){n});\n' for n in names) + "  return 0;\n}\n"
    expected = [int(v) for v in run_c(tmp_path, program).split()]
    values = [getattr(module, n) for n in names]
    assert all(type(v) is int for v in values)
    assert values == expected


@pytest.fixture
def pipe():
    read_end, write_end = os.pipe()
    yield read_end, write_end
    os.close(read_end)
    os.close(write_end)


def test_fionread_on_a_pipe(kernel, pipe):
    module = import_path(kernel)
    os.write(pipe[1], b"12345")
    pending = ctypes.c_int()
    assert module.__lazybind__.ioctl(pipe[0], module.FIONREAD, pending) == 0
    assert pending.value == 5


def test_window_size_round_trip_on_a_pty(kernel):
    module = import_path(kernel)
    master, slave = os.openpty()
    try:
        wanted = module.struct_winsize(ws_row=33, ws_col=101)
        module.__lazybind__.ioctl(master, module.TIOCSWINSZ, wanted)
        got = module.struct_winsize()
        module.__lazybind__.ioctl(slave, module.TIOCGWINSZ, got)
        assert (got.ws_row, got.ws_col) == (33, 101)
        assert tuple(os.get_terminal_size(slave)) == (101, 33)  # Python's own view agrees
    finally:
        os.close(master)
        os.close(slave)


def test_ioctl_failure_raises_oserror_with_errno(kernel, pipe):
    module = import_path(kernel)
    with pytest.raises(OSError) as error:
        module.__lazybind__.ioctl(pipe[0], module.TIOCGWINSZ, module.struct_winsize())
    assert error.value.errno == errno.ENOTTY


def test_syscalls(kernel):
    module = import_path(kernel)
    helpers = module.__lazybind__
    assert helpers.syscall(module.SYS_getpid) == os.getpid()
    fd = helpers.syscall(module.SYS_memfd_create, b"lazybind", module.MFD_CLOEXEC)
    try:
        os.write(fd, b"hello")
        os.lseek(fd, 0, os.SEEK_SET)
        assert os.read(fd, 5) == b"hello"
    finally:
        os.close(fd)
    with pytest.raises(OSError) as error:
        helpers.syscall(module.SYS_close, -1)
    assert error.value.errno == errno.EBADF


def test_ioc_builds_request_numbers_like_asm_generic(kernel):
    module = import_path(kernel)
    size = ctypes.sizeof(ctypes.c_int)
    assert module.__lazybind__.IOC(2, ord("E"), 0x01, size) == module.EVIOCGVERSION


@pytest.fixture(scope="module")
def kfd(tmp_path_factory):
    """linux/kfd_ioctl.h includes <drm/drm.h>, which Debian's libdrm-dev puts in /usr/include/libdrm."""
    directory = tmp_path_factory.mktemp("kfd")
    assert os.path.exists("/usr/include/libdrm/drm.h"), "libdrm-dev is needed (.ci/run installs it)"
    (directory / "drm").symlink_to("/usr/include/libdrm")
    out = directory / "kfd_ioctl_ffi.py"
    lazybind.generate(["linux/kfd_ioctl.h"], include_dirs=[str(directory)], output=str(out))
    return directory, out


def test_kfd_without_a_library_has_types_and_constants(kfd, tmp_path):
    directory, out = kfd
    module = import_path(out)
    program = ("#include <stdio.h>\n#include <linux/kfd_ioctl.h>\nint main(void) {\n"
               '  printf("%lld %zu\\n", (long long)AMDKFD_IOC_GET_VERSION, '
               "sizeof(struct kfd_ioctl_get_version_args));\n  return 0;\n}\n")
    number, size = (int(v) for v in run_c(tmp_path, program, ["-I", str(directory)]).split())
    assert module.AMDKFD_IOC_GET_VERSION == number
    assert ctypes.sizeof(module.struct_kfd_ioctl_get_version_args) == size
    assert module.__lazybind__.selftest() == []
