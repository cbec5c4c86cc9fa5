#!/usr/bin/env python3
"""Bind every C header on the system and report how it went (issue #10).

    python scripts/corpus.py [--sample N] [--jobs 2] [--out CORPUS.md] [--timeout S] [--root DIR]

For every ``*.h`` under ``/usr/include`` (recursively, sorted) that compiles on its own as C
(``cc -fsyntax-only`` on a file that only includes it; the others are counted as "not a
standalone C header"), one subprocess per header (``--jobs`` of them at a time, each with a
``--timeout``):

1. generates a module with ``lazybind.generate([header])``, with ``library=`` the ``-l`` names
   of the pkg-config package whose include folder holds the header (or named like it: zlib.pc
   for zlib.h); other headers get no library (types and constants),
2. imports it,
3. accesses every name in ``dir(module)``: a record's class is built, a function is looked up;
   ``LayoutError`` and ``UnsupportedTypeError`` are *refusals* (counted with their reason); a
   function or variable without a library (or absent from it) raises ``MissingSymbolError``,
   expected and only counted; any other exception is a *failure*,
4. runs ``lazybind.check`` on it (zero mismatches = verified).

``--sample N`` takes a deterministic sample of N standalone headers spread across the top-level
folders (round robin over the folders, each folder in the order of a seeded hash of the path;
linux/, X11/, GL/, openssl/, libxml2/ and glib folders first when present). The results are
written as a Markdown table to ``--out`` (CORPUS.md); the exact command is recorded at its top.

``run_corpus(...)`` is the core function (used by tests/test_corpus_sample.py).
"""

from __future__ import annotations

import argparse
import concurrent.futures
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections import Counter, defaultdict
from pathlib import Path
from typing import Dict, Iterable, List, Optional

from lazybind.pkgconfig import header_libraries, libraries_for

ROOT = "/usr/include"
SEED = "lazybind-corpus-1"
PRIORITY = ("linux", "X11", "GL", "openssl", "libxml2", "glib-2.0", "gio-unix-2.0")
TOP = "(top level)"
REFUSAL_ERRORS = ("LayoutError", "UnsupportedTypeError")
NO_LIBRARY_ERRORS = ("MissingSymbolError", "LibraryNotFoundError")


# -- listing and sampling --------------------------------------------------------------------------

def list_headers(root: str = ROOT) -> List[str]:
    """Every *.h file under root, recursively, as sorted absolute paths."""
    found = []
    for directory, dirs, files in os.walk(root):
        dirs.sort()
        for name in files:
            if name.endswith(".h"):
                path = os.path.join(directory, name)
                if os.path.isfile(path):
                    found.append(path)
    return sorted(found)


def folder_of(path: str, root: str = ROOT) -> str:
    rel = os.path.relpath(path, root)
    parts = rel.split(os.sep)
    return parts[0] if len(parts) > 1 else TOP


def _hash(path: str) -> str:
    return hashlib.sha256((SEED + path).encode()).hexdigest()


def sample_order(headers: Iterable[str], root: str = ROOT) -> List[str]:
    """All headers in sampling order: round robin over top-level folders (priority folders
    first, then the others sorted), each folder in seeded-hash order. Deterministic."""
    by_folder: Dict[str, List[str]] = defaultdict(list)
    for h in headers:
        by_folder[folder_of(h, root)].append(h)
    for items in by_folder.values():
        items.sort(key=_hash)
    folders = [f for f in PRIORITY if f in by_folder]
    folders += sorted(f for f in by_folder if f not in PRIORITY)
    order = []
    depth = 0
    while True:
        added = False
        for f in folders:
            if depth < len(by_folder[f]):
                order.append(by_folder[f][depth])
                added = True
        if not added:
            return order
        depth += 1


