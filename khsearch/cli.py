"""The `khsearch` command: a thin layer over the public API that owns all output."""
from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from pathlib import Path

from .index import DEFAULT_INDEX, IndexError_

EXIT_OK, EXIT_ERROR, EXIT_PARTIAL = 0, 1, 3


def _json(obj) -> str:
    return json.dumps(obj, ensure_ascii=False)


def _batch(path: str):
    """JSON objects, one per line, from a file or '-' (stdin); a bad line becomes an error object."""
    fh = sys.stdin.buffer if path == "-" else open(path, "rb")
    with fh:
        for n, raw in enumerate(fh, 1):
            try:
                line = raw.decode("utf-8-sig" if n == 1 else "utf-8")  # Notepad starts a file with a BOM
                if not line.strip():
                    continue
                obj = json.loads(line)
                if not isinstance(obj, dict):
                    raise ValueError("not a JSON object")
                if not isinstance(obj.get("province") or "", str):
                    raise ValueError("'province' must be a string")
            except ValueError as e:
                obj = {"_error": f"{path}: line {n}: {e}"}
            yield obj


def _text(value) -> str:
    """A query as printable text: lone surrogates (bad bytes in argv, '\\ud800' in JSON) become U+FFFD."""
    return str(value or "").encode("utf-8", "surrogatepass").decode("utf-8", "replace")


def _positive(value: str) -> int:
    k = int(value)
    if k < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, not {value}")
    return k


def cmd_index(a) -> int:
    from tqdm import tqdm

    from .index import Report
    from .stores import build
    bars = {}

    def progress(stage, done, total):
        if a.quiet:
            return
        if stage == "searchable":  # the update can be searched by its words; vectors and facts follow
            if "read" in bars:
                bars.pop("read").close()
            if done:
                names = ", ".join(report.waiting[:5]) + (f" and {done - 5} more" if done > 5 else "")
                print(f"khsearch: searchable now by words; computing vectors for {done} of {total} plans: {names}",
                      file=sys.stderr)
            return
        if stage not in bars:
            bars[stage] = tqdm(total=total, desc={"read": "reading", "embed": "embedding"}[stage],
                               unit=" files" if stage == "read" else " tokens", unit_scale=stage == "embed",
                               mininterval=1.0, smoothing=0, dynamic_ncols=True, file=sys.stderr,
                               disable=None)  # no bar when stderr is a log file: the summary line has the rate
        bars[stage].update(done - bars[stage].n)

    report = Report()  # filled as the update goes: the progress line names the plans still waiting for vectors
    build(a.paths or ["corpus"], a.index, a.embedder, progress, rebuild=a.rebuild, report=report, store=a.store)
    for b in bars.values():
        b.close()
    for path, reason in report.failed:
        print(f"khsearch: skipped {path}: {reason}", file=sys.stderr)
    for path, same in report.duplicates:
        print(f"khsearch: skipped {path}: same content as {same}", file=sys.stderr)
    for path, reason in report.ignored:
        print(f"khsearch: ignored {path}: {reason}", file=sys.stderr)
    print(f"{len(report.added)} added, {len(report.updated)} updated, {len(report.unchanged)} unchanged, "
          f"{len(report.removed)} removed, {len(report.failed)} failed, {len(report.duplicates)} duplicate, "
          f"{len(report.ignored)} not plans; {report.embedded} paragraphs embedded"
          + (f" ({report.tokens:,} tokens, {report.tokens / report.embed_seconds:,.0f} tokens/s)"
             if report.tokens and report.embed_seconds else "")
          + f", {report.reused} reused; {report.seconds:.1f} s"
          + (f" (searchable after {report.searchable_after:.1f} s)" if report.searchable_after else ""), file=sys.stderr)
    return EXIT_OK if report.ok else EXIT_PARTIAL


def _open(a):
    from .stores import address, open_index
    idx = open_index(a.index, store=a.store)
    if getattr(a, "embedder", None) and a.embedder != idx.embedder_name:
        where = address(a.store, a.index)
        fix = (f"rebuild with 'khsearch index --index {where} --embedder {a.embedder} --rebuild'"
               if where.scheme == "folder" else f"index the plans into another collection with --embedder {a.embedder}")
        raise IndexError_(f"{where} was built with embedder '{idx.embedder_name}', not '{a.embedder}': {fix}")
    return idx


def _requests(a, key: str):
    """(text, province) for each question: the words on the command line, or each line of --batch.

    A batch line that is not a JSON object yields (None, its error) so the output keeps one line per input.
    """
    if not a.batch:
        text = _text(" ".join(getattr(a, key)))
        if not text.strip() and not a.json:  # --json answers every query with one line, as a program expects
            raise ValueError(f"give a {key} (khsearch {a.command} '...'), or --batch FILE with one per line")
        yield text, a.province
        return
    for obj in _batch(a.batch):
        if "_error" in obj:
            yield None, obj["_error"]
        else:
            yield _text(obj.get(key) or obj.get("question") or obj.get("query")), obj.get("province") or a.province


