"""Compare khsearch with two baselines on the real corpus, and time it at scale; write docs/BENCHMARKS.md.

usage: python bench/run.py [--quick] [--dev FILE] [--out FILE] [--keep] [--from DIR]

Every job runs in its own process (bench/worker.py), one after another, so that peak memory is per job and
jobs do not compete for the two cores. The same tables are printed to stdout.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import report
from common import DEV, MATCHING, PLANS, ROOT, machine

HERE = Path(__file__).resolve().parent
PASSIVE, ONE_THREAD = {"OMP_WAIT_POLICY": "PASSIVE"}, {"OMP_NUM_THREADS": "1"}
JOBS = [  # (name in the results, worker job, its own parameters, environment added for it)
    ("khsearch", "khsearch", {}, {}),
    ("bm25-chunks", "bm25-chunks", {}, {}),
    ("langchain-e5", "langchain-e5", {}, {}),
    ("khsearch-dev2", "khsearch", {"set": "dev2"}, {}),
    ("bm25-chunks-dev2", "bm25-chunks", {"set": "dev2"}, {}),
    ("langchain-e5-dev2", "langchain-e5", {"set": "dev2"}, {}),
    ("scale-build", "scale-build", {}, {}),
    ("scale-search", "scale-search", {}, {}),
    ("scale-search-passive", "scale-search", {"profile": False}, PASSIVE),
    ("scale-search-quiet", "scale-search", {}, {**PASSIVE, "OPENBLAS_NUM_THREADS": "1"}),
    ("scale-memory", "scale-memory", {}, {}),
    ("scale-stages", "scale-stages", {}, {}),
    # khsearch's Qdrant store in qdrant-client's local mode, filled from the scale-build job's index. Local mode
    # scores every point in Python (7-12 s a search at 100k): 5 questions of each kind, one timed pass.
    ("qdrant-local", "qdrant-local", {}, {}),
    ("qdrant-local-search", "qdrant-local-search", {"queries": 5, "reps": 1}, {}),
    # The e5 query alone under three OpenMP settings, on the machine as found and with one more busy process.
    ("e5-default", "e5-query", {"busy": False}, {}),
    ("e5-default-busy", "e5-query", {"busy": True}, {}),
    ("e5-passive", "e5-query", {"busy": False}, PASSIVE),
    ("e5-passive-busy", "e5-query", {"busy": True}, PASSIVE),
    ("e5-1-thread", "e5-query", {"busy": False}, ONE_THREAD),
    ("e5-1-thread-busy", "e5-query", {"busy": True}, ONE_THREAD),
]
FULL = {"reps": 5, "paragraphs": 100_000}
QUICK = {"reps": 2, "paragraphs": 20_000}


def run_job(name: str, job: str, params: dict, env: dict, work: Path) -> dict:
    """Run one job in a fresh interpreter; its result, or {"error": ...} with the end of its log."""
    pfile, out, log = work / f"{name}.params.json", work / f"{name}.json", work / f"{name}.log"
    pfile.write_text(json.dumps(params), encoding="utf-8")
    print(f"[bench] {name} ...", file=sys.stderr, flush=True)
    t = time.perf_counter()
    with open(log, "w", encoding="utf-8") as f:
        done = subprocess.run([sys.executable, str(HERE / "worker.py"), job, str(pfile), str(out)],
                              stdout=f, stderr=subprocess.STDOUT, cwd=ROOT, env={**os.environ, **env})
    print(f"[bench] {name} finished in {time.perf_counter() - t:.0f} s (exit {done.returncode})", file=sys.stderr,
          flush=True)
    if done.returncode != 0 or not out.exists():
        return {"job": job, "error": f"exit {done.returncode}; log ends with:\n{log.read_text()[-2000:]}"}
    return {**json.loads(out.read_text(encoding="utf-8")), "env": env}


def source_stamp() -> str:
    """A short hash of khsearch's code and tables: the tree is edited by others while the benchmark runs."""
    h = hashlib.sha256()
    for f in sorted((ROOT / "khsearch").rglob("*.py")) + sorted((ROOT / "khsearch" / "data").glob("*.tsv")):
        h.update(f.read_bytes())
    return h.hexdigest()[:12]


def write(text: str, out: str):
    print(text)
    Path(out).parent.mkdir(parents=True, exist_ok=True)
    Path(out).write_text(text, encoding="utf-8")
    print(f"[bench] wrote {out}", file=sys.stderr)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="20k synthetic paragraphs, 2 timed passes")
    ap.add_argument("--dev", default=str(DEV), help="dev questions (JSON lines)")
    ap.add_argument("--out", default=str(ROOT / "docs" / "BENCHMARKS.md"))
    ap.add_argument("--keep", action="store_true", help="keep the working folder (indexes, logs, JSON results)")
    ap.add_argument("--from", dest="again", metavar="DIR", help="only rewrite the report from a kept folder")
    a = ap.parse_args()
    if a.again:
        saved = json.loads((Path(a.again) / "results.json").read_text(encoding="utf-8"))
        write(report.markdown(saved["info"], saved["results"]), a.out)
        return
    if missing := [str(p) for p in (Path(a.dev), PLANS) if not p.exists()]:
        sys.exit(f"bench: {', '.join(missing)} not found: the dev questions and the plans of ../shared must be beside "
                 "the clone (or give --dev FILE)")
    start = source_stamp()
    info = {"machine": machine(), "date": time.strftime("%Y-%m-%d %H:%M %Z"), "quick": a.quick, "dev": a.dev,
            "matching": MATCHING, "command": "python bench/run.py" + (" --quick" if a.quick else "")}
    params = {**(QUICK if a.quick else FULL), "dev": a.dev}
    work = Path(tempfile.mkdtemp(prefix="khsearch-bench-"))
    print(f"[bench] working folder {work}", file=sys.stderr, flush=True)
    t = time.perf_counter()
    results = {name: run_job(name, job, {**params, **own, "workdir": str(work)}, env, work)
               for name, job, own, env in JOBS}
    info["total_s"], info["loadavg_end"] = time.perf_counter() - t, os.getloadavg()
    info["source"] = (start, source_stamp())
    (work / "results.json").write_text(json.dumps({"info": info, "results": results}, ensure_ascii=False),
                                       encoding="utf-8")
    write(report.markdown(info, results), a.out)
    if a.keep:
        print(f"[bench] kept {work}", file=sys.stderr)
    else:
        shutil.rmtree(work, ignore_errors=True)
    sys.exit(1 if any("error" in r for r in results.values()) else 0)


if __name__ == "__main__":
    main()
