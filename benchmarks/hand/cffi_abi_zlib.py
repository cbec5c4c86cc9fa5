"""cffi ABI mode with hand-written cdefs for the few zlib functions the benchmark uses."""
from cffi import FFI

ffi = FFI()
ffi.cdef("""
unsigned long crc32(unsigned long crc, const unsigned char *buf, unsigned int len);
unsigned long adler32(unsigned long adler, const unsigned char *buf, unsigned int len);
const char *zlibVersion(void);
unsigned long zlibCompileFlags(void);
""")
lib = ffi.dlopen("libz.so.1")