def is_standalone(path: str, timeout: float = 60) -> bool:
    """True when a C file that only includes `path` compiles (cc -fsyntax-only)."""
    cc = shutil.which("cc") or "cc"
    source = '#include "%s"\n' % path.replace("\\", "\\\\").replace('"', '\\"')
    try:
        done = subprocess.run([cc, "-fsyntax-only", "-x", "c", "-"], input=source.encode(),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=timeout)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def select(headers: List[str], sample: Optional[int], jobs: int, root: str = ROOT):
    """(standalone headers to run, headers that are not standalone C, headers examined)."""
    order = sample_order(headers, root) if sample else list(headers)
    keep: List[str] = []
    rejected: List[str] = []
    examined = 0
    batch = max(jobs * 8, 16)
    with concurrent.futures.ThreadPoolExecutor(max(1, jobs)) as pool:
        for start in range(0, len(order), batch):
            chunk = order[start:start + batch]
            for path, ok in zip(chunk, pool.map(is_standalone, chunk)):
                if sample and len(keep) >= sample:
                    break
                examined += 1
                (keep if ok else rejected).append(path)
            if sample and len(keep) >= sample:
                break
    return keep, rejected, examined


# -- one header, in its own process ----------------------------------------------------------------

def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    return "%s: %s" % (type(error).__name__, text[0] if text else "")


def _kinds(error: BaseException) -> List[str]:
    return [k.__name__ for k in type(error).__mro__]


def probe_header(header: str, workdir: str, libraries: List[str], target: str = "") -> dict:
    """Generate (bound to `libraries`), import, access every name, check. Runs in the worker
    subprocess. With a `target` (corpus_windows.py), the header's own declarations (--scope
    named) for that target; its non-constant names are counted as *foreign* on access."""
    import importlib.util

    result = {"header": header, "libraries": libraries, "resolved": 0, "generated": False, "imported": False, "checked": False,
              "verified": False, "gen_seconds": None, "names": 0, "values": 0, "no_library": 0,
              "refused": [], "failures": [], "mismatches": [], "check_refused": 0,
              "inexact": [], "check_counts": {}, "stage": None, "error": None}
    out = os.path.join(workdir, "corpus_mod.py")

    def fail(stage, error):
        result["stage"] = stage
        result["error"] = _first_line(error)
        if not isinstance(error, Exception) or type(error).__module__ != "lazybind.errors":
            result["traceback"] = traceback.format_exc(limit=-6)

    import lazybind

    start = time.perf_counter()
    try:
        options = {"target": target, "scope": "named"} if target else {}
        lazybind.generate([header], library=libraries or None, output=out, **options)
    except Exception as error:  # noqa: BLE001 - everything is reported
        fail("generate", error)
        return result
    finally:
        result["gen_seconds"] = time.perf_counter() - start
    result["generated"] = True

    try:
        spec = importlib.util.spec_from_file_location("corpus_mod", out)
        module = importlib.util.module_from_spec(spec)
        sys.modules["corpus_mod"] = module
        spec.loader.exec_module(module)
    except Exception as error:  # noqa: BLE001
        fail("import", error)
        return result
    result["imported"] = True

    try:
        names = dir(module)
    except Exception as error:  # noqa: BLE001
        fail("dir", error)
        return result
    if target:  # on this machine only the constants of another platform's module are usable
        names, result["foreign"] = _constants_of(module, names)
    result["names"] = len(names)
    for name in names:
        try:
            value = getattr(module, name)
            result["values"] += 1
            result["resolved"] += callable(value) and hasattr(value, "argtypes")
        except Exception as error:  # noqa: BLE001
            kinds = _kinds(error)
            if any(k in kinds for k in REFUSAL_ERRORS):
                result["refused"].append([name, type(error).__name__, str(error).splitlines()[0]
                                          if str(error) else ""])
            elif any(k in kinds for k in NO_LIBRARY_ERRORS):
                result["no_library"] += 1
            else:
                result["failures"].append([name, _first_line(error)])
    if result["failures"]:
        result["stage"] = "access"
        result["error"] = "%s: %s" % tuple(result["failures"][0])

    try:
        report = lazybind.check(out)
    except Exception as error:  # noqa: BLE001
        if not result["stage"]:
            fail("check", error)
        return result
    result["checked"] = True
    result["mismatches"] = [str(m) for m in report.mismatches]
    result["check_refused"] = len(report.refused)
    result["inexact"] = [str(finding) for finding in report.inexact]
    result["check_counts"] = dict(report.counts)
    result["verified"] = report.ok
    if report.mismatches and not result["stage"]:
        result["stage"] = "check"
        result["error"] = "mismatch: %s" % result["mismatches"][0]
    return result