def cmd_search(a) -> int:
    from .retrieve import scope, search
    idx = _open(a)
    for text, province in _requests(a, "query"):
        if text is None:
            print(_json({"query": None, "hits": [], "error": province}) if a.json else province, flush=True)
            continue
        hits = search(idx, text, a.k, province)
        note = scope(idx, text, province).note() if province else ""  # a --province the query contradicts
        if a.json:
            out = {"query": text, "hits": [h.citation().to_dict() for h in hits]} | ({"note": note} if note else {})
            print(_json(out), flush=True)
            continue
        print(f"# {text}" + (f"\n# {note}" if note else ""))
        for n, h in enumerate(hits, 1):
            c = h.citation()
            print(f"{n}. [{c.score:.3f}] {c.province} | {c.document} | {c.section} {c.heading}")
            print("   " + " ".join(c.plain.split())[:300])
    return EXIT_OK


def cmd_ask(a) -> int:
    from .answer import ask
    idx = _open(a)
    for text, province in _requests(a, "question"):
        if text is None:
            print(_json({"question": None, "found": False, "answer": province, "citations": []})
                  if a.json else province, flush=True)
            continue
        ans = ask(idx, text, province, a.k)
        if a.json:
            print(_json(ans.to_dict()), flush=True)
            continue
        print(ans.answer)
        for n, c in enumerate(ans.citations[:3 if ans.found else 0], 1):
            print(f"[{n}] {c.province} | {c.document} | mục {c.section or '—'} {c.heading}")
            print("    " + " ".join(c.plain.split()))
    return EXIT_OK


def cmd_compare(a) -> int:
    from .compare import compare, rows_to_csv, rows_to_markdown
    rows = compare(_open(a), " ".join(a.topic), a.province)
    if a.json:
        print(_json([r.to_dict() for r in rows]))
    elif a.csv:
        sys.stdout.write("\ufeff" + rows_to_csv(rows))  # the BOM lets Excel read Vietnamese
    else:
        print(rows_to_markdown(rows))
    return EXIT_OK


def cmd_facts(a) -> int:
    from .compare import plan_facts
    idx = _open(a)
    found_a, found_t = plan_facts(idx, a.province, a.agency)
    if not found_a and not found_t:
        where = f" in the plans of {a.province}" if a.province else ""
        print(f"khsearch: no assignment of {a.agency!r}{where}; 'khsearch facts' without --agency lists the "
              "agencies the plans name" if a.agency else f"khsearch: no assignment or target found{where}",
              file=sys.stderr)
    if a.json:
        print(_json({"assignments": [x.to_dict() for x in found_a], "targets": [t.to_dict() for t in found_t]}))
        return EXIT_OK
    for x in found_a:
        d = next(p for p in idx.documents.values() if p.doc_id == x.doc_id)
        print(f"{d.metadata.province} | {x.agency} ({x.role}) | {x.task[:140]}")
    for t in found_t:
        d = idx.documents[t.doc_id]
        print(f"{d.metadata.province} | {t.comparator + ' ' if t.comparator else ''}{t.value} {t.unit}"
              f"{' | ' + t.deadline if t.deadline else ''} | {t.phrase[:140]}")
    return EXIT_OK


def cmd_eval(a) -> int:
    from tqdm import tqdm

    from .evaluate import evaluate, read_gold
    gold = read_gold(a.gold)
    with tqdm(total=len(gold), desc="questions", unit="", file=sys.stderr, disable=None if not a.quiet else True,
              mininterval=1.0) as bar:
        ev = evaluate(_open(a), gold, progress=lambda done, total: bar.update(done - bar.n))
    if a.json:
        for r in ev.rows:
            print(_json(r))
    summary = ev.summary()
    print("  ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}" for k, v in summary.items()))
    missed = [r["id"] for r in ev.rows if not all(r.get(k, True) for k in ("found", "answer", "citation"))]
    print("missed:", " ".join(missed) or "none")
    return EXIT_OK


def cmd_serve(a) -> int:
    from .ui import serve
    try:
        import gradio  # noqa: F401  (only to know whether the page can start)
    except ImportError:
        print("khsearch: the chat page needs gradio: pip install -e '.[ui]' in your khsearch clone (or make serve). "
              "An example question instead:",
              file=sys.stderr)
        a.question, a.json, a.batch, a.k, a.province, a.embedder = \
            ["Cơ quan nào chủ trì mở rộng điều trị Methadone ở Cà Mau?"], False, None, 3, None, None
        return cmd_ask(a)
    serve(a.index, host=a.host, port=a.port, data_dir=a.data, store=a.store)
    return EXIT_OK


