"""The index folder, khsearch's default store: parsed plans, paragraph vectors and lexical arrays, updated
incrementally and atomically. (khsearch.qdrant keeps the same index in Qdrant; khsearch.stores picks one.)

Layout of an index folder:
    CURRENT               name of the live generation (replaced atomically)
    gen-000007/           manifest.json, documents.jsonl, paragraphs.jsonl, facts.jsonl, vectors.faiss,
                          vector_keys.json, lexical-words/, lexical-folded/ (bm25s), terms-words.npz,
                          terms-folded.npz (each paragraph's terms as ids into the bm25s vocabulary), texts/

An update is published twice: first with the lexical indexes and the vectors it already had (the new
paragraphs are searchable by their words at once, `manifest["pending"]` lists the rows still without a
vector), then, once their passages are embedded and their assignments and targets read, with every vector
and the facts of every document (facts.jsonl).
"""
from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import os
import re
import shutil
import time
import unicodedata
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np

from . import __version__
from .embed import Embedder, get_embedder
from .metadata import apply_sidecar, extract, sidecar_path
from .normalize import expand_abbreviations, folded_terms, words
from .parse import CONTENT_KINDS, parse_paragraphs
from .read import ReadError, discover, read
from .records import Assignment, Document, Paragraph, Target

FORMAT = 1
DEFAULT_INDEX = "index"


class IndexError_(Exception):
    """An index that cannot be used as it is, with the way to fix it."""


def _fix(root) -> str:
    return f"rebuild it from the plan files with 'khsearch index PATHS --index {root} --rebuild'"


@dataclass
class Report:
    """What an indexing run did, file by file."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    ignored: list[tuple[str, str]] = field(default_factory=list)  # files of a folder that are not plans
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (path, doc_id it repeats)
    embedded: int = 0
    reused: int = 0
    seconds: float = 0.0
    searchable_after: float | None = None  # seconds until the update could be searched by its words
    tokens: int = 0  # embedder tokens of the passages embedded
    embed_seconds: float = 0.0
    waiting: list[str] = field(default_factory=list)  # doc_ids searchable by words, their vectors still to come

    @property
    def ok(self) -> bool:
        return not self.failed


HEADING_MAX = 140  # longer chain entries are whole list items that a paragraph continues, not headings


def passage(p: Paragraph) -> str:
    """What a paragraph is embedded and matched as: its headings, a table row's column names, then its text."""
    columns = ["; ".join(p.table_header)] if p.kind == "table_row" and p.table_header else []
    return " > ".join([h for h in p.headings if len(h) <= HEADING_MAX] + columns + [p.plain])


def terms(p: Paragraph) -> dict:
    text = passage(p)
    extra = expand_abbreviations(text)
    return {"words": words(text + " " + extra), "folded": folded_terms(text + " " + extra)}


FIELDS = ("words", "folded")  # the two lexical rankers: underthesea words, accent-folded syllables and pairs
EMPTY = "∅"  # the term of a paragraph that has none, so that bm25s gets no empty document


@dataclass
class Lexicon:
    """Paragraphs' lexical terms as ids into one vocabulary per field: what an update needs of the terms of the
    paragraphs it does not re-read, at 4 bytes a term instead of a Python string."""

    vocab: dict[str, dict[str, int]] = field(default_factory=lambda: {f: {} for f in FIELDS})  # ids in order
    rows: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # paragraph id -> field -> term ids

    def add(self, paragraph_id: str, found: dict[str, list[str]]):
        """Store a paragraph's terms (as `terms()` gives them), giving new words the next ids."""
        self.rows[paragraph_id] = {f: np.fromiter((self.vocab[f].setdefault(t, len(self.vocab[f]))
                                                   for t in [t for t in found[f] if t] or [EMPTY]), np.int32)
                                   for f in FIELDS}

    def save(self, folder: Path, paragraph_ids: list[str]) -> dict[str, tuple[list[list[int]], dict[str, int]]]:
        """Write the terms of `paragraph_ids`, in that order, with a vocabulary of only the words they use;
        returns per field what bm25s indexes: (term ids per paragraph, vocabulary)."""
        out = {}
        for f in FIELDS:
            rows = [self.rows[p][f] for p in paragraph_ids]
            used, ids = np.unique(np.concatenate(rows) if rows else np.zeros(0, np.int32), return_inverse=True)
            starts = np.concatenate([[0], np.cumsum([len(r) for r in rows], dtype=np.int64)])
            tokens = list(self.vocab[f])  # by id
            np.savez(folder / f"terms-{f}.npz", ids=ids.astype(np.int32), starts=starts)
            out[f] = ([ids[a:b].tolist() for a, b in zip(starts[:-1], starts[1:])],
                      {tokens[u]: i for i, u in enumerate(used.tolist())})
        return out


