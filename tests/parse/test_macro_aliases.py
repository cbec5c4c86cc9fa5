"""Object-like macros that rename a function or variable (gmp.h: `#define mpz_init __gmpz_init`,
`#define mpn_add_n __MPN(add_n)`) are exposed as that very object, not skipped as pointers."""

from __future__ import annotations

import ctypes

import pytest

from lazybind import ir
from conftest import bind_text, import_path

ALIASES = """\
#include <stddef.h>
size_t strlen(const char *s);
extern char **environ;
int not_in_any_library(void);
#define PREFIXED(x) str##x
#define my_strlen strlen
#define pasted_strlen PREFIXED(len)
#define chained_strlen my_strlen
#define parenthesized_strlen (strlen)
#define my_environ environ
#define missing_alias not_in_any_library
#define strlen strlen
#define NOT_AN_ALIAS (strlen + 0)
#define A_NUMBER 42
"""


@pytest.fixture(scope="module")
def aliased(tmp_path_factory):
    path = bind_text(tmp_path_factory.mktemp("aliases"), "aliases", ALIASES, library="c", stubs=True)
    return path, import_path(path)


def test_a_renaming_macro_is_the_same_function(aliased):
    _, module = aliased
    for name in ("my_strlen", "pasted_strlen", "chained_strlen", "parenthesized_strlen"):
        assert getattr(module, name) is module.strlen, name
    assert module.my_strlen(b"lazy") == 4


def test_a_renaming_macro_is_the_same_variable(aliased):
    _, module = aliased
    assert ctypes.addressof(module.my_environ) == ctypes.addressof(module.environ)


def test_an_alias_of_a_missing_symbol_is_missing_too(aliased):
    _, module = aliased
    assert not hasattr(module, "missing_alias")
    with pytest.raises(AttributeError, match="not_in_any_library"):
        module.missing_alias


def test_what_is_not_a_bare_name_stays_as_before(aliased):
    _, module = aliased
    assert module.A_NUMBER == 42 and not hasattr(module, "NOT_AN_ALIAS")


def test_the_stub_says_an_alias_is_its_target(aliased):
    path, _ = aliased
    assert "my_strlen = strlen" in path.with_suffix(".pyi").read_text().splitlines()


def test_inspect_reports_aliases(tmp_path):
    import lazybind

    header = tmp_path / "aliases.h"
    header.write_text(ALIASES)
    declarations = {d.name: d for d in lazybind.inspect([str(header)]).declarations}
    assert declarations["pasted_strlen"] == ir.Alias("pasted_strlen", declarations["pasted_strlen"].location,
                                                     "strlen")
    assert isinstance(declarations["strlen"], ir.Function)  # `#define strlen strlen` is no alias
