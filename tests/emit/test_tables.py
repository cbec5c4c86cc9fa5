"""The packed tables: what emit/tables.py writes, lazybind.runtime reads back, exactly."""

from __future__ import annotations

import statistics

from lazybind import ir, runtime
from lazybind.emit.module import render_module
from lazybind.emit.tables import bucket_of, encode
from conftest import import_path

HERE = ir.Location("t.h", 3, 1)
POINT = ir.Record("struct_point", "struct", HERE, (
    ir.Field("x", ir.Primitive("int"), 0), ir.Field("y", ir.Primitive("int"), 32)), 8, 4, complete=True)
DECLS = ir.Declarations(
    headers=(ir.Header("t.h", "0" * 64),),
    declarations=(
        ir.Constant("ANSWER", HERE, -42, ir.Primitive("int")),
        ir.Constant("NAME", ir.Location("t.h", 7), b'q"""\\\n\0\xff', ir.Pointer(ir.Primitive("char"), True)),
        ir.Constant("NOTHING", HERE, None, ir.Pointer(ir.VOID)),
        ir.Constant("RATIO", HERE, 0.1, ir.Primitive("double")),
        ir.Function("area", HERE, ir.FunctionType(ir.Primitive("int"), (ir.Pointer(ir.RecordRef("struct_point")),))),
        POINT,
    ),
    target="x86_64-linux-gnu", clang_version="clang version 18",
)


def test_entries_round_trip():
    tables = encode(DECLS, [], "0", {})
    binding = runtime.Binding({"__name__": "t"}, tables.in_memory())
    assert binding.all_names() == [d.name for d in DECLS.declarations]
    for index, declaration in enumerate(DECLS.declarations):
        assert binding.index_of(declaration.name) == index
        assert binding.name_at(index) == declaration.name
    assert binding.index_of("absent") == -1
    assert binding.location(1) == "t.h:7"
    index, kind, ref = runtime.find(binding._data, "area")
    assert (index, kind) == (4, runtime.KIND_FUNCTION) and binding.spec(ref).startswith("F")


def constants(names):
    return ir.Declarations(headers=DECLS.headers, declarations=tuple(
        ir.Constant(name, HERE, n, ir.Primitive("int")) for n, name in enumerate(names)),
        target=DECLS.target, clang_version=DECLS.clang_version)


def test_every_name_is_found_in_its_bucket_and_near_misses_are_not():
    names = sorted({"%s%d" % (prefix, n) for prefix in ("a", "ab", "b", "B_", "z") for n in range(23)}
                   | {"x" * 300, "é_unicode"})
    binding = runtime.Binding({"__name__": "t"}, encode(constants(names), [], "0", {}).in_memory())
    buckets = {bucket_of(name, len(names) // 4) for name in names}
    assert len(buckets) > 10  # the names are spread over many buckets
    for index, name in enumerate(names):
        assert binding.index_of(name) == index and binding.getattr(name) == index
    near_misses = ["", "A", "a", "a1x", "a1\n#:a2", "a1\n", "#:a1", "ab22 ", "a1 0", "z22\n", "zz",
                   "~", "x" * 299, "é"]
    assert [binding.index_of(name) for name in near_misses] == [-1] * len(near_misses)


def test_names_sharing_a_prefix_spread_over_the_buckets():
    """A bucket is a hash of a line's bytes read as one number, modulo the bucket count: a count
    with a power of two in it keeps only the first bytes, the same for names sharing a prefix
    (sqlite3.h: with 208 buckets, 179 stayed empty and a lookup scanned 965 bytes). A lookup
    searches from its bucket's place, and lines that would share one fill the next ones: each
    line is near its place (a few lines on), and no search is long (the window: a few dozen)."""
    names = sorted("sqlite3_%s_%d" % (word, n) for word in ("bind", "column", "value", "result")
                   for n in range(208))
    data = encode(constants(names), [], "0", {}).in_memory()
    names_start, count, spacing, window, _ = data.finding
    line = len("#:sqlite3_column_100 000\n")
    assert count >= len(names) and window < 40 * line
    places = [names_start + bucket_of(name, count) * spacing for name in names]
    scanned = [data.buffer.find(b"#:%s " % name.encode(), place) + len(name) + 3 - place
               for name, place in zip(names, places)]
    assert max(scanned) <= window and statistics.mean(scanned) < 10 * line


def test_one_name_and_no_name():
    """One name: its bucket's place is past the section's start (spaces before its line)."""
    for names in (["only"], []):
        tables = encode(constants(names), [], "0", {})
        binding = runtime.Binding({"__name__": "t"}, tables.in_memory())
        assert [binding.index_of(n) for n in names + ["other"]] == list(range(len(names))) + [-1]
        assert [entry[1] for entry in tables.in_memory().entries()] == names
    none, only = (encode(constants(names), [], "0", {}).names for names in ([], ["only"]))
    assert none == "" and only.startswith(" ") and only.lstrip(" ").startswith("#:only ")


def test_hostile_values_round_trip_through_a_real_module(tmp_path):
    text = render_module(DECLS, encode(DECLS, [], "0", {}), ["t.h"])
    path = tmp_path / "hostile_ffi.py"
    path.write_text(text)
    module = import_path(path)
    assert module.NAME == b'q"""\\\n\0\xff'
    assert module.ANSWER == -42 and module.RATIO == 0.1 and module.NOTHING is None
    point = module.struct_point(3, 4)
    assert (point.x, point.y) == (3, 4)


def test_sections_read_back_from_the_module_file_as_written(tmp_path):
    tables = encode(DECLS, [{"name": "z", "soname": "libz.so.1"}], "0", {})
    path = tmp_path / "t_ffi.py"
    path.write_text(render_module(DECLS, tables, ["t.h"]))
    data = runtime.data_of_file(str(path))
    for name, text in tables.sections().items():
        start, end, line = data.where(name)
        assert data.read(start, end - start).decode() == text
        assert path.read_text().split("\n")[line - 1] == text.split("\n")[0]
    assert data.section("libraries") == ["z\tlibz.so.1"] and data.count == len(DECLS.declarations)
