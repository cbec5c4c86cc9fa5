#!/usr/bin/env bash
# The main job on a fresh machine: install lazybind, bind zlib and sqlite3 from their real
# headers, and use both bindings for real work, checked against Python's own modules.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -e /usr/include/zlib.h ] || [ ! -e /usr/include/sqlite3.h ]; then
    apt-get update -qq && apt-get install -y -qq zlib1g-dev libsqlite3-dev
fi
python3 -m pip install -q --disable-pip-version-check -e .
work=$(mktemp -d)
lazybind generate zlib.h --library z -o "$work/zlib_ffi.py"
lazybind generate sqlite3.h --library sqlite3 -o "$work/sqlite_ffi.py"
cd "$work"
python3 - <<'PY'
import ctypes, sqlite3, zlib
import zlib_ffi as z, sqlite_ffi as s

data = b"lazybind " * 1000
print("zlib", z.zlibVersion().decode(), "crc32", z.crc32(0, data, len(data)))
assert z.crc32(0, data, len(data)) == zlib.crc32(data)

db = ctypes.POINTER(s.sqlite3)()
assert s.sqlite3_open(b"demo.db", ctypes.byref(db)) == s.SQLITE_OK
with s.__lazybind__.scoped(db, s.sqlite3_close) as db:
    s.sqlite3_exec(db, b"create table t(x); insert into t values (1), (2), (3)", None, None, None)
print("sqlite", s.sqlite3_libversion().decode(), "rows",
      sqlite3.connect("demo.db").execute("select sum(x) from t").fetchone()[0])
print("resolved so far:", z.__lazybind__.resolved() + s.__lazybind__.resolved())
PY
