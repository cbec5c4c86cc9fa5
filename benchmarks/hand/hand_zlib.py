"""Hand-written ctypes for the few zlib functions the benchmark uses (argtypes and restype set)."""
import ctypes

_lib = ctypes.CDLL("libz.so.1")

crc32 = _lib.crc32
crc32.argtypes = [ctypes.c_ulong, ctypes.c_char_p, ctypes.c_uint]
crc32.restype = ctypes.c_ulong

adler32 = _lib.adler32
adler32.argtypes = [ctypes.c_ulong, ctypes.c_char_p, ctypes.c_uint]
adler32.restype = ctypes.c_ulong

zlibVersion = _lib.zlibVersion
zlibVersion.argtypes = []
zlibVersion.restype = ctypes.c_char_p

zlibCompileFlags = _lib.zlibCompileFlags
zlibCompileFlags.argtypes = []
zlibCompileFlags.restype = ctypes.c_ulong
