"""What the suite measures: the headers, the tools, the floors, how many runs; the same for the
compiled fast path. Extending the suite starts here: a header is a TARGETS entry, a tool a TOOLS
name (with its command line in peers.py). Imports common only.
"""

import os

from common import GEN

# key, title, headers for lazybind's default scope, headers given to the peers (and to
# lazybind --scope named), libraries (short names), -D macros, two functions for first-call
# latency (run with no arguments), apt package that ships the headers.
TARGETS = [
    dict(key="zlib", title="zlib.h", headers=["zlib.h"], peer=["zlib.h"], libs=["z"],
         defines=[], calls=("zlibVersion", "zlibCompileFlags"), apt="zlib1g-dev"),
    dict(key="sqlite3", title="sqlite3.h", headers=["sqlite3.h"], peer=["sqlite3.h"],
         libs=["sqlite3"], defines=[], calls=("sqlite3_libversion", "sqlite3_threadsafe"),
         apt="libsqlite3-dev"),
    dict(key="z3", title="z3.h", headers=["z3.h"],
         # z3.h itself declares nothing: its API is in the z3_*.h files it includes, which the
         # peers (and --scope named) are given explicitly.
         peer=["z3.h", "z3_macros.h", "z3_api.h", "z3_ast_containers.h", "z3_algebraic.h",
               "z3_polynomial.h", "z3_rcf.h", "z3_fixedpoint.h", "z3_optimization.h",
               "z3_fpa.h", "z3_spacer.h"],
         libs=["z3"], defines=[], calls=("Z3_get_full_version", "Z3_mk_config"),
         apt="libz3-dev"),
    dict(key="ssl", title="openssl/ssl.h (+crypto)", headers=["openssl/ssl.h"],
         peer=["openssl/ssl.h"], libs=["ssl", "crypto"], defines=[],
         calls=("TLS_method", "DTLS_method"), apt="libssl-dev"),
    dict(key="gl", title="GL/gl.h + GL/glext.h", headers=["GL/gl.h", "GL/glext.h"],
         peer=["GL/gl.h", "GL/glext.h"], libs=["GL"], defines=["GL_GLEXT_PROTOTYPES"],
         calls=("glGetError", "glFlush"), apt="libgl-dev"),
    dict(key="evp", title="openssl/evp.h (crypto)", headers=["openssl/evp.h"],
         peer=["openssl/evp.h"], libs=["crypto"], defines=[], calls=("EVP_md5", "EVP_sha256"),
         apt="libssl-dev"),
    dict(key="xlib", title="X11/Xlib.h", headers=["X11/Xlib.h"], peer=["X11/Xlib.h"],
         libs=["X11"], defines=[], calls=("XInitThreads", "XDisplayName(None)"), apt="libx11-dev"),
    dict(key="libc", title="stdlib.h + time.h (libc)", headers=["stdlib.h", "time.h"],
         peer=["stdlib.h", "time.h"], libs=["c"], defines=[],
         calls=("rand", "clock"), apt=None),
]
SCALING = [10, 1000, 10000, 100000]
TOOLS = ["lazybind", "lazybind_named", "ctypesgen", "clang2py", "cffi"]
TOOL_TITLES = {"lazybind": "lazybind", "lazybind_named": "lazybind --scope named",
               "lazybind_data": "lazybind --data-file",
               "ctypesgen": "ctypesgen", "clang2py": "clang2py", "cffi": "cffi (cdef of the header)"}
SONAMES = {"z": "libz.so.1", "sqlite3": "libsqlite3.so.0", "z3": "libz3.so.4", "ssl": "libssl.so.3",
           "crypto": "libcrypto.so.3", "GL": "libGL.so.1", "c": "libc.so.6",
           "X11": "libX11.so.6"}


# Reference modules (the floors) and their first-call code: (title, module, call1, call2)
FLOORS = [
    ("empty module", "empty_module", None, None),
    ("hand ctypes: 4 zlib functions, set up at import", "hand_zlib",
     "m.zlibVersion()", "m.zlibCompileFlags()"),
    ("hand ctypes: CDLL + prototype at first use", "empty_module",
     "lib = ctypes.CDLL('libz.so.1'); f = lib.zlibVersion; f.argtypes = []; "
     "f.restype = ctypes.c_char_p; f()",
     "g = lib.zlibCompileFlags; g.argtypes = []; g.restype = ctypes.c_ulong; g()"),
    ("cffi ABI: 4 hand cdefs, dlopen at import", "cffi_abi_zlib",
     "m.lib.zlibVersion()", "m.lib.zlibCompileFlags()"),
    ("cffi API: compiled module (zlib, libc)", "bench_cffi_api",
     "m.lib.zlibVersion()", "m.lib.zlibCompileFlags()"),
]


class Settings:
    def __init__(self, quick):
        self.quick = quick
        self.gen_repeats = 1 if quick else 3
        self.time_runs = 9 if quick else 21
        self.source_runs = 5 if quick else 9
        self.mem_runs = 1 if quick else 3
        self.first_runs = 5 if quick else 9
        self.first_use_runs = 8 if quick else 30
        self.slow_ns = 0.2e9        # an import slower than this gets 3 timed runs, no tracemalloc
        self.steady_repeats = 3 if quick else 7
        self.module_budget = 8.0     # seconds of first-call runs per module
        self.scaling_ctypesgen_max = 10000 if quick else 100000
        self.gen_timeout = 900
        self.mem_timeout = 60


def scaling_targets(settings):
    return [dict(key="synth%d" % n, title="synthetic, %d declarations" % n, synthetic=True, n=n,
                 headers=[os.path.join(GEN, "synth%d.h" % n)],
                 peer=[os.path.join(GEN, "synth%d.h" % n)], libs=["c"], defines=[])
            for n in SCALING]


# The compiled fast path (`run.py --compiled`, compiled.py)
COMPILED_TARGETS = [  # stem, title, headers, libraries
    ("zlib", "zlib.h", ["zlib.h"], ["z"]),
    ("sqlite", "sqlite3.h", ["sqlite3.h"], ["sqlite3"]),
    ("ssl", "openssl/ssl.h (+crypto)", ["openssl/ssl.h"], ["ssl", "crypto"]),
]
COMPILED_IMPORT_ROUNDS = 31
