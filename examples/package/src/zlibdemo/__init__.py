"""zlib checksums through a binding generated at build time (zlib_ffi.py is not in the sources)."""

from . import zlib_ffi


def checksum(data: bytes) -> int:
    """CRC-32 of `data`, computed by libz."""
    return zlib_ffi.crc32(0, data, len(data))
