"""Build the cffi API-mode (out-of-line, compiled) module used by the benchmark.

    python benchmarks/cffi_api_build.py OUTDIR
"""

import sys

from cffi import FFI

CDEF = """
unsigned long crc32(unsigned long crc, const unsigned char *buf, unsigned int len);
unsigned long adler32(unsigned long adler, const unsigned char *buf, unsigned int len);
const char *zlibVersion(void);
int sqlite3_libversion_number(void);
unsigned long zlibCompileFlags(void);

struct timespec { long tv_sec; long tv_nsec; ...; };
int clock_gettime(int clk_id, struct timespec *tp);
void qsort(void *base, size_t nmemb, size_t size, int (*compar)(const void *, const void *));
extern "Python" int bench_compare(const void *, const void *);
"""

SOURCE = """
#include <zlib.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <time.h>
"""


def build(outdir):
    ffibuilder = FFI()
    ffibuilder.cdef(CDEF)
    ffibuilder.set_source("bench_cffi_api", SOURCE, libraries=["z", "sqlite3"])
    return ffibuilder.compile(tmpdir=outdir, verbose=False)


if __name__ == "__main__":
    print(build(sys.argv[1]))
