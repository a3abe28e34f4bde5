"""Run one benchmark job in its own process, so that its peak memory is its own: worker.py JOB PARAMS.json OUT.json"""
from __future__ import annotations

import json
import os
import sys
import time

import qdrant_local
import scale
import systems
from common import peak_rss_mb

JOBS = {
    "khsearch": systems.khsearch,
    "bm25-chunks": systems.bm25_chunks,
    "langchain-e5": systems.langchain_e5,
    "e5-query": systems.e5_query,
    "scale-build": scale.build_synthetic,
    "scale-search": scale.search_synthetic,
    "scale-memory": scale.memory_parts,
    "scale-stages": scale.stage_costs,
    "qdrant-local": qdrant_local.write,
    "qdrant-local-search": qdrant_local.search,
}


def main():
    job, params, out = sys.argv[1:4]
    t, load = time.perf_counter(), os.getloadavg()[0]
    result = JOBS[job](json.loads(open(params, encoding="utf-8").read()))
    result.update(job=job, wall_s=time.perf_counter() - t, peak_rss_mb=peak_rss_mb(),
                  loadavg=(load, os.getloadavg()[0]))
    with open(out, "w", encoding="utf-8") as f:
        json.dump(result, f, ensure_ascii=False, indent=1)


if __name__ == "__main__":
    main()
