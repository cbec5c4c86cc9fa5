"""The front end: names, scope, filters, what is never emitted, and macro values vs the compiler."""

from __future__ import annotations

import pytest

import lazybind
from lazybind import ir
from lazybind.errors import InputError
from conftest import run_c

TRICKY = """\
#ifndef TRICKY_H
#define TRICKY_H
#include <stdint.h>
typedef struct { int a; } Anon;
struct outer {
    int x;
    union { int u; float f; };
    struct { char c; } named;
    struct outer *next;
};
enum color { RED = -1, GREEN = 5 };
typedef enum { BIG = 0x100000000 } big_enum;
int use(struct outer *o, Anon a, ...);
#define EMPTY
#define FUNCTION_LIKE(x) ((x) + 1)
#define NEGATIVE (1 << 31)
#define UNSIGNED_WRAP (0u - 1)
#define LONG_SUFFIX 123456789012LL
#define HEX 0xFFul
#define CHAR_LITERAL 'A'
#define FLOATING 1.5e3
#define STRING "tab\\there" " joined"
#define FROM_OTHERS (HEX + CHAR_LITERAL)
#define SIZE_OF sizeof(struct outer)
#define ENUM_ALIAS GREEN
#define NULL_POINTER ((void *)0)
#define A_TYPE unsigned long
#endif
"""

MACROS = ["NEGATIVE", "UNSIGNED_WRAP", "LONG_SUFFIX", "HEX", "CHAR_LITERAL", "FROM_OTHERS",
          "SIZE_OF", "ENUM_ALIAS", "INT32_MAX", "UINT64_MAX", "INT64_MIN"]


@pytest.fixture(scope="module")
def tricky(tmp_path_factory):
    directory = tmp_path_factory.mktemp("tricky")
    (directory / "tricky.h").write_text(TRICKY)
    return directory


@pytest.fixture(scope="module")
def declarations(tricky):
    return lazybind.inspect([str(tricky / "tricky.h")])


def by_name(declarations):
    return {d.name: d for d in declarations.declarations}


def test_records_enums_and_typedef_names(declarations):
    names = by_name(declarations)
    assert isinstance(names["Anon"], ir.Record)  # typedef of an untagged struct: the typedef name
    outer = names["struct_outer"]
    assert [f.name for f in outer.fields] == ["x", "", "named", "next"]
    assert outer.fields[1].type == ir.RecordRef("struct_outer.anon1")  # the anonymous union
    assert outer.fields[2].type == ir.RecordRef("struct_outer.named")
    assert names["struct_outer.anon1"].kind == "union"
    assert outer.fields[3].type == ir.Pointer(ir.RecordRef("struct_outer"))
    assert names["RED"].value == -1 and names["GREEN"].value == 5
    assert names["BIG"].value == 0x100000000
    assert isinstance(names["enum_color"], ir.Enum)
    use = names["use"]
    assert use.type.variadic and use.param_names == ("o", "a")


def test_never_emitted(declarations):
    names = by_name(declarations)
    assert "EMPTY" not in names and "TRICKY_H" not in names  # empty macro, include guard
    assert "FUNCTION_LIKE" not in names and "A_TYPE" not in names
    assert not [n for n in names if n.startswith("__builtin_")]
    skipped = {s.name: s.reason for s in declarations.skipped}
    assert "A_TYPE" in skipped  # inspect says why


def test_macro_values_equal_the_compilers(declarations, tricky, tmp_path):
    names = by_name(declarations)
    program = '#include <stdio.h>\n#include "tricky.h"\nint main(void) {\n'
    for macro in MACROS:
        program += (f'  if ((__typeof__({macro}))-1 < 0) printf("%lld\\n", (long long)({macro}));\n'
                    f'  else printf("%llu\\n", (unsigned long long)({macro}));\n')
    program += "  return 0;\n}\n"
    expected = run_c(tmp_path, program, ["-I", str(tricky)]).split()
    assert [str(names[m].value) for m in MACROS] == expected
    assert names["NEGATIVE"].value == -2 ** 31  # not +2147483648
    assert names["STRING"].value == b"tab\there joined"
    assert names["FLOATING"].value == 1500.0
    assert names["NULL_POINTER"].value is None


