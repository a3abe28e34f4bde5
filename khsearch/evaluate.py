"""Score khsearch on a user's own gold questions (the dev.jsonl format): R@k, MRR, answer and citation rates."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Callable

from .answer import ask
from .stores import Store
from .normalize import fold, loose
from .retrieve import RANKERS, search


@dataclass
class Evaluation:
    rows: list[dict] = field(default_factory=list)

    def rate(self, key: str) -> float | None:
        vals = [r[key] for r in self.rows if key in r]
        return sum(vals) / len(vals) if vals else None

    def recall(self, k: int) -> float | None:
        ranks = [r["rank"] for r in self.rows if "rank" in r]
        return sum(1 for x in ranks if x and x <= k) / len(ranks) if ranks else None

    def mrr(self) -> float | None:
        ranks = [r["rank"] for r in self.rows if "rank" in r]
        return sum(1 / x for x in ranks if x) / len(ranks) if ranks else None

    def summary(self) -> dict:
        return {"questions": len(self.rows), "found": self.rate("found"), "answer": self.rate("answer"),
                "citation": self.rate("citation"), "offsets": self.rate("offsets"), "R@1": self.recall(1), "R@5": self.recall(5),
                "R@10": self.recall(10), "MRR@10": self.mrr()}


def _holds(text: str, pieces: list[str]) -> bool:
    t = loose(text)
    return any(loose(e) in t for e in pieces)


def _same_province(a: str, b: str) -> bool:
    return bool(b) and fold(a) == fold(b)


def evaluate(index: Store, gold_lines: list[dict], progress: Callable[[int, int], None] | None = None) -> Evaluation:
    """Run ask and search on every gold question and compare with its expected answer and evidence; `offsets`
    checks that every citation's offsets slice its file to its text. `progress(done, total)` after each."""
    out = Evaluation()
    for n, g in enumerate(gold_lines):
        if progress:
            progress(n, len(gold_lines))
        q = g["question"]
        unanswerable = g.get("kind") == "unanswerable"
        ans = ask(index, q)
        row = {"id": g.get("id", ""), "question": q, "found": ans.found != unanswerable, "answer_text": ans.answer}
        row["offsets"] = all(_source(c.path)[c.start:c.end] == c.text for c in ans.citations)
        text = loose(ans.answer)
        if not unanswerable and (g.get("answer_any") or g.get("answer_all")):
            row["answer"] = ans.found and all(loose(x) in text for x in g.get("answer_all", [])) and (
                not g.get("answer_any") or any(loose(x) in text for x in g["answer_any"]))
        if g.get("evidence_any"):
            c0 = ans.citations[0] if ans.citations else None
            row["citation"] = bool(c0) and _same_province(c0.province, g.get("province", "")) and \
                _holds(c0.text, g["evidence_any"])
            row["rank"] = search_rank(index, g)
        out.rows.append(row)
    if progress:
        progress(len(gold_lines), len(gold_lines))
    return out


@lru_cache(maxsize=64)
def _source(path: str) -> str:
    with open(path, encoding="utf-8") as f:  # as the JSON contract reads it
        return f.read()


def search_rank(index: Store, g: dict, k: int = 10, rankers: tuple[str, ...] = RANKERS) -> int | None:
    """The rank (from 1) of the first of the k hits that holds the gold evidence in the gold province."""
    hits = search(index, g["question"], k, rankers=rankers)
    return next((i for i, h in enumerate(hits, 1) if _same_province(h.document.metadata.province or "",
                                                                    g.get("province", ""))
                 and _holds(h.paragraph.text, g["evidence_any"])), None)


def read_gold(path: str) -> list[dict]:
    """The questions of a gold file (JSON lines); ValueError names the file, the line and what is wrong."""
    try:
        with open(path, encoding="utf-8-sig") as f:
            raw = f.read().splitlines()
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as e:
        raise ValueError(f"{path}: cannot be read as UTF-8 text ({e.__class__.__name__})") from None
    lines = []
    for n, line in enumerate(raw, 1):
        if not line.strip():
            continue
        try:
            g = json.loads(line)
        except ValueError as e:
            raise ValueError(f"{path}: line {n}: not JSON ({e})") from None
        if not isinstance(g, dict) or not isinstance(g.get("question"), str):
            raise ValueError(f"{path}: line {n}: expected an object with a 'question' string")
        lines.append(g)
    return lines
