"""Steady-state call overhead, all variants in one process, interleaved, best of several repeats.

    python benchmarks/steady.py MODDIR REPEATS   ->  one JSON object on stdout

MODDIR holds the generated modules (zlib_<tool>.py, libc_<tool>.py), the hand-written ones and
the compiled cffi API module. A variant whose set-up fails is reported with its first error line.
"""

import ctypes
import importlib
import json
import sys
import timeit

ARRAY_LEN = 16
SHUFFLED = [11, 3, 15, 0, 7, 12, 5, 9, 1, 14, 6, 2, 13, 8, 10, 4]


def first_line(exc):
    text = str(exc).strip().splitlines()
    return "%s: %s" % (type(exc).__name__, text[0] if text else "")


def _cint_at(address, _from=ctypes.c_int.from_address):
    return _from(address).value


def py_compare(a, b, _from=ctypes.c_int.from_address):
    return _from(a).value - _from(b).value


def ctypes_qsort_stmt(qsort, callback_type):
    """Setup for a ctypes qsort: the array is restored from a copy before each sort."""
    arr = (ctypes.c_int * ARRAY_LEN)(*SHUFFLED)
    src = (ctypes.c_int * ARRAY_LEN)(*SHUFFLED)
    cb = callback_type(py_compare)
    env = {"f": qsort, "arr": arr, "src": src, "cb": cb, "mm": ctypes.memmove,
           "n": ARRAY_LEN, "size": ctypes.sizeof(ctypes.c_int), "nbytes": ctypes.sizeof(arr)}
    stmt = "mm(arr, src, nbytes); f(arr, n, size, cb)"

    def check():
        exec(stmt, env)
        assert list(arr) == sorted(SHUFFLED), list(arr)
    return stmt, env, check


def attempt(entries, name, make):
    """Set up one variant (`make` gives statement, globals, check) and append it to `entries`."""
    try:
        stmt, env, check = make()
        check()
        entries.append((name, stmt, env, None))
    except Exception as exc:  # a peer that cannot do it: recorded, not hidden
        entries.append((name, None, None, first_line(exc)))


