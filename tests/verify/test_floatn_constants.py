"""glibc's math.h under _GNU_SOURCE spells constants with GCC's _Float32/_Float64/_Float32x/
_Float64x types, distinct from float and double; `check` must count them as floating."""

from __future__ import annotations

import lazybind
from conftest import bind_text


def test_floatn_macros_are_floating_for_the_compiler(tmp_path):
    path = bind_text(tmp_path, "floatn", "#define _GNU_SOURCE\n#include <math.h>\n", library="m")
    report = lazybind.check(str(path))
    assert "constant M_SQRT2f64" in report.checked and "constant HUGE_VAL_F32X" in report.checked
    assert report.mismatches == [], report.text()