def _constants_of(module, names: List[str]):
    """(the names of `module` that are constants, how many others there are)."""
    from lazybind import runtime

    kinds = {name: kind for _, name, kind, _ in module.__lazybind__._binding._data.entries()}
    constants = [n for n in names if kinds.get(n) == runtime.KIND_CONSTANT]
    return constants, len(names) - len(constants)


def _run_one(header: str, timeout: float, libraries: List[str], target: str = "") -> dict:
    """Run probe_header in a fresh Python process; a crash or a timeout is a failure."""
    with tempfile.TemporaryDirectory(prefix="lb-corpus-") as workdir:
        command = [sys.executable, os.path.abspath(__file__), "--one", header, "--workdir", workdir]
        command += [f"--library={library}" for library in libraries]
        command += [f"--target={target}"] if target else []
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        start = time.perf_counter()
        base = {"header": header, "libraries": libraries, "resolved": 0, "generated": False, "imported": False, "checked": False,
                "verified": False, "gen_seconds": None, "names": 0, "values": 0, "no_library": 0,
                "refused": [], "failures": [], "mismatches": [], "check_refused": 0,
                "inexact": [], "check_counts": {}}
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                                  cwd=workdir, env=env)
        except subprocess.TimeoutExpired:
            return dict(base, stage="timeout", error="timed out after %gs" % timeout,
                        seconds=time.perf_counter() - start)
        seconds = time.perf_counter() - start
        lines = done.stdout.strip().splitlines()
        if done.returncode == 0 and lines and lines[-1].startswith("{"):
            result = json.loads(lines[-1])
            result["seconds"] = seconds
            return result
        tail = (done.stderr.strip().splitlines() or ["(no output)"])[-1]
        return dict(base, stage="crash", error="worker exit %d: %s" % (done.returncode, tail),
                    traceback=done.stderr[-3000:], seconds=seconds)


# -- the whole run ---------------------------------------------------------------------------------

def run_corpus(root: str = ROOT, sample: Optional[int] = None, jobs: int = 2,
               timeout: float = 300, progress=None) -> dict:
    """The core: select headers, probe each in a subprocess, return everything as a dict."""
    start = time.perf_counter()
    headers = list_headers(root)
    keep, rejected, examined = select(headers, sample, jobs, root)
    owners = header_libraries(root)
    results = []
    with concurrent.futures.ThreadPoolExecutor(max(1, jobs)) as pool:
        futures = {pool.submit(_run_one, h, timeout, libraries_for(h, owners)): h for h in keep}
        for n, future in enumerate(concurrent.futures.as_completed(futures), 1):
            result = future.result()
            results.append(result)
            if progress:
                progress(n, len(keep), result)
    results.sort(key=lambda r: r["header"])
    return {"root": root, "sample": sample, "jobs": jobs, "timeout": timeout,
            "total_headers": len(headers), "examined": examined, "not_standalone": rejected,
            "results": results, "seconds": time.perf_counter() - start}


def failed(result: dict) -> bool:
    """A crash, a traceback, an error, a timeout or a check mismatch."""
    return bool(result.get("stage"))


# -- the report ------------------------------------------------------------------------------------

def _reason_key(name: str, reason: str) -> str:
    if reason.startswith(name + ": "):
        reason = reason[len(name) + 2:]
    reason = re.sub(r"\b\d+\b", "N", reason)
    return reason


