"""lazybind runtime, kernel helpers: `__lazybind__.ioctl`, `syscall` and `IOC`, through libc with
errno saved, raising OSError. They work in a module generated without --library. Runs in the
runtime's shared namespace (see core.py), loaded the first time one is asked for. Standard
library only.
"""

import ctypes
import os

_need("info")  # Info, whose methods this part adds


class _Kernel:
    """Info's kernel helpers (mixed into Info when this part loads)."""

    @staticmethod
    def IOC(direction, kind, number, size):
        """An ioctl request number, as <asm-generic/ioctl.h> builds it."""
        return (direction << 30) | (size << 16) | (kind << 8) | number

    @staticmethod
    def ioctl(fd, request, arg=0):
        """ioctl(2): `arg` is an int, a ctypes pointer/byref, or a struct filled in place."""
        libc = _libc_with_errno()
        if isinstance(arg, int):
            argument = ctypes.c_ulong(arg)
        elif isinstance(arg, (ctypes.Structure, ctypes.Union, ctypes.Array, ctypes._SimpleCData)):
            argument = ctypes.byref(arg)
        else:
            argument = arg
        result = libc.ioctl(int(fd), ctypes.c_ulong(request), argument)
        return _checked(result)

    @staticmethod
    def syscall(number, *args):
        """syscall(2) through libc: integer arguments are passed as C longs."""
        libc = _libc_with_errno()
        _need("variadic")
        converted = [ctypes.c_long(a) if isinstance(a, int) else _promote(a, number, "syscall")
                     for number, a in enumerate(args, 2)]
        libc.syscall.restype = ctypes.c_long
        return _checked(libc.syscall(ctypes.c_long(number), *converted))


_LIBC = []


def _libc_with_errno():
    if not _LIBC:
        _LIBC.append(ctypes.CDLL(None, use_errno=True))
    return _LIBC[0]


def _checked(result):
    if result == -1:
        errno = ctypes.get_errno()
        raise OSError(errno, os.strerror(errno))
    return result


_mix_in(Info, _Kernel)