def test_scope_named_keeps_own_declarations_and_needed_types(tricky):
    all_names = by_name(lazybind.inspect([str(tricky / "tricky.h")]))
    named = by_name(lazybind.inspect([str(tricky / "tricky.h")], scope="named"))
    assert "INT32_MAX" in all_names and "INT32_MAX" not in named  # from <stdint.h>
    assert {"use", "struct_outer", "Anon", "NEGATIVE"} <= set(named)


def test_only_and_exclude_filter_by_name_but_keep_needed_types(tricky):
    only = by_name(lazybind.inspect([str(tricky / "tricky.h")], only="^use$"))
    assert set(only) == {"use", "struct_outer", "Anon", "struct_outer.anon1", "struct_outer.named"}
    excluded = by_name(lazybind.inspect([str(tricky / "tricky.h")], exclude="^(RED|GREEN)$"))
    assert "RED" not in excluded and "BIG" in excluded


def test_scope_named_with_a_header_an_earlier_one_already_included():
    # zlib.h includes zconf.h: the second named header adds no new inclusion, yet it is named.
    for headers in (["zlib.h", "zconf.h"], ["zconf.h", "zlib.h"]):
        declarations = lazybind.inspect(headers, scope="named")
        names = by_name(declarations)
        assert declarations.named_files == tuple(headers)
        assert "MAX_MEM_LEVEL" in names and "crc32" in names  # zconf.h's and zlib.h's own
        assert "NULL" not in names  # <stddef.h> is not named


def test_the_system_compiler_wins_where_clang_differs(tmp_path):
    header = tmp_path / "compilers.h"
    header.write_text("#if defined(__clang__)\n#define WHO 1\n#define ONLY_CLANG 7\n#else\n#define WHO 2\n#endif\n"
                      "typedef struct { long x; } aligned_t __attribute__((aligned(16)));\n")
    expected = run_c(tmp_path, f'#include <stdio.h>\n#include "{header}"\n'
                     'int main(void) { printf("%d %zu\\n", WHO, _Alignof(aligned_t)); return 0; }\n')
    declarations = lazybind.inspect([str(header)])
    names = by_name(declarations)
    assert f"{names['WHO'].value} {names['aligned_t'].align}" == expected.strip()
    skipped = {s.name: s.reason for s in declarations.skipped}
    if "ONLY_CLANG" not in names:  # cc is gcc: the macro does not exist for it
        assert skipped["ONLY_CLANG"] == "the system C compiler rejects it"


def test_an_error_directive_only_clang_reaches_is_reported_not_fatal(tmp_path):
    # glibc's tgmath.h does this: its #error fires for clang's view of the _FloatN types
    header = tmp_path / "picky.h"
    header.write_text('struct before { int x; };\n#ifdef __clang__\n#error "not for clang"\n'
                      '#endif\n#define AFTER 3\n')
    run_c(tmp_path, f'#include "{header}"\nint main(void) {{ return AFTER - 3; }}\n')  # cc: fine
    declarations = lazybind.inspect([str(header)])
    names = by_name(declarations)
    assert "struct_before" in names and names["AFTER"].value == 3
    (note,) = [s for s in declarations.skipped if s.name == "#error"]
    assert note.location.line == 3 and "not for clang" in note.reason


def test_an_error_directive_the_compiler_also_reaches_is_fatal(tmp_path):
    header = tmp_path / "refuses.h"
    header.write_text('#error "refused by everyone"\n')
    with pytest.raises(InputError, match="refused by everyone"):
        lazybind.inspect([str(header)])


def test_a_macro_shadowing_an_enum_member_wins(tmp_path):
    header = tmp_path / "shadow.h"
    header.write_text("enum { MODE_A, MODE_B, __MODE_MAX };\n#define __MODE_MAX (__MODE_MAX - 1)\n")
    value = run_c(tmp_path, f'#include <stdio.h>\n#include "{header}"\n'
                  'int main(void) { printf("%d\\n", __MODE_MAX); return 0; }\n')
    assert by_name(lazybind.inspect([str(header)]))["__MODE_MAX"].value == int(value) == 1
