"""lazybind.parse.clang_api's own walks and results against cindex's, on a real header.

The front end walks units through `children`, `descendants` and `is_reference`, and the libclang
functions returning types and cursors go through quicker result handlers. Each must give what
cindex gives (the oracle here is the bindings' own, slower path): the same cursors in the same
order, the same kinds, the same null results and units usable afterwards.
"""

from __future__ import annotations

import os

import clang.cindex as cindex
import pytest

from lazybind.options import make_options
from lazybind.parse import MAIN_FILE, clang_api, compiler_args, main_file_source


@pytest.fixture(scope="module")
def unit():
    options = make_options(["zlib.h"])
    return clang_api.parse(os.path.join(os.getcwd(), MAIN_FILE), main_file_source(options.headers),
                           compiler_args(options))


def _key(cursor):
    return cursor.kind, cursor.spelling, cursor.location.line, cursor.location.column


def test_children_and_descendants_are_cindex_walks(unit):
    top = clang_api.children(unit.cursor)
    assert [_key(c) for c in top] == [_key(c) for c in unit.cursor.get_children()]
    assert len(top) > 1000
    functions = [c for c in top if c.kind == cindex.CursorKind.FUNCTION_DECL]
    for function in functions[:50]:
        assert [_key(c) for c in clang_api.descendants(function)] == \
            [_key(c) for c in function.walk_preorder()][1:]  # walk_preorder starts with itself


def test_is_reference_is_the_kind_s(unit):
    kinds = [k for k in cindex.CursorKind.get_all_kinds()]
    assert {k for k in kinds if k.is_reference()} == {
        k for k in kinds if clang_api._FIRST_REFERENCE <= k.value <= clang_api._LAST_REFERENCE}
    references = [c for f in clang_api.children(unit.cursor) for c in clang_api.descendants(f)
                  if clang_api.is_reference(c)]
    assert references and all(c.kind.is_reference() for c in references)


def test_results_keep_their_unit_and_null_is_none(unit):
    top = clang_api.children(unit.cursor)
    typedef = next(c for c in top if c.kind == cindex.CursorKind.TYPEDEF_DECL and c.spelling == "uLong")
    underlying = typedef.underlying_typedef_type
    assert underlying._tu is unit.cursor._tu
    assert underlying.get_canonical().kind == cindex.TypeKind.ULONG
    # a function declared, not defined: libclang gives the null cursor, the handler None
    version = next(c for c in top if c.kind == cindex.CursorKind.FUNCTION_DECL and c.spelling == "zlibVersion")
    assert version.get_definition() is None
    assert version.type.get_result().get_pointee().kind == cindex.TypeKind.CHAR_S
    stream = next(c for c in top if c.kind == cindex.CursorKind.TYPEDEF_DECL and c.spelling == "z_stream")
    declaration = stream.underlying_typedef_type.get_canonical().get_declaration()
    assert declaration.kind == cindex.CursorKind.STRUCT_DECL and declaration.spelling == "z_stream_s"
    assert declaration._tu is unit.cursor._tu
