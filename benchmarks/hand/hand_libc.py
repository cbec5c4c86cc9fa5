"""Hand-written ctypes for qsort and clock_gettime (argtypes and restype set)."""
import ctypes

_libc = ctypes.CDLL("libc.so.6")


class timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


compar_fn_t = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)

qsort = _libc.qsort
qsort.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, compar_fn_t]
qsort.restype = None

clock_gettime = _libc.clock_gettime
clock_gettime.argtypes = [ctypes.c_int, ctypes.POINTER(timespec)]
clock_gettime.restype = ctypes.c_int

CLOCK_MONOTONIC = 1
