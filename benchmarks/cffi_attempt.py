"""What cffi does with a raw system header: preprocess it (cc -E -P), then ffi.cdef() it.

    python cffi_attempt.py OUT.py LIBS DEFINES HEADER...

cffi's cdef takes declarations only, in its own C subset; it documents that real headers need
hand editing. This records how far the unedited text gets: on success it writes an ABI-mode
module OUT.py (cdef + dlopen at import); on failure it exits 1 with cffi's first error line.
"""

import subprocess
import sys

from cffi import FFI


def main(out, libs, defines, headers):
    src = "".join('#include "%s"\n' % h for h in headers)
    cmd = ["cc", "-E", "-P", "-x", "c", "-"] + ["-D" + d for d in defines.split(",") if d]
    text = subprocess.run(cmd, input=src, capture_output=True, text=True, check=True).stdout
    ffi = FFI()
    try:
        ffi.cdef(text)
    except Exception as exc:  # cffi raises CDefError / FFIError / pycparser errors
        msg = str(exc).strip().splitlines()
        sys.stderr.write("error: cffi %s: %s\n" % (type(exc).__name__, msg[0] if msg else ""))
        return 1
    sonames = {"z": "libz.so.1", "c": "libc.so.6"}
    with open(out, "w") as f:
        f.write("from cffi import FFI\nffi = FFI()\nffi.cdef(%r)\n" % text)
        for i, lib in enumerate(l for l in libs.split(",") if l):
            f.write("lib%d = ffi.dlopen(%r)\n" % (i, sonames.get(lib, "lib%s.so" % lib)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]))