def _md(text: str, limit: int = 160) -> str:
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _percentile(values: List[float], q: float) -> float:
    values = sorted(values)
    if not values:
        return 0.0
    index = min(len(values) - 1, max(0, int(round(q * (len(values) - 1)))))
    return values[index]


def _inexact_section(results: List[dict], rel) -> List[str]:
    """Records and typedefs given C's size and offsets but another alignment than C's: what
    ctypes on the Python that ran the corpus cannot express."""
    out = ["## Alignment not expressible on this Python", ""]
    found = [(rel(r["header"]), item) for r in results for item in r.get("inexact", [])]
    if not found:
        return out + ["None.", ""]
    # one row per declaration: a system header's record is found in every header including it
    headers: Dict[str, List[str]] = {}
    for header, item in found:
        headers.setdefault(item, []).append(header)
    out.append("%d declarations, found in %d headers. Each is usable, with C's size and offsets; "
               "only `ctypes.alignment` differs from C's `_Alignof`." % (
                   len(headers), len({header for header, _ in found})))
    out += ["", "| name and why | headers | for example |", "|---|--:|---|"]
    out += ["| %s | %d | %s |" % (_md(item, 240), len(where), ", ".join(sorted(where)[:3]))
            for item, where in sorted(headers.items(), key=lambda pair: (-len(pair[1]), pair[0]))]
    return out + [""]


