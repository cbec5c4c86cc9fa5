"""A tour of libc and libm bound from their headers: sort and search with Python comparators,
parse numbers, read and change the environment, stat a file, format the time, do some maths.

    python examples/libc_tour.py [PATH]        # PATH to stat, default /
"""

import ctypes
import subprocess
import sys

from example_binding import bind

c = bind("libc_ffi", ["stdlib.h", "string.h", "sys/stat.h", "time.h", "math.h"], library=["c", "m"])


def compare_doubles(a, b):
    x = ctypes.cast(a, ctypes.POINTER(ctypes.c_double))[0]
    y = ctypes.cast(b, ctypes.POINTER(ctypes.c_double))[0]
    return (x > y) - (x < y)


def parse_numbers(texts):
    """strtod each text; the end pointer tells how much of it was a number."""
    values = []
    for text in texts:
        end = ctypes.c_char_p()
        value = c.strtod(text, ctypes.byref(end))
        values.append((value, end.value))
    return values


texts = [b"3.25", b"-1e3", b"0x1.8p1", b"42abc", b"  .5", b"inf", b"2.5e-3"]
parsed = parse_numbers(texts)
for text, (value, rest) in zip(texts, parsed):
    print("strtod %r: %r rest %r" % (text.decode(), value, rest.decode()))

numbers = [value for value, _ in parsed]
array = (ctypes.c_double * len(numbers))(*numbers)
size = ctypes.sizeof(ctypes.c_double)
c.qsort(array, len(array), size, compare_doubles)
print("qsort:", " ".join(repr(v) for v in array))
for wanted in (2.5e-3, 42.0, 7.0):
    key = ctypes.c_double(wanted)
    found = c.bsearch(ctypes.byref(key), array, len(array), size, compare_doubles)  # void *: an address
    print("bsearch %r: %s" % (wanted, (found - ctypes.addressof(array)) // size if found else "absent"))

home = c.getenv(b"HOME")  # char *: a pointer into the environment, read up to its NUL
print("getenv HOME:", ctypes.string_at(home).decode() if home else None)
c.setenv(b"LAZYBIND_TOUR", b"set by setenv", 1)
child = subprocess.run(["sh", "-c", 'echo "$LAZYBIND_TOUR"'], capture_output=True, text=True)
print("setenv, seen by a child process:", child.stdout.strip())

path = sys.argv[1] if len(sys.argv) > 1 else "/"
info = c.struct_stat()  # struct stat: the function stat() keeps the plain name
assert c.stat(path.encode(), ctypes.byref(info)) == 0
mtime_ns = info.st_mtim.tv_sec * 10**9 + info.st_mtim.tv_nsec
print("stat %s: mode=%o size=%d ino=%d nlink=%d uid=%d mtime_ns=%d" % (
    path, info.st_mode, info.st_size, info.st_ino, info.st_nlink, info.st_uid, mtime_ns))

now = c.time_t(c.time(None))
text = ctypes.create_string_buffer(128)
count = c.strftime(text, len(text), b"%Y-%m-%d %H:%M:%S %z %A, day %j", c.localtime(ctypes.byref(now)))
print("time: %d" % now.value)
print("strftime: %s" % text.raw[:count].decode())

exponent = ctypes.c_int()
mantissa = c.frexp(1000.0, ctypes.byref(exponent))
print("math: cos(0.5)=%r exp(1)=%r log(10)=%r atan2(1,2)=%r fmod(7.5,2)=%r frexp(1000)=(%r, %d)" % (
    c.cos(0.5), c.exp(1.0), c.log(10.0), c.atan2(1.0, 2.0), c.fmod(7.5, 2.0), mantissa, exponent.value))
print("M_PI=%r HUGE_VAL=%r" % (c.M_PI, c.HUGE_VAL))
