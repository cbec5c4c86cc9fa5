"""`lazybind.load()` against a plain import of the same module (issue 19), in fresh processes.

    python benchmarks/load.py [--runs 40] [--json FILE]

For each binding (zlib.h with --library z, expat.h with pkg=expat, openssl/ssl.h with
pkg=openssl), in a new temporary cache directory:

- cold: the first `lazybind.load()` in a fresh process (libclang, generation, the C compiler
  confirming layouts, the cache written), once;
- warm: `lazybind.load()` in a fresh process once the cache holds the module, timed by itself
  (after `import lazybind`) and together with `import lazybind`;
- plain: `import NAME` in a fresh process, of the module `lazybind.generate` writes for the same
  arguments, from a directory on sys.path, its bytecode compiled (a pip-installed module).

Every child runs without PYTHONDONTWRITEBYTECODE (it would make the plain import compile the
source each time) and with the same environment otherwise. The figures are medians over
`--runs` processes of each kind, interleaved, so a slow moment of the machine hits both. The
table goes to stdout; docs/scripts-and-notebooks.md ("How fast") shows one run's.
"""

import argparse
import json
import os
import py_compile
import statistics
import subprocess
import sys
import tempfile
import time

BINDINGS = {
    "zlib": (["zlib.h"], {"library": "z"}),
    "expat": (["expat.h"], {"pkg": "expat"}),
    "ssl": (["openssl/ssl.h"], {"pkg": "openssl"}),
}

WARM = """
import time
started = time.perf_counter()
import lazybind
imported = time.perf_counter()
lazybind.load({headers!r}, cache_dir={cache!r}, **{options!r})
loaded = time.perf_counter()
assert ("clang.cindex" in __import__("sys").modules) == {cold}  # only a cold load parses
print(loaded - imported, loaded - started)
"""

PLAIN = """
import time
started = time.perf_counter()
import {name}
print(time.perf_counter() - started)
"""


def child_environment() -> dict:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run(code: str, cwd: str) -> list:
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd, env=child_environment(),
                          capture_output=True, text=True, check=True)
    return [float(word) for word in done.stdout.split()]


def measure(name: str, headers, options: dict, runs: int, work: str) -> dict:
    cache = os.path.join(work, name + "-cache")
    plain_dir = os.path.join(work, name + "-plain")
    os.makedirs(plain_dir)
    started = time.perf_counter()
    run(WARM.format(headers=headers, cache=cache, options=options, cold=True), work)
    cold = time.perf_counter() - started
    module = os.path.join(plain_dir, f"{name}_plain.py")
    import lazybind

    lazybind.generate(headers, output=module, **options)
    py_compile.compile(module, doraise=True)
    warm, total, plain = [], [], []
    for _ in range(runs):
        load_seconds, with_import = run(
            WARM.format(headers=headers, cache=cache, options=options, cold=False), work)
        warm.append(load_seconds)
        total.append(with_import)
        plain.append(run(PLAIN.format(name=f"{name}_plain"), plain_dir)[0])
    return {"binding": name, "cold_s": cold, "warm_us": statistics.median(warm) * 1e6,
            "import_and_warm_us": statistics.median(total) * 1e6,
            "plain_us": statistics.median(plain) * 1e6, "runs": runs}


def table(results: list) -> str:
    lines = ["| binding | cold first load | warm `load()` | plain import | ratio | "
             "`import lazybind` + `load()` | ratio |",
             "|---|--:|--:|--:|--:|--:|--:|"]
    for r in results:
        lines.append("| %s | %.2f s | %.0f us | %.0f us | %.2fx | %.0f us | %.2fx |" % (
            r["binding"], r["cold_s"], r["warm_us"], r["plain_us"], r["warm_us"] / r["plain_us"],
            r["import_and_warm_us"], r["import_and_warm_us"] / r["plain_us"]))
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--json", help="also write the figures here")
    parser.add_argument("--only", choices=sorted(BINDINGS), action="append")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="lazybind-load-bench-") as work:
        for name in args.only or BINDINGS:
            headers, options = BINDINGS[name]
            results.append(measure(name, headers, options, args.runs, work))
            print(table(results[-1:]).splitlines()[-1], file=sys.stderr)
    print(table(results))
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(results, handle, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
