"""zlib through a binding generated at build time (zlib_ffi.py is not in the sources)."""

from . import zlib_ffi


def checksum(data: bytes) -> int:
    """CRC-32 of `data`, computed by libz."""
    return zlib_ffi.crc32(0, data, len(data))


def write_gzip(path: str, data: bytes) -> None:
    """Write `data` to a gzip file; gzclose (declared in pyproject.toml) runs on leaving the block."""
    with zlib_ffi.__lazybind__.scoped(zlib_ffi.gzopen(path.encode(), b"wb")) as gz:
        if not gz or zlib_ffi.gzwrite(gz, data, len(data)) != len(data):
            raise OSError(f"cannot write {path}")