def render(run: dict, command: str) -> str:
    root = run["root"]
    results = run["results"]
    rel = lambda p: os.path.relpath(p, root)  # noqa: E731
    out = ["# Corpus: every header under %s, bound and verified" % root, ""]
    out.append("Generated by `scripts/corpus.py` (issue #10). Exact command:")
    out += ["", "```", command, "```", ""]
    if run["sample"]:
        out.append(
            "**This is a sample**: %d standalone headers (`--sample %d`), chosen deterministically "
            "(round robin over the top-level folders, each in seeded-hash order; linux/, X11/, "
            "GL/, openssl/, libxml2/ first) out of %d `*.h` files; %d headers were examined to "
            "find them, %d of which are not standalone C headers. The full run (no `--sample`) "
            "is the same command without it." % (len(results), run["sample"], run["total_headers"],
                                                 run["examined"], len(run["not_standalone"])))
    else:
        out.append("Full run: %d `*.h` files, %d not standalone C headers, %d tried."
                   % (run["total_headers"], len(run["not_standalone"]), len(results)))
    out.append("")
    out.append("Wall time %.0f s with %d jobs, timeout %g s per header. Python %s, lazybind %s."
               % (run["seconds"], run["jobs"], run["timeout"], sys.version.split()[0],
                  _lazybind_version()))
    out.append("")
    out += [
        "Columns: *not standalone* = `cc -fsyntax-only` rejects a file that only includes it "
        "(not tried); *tried* = standalone headers run; *generated* = `lazybind.generate` "
        "succeeded; *imported* = the module imported; *verified* = `lazybind.check` ran and found "
        "zero mismatches (sizes, offsets, bit positions, alignments of records and typedefs, "
        "constants); *exact* = verified, and no record or typedef with an alignment this "
        "Python's ctypes cannot express (`check`'s own count, listed below); *refused* = names whose access raised `LayoutError` / "
        "`UnsupportedTypeError` (in how many headers); *failed* = headers with a crash, an error, "
        "a timeout, an unexpected exception on access or a check mismatch; *with a library* = "
        "headers bound with `--library` to the libraries of the pkg-config package that owns "
        "their folder (or is named like them); *functions resolved* = functions found in those "
        "libraries. A function or variable without a library, or absent from it (a declaration "
        "of another library or of a newer version), raises `MissingSymbolError`: expected and "
        "only counted (*no library*).", ""]

    rows = defaultdict(lambda: Counter())
    not_standalone = Counter(folder_of(p, root) for p in run["not_standalone"])
    for r in results:
        f = folder_of(r["header"], root)
        for key in (f, "**total**"):
            c = rows[key]
            c["tried"] += 1
            c["generated"] += r["generated"]
            c["imported"] += r["imported"]
            c["verified"] += bool(r["checked"] and not r["mismatches"])
            c["exact"] += bool(r["checked"] and not r["mismatches"] and not r.get("inexact"))
            c["refused"] += len(r["refused"])
            c["refused_headers"] += bool(r["refused"])
            c["failed"] += failed(r)
            c["names"] += r["names"]
            c["no_library"] += r["no_library"]
            c["bound"] += bool(r.get("libraries"))
            c["resolved"] += r.get("resolved", 0)
    for f, n in not_standalone.items():
        rows[f]["not_standalone"] += n
        rows["**total**"]["not_standalone"] += n

    out.append("## Per folder")
    out.append("")
    out.append("| folder | not standalone | tried | generated | imported | verified | exact | "
               "with a library | functions resolved | names accessed | no library | "
               "refused (headers) | failed |")
    out.append("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
    folders = sorted(k for k in rows if k != "**total**") + ["**total**"]
    for f in folders:
        c = rows[f]
        name = f if f in (TOP, "**total**") else f + "/"
        out.append("| %s | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d (%d) | %d |" % (
            name, c["not_standalone"], c["tried"], c["generated"], c["imported"], c["verified"],
            c["exact"], c["bound"], c["resolved"], c["names"], c["no_library"], c["refused"],
            c["refused_headers"], c["failed"]))
    out.append("")
    t = rows["**total**"]
    if t["tried"]:
        out.append("Totals: %d tried, %d generated (%.1f%%), %d imported (%.1f%%), %d verified "
                   "with zero mismatches (%.1f%%), %d fully exact (%.1f%%), %d failed."
                   % (t["tried"], t["generated"], 100 * t["generated"] / t["tried"], t["imported"],
                      100 * t["imported"] / t["tried"], t["verified"],
                      100 * t["verified"] / t["tried"], t["exact"], 100 * t["exact"] / t["tried"],
                      t["failed"]))
        out.append("")

    out.append("## Refused at use, by reason")
    out.append("")
    reasons: Dict[str, list] = {}
    for r in results:
        for name, kind, reason in r["refused"]:
            key = "%s: %s" % (kind, _reason_key(name, reason))
            entry = reasons.setdefault(key, [0, set(), "%s (%s)" % (name, rel(r["header"]))])
            entry[0] += 1
            entry[1].add(r["header"])
    if reasons:
        out.append("| reason | names | headers | example |")
        out.append("|---|--:|--:|---|")
        for key, (count, hs, example) in sorted(reasons.items(), key=lambda kv: -kv[1][0]):
            out.append("| %s | %d | %d | %s |" % (_md(key), count, len(hs), _md(example)))
    else:
        out.append("None.")
    out.append("")
    check_refused = sum(r["check_refused"] for r in results)
    out.append("`lazybind check` itself listed %d refused items in total." % check_refused)
    out.append("")
    out += _inexact_section(results, rel)

    out.append("## Failed, with the first error")
    out.append("")
    bad = [r for r in results if failed(r)]
    if bad:
        out.append("| header | stage | first error |")
        out.append("|---|---|---|")
        for r in bad:
            out.append("| %s | %s | %s |" % (rel(r["header"]), r["stage"], _md(r["error"] or "", 300)))
        out.append("")
        out.append("By stage: " + ", ".join("%s %d" % (s, n) for s, n in
                                            sorted(Counter(r["stage"] for r in bad).items())))
    else:
        out.append("None.")
    out.append("")

    times = [r["gen_seconds"] for r in results if r.get("gen_seconds") is not None]
    out.append("## Generation time")
    out.append("")
    if times:
        out.append("Time of the `lazybind.generate` call alone, in a fresh worker process per "
                   "header (so it includes loading libclang); *whole probe* below also counts "
                   "Python start-up, import, access and `lazybind.check`.")
        out.append("")
        out.append("| min | median | p90 | p99 | max | mean | total |")
        out.append("|--:|--:|--:|--:|--:|--:|--:|")
        out.append("| %.2f s | %.2f s | %.2f s | %.2f s | %.2f s | %.2f s | %.0f s |" % (
            min(times), _percentile(times, 0.5), _percentile(times, 0.9),
            _percentile(times, 0.99), max(times), sum(times) / len(times), sum(times)))
        out.append("")
        edges = [0.25, 0.5, 1, 2, 5, 10, 30, float("inf")]
        counts = Counter()
        for s in times:
            for e in edges:
                if s < e:
                    counts[e] += 1
                    break
        out.append("| generation time | headers |")
        out.append("|---|--:|")
        low = 0.0
        for e in edges:
            label = ("< %g s" % e) if low == 0 else ("≥ %g s" % low if e == float("inf")
                                                     else "%g – %g s" % (low, e))
            out.append("| %s | %d |" % (label, counts[e]))
            low = e
        out.append("")
        out.append("### The 10 slowest headers")
        out.append("")
        out.append("| header | generate | whole probe | names |")
        out.append("|---|--:|--:|--:|")
        slow = sorted((r for r in results if r.get("gen_seconds") is not None),
                      key=lambda r: -r["gen_seconds"])[:10]
        for r in slow:
            out.append("| %s | %.2f s | %.2f s | %d |" % (rel(r["header"]), r["gen_seconds"],
                                                         r.get("seconds", 0.0), r["names"]))
        out.append("")
    return "\n".join(out) + "\n"


def _lazybind_version() -> str:
    try:
        import lazybind
        return lazybind.__version__
    except Exception:  # noqa: BLE001
        return "?"


def _windows_section(path: str) -> str:
    """The Windows section an earlier `--target` run spliced below the Linux part of `path`,
    kept when the Linux part is written again."""
    import corpus_windows  # beside this script

    text = Path(path).read_text() if Path(path).exists() else ""
    at = text.find(corpus_windows.MARKER)
    return "\n" + text[at:] if at >= 0 else ""


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=int, default=None, help="a deterministic sample of N headers")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--out", default="CORPUS.md")
    parser.add_argument("--timeout", type=float, default=300, help="seconds per header")
    parser.add_argument("--root", default=ROOT)
    parser.add_argument("--json", default=None, help="also write the raw results here")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    parser.add_argument("--library", action="append", default=[], help=argparse.SUPPRESS)
    parser.add_argument("--target", action="append", default=[],
                        help="instead: the Windows section, for each TRIPLE (corpus_windows.py)")
    args = parser.parse_args(argv)

    if args.one:
        result = probe_header(args.one, args.workdir or tempfile.mkdtemp(), args.library,
                              args.target[0] if args.target else "")
        sys.stdout.write("\n" + json.dumps(result) + "\n")
        sys.stdout.flush()
        return 0

    command = "python scripts/corpus.py " + " ".join(shlex.quote(a) for a in
                                                     (argv if argv is not None else sys.argv[1:]))
    if args.target:
        import corpus_windows  # beside this script

        return corpus_windows.main(args.target, args.jobs, args.timeout, args.out, args.json,
                                   args.sample, command.strip())

    def progress(n, total, r):
        mark = "FAIL %s: %s" % (r["stage"], r["error"]) if failed(r) else "ok"
        print("[%d/%d] %s %.1fs %s" % (n, total, r["header"], r.get("seconds", 0), mark),
              file=sys.stderr, flush=True)

    run = run_corpus(args.root, args.sample, args.jobs, args.timeout, progress)
    Path(args.out).write_text(render(run, command.strip()) + _windows_section(args.out))
    if args.json:
        Path(args.json).write_text(json.dumps(run, indent=1))
    bad = sum(failed(r) for r in run["results"])
    print("%d tried, %d failed; wrote %s" % (len(run["results"]), bad, args.out), file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
