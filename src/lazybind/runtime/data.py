"""lazybind runtime, the module's data: reading a generated module's file where its tables lie,
and finding a name in them (the format: lazybind/runtime/__init__.py). The first part of the
core: a generated module carries it and core.py as one part, compiled together on first use;
`lazybind.runtime` runs it before core.py. Standard library only; uses nothing of the core but
`_part_lock`, at run time.
"""

import os

DATA_SUFFIX = ".lazybind"  # with --data-file: OUT.lazybind holds the loader and every section
FIXED_PER_LINE = 16  # fixed-width values per line of `lines` and `locations`
OFFSET_WIDTH = 6  # base-36 digits of an offset in `names` (up to 2**31 bytes)
LOCATION_WIDTH = 6  # base-36 digits of a location (file << 20 | line, below 2**31)
LINE_BITS = 20
KIND_BITS = 4  # of a names line's number: ref << (INDEX bits + KIND_BITS) | kind << INDEX bits | INDEX
KIND_MASK = (1 << KIND_BITS) - 1


# bound once: `int.from_bytes` made a bound method for each name looked up
_from_bytes = int.from_bytes


class Data:
    """The sections of a module file, read where they lie, a few dozen bytes per lookup, never a
    whole table. The first lookups read with `os.pread` (a module that is asked for two names
    imports nothing for them); from the MAP_AFTER-th read on, the file is mapped (mmap), so a
    program that uses many names reads them with no system call, from pages that are the page
    cache's, shared by every process using the module, not this process's memory. What was
    opened stays what is read, even once the file is replaced (as lazybind and pip replace
    files: a new file under the name). A file that is no plain file (in a zip) is read whole
    instead (`content`); on Windows, which has no pread, the file is mapped at once."""

    MAP_AFTER = 24

    def __init__(self, path, directory, content=None):
        self.path = path
        self._directory = " %s " % directory
        self._where = {}
        self.buffer = content  # the bytes, or the map, once there is one
        self._descriptor = None
        self._reads = 0
        if content is None:
            self._descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_BINARY", 0))
            if not hasattr(os, "pread"):
                self._map()
        # a names line's number: its digits, and the bits of the index at its low end
        digits, self.index_bits = self.where("packing") or (0, 0)
        self.index_mask, self.ref_shift = (1 << self.index_bits) - 1, self.index_bits + KIND_BITS
        # where the two sections every lookup reads start
        self.names_start = (self.where("names") or (0,))[0]
        self.specs_start = (self.where("specs") or (0,))[0]
        # what `find` needs, at hand in one tuple: where names start, the bucket count and the
        # bytes between two buckets' places, the bytes searched from a place, a number's digits
        self.finding = ((self.names_start,) + (self.where("buckets") or (1, 0))
                        + ((self.where("window") or (0,))[0], digits))

    def where(self, name):
        """(start, end, first line) of a section, from the directory (`_at`), or None: read from
        it on first ask, as a module uses a few of its sections."""
        found = self._where.get(name)
        if found is None:
            directory = self._directory
            at = directory.find(" %s:" % name)
            if at < 0:
                return None
            at += len(name) + 2
            found = self._where[name] = tuple(map(int, directory[at:directory.find(" ", at)].split(",")))
        return found

    def __del__(self, _close=os.close):  # (os.close bound now: at exit, globals may be gone)
        if self._descriptor is not None:
            _close(self._descriptor)

    def _map(self):
        # The descriptor stays open once mapped: find runs outside the binding's lock, so another
        # thread may be inside os.pread on it (closed, its number could name another file).
        import mmap

        with _part_lock:
            if self.buffer is None:
                self.buffer = mmap.mmap(self._descriptor, 0, access=mmap.ACCESS_READ)

    def read(self, start, size):
        buffer = self.buffer
        if buffer is None:
            self._reads += 1
            if self._reads < self.MAP_AFTER:
                return os.pread(self._descriptor, size, start)
            self._map()
            buffer = self.buffer
        return buffer[start:start + size]

    def has(self, name):
        return " %s:" % name in self._directory

    def section(self, name):
        """A small section's lines, without their prefixes ([] when the module has none)."""
        where = self.where(name)
        if where is None:
            return []
        text = self.read(where[0], where[1] - where[0]).decode("utf-8")
        return text[2:].rstrip("\n").split("\n#:") if text else []

    def line(self, start):
        """The text of the file from byte `start` to the end of its line."""
        buffer = self.buffer
        if buffer is not None:  # mapped: the end found in place, one slice
            return buffer[start:buffer.find(b"\n", start)].decode("utf-8")
        size = 128
        while True:  # a line is short but for a large record's spec
            text = self.read(start, size)
            end = text.find(b"\n")
            if end >= 0:
                return text[:end].decode("utf-8")
            size *= 4

    def fixed(self, name, index, width):
        """The base-36 value at `index` of a fixed-width section."""
        line, column = divmod(index, FIXED_PER_LINE)
        start = self.where(name)[0] + line * (3 + FIXED_PER_LINE * width) + 2 + column * width
        return int(self.read(start, width), 36)


def find(data, name):
    """(index, kind, ref) of `name` in the module's tables, or None: its line is found in C, by
    find, among the window's bytes from its hash bucket's place (no line of another bucket
    starts with the same bytes: a name is in one line only)."""
    try:
        line_start = f"#:{name} ".encode()  # (also what its bucket is a hash of)
    except UnicodeEncodeError:  # a lone surrogate, which no C name has
        return None
    names_start, buckets, spacing, window, digits = data.finding
    at = names_start + _from_bytes(line_start, "little") % buckets * spacing
    buffer = data.buffer
    if buffer is None:  # the window's bytes alone, read
        buffer, at = data.read(at, window), 0
    found = buffer.find(line_start, at, at + window)
    if found < 0:
        return None
    at = found + len(line_start)
    number = int(buffer[at:at + digits], 36)  # (index, kind, ref) packed (see KIND_BITS)
    return number & data.index_mask, number >> data.index_bits & KIND_MASK, number >> data.ref_shift