def variants(moddir):
    sys.path.insert(0, moddir)
    out = {"crc32": [], "clock_gettime": [], "qsort": []}

    def add(bench, name, make):
        attempt(out[bench], name, make)

    # ---- crc32(0, NULL, 0) --------------------------------------------------------------
    def crc_ctypes(f):
        def make():
            fn = f()
            env = {"f": fn}
            return "f(0, None, 0)", env, lambda: fn(0, None, 0) == 0 or 1 / 0
        return make

    def hand_argtypes(use_errno=False):
        lib = ctypes.CDLL("libz.so.1", use_errno=use_errno)
        fn = lib.crc32
        fn.argtypes = [ctypes.c_ulong, ctypes.c_char_p, ctypes.c_uint]
        fn.restype = ctypes.c_ulong
        return fn

    def hand_noargtypes():
        fn = ctypes.CDLL("libz.so.1").crc32
        fn.restype = ctypes.c_ulong
        return fn

    add("crc32", "hand ctypes, argtypes", crc_ctypes(hand_argtypes))
    add("crc32", "hand ctypes, argtypes, use_errno=True", crc_ctypes(lambda: hand_argtypes(True)))
    add("crc32", "ctypes without argtypes", crc_ctypes(hand_noargtypes))
    add("crc32", "lazybind", crc_ctypes(lambda: importlib.import_module("zlib_lazybind").crc32))

    def lazybind_attr():
        z = importlib.import_module("zlib_lazybind")
        return "z.crc32(0, None, 0)", {"z": z}, lambda: z.crc32(0, None, 0)
    add("crc32", "lazybind, as module attribute z.crc32(...)", lazybind_attr)

    def hand_attr():
        h = importlib.import_module("hand_zlib")
        return "h.crc32(0, None, 0)", {"h": h}, lambda: h.crc32(0, None, 0)
    add("crc32", "hand ctypes, as module attribute h.crc32(...)", hand_attr)
    add("crc32", "ctypesgen", crc_ctypes(lambda: importlib.import_module("zlib_ctypesgen").crc32))
    add("crc32", "clang2py", crc_ctypes(lambda: importlib.import_module("zlib_clang2py").crc32))

    def cffi_abi():
        mod = importlib.import_module("cffi_abi_zlib")
        fn, null = mod.lib.crc32, mod.ffi.NULL
        return "f(0, NULL, 0)", {"f": fn, "NULL": null}, lambda: fn(0, null, 0)
    add("crc32", "cffi ABI", cffi_abi)

    def cffi_api():
        mod = importlib.import_module("bench_cffi_api")
        fn, null = mod.lib.crc32, mod.ffi.NULL
        return "f(0, NULL, 0)", {"f": fn, "NULL": null}, lambda: fn(0, null, 0)
    add("crc32", "cffi API (compiled)", cffi_api)

    # ---- clock_gettime(CLOCK_MONOTONIC, &ts): a struct-pointer function --------------------
    def clock_ctypes(get):
        def make():
            fn, struct = get()
            ts = struct()
            ref = ctypes.byref(ts)
            env = {"f": fn, "ref": ref}

            def check():
                assert fn(1, ref) == 0 and ts.tv_sec > 0
            return "f(1, ref)", env, check
        return make

    def hand_clock():
        h = importlib.import_module("hand_libc")
        return h.clock_gettime, h.timespec

    def noarg_clock():
        h = importlib.import_module("hand_libc")
        fn = ctypes.CDLL("libc.so.6").clock_gettime
        return fn, h.timespec

    def gen_clock(module):
        def get():
            m = importlib.import_module(module)
            struct = getattr(m, "struct_timespec", None) or getattr(m, "timespec")
            return m.clock_gettime, struct
        return get

    add("clock_gettime", "hand ctypes, argtypes", clock_ctypes(hand_clock))
    add("clock_gettime", "ctypes without argtypes", clock_ctypes(noarg_clock))
    add("clock_gettime", "lazybind", clock_ctypes(gen_clock("libc_lazybind")))
    add("clock_gettime", "ctypesgen", clock_ctypes(gen_clock("libc_ctypesgen")))
    add("clock_gettime", "clang2py", clock_ctypes(gen_clock("libc_clang2py")))

    def cffi_clock_abi():
        from cffi import FFI
        ffi = FFI()
        ffi.cdef("struct timespec { long tv_sec; long tv_nsec; };"
                 "int clock_gettime(int clk_id, struct timespec *tp);")
        lib = ffi.dlopen("libc.so.6")
        p = ffi.new("struct timespec *")
        fn = lib.clock_gettime

        def check():
            assert fn(1, p) == 0 and p.tv_sec > 0
        return "f(1, p)", {"f": fn, "p": p}, check
    add("clock_gettime", "cffi ABI", cffi_clock_abi)

    def cffi_clock_api():
        mod = importlib.import_module("bench_cffi_api")
        p = mod.ffi.new("struct timespec *")
        fn = mod.lib.clock_gettime

        def check():
            assert fn(1, p) == 0 and p.tv_sec > 0
        return "f(1, p)", {"f": fn, "p": p}, check
    add("clock_gettime", "cffi API (compiled)", cffi_clock_api)

    # ---- qsort of 16 ints with a Python comparator -----------------------------------------
    def qsort_hand():
        h = importlib.import_module("hand_libc")
        return ctypes_qsort_stmt(h.qsort, h.compar_fn_t)

    def qsort_noarg():
        h = importlib.import_module("hand_libc")
        fn = ctypes.CDLL("libc.so.6").qsort
        fn.restype = None
        return ctypes_qsort_stmt(fn, h.compar_fn_t)

    def qsort_gen(module):
        def make():
            m = importlib.import_module(module)
            fn = m.qsort
            return ctypes_qsort_stmt(fn, fn.argtypes[3])
        return make

    add("qsort", "hand ctypes, argtypes", qsort_hand)
    add("qsort", "ctypes without argtypes", qsort_noarg)
    add("qsort", "lazybind", qsort_gen("libc_lazybind"))
    add("qsort", "ctypesgen", qsort_gen("libc_ctypesgen"))
    add("qsort", "clang2py", qsort_gen("libc_clang2py"))

    def cffi_qsort(ffi, fn, cb):
        arr = ffi.new("int[]", SHUFFLED)
        src = ffi.new("int[]", SHUFFLED)
        env = {"f": fn, "arr": arr, "src": src, "cb": cb, "mm": ffi.memmove,
               "n": ARRAY_LEN, "size": ffi.sizeof("int"), "nbytes": ffi.sizeof(arr)}
        stmt = "mm(arr, src, nbytes); f(arr, n, size, cb)"

        def check():
            exec(stmt, env)
            assert list(arr) == sorted(SHUFFLED), list(arr)
        return stmt, env, check

    def qsort_cffi_abi():
        from cffi import FFI
        ffi = FFI()
        ffi.cdef("void qsort(void *base, size_t nmemb, size_t size,"
                 " int (*compar)(const void *, const void *));")
        lib = ffi.dlopen("libc.so.6")
        cast = ffi.cast

        @ffi.callback("int(const void *, const void *)")
        def cb(a, b):
            return cast("int *", a)[0] - cast("int *", b)[0]
        return cffi_qsort(ffi, lib.qsort, cb)

    def qsort_cffi_api():
        mod = importlib.import_module("bench_cffi_api")
        ffi, lib = mod.ffi, mod.lib
        cast = ffi.cast

        @ffi.def_extern(name="bench_compare")
        def _compare(a, b):
            return cast("int *", a)[0] - cast("int *", b)[0]
        return cffi_qsort(ffi, lib.qsort, lib.bench_compare)

    add("qsort", "cffi ABI", qsort_cffi_abi)
    add("qsort", "cffi API (compiled)", qsort_cffi_api)
    return out


def measure(moddir, repeats, make_variants=variants):
    """{bench: [{variant, ns, error}]}: the best of `repeats` interleaved rounds per variant."""
    result = {}
    for bench, entries in make_variants(moddir).items():
        timers = []
        for name, stmt, env, error in entries:
            if error is None:
                timer = timeit.Timer(stmt, globals=env)
                number, _ = timer.autorange()  # loops that take >= 0.2 s
                timers.append((name, timer, max(1, number // 4)))
        best = {}
        for _ in range(repeats):  # interleaved: drift hits every variant alike
            for name, timer, number in timers:
                per_call = timer.timeit(number) / number
                best[name] = min(best.get(name, per_call), per_call)
        result[bench] = [
            {"variant": name, "ns": None if error else best[name] * 1e9, "error": error}
            for name, stmt, env, error in entries]
    return result


if __name__ == "__main__":
    json.dump(measure(sys.argv[1], int(sys.argv[2])), sys.stdout)
    sys.stdout.write("\n")
