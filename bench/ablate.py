"""Each ranker alone, each left out, and the fusion, on gold question files: R@1, R@5, MRR@10; writes
docs/ABLATION.md stamped with the commit.

usage: python bench/ablate.py [--out docs/ABLATION.md] GOLD=INDEX ...
e.g.   python bench/ablate.py ../shared/eval/dev.jsonl=index ../shared/eval/dev2.jsonl=index-dev2
"""
from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

from khsearch.evaluate import read_gold, search_rank
from khsearch.index import open_index
from khsearch.retrieve import RANKERS


def configurations() -> dict[str, tuple[str, ...]]:
    out = {"fusion": RANKERS}
    out |= {f"{r} alone": (r,) for r in RANKERS}
    out |= {f"without {r}": tuple(x for x in RANKERS if x != r) for r in RANKERS}
    return out


def scores(ranks: list[int | None]) -> tuple[float, float, float]:
    n = len(ranks) or 1
    return (sum(r == 1 for r in ranks) / n, sum(bool(r) and r <= 5 for r in ranks) / n,
            sum(1 / r for r in ranks if r) / n)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("pairs", nargs="+", metavar="GOLD=INDEX")
    ap.add_argument("--out", default="docs/ABLATION.md")
    a = ap.parse_args()
    sets = []
    for pair in a.pairs:
        gold, _, index = pair.partition("=")
        lines = [g for g in read_gold(gold) if g.get("evidence_any")]
        sets.append((Path(gold).name, lines, open_index(index or "index")))
    rows, every = [], {}
    for name, rankers in configurations().items():
        cells, all_ranks = [], []
        for label, lines, index in sets:
            ranks = [search_rank(index, g, rankers=rankers) for g in lines]
            all_ranks += ranks
            cells.append(scores(ranks))
        every[name] = scores(all_ranks)
        rows.append((name, cells, every[name]))
        print(name, " ".join(f"{c[2]:.3f}" for c in cells), f"all {every[name][2]:.3f}", file=sys.stderr, flush=True)
    best_single = max((v[2], k) for k, v in every.items() if k.endswith(" alone"))
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "khsearch"], capture_output=True, text=True).stdout.strip()
    head = " | ".join(f"{label} R@1 | R@5 | MRR@10" for label, _, _ in sets)
    lines = [f"# Rankers, alone and together\n",
             f"Written by `python bench/ablate.py {' '.join(a.pairs)}` on commit {commit}"
             f"{' (with uncommitted changes in khsearch/)' if dirty else ''}; questions with evidence only "
             f"({', '.join(f'{label}: {len(g)}' for label, g, _ in sets)}). A rank counts when the paragraph "
             "holds the evidence and is in the question's province.\n",
             f"| configuration | {head} | all MRR@10 |", "|---" * (2 + 3 * len(sets)) + "|"]
    for name, cells, total in rows:
        lines.append(f"| {name} | " + " | ".join(f"{c[0]:.3f} | {c[1]:.3f} | {c[2]:.3f}" for c in cells)
                     + f" | {total[2]:.3f} |")
    gain = every["fusion"][2] - best_single[0]
    lines.append(f"\nFusion minus the best single ranker ({best_single[1]}): {gain:+.3f} MRR@10 over all questions.")
    Path(a.out).write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
