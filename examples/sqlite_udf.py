"""Fill a SQLite database through the C API, with SQL functions written in Python.

    python examples/sqlite_udf.py [DB]       # DB defaults to words.db where the binding goes

The rows go in through prepared statements (sqlite3_bind_*), and `initials(text)` and
`vowels(text)` are Python callbacks registered with sqlite3_create_function_v2.

Callback lifetime: a Python callable passed straight to a C function lives for that call only
(enough for qsort or sqlite3_exec). sqlite3 keeps the function pointer and calls it long after
sqlite3_create_function_v2 returns, so it gets a handle, `__lazybind__.callback(prototype, fn)`,
which keeps the callback alive until the handle is closed; here the `with` block closes it only
after sqlite3_close, when C can no longer call it.
"""

import ctypes
import os
import sys

from example_binding import bind, output_dir

s = bind("sqlite_ffi", ["sqlite3.h"], library="sqlite3")
PHRASES = ["lazy bindings for C", "portable operating system interface", "structured query language",
           "GNU multiple precision", "just in time"]


def text_argument(arguments, number):
    value = arguments[number]
    return ctypes.string_at(s.sqlite3_value_text(value), s.sqlite3_value_bytes(value)).decode()


def initials(context, count, arguments):
    result = "".join(word[0].upper() for word in text_argument(arguments, 0).split()).encode()
    s.sqlite3_result_text(context, result, len(result), s.SQLITE_TRANSIENT)  # sqlite copies it


def vowels(context, count, arguments):
    s.sqlite3_result_int(context, sum(text_argument(arguments, 0).count(v) for v in "aeiou"))


def check(code, db):
    if code != s.SQLITE_OK:
        raise RuntimeError(s.sqlite3_errmsg(db).decode())


def execute(db, sql):
    check(s.sqlite3_exec(db, sql, None, None, None), db)


def insert_phrases(db):
    statement = ctypes.POINTER(s.sqlite3_stmt)()
    check(s.sqlite3_prepare_v2(db, b"insert into words values (?, ?)", -1, ctypes.byref(statement), None), db)
    with s.__lazybind__.scoped(statement, s.sqlite3_finalize):
        for number, phrase in enumerate(PHRASES, 1):
            s.sqlite3_bind_int(statement, 1, number)
            s.sqlite3_bind_text(statement, 2, phrase.encode(), -1, s.SQLITE_TRANSIENT)
            assert s.sqlite3_step(statement) == s.SQLITE_DONE
            s.sqlite3_reset(statement)


path = sys.argv[1] if len(sys.argv) > 1 else os.path.join(output_dir(), "words.db")
db = ctypes.POINTER(s.sqlite3)()
check(s.sqlite3_open(path.encode(), ctypes.byref(db)), db)
function_type = s.sqlite3_create_function_v2.argtypes[5]  # void (*xFunc)(sqlite3_context *, int, sqlite3_value **)
with s.__lazybind__.callback(function_type, initials) as initials_handle, \
        s.__lazybind__.callback(function_type, vowels) as vowels_handle:
    for name, handle in ((b"initials", initials_handle), (b"vowels", vowels_handle)):
        flags = s.SQLITE_UTF8 | s.SQLITE_DETERMINISTIC
        check(s.sqlite3_create_function_v2(db, name, 1, flags, None, handle, None, None, None), db)
    execute(db, b"create table words(id integer primary key, phrase text)")
    insert_phrases(db)
    execute(db, b"create table summary as select id, initials(phrase) as initials, "
                b"vowels(phrase) as vowels from words order by id")
    check(s.sqlite3_close(db), db)  # after this, sqlite3 holds no pointer to the callbacks
print("sqlite", s.sqlite3_libversion().decode())
print("database:", path)
for number, phrase in enumerate(PHRASES, 1):
    print("row %d: %s" % (number, phrase))
