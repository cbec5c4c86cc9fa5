"""Compress a file of any size in constant memory with zlib's streaming API (a z_stream fed in
chunks), then inflate it back the same way and compare.

    python examples/zlib_stream.py FILE        # writes FILE.zz (zlib format)
"""

import ctypes
import sys

from example_binding import bind

if len(sys.argv) != 2:
    sys.exit(__doc__)
z = bind("zlib_ffi", ["zlib.h"], library="z")
IN_CHUNK, OUT_CHUNK = 16 * 1024, 4 * 1024  # small buffers: many rounds through the z_stream


def pump(stream, step, source, sink, finish_flag):
    """Feed `source` (an iterable of byte chunks) through deflate or inflate into `sink`."""
    out = ctypes.create_string_buffer(OUT_CHUNK)
    status = z.Z_OK
    for chunk in source:
        flush = finish_flag if not chunk else z.Z_NO_FLUSH
        data = ctypes.create_string_buffer(chunk, len(chunk))
        stream.next_in = ctypes.cast(data, ctypes.POINTER(z.Bytef))
        stream.avail_in = len(chunk)
        while True:  # drain: run until the output buffer is not filled completely
            stream.next_out = ctypes.cast(out, ctypes.POINTER(z.Bytef))
            stream.avail_out = OUT_CHUNK
            status = step(ctypes.byref(stream), flush)
            if status not in (z.Z_OK, z.Z_STREAM_END, z.Z_BUF_ERROR):
                raise RuntimeError("zlib error %d: %s" % (status, stream.msg))
            sink(out.raw[:OUT_CHUNK - stream.avail_out])
            if stream.avail_out != 0 or status == z.Z_STREAM_END:
                break
    return status


def chunks(handle):
    yield from iter(lambda: handle.read(IN_CHUNK), b"")
    yield b""  # the end: deflate with Z_FINISH


def compress_file(path, target, level=6):
    stream = z.z_stream()  # zalloc/zfree/opaque NULL: zlib's own allocator
    assert z.deflateInit_(ctypes.byref(stream), level, z.ZLIB_VERSION, ctypes.sizeof(stream)) == z.Z_OK
    with open(path, "rb") as source, open(target, "wb") as sink:
        assert pump(stream, z.deflate, chunks(source), sink.write, z.Z_FINISH) == z.Z_STREAM_END
    total_in, total_out = stream.total_in, stream.total_out
    z.deflateEnd(ctypes.byref(stream))
    return total_in, total_out


def decompress_file(path):
    stream = z.z_stream()
    assert z.inflateInit_(ctypes.byref(stream), z.ZLIB_VERSION, ctypes.sizeof(stream)) == z.Z_OK
    pieces = []
    with open(path, "rb") as source:
        status = pump(stream, z.inflate, chunks(source), pieces.append, z.Z_SYNC_FLUSH)
    z.inflateEnd(ctypes.byref(stream))
    assert status == z.Z_STREAM_END, "truncated stream"
    return b"".join(pieces)


path = sys.argv[1]
read, written = compress_file(path, path + ".zz")
with open(path, "rb") as original:
    data = original.read()
same = decompress_file(path + ".zz") == data
print("zlib", z.zlibVersion().decode())
print("deflated %s: %d bytes -> %d bytes in %d-byte chunks" % (path, read, written, IN_CHUNK))
print("crc32: %08x adler32: %08x" % (z.crc32(0, data, len(data)), z.adler32(1, data, len(data))))
print("inflated back:", "identical" if same else "DIFFERENT")
