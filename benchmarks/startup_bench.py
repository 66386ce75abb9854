"""Start-up: load + validate + index time and peak RSS, each in a fresh Python process.

The child imports ``handbook.content.library``, then times ``library.load(directory)``; the two steps inside
it (``load_content``: YAML parsing and validation; ``SearchIndex``: the index) are timed by wrapping
the module's names in the child only. Peak RSS is ``ru_maxrss`` of the child at the end; the baseline
is a bare interpreter that imports nothing but ``resource``, so the difference is what the handbook
costs.

Children are started through ``/bin/sh`` (which forks them): on Linux ``ru_maxrss`` survives exec, so a
child forked straight from this (large) benchmark process would report this process's RSS as its own
peak. The child's ``VmHWM`` (/proc/self/status) is recorded as a cross-check.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from handbook.content.model import Handbook

from .synthetic import write_content

REPO = Path(__file__).resolve().parent.parent

_BARE = "import resource, json; print(json.dumps({'maxrss_kb': resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))"
_SPAWN = ["/bin/sh", "-c", '"$0" "$@"; exit $?']  # not exec: the shell forks the child from a small process

_CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
import handbook.content.library as L
t1 = time.perf_counter()
phases = {"parse_validate_s": 0.0, "index_s": 0.0}
def timed(fn, key):
    def wrapper(*a, **k):
        s = time.perf_counter()
        try:
            return fn(*a, **k)
        finally:
            phases[key] += time.perf_counter() - s
    return wrapper
L.load_content = timed(L.load_content, "parse_validate_s")
L.SearchIndex = timed(L.SearchIndex, "index_s")
rss_import = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t2 = time.perf_counter()
loaded = L.load(sys.argv[1])
t3 = time.perf_counter()
status = {l.split(":")[0]: l.split()[1] for l in open("/proc/self/status") if l.startswith(("VmHWM", "VmRSS"))}
print(json.dumps({"vmhwm_kb": int(status.get("VmHWM", 0)), "vmrss_kb": int(status.get("VmRSS", 0)), "entries": len(loaded.handbook.entries), "import_s": t1 - t0, "load_s": t3 - t2, **phases,
                  "maxrss_import_kb": rss_import, "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


def _child(args: list[str], timeout: float) -> dict:
    proc = subprocess.run([*_SPAWN, sys.executable, *args], capture_output=True, text=True, timeout=timeout, cwd=REPO)
    if proc.returncode != 0:
        raise RuntimeError(f"start-up child failed ({proc.returncode}): {proc.stderr.strip()[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def baseline_rss_kb(runs: int = 3) -> int:
    return int(statistics.median(_child(["-c", _BARE], 60)["maxrss_kb"] for _ in range(runs)))


def measure_load(directory: Path, runs: int = 1, timeout: float = 900) -> dict:
    """The median run (by load time) of `runs` fresh processes loading `directory`."""
    results = [_child(["-c", _CHILD, str(directory)], timeout) for _ in range(runs)]
    results.sort(key=lambda r: r["load_s"])
    best = dict(results[len(results) // 2])
    best["runs"] = runs
    best["load_s_all"] = [round(r["load_s"], 4) for r in results]
    return best


def run_startup(real_content: Path, synthetic: dict[int, Handbook], *, real_runs: int = 3, log=print) -> dict:
    """Start-up figures for the real content and each synthetic handbook (written to a temp dir)."""
    base = baseline_rss_kb()
    out: dict = {"baseline_rss_mb": round(base / 1024, 1), "rows": []}

    def row(label: str, r: dict) -> dict:
        return {
            "label": label, "entries": r["entries"], "runs": r["runs"],
            "import_s": round(r["import_s"], 4), "load_s": round(r["load_s"], 4),
            "parse_validate_s": round(r["parse_validate_s"], 4), "index_s": round(r["index_s"], 4),
            "load_s_all": r["load_s_all"],
            "peak_rss_mb": round(r["maxrss_kb"] / 1024, 1), "over_baseline_mb": round((r["maxrss_kb"] - base) / 1024, 1),
            "after_import_rss_mb": round(r["maxrss_import_kb"] / 1024, 1), "vmhwm_mb": round(r["vmhwm_kb"] / 1024, 1),
            "rss_after_load_mb": round(r["vmrss_kb"] / 1024, 1),
        }

    out["rows"].append(row("real", measure_load(real_content, runs=real_runs)))
    log(f"  start-up real: {out['rows'][-1]['load_s']:.3f} s, {out['rows'][-1]['peak_rss_mb']} MB")
    for size, handbook in sorted(synthetic.items()):
        with tempfile.TemporaryDirectory(prefix=f"healthbot-bench-{size}-") as tmp:
            t = time.perf_counter()
            write_content(handbook, real_content, Path(tmp))
            written = time.perf_counter() - t
            r = row(f"{size:,}", measure_load(Path(tmp), runs=1))
            r["write_s"] = round(written, 2)
            r["yaml_mb"] = round(sum(f.stat().st_size for f in Path(tmp).rglob("*.yaml")) / 1e6, 1)
        out["rows"].append(r)
        log(f"  start-up {size}: {r['load_s']:.3f} s, {r['peak_rss_mb']} MB")
    return out