def cmd_parse(a) -> int:
    from .metadata import apply_sidecar, extract
    from .parse import parse_paragraphs
    from .read import read
    src = read(a.file)
    paras = parse_paragraphs(src.text, Path(a.file).stem)
    meta = apply_sidecar(extract(paras, src.text), Path(a.file))
    if a.json:
        print(_json({"metadata": meta.to_dict(), "paragraphs": [p.to_dict() for p in paras]}))
        return EXIT_OK
    for k, v in meta.to_dict().items():
        print(f"{k:9s} {v if v is not None else '—'}")
    print()
    for p in paras:
        depth = p.section.count(".") + (1 if p.section else 0)
        print(f"{'  ' * depth}{p.section or '·'} [{p.kind}] {' '.join(p.plain.split())[:110]}")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="khsearch", description="Search and cited answers over Vietnamese plans.")
    sub = ap.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--index", default=os.environ.get("KHSEARCH_INDEX", DEFAULT_INDEX),
                        help="index folder (default: ./index or $KHSEARCH_INDEX)")
    common.add_argument("--store", default=os.environ.get("KHSEARCH_STORE"), metavar="ADDRESS",
                        help="where the index lives instead of --index: qdrant://HOST:PORT/COLLECTION (a Qdrant "
                        "server or cluster), qdrant+local:PATH (qdrant-client's local mode), or a folder "
                        "(default: $KHSEARCH_STORE)")

    p = sub.add_parser("index", parents=[common], help="build or update the index from plan files")
    p.add_argument("paths", nargs="*", help="files or folders (default: corpus/)")
    p.add_argument("--embedder", help="e5-small (default), none (search by words only, nothing embedded), hash, "
                   "sentence-transformers:<name-or-path>")
    p.add_argument("--rebuild", action="store_true", help="re-parse every file (unchanged vectors are reused)")
    p.add_argument("-q", "--quiet", action="store_true")
    p.set_defaults(run=cmd_index)

    p = sub.add_parser("search", parents=[common], help="the paragraphs that best match a query")
    p.add_argument("query", nargs="*")
    p.add_argument("-k", type=_positive, default=10)
    p.add_argument("--province")
    p.add_argument("--json", action="store_true")
    p.add_argument("--embedder", help="fail unless the index was built with this embedder")
    p.add_argument("--batch", metavar="FILE", help="JSON lines {\"query\": ...} from FILE or - (stdin)")
    p.set_defaults(run=cmd_search)

    p = sub.add_parser("ask", parents=[common], help="a short cited answer to a question")
    p.add_argument("question", nargs="*")
    p.add_argument("-k", type=_positive, default=5, help="citations to return")
    p.add_argument("--province")
    p.add_argument("--json", action="store_true")
    p.add_argument("--embedder", help="fail unless the index was built with this embedder")
    p.add_argument("--batch", metavar="FILE", help="JSON lines {\"question\": ...} from FILE or - (stdin)")
    p.set_defaults(run=cmd_ask)

    p = sub.add_parser("compare", parents=[common], help="how the plans compare on a topic")
    p.add_argument("topic", nargs="+")
    p.add_argument("--province", nargs="+", action="extend", metavar="P",
                   help="only these provinces, as you spell them ('Cà Mau' 'thai binh'); repeatable")
    fmt = p.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")
    fmt.add_argument("--markdown", action="store_true", help="a Markdown table (the default)")
    p.set_defaults(run=cmd_compare)

    p = sub.add_parser("facts", parents=[common], help="who does what, and the targets, of the indexed plans")
    p.add_argument("--province")
    p.add_argument("--agency")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_facts)

    p = sub.add_parser("eval", parents=[common], help="score on your own gold questions (dev.jsonl format)")
    p.add_argument("gold")
    p.add_argument("--json", action="store_true", help="one line per question as well")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=cmd_eval)

    p = sub.add_parser("serve", parents=[common], help="the chat page (Gradio)")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=7860)
    p.add_argument("--data", metavar="DIR", help="folder that plans added on the page are saved to (default: "
                   "INDEX-data beside the index folder, e.g. ./index-data for --index index); never the source "
                   "folder. 'khsearch index' keeps them in the index as long as the files stay there")
    p.set_defaults(run=cmd_serve)

    p = sub.add_parser("parse", help="show the paragraph tree and metadata of a plan")
    p.add_argument("file")
    p.add_argument("--json", action="store_true")
    p.set_defaults(run=cmd_parse)
    return ap


def main(argv=None) -> int:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.getLogger("bm25s").setLevel(logging.WARNING)  # it logs every index build at DEBUG
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    a = build_parser().parse_args(argv)
    try:
        return a.run(a)
    except BrokenPipeError:  # output piped into head and the like
        return EXIT_OK
    except IndexError_ as e:
        print(f"khsearch: {e}", file=sys.stderr)
        return EXIT_ERROR
    except Exception as e:  # the CLI never shows a traceback for a user's input
        from .read import ReadError
        if isinstance(e, (ReadError, ValueError, OSError)):
            print(f"khsearch: {e}", file=sys.stderr)
            return EXIT_ERROR
        raise


if __name__ == "__main__":
    sys.exit(main())