def content_key(p: Paragraph) -> str:
    return hashlib.sha256(passage(p).encode("utf-8")).hexdigest()[:32]


class Index:
    """A loaded generation: documents, searchable paragraphs, their vectors and lexical indexes."""

    def __init__(self, root: Path, gen: Path):
        self.root, self.gen = root, gen
        try:
            self.manifest = json.loads((gen / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, ValueError) as e:
            raise IndexError_(f"{gen}/manifest.json is unreadable ({e}); {_fix(root)}") from None
        if not isinstance(self.manifest, dict) or not {"format", "embedder", "dim"} <= set(self.manifest):
            raise IndexError_(f"{gen}/manifest.json is not a khsearch manifest; {_fix(root)}")
        if self.manifest.get("format") != FORMAT:
            raise IndexError_(f"{root} was written by khsearch {self.manifest.get('khsearch')} in format "
                              f"{self.manifest.get('format')}, this is format {FORMAT}: rebuild it with "
                              f"'khsearch index --index {root}'")
        def load(name, parse):
            try:
                return parse(gen / name)
            except (OSError, ValueError, KeyError, TypeError) as e:
                raise IndexError_(f"{gen / name} is damaged ({e.__class__.__name__}: {e}); {_fix(root)}") from None

        paras = load("paragraphs.jsonl", lambda f: [Paragraph.from_dict(json.loads(l)) for l in _lines(f)])
        by_doc: dict[str, list[Paragraph]] = {}
        for p in paras:
            by_doc.setdefault(p.doc_id, []).append(p)
        self.documents = load("documents.jsonl", lambda f: {
            d["doc_id"]: Document.from_dict(d, tuple(by_doc.get(d["doc_id"], ()))) for d in map(json.loads, _lines(f))})
        self.paragraphs = [p for p in paras if p.kind in CONTENT_KINDS]
        self.vector_keys = load("vector_keys.json", lambda f: json.loads(f.read_text(encoding="utf-8")))
        if len(self.paragraphs) != len(self.vector_keys):
            raise IndexError_(f"{gen} is inconsistent: paragraphs.jsonl has {len(self.paragraphs)} searchable "
                              f"paragraphs, vector_keys.json {len(self.vector_keys)} keys; {_fix(root)}")
        self.pending = frozenset(self.manifest.get("pending", ()))  # rows whose vectors are still to come
        self._facts: dict[str, tuple] | None = None  # stored in the generation
        self._worked_out: dict[str, tuple] = {}  # of documents whose facts are not stored yet
        self._load = load
        self._rows: dict[str, list[int]] = {}
        for i, p in enumerate(self.paragraphs):
            self._rows.setdefault(p.doc_id, []).append(i)
        self._vectors = self._lexical = None

    def lexicon(self) -> Lexicon:
        """The stored terms of every searchable paragraph, for an update to reuse (search does not need them)."""
        out = Lexicon()
        for f in FIELDS:
            stored = self._load(f"terms-{f}.npz", np.load)
            ids, starts = stored["ids"], stored["starts"]
            if len(starts) != len(self.paragraphs) + 1 or (len(ids) and ids.max() >= len(self.lexical[f].vocab_dict)):
                raise IndexError_(f"{self.gen / f'terms-{f}.npz'} does not match the generation's "
                                  f"{len(self.paragraphs)} paragraphs; {_fix(self.root)}")
            vocab = self.lexical[f].vocab_dict
            out.vocab[f] = {t: i for i, t in enumerate(sorted(vocab, key=vocab.get)) if t}
            for p, a, b in zip(self.paragraphs, starts[:-1], starts[1:]):
                out.rows.setdefault(p.id, {})[f] = ids[a:b]
        return out

    @property
    def embedder_name(self) -> str:
        return self.manifest["embedder"]

    @property
    def dim(self) -> int:
        return self.manifest["dim"]

    @property
    def version(self) -> str:
        return self.gen.name

    def rank(self, ranker: str, query, docs, depth: int | None) -> tuple[list[Paragraph], np.ndarray]:
        """One ranker's best paragraphs of the plans `docs` (None: all), as `stores.Store.rank` says."""
        from bm25s.selection import topk as bm25s_topk
        rows = None if docs is None else np.sort(np.concatenate([self.rows_of(d) for d in docs] or [np.zeros(0, int)]))
        cand = np.arange(len(self.paragraphs)) if rows is None else rows
        depth = len(cand) if depth is None else depth
        if not len(cand):
            return [], np.zeros(0, np.float32)
        if ranker == "dense":
            qv = np.asarray(query, np.float32)[None, :]
            if rows is None:
                scores, ids = self.vectors.search(qv, min(len(cand), depth))
            else:  # FAISS with a selector, not numpy: BLAS threads left spinning slow the next query's embedding
                import faiss
                params = faiss.SearchParameters(sel=faiss.IDSelectorBatch(cand.astype(np.int64)))
                scores, ids = self.vectors.search(qv, min(len(cand), depth), params=params)
            keep = ids[0] >= 0
            if self.pending:  # rows searchable by their words only until their vectors are in
                keep &= ~np.isin(ids[0], np.fromiter(self.pending, int))
            ids, scores = ids[0][keep], scores[0][keep]
        else:
            # bm25s's top-k over the rows that score at all: its argpartition over all rows slows down many times
            # over on the zeros a filter or a rare word leaves (14 ms instead of 0.5 at 100,000 rows).
            all_scores = self.lexical[ranker].get_scores(list(query))
            hit = cand[all_scores[cand] > 0]
            if not len(hit):
                return [], np.zeros(0, np.float32)
            scores, at = bm25s_topk(all_scores[hit], min(len(hit), depth))
            ids = hit[at]
        return [self.paragraphs[i] for i in ids.tolist()], scores

    def known_terms(self, ranker: str, terms) -> set[str]:
        vocab = self.lexical[ranker].vocab_dict
        return {t for t in terms if t in vocab}

    @property
    def vectors(self):
        """The FAISS index of paragraph vectors, loaded on first use."""
        if self._vectors is None:
            import faiss
            self._still_there()
            try:
                vectors = faiss.read_index(str(self.gen / "vectors.faiss"))
            except RuntimeError as e:
                raise IndexError_(f"{self.gen}/vectors.faiss is unreadable ({e}); {_fix(self.root)}") from None
            if vectors.ntotal != len(self.paragraphs) or vectors.d != self.manifest["dim"]:
                raise IndexError_(f"{self.gen}/vectors.faiss holds {vectors.ntotal} vectors of dimension {vectors.d}, "
                                  f"the index {len(self.paragraphs)} paragraphs of dimension {self.manifest['dim']}; "
                                  f"{_fix(self.root)}")
            self._vectors = vectors
        return self._vectors

    def _still_there(self):
        if not self.gen.is_dir():
            raise IndexError_(f"{self.gen.name} was replaced by later updates after this index was opened: "
                              f"open it again (khsearch.open_index('{self.root}'))")

    @property
    def lexical(self) -> dict:
        """bm25s indexes by field ('words', 'folded'), loaded on first use."""
        if self._lexical is None:
            import bm25s
            self._still_there()
            try:
                self._lexical = {f: bm25s.BM25.load(str(self.gen / f"lexical-{f}"), mmap=True, show_progress=False)
                                 for f in ("words", "folded")}
            except (OSError, ValueError) as e:
                raise IndexError_(f"{self.gen} lexical arrays are unreadable ({e}); {_fix(self.root)}") from None
        return self._lexical

    @property
    def complete(self) -> bool:
        """Whether every paragraph has its vector and every document its facts stored."""
        return not self.pending and all(self._has_facts(d) for d in self.documents)

    def _has_facts(self, doc_id: str) -> bool:
        if self._facts is None:
            path = self.gen / "facts.jsonl"
            self._facts = self._load("facts.jsonl", _read_facts) if path.exists() else {}
        return doc_id in self._facts

    @property
    def waiting(self) -> list[str]:
        """The documents some of whose paragraphs have no vector yet (searchable by their words only)."""
        return sorted({self.paragraphs[i].doc_id for i in self.pending})

    def facts(self, doc_id: str) -> tuple[list[Assignment], list[Target]]:
        """A document's assignments and targets, as read when it was indexed (worked out now if they were not)."""
        if self._has_facts(doc_id):
            return self._facts[doc_id]
        if doc_id not in self._worked_out:
            self._worked_out[doc_id] = document_facts(self.documents[doc_id])
        return self._worked_out[doc_id]

    def document(self, doc_id: str) -> Document:
        return self.documents[doc_id]

    def rows_of(self, doc_id: str) -> np.ndarray:
        """Positions of a document's searchable paragraphs in `paragraphs`, vectors and lexical arrays."""
        return np.asarray(self._rows.get(doc_id, ()), dtype=int)


def open_store(a) -> Index:
    return open_index(a.target)


def build_store(paths, a, **options) -> Report:
    return build(paths, a.target, **options)


def complete_store(a, progress=None) -> int:
    return add_vectors(a.target, progress)


def live_version(a) -> str:
    return (Path(a.target) / "CURRENT").read_text(encoding="utf-8").strip()


def open_index(root=DEFAULT_INDEX) -> Index:
    """Load the live generation of an index folder."""
    root = Path(root)
    current = root / "CURRENT"
    if not current.exists():
        if root.is_dir() and any(root.iterdir()):
            raise IndexError_(f"{root} is not a khsearch index (it has no CURRENT file): give --index the folder an "
                              f"index was built into, or build one from the plans there with 'khsearch index "
                              f"{root} --index index'")
        raise IndexError_(f"no index at {root.resolve()}: build one from your plan files with "
                          f"'khsearch index corpus --index {root}' (corpus: the folder that holds them)")
    try:
        name = current.read_text(encoding="utf-8").strip()
    except (OSError, ValueError) as e:
        raise IndexError_(f"{current} is unreadable ({e}); {_fix(root)}") from None
    if not re.fullmatch(r"gen-\d{6}", name):
        raise IndexError_(f"{current} should name a gen-NNNNNN folder but holds {name[:40]!r}; {_fix(root)}")
    gen = root / name
    if not gen.is_dir():
        raise IndexError_(f"{current} names {gen.name}, which is missing; {_fix(root)}")
    return Index(root, gen)


def _lines(path: Path) -> Iterable[str]:
    with open(path, encoding="utf-8") as f:
        yield from (l for l in f if l.strip())


@contextmanager
def _writer_lock(root: Path):
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise IndexError_(f"another 'khsearch index' is updating {root}; wait for it to finish") from None
        yield


def _doc_id(path: Path, taken: set[str]) -> str:
    base = re.sub(r"[^\w\-]+", "-", path.stem, flags=re.UNICODE).strip("-").lower() or "doc"
    out, n = base, 2
    while out in taken:
        out, n = f"{base}-{n}", n + 1
    return out


def _fingerprint(path: Path, sha: str) -> str:
    side = sidecar_path(path)
    return sha if not side.exists() else hashlib.sha256((sha + side.read_text(encoding="utf-8")).encode()).hexdigest()


def _still_holds(d: Document) -> bool:
    """Whether a document's file still holds the text it was indexed from."""
    try:
        return _fingerprint(Path(d.path), hashlib.sha256(Path(d.path).read_bytes()).hexdigest()) == d.sha256
    except OSError:
        return False


def build(paths, root=DEFAULT_INDEX, embedder: str | Embedder | None = None,
          progress: Callable[[str, int, int], None] | None = None, rebuild: bool = False,
          vectors: bool = True, report: Report | None = None) -> Report:
    """Index the plan files under `paths` into `root`, processing only what changed since the last run.

    Documents whose files still exist keep their place; those whose files are gone are removed.
    `progress(stage, done, total)` is called as files are parsed and paragraphs embedded. `rebuild`, or an
    index written by another khsearch version, re-parses every file (vectors of unchanged passages are reused).
    The update is searchable by its words before its passages are embedded and its facts read; `vectors=False`
    stops there (`add_vectors` completes it later, e.g. in the background). A `report` given is filled as the
    run goes: a progress callback may read `report.waiting` once the update is searchable.
    """
    t0, root, report, paths = time.perf_counter(), Path(root), report or Report(), list(paths)
    if missing := [str(p) for p in paths if not Path(p).exists()]:
        raise ValueError(f"{', '.join(missing)}: no such file or folder; nothing was indexed")
    with _writer_lock(root):
        for debris in [*root.glob(".tmp-gen-*"), *root.glob(".CURRENT.tmp-*"), *root.glob("texts/.*.tmp-*")]:
            shutil.rmtree(debris, ignore_errors=True) if debris.is_dir() else debris.unlink(missing_ok=True)
        old = None
        if (root / "CURRENT").exists():
            try:
                old = open_index(root)
                if rebuild and old.vector_keys:
                    old.vectors  # a damaged vectors.faiss must not stop a rebuild either
            except IndexError_:
                if not rebuild:
                    raise
                old = None  # --rebuild: start again from the plan files
        emb = embedder if isinstance(embedder, Embedder) else get_embedder(
            embedder or (old.embedder_name if old else "e5-small"))
        known = Lexicon()  # the terms of paragraphs not re-read
        rebuild = rebuild or bool(old and old.manifest.get("khsearch") != __version__)
        if old and not rebuild:
            try:
                known = old.lexicon()
            except IndexError_:
                pass  # the stored terms are unreadable: every paragraph's terms are read again
        docs = gather(paths, old.documents.values() if old else (), rebuild, report,
                      lambda doc_id, fp, text: _save_text(root, doc_id, fp, text), progress)
        for path in report.added + report.updated:
            for p in docs[path].paragraphs:
                known.rows.pop(p.id, None)
        if old and old.embedder_name == emb.name and not (report.added or report.updated or report.removed
                                                          or rebuild):
            if (old.pending or not old.complete) and vectors:  # an earlier run stopped before its second step
                report.embedded = _complete(root, old, emb, progress, report)
            report.seconds = time.perf_counter() - t0
            return report
        old_vectors = _old_vectors(old) if old and old.embedder_name == emb.name else {}
        same = [d.doc_id for d in docs.values() if old and not rebuild and d.doc_id in old.documents
                and old.documents[d.doc_id].sha256 == d.sha256]
        old_facts = {d: old.facts(d) for d in same if old._has_facts(d)} if old else {}
        gen = _write(root, sorted(docs.values(), key=lambda d: d.doc_id), emb, old_vectors, known, report,
                     old_facts)
        report.searchable_after = time.perf_counter() - t0
        published = Index(root, gen)
        if progress:
            report.waiting = published.waiting
            progress("searchable", len(published.waiting), len(published.documents))
        if vectors and not published.complete:
            _complete(root, published, emb, progress, report)
    report.seconds = time.perf_counter() - t0
    return report


def gather(paths, indexed: Iterable[Document], rebuild: bool, report: Report,
           save_text: Callable[[str, str, str], str], progress=None, shared: bool = False) -> dict[str, Document]:
    """The documents an update holds, by source path: the `indexed` ones whose files still hold the same text,
    and every new or changed file read and parsed (all of them with `rebuild`). Fills `report`.
    `save_text(doc_id, fingerprint, text)` keeps a UTF-8 copy of a decoded source and returns its path.
    A plan whose file is missing is removed; in a `shared` store, which other machines update too, only when its
    file was under `paths`, where this update looked (elsewhere it may be another machine's file)."""
    looked = [Path(p).resolve() for p in paths]
    docs: dict[str, Document] = {}
    for d in indexed:
        if Path(d.path).exists() or (shared and not any(Path(d.path).is_relative_to(p) for p in looked)):
            docs[d.path] = d
        else:
            report.removed.append(d.path)
    kept = dict(docs)
    seen = {d.sha256: d.doc_id for d in kept.values() if _still_holds(d)}  # content -> the doc that has it
    files = discover(paths, report.ignored)
    for i, f in enumerate(files):
        if progress:
            progress("read", i, len(files))
        f = f.resolve()
        prev = kept.get(str(f))
        try:
            src = read(f)
            if src.native and not unicodedata.is_normalized("NFC", src.text):
                # parse, metadata and facts match NFC patterns: index the composed text, cite a UTF-8 copy of it
                src = dataclasses.replace(src, text=unicodedata.normalize("NFC", src.text), native=False)
            fp = _fingerprint(f, src.sha256)
            if prev and prev.sha256 == fp and not rebuild:
                report.unchanged.append(str(f))
                continue
            if fp in seen and seen[fp] != (prev.doc_id if prev else None):
                report.duplicates.append((str(f), seen[fp]))
                if prev:  # its file now repeats another plan: its old text must not be cited from it
                    del docs[str(f)]
                    report.removed.append(str(f))
                continue
            doc_id = prev.doc_id if prev else _doc_id(f, {d.doc_id for d in docs.values()})
            paras = parse_paragraphs(src.text, doc_id)
            meta = apply_sidecar(extract(paras, src.text), f)
            text_path = None if src.native else save_text(doc_id, fp, src.text)  # offsets count into this copy
            docs[str(f)] = Document(doc_id, str(f), fp, meta, tuple(paras), text_path)
            seen[fp] = doc_id
            (report.updated if prev else report.added).append(str(f))
        except (ReadError, ValueError) as e:
            report.failed.append((str(f), e.reason if isinstance(e, ReadError) else str(e)))
    return docs


def add_vectors(root=DEFAULT_INDEX, progress: Callable[[str, int, int], None] | None = None) -> int:
    """Complete what an update left for later (vectors, facts) and publish it; returns how many rows were embedded."""
    root = Path(root)
    with _writer_lock(root):
        idx = open_index(root)
        return _complete(root, idx, get_embedder(idx.embedder_name), progress) if not idx.complete else 0


def _complete(root: Path, idx: Index, emb: Embedder, progress, report: Report | None = None) -> int:
    """Embed the pending rows of a generation, read the facts of its documents that have none stored, and
    publish it again with them (its other files are shared); returns how many rows were embedded."""
    import faiss

    rows = sorted(idx.pending)
    vecs = idx.vectors.reconstruct_n(0, idx.vectors.ntotal) if idx.vectors.ntotal else np.zeros((0, emb.dim))
    texts = [passage(idx.paragraphs[i]) for i in rows]
    total = sum(emb.tokens(t) for t in texts) if (progress or report) and texts else 0
    done = [0]

    def tick(tokens):
        done[0] += tokens
        progress("embed", done[0], total)
    if total and progress:
        progress("embed", 0, total)  # the bar starts with the work, so its first rate is a real one
    t = time.perf_counter()
    vecs[rows] = emb.passages(texts, progress=tick if total and progress else None)
    if report:
        report.tokens, report.embed_seconds = total, time.perf_counter() - t
    flat = faiss.IndexFlatIP(emb.dim)
    if len(vecs):
        flat.add(np.ascontiguousarray(vecs, dtype=np.float32))

    facts = {d: idx.facts(d) for d in idx.documents}  # those the first publication left to work out

    def fill(tmp: Path):
        _dump_jsonl(tmp / "facts.jsonl", _facts_rows(facts))
        for f in idx.gen.iterdir():
            if f.name not in ("vectors.faiss", "manifest.json", "facts.jsonl"):
                shutil.copytree(f, tmp / f.name, copy_function=os.link) if f.is_dir() else os.link(f, tmp / f.name)
        faiss.write_index(flat, str(tmp / "vectors.faiss"))
        manifest = {k: v for k, v in idx.manifest.items() if k != "pending"}
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    _publish(root, fill, prune=False)
    return len(rows)


def _old_vectors(old: Index | None) -> dict[str, np.ndarray]:
    if old is None or not old.vector_keys:
        return {}
    vecs = old.vectors.reconstruct_n(0, old.vectors.ntotal)
    return dict(zip(old.vector_keys, vecs))


def _save_text(root: Path, doc_id: str, fingerprint: str, text: str) -> str:
    """A UTF-8 copy of a decoded source, named by content so that no generation's copy is overwritten."""
    path = root / "texts" / f"{doc_id}-{fingerprint[:12]}.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        _atomic_write(path, text)
    return str(path.resolve())


def _write(root, docs, emb, old_vectors, known, report, old_facts=None) -> Path:
    """Publish a generation of `docs`: lexical indexes, the vectors and facts already known, the others pending."""
    import bm25s
    import faiss

    paras = [p for d in docs for p in d.paragraphs]
    searchable = [p for p in paras if p.kind in CONTENT_KINDS]
    keys = [content_key(p) for p in searchable]
    vecs = np.zeros((len(searchable), emb.dim), np.float32)
    pending = []
    for i, k in enumerate(keys):
        if k in old_vectors:
            vecs[i] = old_vectors[k]
        elif emb.dim:  # '--embedder none': nothing to wait for
            pending.append(i)
    report.embedded, report.reused = len(pending), sum(k in old_vectors for k in keys)
    for p in searchable:
        if p.id not in known.rows:
            known.add(p.id, terms(p))
    manifest = {"khsearch": __version__, "format": FORMAT, "embedder": emb.name, "dim": emb.dim,
                "created": time.strftime("%Y-%m-%dT%H:%M:%S"), "paragraphs": len(searchable),
                "documents": {d.doc_id: {"path": d.path, "sha256": d.sha256, "paragraphs": len(d.paragraphs)}
                              for d in docs}, "pending": pending}

    def fill(tmp: Path):
        _dump_jsonl(tmp / "documents.jsonl", (d.to_dict() for d in docs))
        _dump_jsonl(tmp / "paragraphs.jsonl", (p.to_dict() for p in paras))
        (tmp / "vector_keys.json").write_text(json.dumps(keys), encoding="utf-8")
        flat = faiss.IndexFlatIP(emb.dim)
        if len(vecs):
            flat.add(vecs)
        faiss.write_index(flat, str(tmp / "vectors.faiss"))
        for f, (ids, vocab) in known.save(tmp, [p.id for p in searchable]).items():
            bm = bm25s.BM25()
            bm.index((ids, vocab) if ids else ([[0]], {EMPTY: 0}), show_progress=False)
            bm.save(str(tmp / f"lexical-{f}"), show_progress=False)
        _dump_jsonl(tmp / "facts.jsonl", _facts_rows(old_facts or {}))
        (tmp / "manifest.json").write_text(json.dumps(manifest, ensure_ascii=False, indent=1), encoding="utf-8")
    return _publish(root, fill, docs)


def document_facts(doc: Document) -> tuple[list[Assignment], list[Target]]:
    from .facts import document_assignments, document_targets  # facts reads agencies, places, cue tables
    return document_assignments(doc), document_targets(doc)


def _facts_rows(facts: dict[str, tuple]):
    for doc_id, (found_a, found_t) in facts.items():
        yield {"doc_id": doc_id, "assignments": [a.to_dict() for a in found_a], "targets": [t.to_dict() for t in found_t]}


def _read_facts(path: Path) -> dict[str, tuple]:
    rows = (json.loads(l) for l in _lines(path))
    return {r["doc_id"]: ([Assignment(**a) for a in r["assignments"]], [Target(**t) for t in r["targets"]])
            for r in rows}


def _publish(root: Path, fill: Callable[[Path], None], docs=None, prune: bool = True) -> Path:
    """Write a new generation with `fill(folder)`, make it live, and (`prune`) drop the generations no reader
    needs: all but the one that was live. An update's second publication prunes nothing, so that readers of
    the generation before the update keep it until the next update."""
    gens = sorted(root.glob("gen-*"))
    live = (root / "CURRENT").read_text(encoding="utf-8").strip() if (root / "CURRENT").exists() else None
    number = int(gens[-1].name.split("-")[1]) + 1 if gens else 1
    tmp = root / f".tmp-gen-{os.getpid()}-{number:06d}"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    fill(tmp)
    _fsync_tree(tmp)
    gen = root / f"gen-{number:06d}"
    os.rename(tmp, gen)
    _atomic_write(root / "CURRENT", gen.name)
    for g in gens if prune else ():  # keep the generation that was live: readers may have it open
        if g.name != live:
            shutil.rmtree(g, ignore_errors=True)
    if docs is not None:
        _remove_unused_texts(root, [root / live] if live else [], docs)
    return gen


def _remove_unused_texts(root: Path, older: list[Path], docs) -> None:
    used = {d.text_path for d in docs if d.text_path}
    for g in older:
        try:
            used |= {json.loads(l).get("text_path") for l in _lines(g / "documents.jsonl")}
        except OSError:
            pass
    for t in (root / "texts").glob("*.txt"):
        if str(t.resolve()) not in used:
            t.unlink(missing_ok=True)


def _dump_jsonl(path: Path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")


def _atomic_write(path: Path, text: str):
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "w", encoding="utf-8", newline="") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def _fsync_tree(folder: Path):
    for p in folder.rglob("*"):
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())
