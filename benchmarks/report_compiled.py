"""The "Compiled fast path" section of RESULTS.md, from _work/compiled.json (compiled.py's data).

The section stands between two markers, so that a full run (report.py) keeps it and `run.py
--compiled` replaces it alone. Imports common, suite and formats.
"""

import json
import os

from common import COMPILED_DATA
from formats import fmt_time, ratio
from suite import COMPILED_IMPORT_ROUNDS


BEGIN, END = "<!-- compiled fast path: begin -->", "<!-- compiled fast path: end -->"


def section_in(results_path):
    """The compiled section RESULTS.md holds now ("" when none)."""
    if not os.path.exists(results_path):
        return ""
    with open(results_path, encoding="utf-8") as handle:
        text = handle.read()
    if BEGIN not in text:
        return ""
    return text[text.index(BEGIN) + len(BEGIN) + 1:text.index(END)]


def write_section(results_path, previous=""):
    """Put the section made from _work/compiled.json into RESULTS.md (replacing an older one);
    without that file (a fresh checkout: _work is not kept), the `previous` section stays."""
    if os.path.exists(COMPILED_DATA):
        with open(COMPILED_DATA) as handle:
            section = render_section(json.load(handle))
    elif previous:
        section = previous
    else:
        return
    with open(results_path, encoding="utf-8") as handle:
        text = handle.read()
    if BEGIN in text:
        text = text[:text.index(BEGIN)] + text[text.index(END) + len(END) + 1:]
    with open(results_path, "w", encoding="utf-8") as handle:
        handle.write(text.rstrip("\n") + "\n\n" + BEGIN + "\n" + section + END + "\n")


def render_section(data):
    lines = ["## Compiled fast path (issue 11)", "",
             "`python benchmarks/run.py --compiled` (%.0f s). lazybind modules generated with "
             "`--compiled`: functions whose signatures the extension converts exactly are C "
             "extension functions (vectorcall); the others, and calls with arguments the "
             "extension does not convert itself, use ctypes." % data["seconds"], ""]
    lines += _steady_table(data["steady"])
    lines += _import_table(data["imports"], data["firsts"])
    lines += _coverage_table(data["coverage"])
    return "\n".join(lines) + "\n"


def _steady_table(steady_data):
    lines = ["Steady call, ns per call (best of the interleaved rounds), and as a multiple of "
             "the hand-written extension that releases the GIL / that holds it. Like ctypes and "
             "cffi, a compiled function releases the GIL during the C call; "
             "`__lazybind__.holding_gil(f)` is a variant that keeps it, for short calls in hot "
             "loops:", "",
             "| call | variant | ns | / hand, GIL released | / hand, GIL held |", "|---|---|---|---|---|"]
    for bench, rows in steady_data.items():
        by_name = {r["variant"]: r["ns"] for r in rows}
        released = by_name.get("hand C extension, GIL released")
        held = by_name.get("hand C extension, GIL held")
        for row in rows:
            if row["ns"] is None:
                lines.append("| `%s` | %s | failed: %s | | |" % (bench, row["variant"], row["error"]))
                continue
            lines.append("| `%s` | %s | %.0f | %s | %s |" % (
                bench, row["variant"], row["ns"], ratio(row["ns"], released),
                ratio(row["ns"], held)))
        compiled, plain = by_name.get("lazybind compiled"), by_name.get("lazybind ctypes")
        if compiled and plain:
            lines.append("| `%s` | **ctypes / compiled** | **%.1fx faster** | | |" % (bench, plain / compiled))
    return lines + [""]


def _import_table(imports, firsts):
    floor = imports["empty_ext"]
    lines = ["Import in a fresh process (median of %d, .pyc compiled, ctypes already imported):"
             % COMPILED_IMPORT_ROUNDS, "", "| module | import | vs empty extension |", "|---|---|---|"]
    for module, ns in imports.items():
        lines.append("| `%s` | %s | %s |" % (module, fmt_time(ns), ratio(ns, floor)))
    lines += ["", "The extension is loaded on the first function access, not when the module is "
              "imported. First use (median of 9 fresh processes):", "",
              "| module | first call `zlibVersion()` | second function `zlibCompileFlags()` | again |",
              "|---|---|---|---|"]
    for module, times in firsts.items():
        lines.append("| `%s` | %s | %s | %s |" % (module, *(fmt_time(times[k]) for k in (
            "first", "second", "again"))))
    return lines + [""]


def _coverage_table(coverage):
    lines = ["Functions that take the compiled path (generation + build time in brackets):", "",
             "| header | compiled | of | share | on ctypes, why |", "|---|---|---|---|---|"]
    for record in coverage.values():
        counts = dict(record["counts"])
        compiled = counts.pop("compiled", 0)
        total = compiled + sum(counts.values())
        why = ", ".join("%d %s" % (n, reason) for reason, n in sorted(counts.items(), key=lambda i: -i[1]))
        lines.append("| %s (%.1f s) | %d | %d | %.1f%% | %s |" % (
            record["title"], record["seconds"], compiled, total, 100.0 * compiled / total, why or "—"))
    return lines + [""]
