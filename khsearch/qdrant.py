"""The index in Qdrant: the same search as the index folder, on a server or cluster (or qdrant-client's local mode).

A store 'qdrant://HOST:PORT/NAME' (or 'qdrant+local:PATH', collection 'khsearch') is two collections:

    NAME            one point per paragraph of every document version. Payload: `paragraph` (the record),
                    `doc_id`, `key` (the document version, 'doc_id@update'), `n` (position in its document),
                    `province`, `year`, `kind`, `section`, `content` (the passage's content key). Searchable
                    paragraphs carry the sparse vectors 'words' and 'folded' (khsearch's own terms, BM25
                    weights, Qdrant's IDF modifier) and, once embedded, the dense vector 'dense' (cosine).
    NAME-documents  one point per document version (its record, its facts, the decoded text of a source that is
                    not UTF-8 text) and the manifest (point MANIFEST): embedder, khsearch version, the live
                    version of each document with its file's sha256, the versions readers must skip, the BM25
                    length statistics.

Fusion stays khsearch's own: each ranker is one Qdrant query (filtered by doc_id), fused as for the folder.
An update writes the new versions' points under new keys while readers skip them, switches the manifest,
then deletes the versions it replaced: a killed update leaves each document at its old or its new version.
"""
from __future__ import annotations

import hashlib
import os
import socket
import threading
import time
import uuid
import weakref
from contextlib import contextmanager, nullcontext
from functools import lru_cache
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from . import __version__
from .embed import Embedder, get_embedder
from .index import (EMPTY, FIELDS, FORMAT, IndexError_, Report, _atomic_write, _remove_unused_texts, _save_text,
                    content_key, document_facts, gather, passage, terms)
from .parse import CONTENT_KINDS
from .records import Assignment, Document, Paragraph, Target

LOCAL_COLLECTION = "khsearch"
MANIFEST = "00000000-0000-0000-0000-000000000000"
LEASE = "00000000-0000-0000-0000-000000000001"  # who is updating the store
LEASE_SECONDS = 300  # a writer not heard from for this long is taken to be dead
BATCH = 256  # points per request
ANCHOR_SAMPLE = 20_000  # paragraphs of an update that set BM25's average lengths (all of a smaller update)
FACTS_PER_WRITE = 50  # documents whose facts are stored between two writes of the manifest
_NS = uuid.UUID("6f0d1c2e-57a8-4b8e-9a53-6b68737263e1")


def _client_module():
    try:
        import qdrant_client
        from qdrant_client import models
    except ImportError:
        raise IndexError_("a Qdrant store needs qdrant-client: pip install -e '.[qdrant]' in your khsearch clone") \
            from None
    return qdrant_client, models


def _point_id(text: str) -> str:
    return str(uuid.uuid5(_NS, text))


@lru_cache(maxsize=1 << 18)
def term_id(term: str) -> int:
    """A term's index in the sparse vectors: a 32-bit hash, the same in every process and on every node."""
    return int.from_bytes(hashlib.blake2b(term.encode("utf-8"), digest_size=4).digest(), "little")


@lru_cache(maxsize=1)
def _bm25_parameters() -> tuple[float, float]:
    """k1 and b of the folder's bm25s index, so that both stores score a term alike."""
    import bm25s
    bm = bm25s.BM25()
    return bm.k1, bm.b


def term_counts(tokens: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """Sorted term ids of some text's terms, and how often each occurs: a sparse vector's indices and counts."""
    return np.unique(np.fromiter((term_id(t) for t in tokens), np.uint32, len(tokens)), return_counts=True)


def bm25_weights(counts: np.ndarray, avgdl: float) -> np.ndarray:
    """A paragraph's BM25 term weights, as bm25s's 'lucene' method: tf / (tf + k1·(1 − b + b·length/avgdl));
    Qdrant multiplies in the IDF."""
    k1, b = _bm25_parameters()
    tf = counts.astype(np.float64)
    return tf / (tf + k1 * ((1 - b) + b * counts.sum() / avgdl))


def _counts(p: Paragraph) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """A searchable paragraph's term ids and counts per field (an empty one counts the term EMPTY, as bm25s)."""
    return {f: term_counts([t for t in found if t] or [EMPTY]) for f, found in terms(p).items()}


def _layout(a, query: str) -> dict[str, int]:
    """Shards and replicas of a new collection, from the address: 'qdrant://HOST:6333/plans?shards=6&replicas=2'."""
    from urllib.parse import parse_qsl
    names = {"shards": "shard_number", "replicas": "replication_factor"}
    out = {}
    for k, v in parse_qsl(query, keep_blank_values=True):
        if k not in names or not v.isdigit() or int(v) < 1:
            raise ValueError(f"--store {a}: '{k}={v}' is not a setting khsearch knows; give shards=N and/or "
                             "replicas=N (whole numbers from 1)")
        out[names[k]] = int(v)
    if out.get("replication_factor", 1) > 1:  # a write is confirmed once every copy has it: no replica lags a publish
        out["write_consistency_factor"] = out["replication_factor"]
    return out


class Connection:
    """The Qdrant client of a store address, with errors that name the address and say what to do."""

    def __init__(self, a):
        qdrant_client, self.models = _client_module()
        self.address, self.layout, self._lock = a, {}, nullcontext()
        if a.scheme == "qdrant+local":
            self.name, where = LOCAL_COLLECTION, str(Path(a.target).resolve())
            with _LOCAL_LOCK:
                if where not in _LOCAL:
                    try:
                        _LOCAL[where] = [qdrant_client.QdrantClient(path=where), 0, threading.RLock()]
                    except RuntimeError as e:  # the folder is locked by another process
                        raise IndexError_(f"{a}: {e}; local mode serves one process at a time: wait for the other "
                                          "one, or use a Qdrant server (docs/SCALE.md)") from None
                _LOCAL[where][1] += 1
                self.client, _, self._lock = _LOCAL[where]  # local mode is not thread-safe: one call at a time
        else:
            target, _, query = a.target.partition("?")
            host, _, name = target.partition("/")
            if not host or not name or "/" in name:
                raise ValueError(f"--store {a}: write it as qdrant://HOST:PORT/COLLECTION")
            self.layout = _layout(a, query)
            self.name, where = name, f"{'https' if a.scheme == 'qdrant+https' else 'http'}://{host}"
            self.client = qdrant_client.QdrantClient(url=where, api_key=os.environ.get("QDRANT_API_KEY"), timeout=60,
                                                     check_compatibility=False)  # a dead server: our own error
        self.where, self.documents, self._lease = where, f"{self.name}-documents", None
        self.close = weakref.finalize(self, _release, a.scheme, where, self.client)  # also when dropped

    def call(self, what: str, fn, *args, **kwargs):
        """`fn(*args, **kwargs)`, a connection failure told as what to do."""
        try:
            with self._lock:
                return fn(*args, **kwargs)
        except (IndexError_, ValueError, KeyError, TypeError):
            raise
        except Exception as e:  # httpx, grpc and the client's own exceptions
            if self.address.scheme == "qdrant+local":
                raise
            from qdrant_client.http.exceptions import UnexpectedResponse
            if isinstance(e, UnexpectedResponse):  # the server is there and refused
                hint = ("set QDRANT_API_KEY to a key the server accepts" if e.status_code in (401, 403) else
                        "see the server's log")
                raise IndexError_(f"Qdrant at {self.where} refused to {what} (HTTP {e.status_code}: "
                                  f"{e.content[:200].decode('utf-8', 'replace')}): {hint}") from None
            raise IndexError_(f"cannot {what} at Qdrant {self.where} ({e.__class__.__name__}: {str(e)[:200]}): "
                              f"start the server or check the address given to --store (docs/SCALE.md)") from None

    def exists(self) -> bool:
        return self.call("list the collections", self.client.collection_exists, self.documents)

    def manifest(self) -> dict | None:
        if not self.exists():
            return None
        got = self.call("read the manifest", self.client.retrieve, self.documents, [MANIFEST], with_payload=True,
                        consistency=self.models.ReadConsistencyType.MAJORITY)
        return got[0].payload if got else None

    def revision(self) -> str:
        """The manifest's write counter alone (a reader's `version`), '' without an index."""
        got = self.call("read the manifest", self.client.retrieve, self.documents, [MANIFEST],
                        with_payload=["revision"])
        return str(got[0].payload["revision"]) if got else ""

    def write_manifest(self, manifest: dict):
        """Store `manifest`, counting the write in its `revision` (a reader's `version`)."""
        manifest["revision"] = manifest.get("revision", 0) + 1
        self.call("write the manifest", self.client.upsert, self.documents,
                  [self.models.PointStruct(id=MANIFEST, vector={}, payload=manifest)], wait=True)

    @contextmanager
    def lease(self):
        """Hold the store for one update: a second writer (on any machine) is refused while this one lives. The
        hold is renewed as the update goes (`renew`); a writer killed on this machine, or silent for
        LEASE_SECONDS, loses it."""
        here = _WRITING.setdefault((self.where, self.name), threading.Lock())
        if not here.acquire(blocking=False):
            raise IndexError_(f"another update of {self.address} is running in this process; wait for it to finish")
        try:
            held = self._holder()
            if held and held.get("host") == socket.gethostname() and held.get("pid") == os.getpid():
                held = None  # left by an update of this process that failed before releasing it
            if held:
                age = time.time() - held.get("renewed", 0)
                dead = held.get("host") == socket.gethostname() and not _alive(held.get("pid"))
                if age < LEASE_SECONDS and not dead:
                    raise IndexError_(f"another 'khsearch index' (pid {held.get('pid')} on {held.get('host')}, heard "
                                      f"from {age:.0f} s ago) is updating {self.address}; wait for it to finish (a "
                                      f"writer that stopped without finishing loses its hold {LEASE_SECONDS // 60} "
                                      f"minutes after it was last heard from)")
            self._lease = {"host": socket.gethostname(), "pid": os.getpid(), "token": uuid.uuid4().hex}
            self._write_lease()
            try:
                yield
            finally:
                mine, self._lease = self._lease, None
                if (self._holder() or {}).get("token") == mine["token"]:
                    self.call("release the lease", self.client.delete, self.documents,
                              points_selector=self.models.PointIdsList(points=[LEASE]), wait=True)
        finally:
            here.release()

    def _holder(self) -> dict | None:
        got = self.call("read the lease", self.client.retrieve, self.documents, [LEASE], with_payload=True,
                        consistency=self.models.ReadConsistencyType.MAJORITY)
        return got[0].payload if got else None

    def _write_lease(self):
        self._renewed = time.time()
        self.call("renew the lease", self.client.upsert, self.documents, [self.models.PointStruct(
            id=LEASE, vector={}, payload={**self._lease, "renewed": self._renewed})], wait=True)

    def renew(self):
        """Tell other writers this update is alive (at most every few seconds); stop it if another took over."""
        if self._lease and time.time() - self._renewed > 5:
            if (self._holder() or {}).get("token") != self._lease["token"]:
                raise IndexError_(f"another 'khsearch index' took {self.address} over while this update was silent "
                                  f"for more than {LEASE_SECONDS // 60} minutes; this one stopped: run it again")
            self._write_lease()


def _release(scheme: str, where: str, client):
    """Let a connection's client go; a local-mode folder is unlocked when its last connection in this process goes."""
    if scheme != "qdrant+local":
        client.close()
        return
    with _LOCAL_LOCK:
        shared = _LOCAL.get(where)
        if shared and shared[0] is client:
            shared[1] -= 1
            if shared[1] <= 0:
                del _LOCAL[where]
                client.close()


_WRITING: dict[tuple[str, str], threading.Lock] = {}  # updates running in this process, by store

# One client per local-mode folder in a process: local mode locks its folder, so the page's reader and the
# update it runs after an upload share it. [client, connections open, lock around its calls]
_LOCAL: dict[str, list] = {}
_LOCAL_LOCK = threading.Lock()


def _live_filter(models, manifest: dict, docs: Sequence[str] | None):
    """Points of the live document versions: of `docs` (None: all), never of a version being written or retired."""
    must = [models.FieldCondition(key="doc_id", match=models.MatchAny(any=list(docs)))] if docs is not None else []
    stale = list(manifest.get("stale", ()))
    must_not = [models.FieldCondition(key="key", match=models.MatchAny(any=stale))] if stale else []
    return models.Filter(must=must, must_not=must_not) if must or must_not else None


def replaced(a) -> str:
    return (f"{a} was updated after this index was opened: open it again (khsearch.open_index(store='{a}')); "
            "a page does so by itself")


def _alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except PermissionError:  # another user's process
        return True
    except (OSError, ValueError, TypeError):
        return False
    return True


class Paragraphs(Sequence):
    """A document's paragraphs, read from the store on first use (a store may hold millions)."""

    def __init__(self, conn: Connection, key: str, count: int):
        self._conn, self._key, self._count, self._items = conn, key, count, None

    def _load(self) -> tuple[Paragraph, ...]:
        if self._items is None:
            m = self._conn.models
            flt = m.Filter(must=[m.FieldCondition(key="key", match=m.MatchValue(value=self._key))])
            found = {}
            for point in _scroll(self._conn, self._conn.name, flt, ["paragraph", "n"]):
                found[point.payload["n"]] = Paragraph.from_dict(point.payload["paragraph"])
            if len(found) != self._count:
                manifest = self._conn.manifest() or {}
                if self._key not in {v["key"] for v in manifest.get("documents", {}).values()}:
                    raise IndexError_(replaced(self._conn.address))
                raise IndexError_(f"{self._conn.address}: document version {self._key} has {len(found)} of its "
                                  f"{self._count} paragraphs; rebuild it with 'khsearch index PATHS --store "
                                  f"{self._conn.address} --rebuild'")
            self._items = tuple(found[n] for n in sorted(found))
        return self._items

    def __len__(self):
        return self._count

    def __getitem__(self, i):
        return self._load()[i]

    def __iter__(self):
        return iter(self._load())


def _scroll(conn: Connection, collection: str, flt, payload, vectors=False):
    offset = None
    while True:
        points, offset = conn.call("read points", conn.client.scroll, collection, scroll_filter=flt, limit=1024,
                                   offset=offset, with_payload=payload, with_vectors=vectors)
        yield from points
        if offset is None:
            return


class QdrantIndex:
    """An opened Qdrant store: documents (their paragraphs read on first use), rankers as Qdrant queries."""

    def __init__(self, a):
        self.conn = Connection(a)
        self.address = a
        manifest = self.conn.manifest()
        if manifest is None:
            raise IndexError_(f"no index in {a}: build one from your plan files with "
                              f"'khsearch index corpus --store {a}'")
        if manifest.get("format") != FORMAT:
            raise IndexError_(f"{a} was written by khsearch {manifest.get('khsearch')} in format "
                              f"{manifest.get('format')}, this is format {FORMAT}: index your plans into another "
                              f"collection (or delete this one and index them again)")
        self.manifest = manifest
        self.embedder_name, self.dim = manifest["embedder"], manifest["dim"]
        self.documents = self._documents(manifest)
        self._facts: dict[str, tuple] = {}

    def _documents(self, manifest: dict) -> dict[str, Document]:
        live = manifest["documents"]
        records = _records(self.conn, [v["key"] for v in live.values()])
        out = {}
        texts = _texts_root(self.address) / "texts"
        for d in records.values():
            entry = live[d["doc_id"]]
            if d.get("text_path"):  # a decoded source: its UTF-8 copy, written here when this machine lacks it
                path = texts / Path(d["text_path"]).name
                if not path.exists():
                    (got,) = self.conn.call("read a document's text", self.conn.client.retrieve, self.conn.documents,
                                            [_point_id(entry["key"])], with_payload=["text"])
                    path.parent.mkdir(parents=True, exist_ok=True)
                    _atomic_write(path, got.payload["text"])
                d = {**d, "text_path": str(path.resolve())}
            out[d["doc_id"]] = Document.from_dict(d, Paragraphs(self.conn, entry["key"], entry["paragraphs"]))
        return out

    @property
    def version(self) -> str:
        return str(self.manifest["revision"])

    @property
    def complete(self) -> bool:
        return not self.manifest.get("waiting")

    @property
    def waiting(self) -> list[str]:
        return sorted(self.manifest.get("waiting", ()))

    def facts(self, doc_id: str) -> tuple[list[Assignment], list[Target]]:
        if doc_id not in self._facts:
            key = self.manifest["documents"][doc_id]["key"]
            got = self.conn.call("read a document's facts", self.conn.client.retrieve, self.conn.documents,
                                 [_point_id(key)], with_payload=["facts"])
            if not got:
                raise IndexError_(replaced(self.address))
            stored = got[0].payload.get("facts")  # none yet while the document waits for its second step
            self._facts[doc_id] = (([Assignment(**x) for x in stored["assignments"]],
                                    [Target(**x) for x in stored["targets"]])
                                   if stored else document_facts(self.documents[doc_id]))
        return self._facts[doc_id]

    def rank(self, ranker: str, query, docs, depth: int | None) -> tuple[list[Paragraph], np.ndarray]:
        m = self.conn.models
        live = self.manifest["documents"]
        if depth is None:  # every paragraph that scores: at most all searchable ones of the plans searched
            depth = sum(live[d]["searchable"] for d in (live if docs is None else docs) if d in live)
        if not depth:
            return [], np.zeros(0, np.float32)
        if ranker == "dense":
            vector = np.asarray(query, np.float32).tolist()
        else:
            ids, counts = term_counts(list(query))  # a repeated term counts as often as it occurs, as in bm25s
            vector = m.SparseVector(indices=ids.tolist(), values=counts.astype(float).tolist())
        found = self.conn.call("search", self.conn.client.query_points, self.conn.name, query=vector, using=ranker,
                               query_filter=_live_filter(m, self.manifest, docs), limit=depth,
                               with_payload=["paragraph", "key"]).points
        if any(live.get(p.payload["paragraph"]["doc_id"], {}).get("key") != p.payload["key"] for p in found):
            if self.conn.revision() != self.version:  # a version written after this store was opened
                raise IndexError_(replaced(self.address))
            found = [p for p in found  # points no update made live (a writer that failed): the next one removes them
                     if live.get(p.payload["paragraph"]["doc_id"], {}).get("key") == p.payload["key"]]
        return ([Paragraph.from_dict(p.payload["paragraph"]) for p in found],
                np.array([p.score for p in found], np.float32))

    def known_terms(self, ranker: str, words) -> set[str]:
        m = self.conn.models
        out = set()
        for w in words:
            hit = self.conn.call("search", self.conn.client.query_points, self.conn.name, using=ranker, limit=1,
                                 query=m.SparseVector(indices=[term_id(w)], values=[1.0]),
                                 query_filter=_live_filter(m, self.manifest, None)).points
            if hit:
                out.add(w)
        return out


def _texts_root(a) -> Path:
    """The folder whose texts/ keeps this machine's UTF-8 copies of decoded sources (docx, pdf, legacy encodings)."""
    if a.scheme == "qdrant+local":
        return Path(a.target)
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "khsearch" / a.target.partition("?")[0].replace(":", "_").replace("/", "_")


def open_store(a) -> QdrantIndex:
    return QdrantIndex(a)


def live_version(a) -> str:
    conn = Connection(a)
    try:
        return conn.revision()
    finally:
        conn.close()


# --- writing ---------------------------------------------------------------------------------------------

def _create(conn: Connection, emb: Embedder):
    """Make the store's collections that are missing (a first build may have stopped half-way)."""
    m = conn.models
    if not conn.call("list the collections", conn.client.collection_exists, conn.name):
        dense = {"dense": m.VectorParams(size=emb.dim, distance=m.Distance.COSINE)} if emb.dim else {}
        conn.call("create a collection", conn.client.create_collection, conn.name, vectors_config=dense,
                  sparse_vectors_config={f: m.SparseVectorParams(modifier=m.Modifier.IDF) for f in FIELDS},
                  **conn.layout)
        for key, kind in (("doc_id", m.PayloadSchemaType.KEYWORD), ("key", m.PayloadSchemaType.KEYWORD),
                          ("province", m.PayloadSchemaType.KEYWORD), ("year", m.PayloadSchemaType.INTEGER)):
            if conn.address.scheme != "qdrant+local":  # local mode filters by scanning and warns about indexes
                conn.call("index a payload field", conn.client.create_payload_index, conn.name, key, kind)
    if not conn.exists():
        conn.call("create a collection", conn.client.create_collection, conn.documents, vectors_config={},
                  **{k: v for k, v in conn.layout.items() if k != "shard_number"})


def _sweep(conn: Connection, manifest: dict):
    """Remove every point of a version that is not live: what a stopped update wrote or retired."""
    m = conn.models
    live = [v["key"] for v in manifest["documents"].values()]
    conn.call("delete points", conn.client.delete, conn.name, points_selector=m.FilterSelector(filter=m.Filter(
        must=[m.FieldCondition(key="key", match=m.MatchExcept(**{"except": live}))])), wait=True)
    versions = {p.id for p in _scroll(conn, conn.documents, None, ["document"]) if "document" in (p.payload or {})}
    dead = sorted(versions - {_point_id(k) for k in live})
    if dead:
        conn.call("delete points", conn.client.delete, conn.documents,
                  points_selector=m.PointIdsList(points=dead), wait=True)


def _old_vectors(conn: Connection, key: str) -> dict[str, list[float]]:
    """The dense vectors of a document version by content key, for its next version to reuse."""
    m = conn.models
    flt = m.Filter(must=[m.FieldCondition(key="key", match=m.MatchValue(value=key))])
    return {p.payload["content"]: p.vector["dense"] for p in _scroll(conn, conn.name, flt, ["content"], ["dense"])
            if p.vector and "dense" in p.vector}


def _points(conn: Connection, d: Document, key: str, avgdl: dict, reuse: dict, counted: dict) -> tuple[list, dict, int]:
    """A document version's paragraph points; also its term counts per field and how many vectors it reused.
    `counted`: term counts already worked out, by paragraph id."""
    m = conn.models
    points, lengths, reused = [], dict.fromkeys(FIELDS, 0), 0
    for n, p in enumerate(d.paragraphs):
        vector = {}
        if p.kind in CONTENT_KINDS:
            for f, (ids, counts) in (counted.pop(p.id, None) or _counts(p)).items():
                vector[f] = m.SparseVector(indices=ids.tolist(), values=bm25_weights(counts, avgdl[f]).tolist())
                lengths[f] += int(counts.sum())
            if (old := reuse.get(content_key(p))) is not None:
                vector["dense"], reused = old, reused + 1
        points.append(m.PointStruct(id=_point_id(f"{key}:{n}"), vector=vector, payload={
            "paragraph": p.to_dict(), "doc_id": d.doc_id, "key": key, "n": n, "province": d.metadata.province,
            "year": d.year, "kind": p.kind, "section": p.section, "content": content_key(p)}))
    return points, lengths, reused


def build_store(paths, a, embedder=None, progress: Callable[[str, int, int], None] | None = None,
                rebuild: bool = False, vectors: bool = True, report: Report | None = None) -> Report:
    """Index the plan files under `paths` into the Qdrant store `a`, as `khsearch.index.build` does a folder."""
    t0, report, paths = time.perf_counter(), report or Report(), list(paths)
    if missing := [str(p) for p in paths if not Path(p).exists()]:
        raise ValueError(f"{', '.join(missing)}: no such file or folder; nothing was indexed")
    conn = Connection(a)
    try:
        old = conn.manifest()
        if old is not None and old.get("format") != FORMAT:
            raise IndexError_(f"{a} holds an index of format {old.get('format')}, this khsearch writes format "
                              f"{FORMAT}: index into another collection, or delete this one")
        emb = embedder if isinstance(embedder, Embedder) else get_embedder(
            embedder or (old["embedder"] if old else "e5-small"))
        if old is not None and old["embedder"] != emb.name:
            raise IndexError_(f"{a} holds vectors of embedder '{old['embedder']}', not '{emb.name}': index into "
                              f"another collection, or delete this one first")
        if old is None:
            create(conn, emb)
        with conn.lease():
            old = conn.manifest()  # as it is now that no other writer runs
            rebuild = rebuild or old.get("khsearch", __version__) != __version__
            _sweep(conn, old)  # what an update that stopped before it finished wrote or retired
            if old["stale"]:
                old["stale"] = []
                conn.write_manifest(old)
            records = _records(conn, [v["key"] for v in old["documents"].values()], missing_ok=rebuild)
            for doc_id in [d for d, v in old["documents"].items() if v["key"] not in records]:
                del old["documents"][doc_id]  # its record is lost: --rebuild reads its file again
            indexed = [Document.from_dict(r, ()) for r in records.values()]
            texts = _texts_root(a)
            save = lambda doc_id, fp, text: _save_text(texts, doc_id, fp, text)
            alive = lambda stage, done, total: (conn.renew(), progress and progress(stage, done, total))
            docs = gather(paths, indexed, rebuild, report, save, alive, shared=a.scheme != "qdrant+local")
            changed = [docs[p] for p in report.added + report.updated]
            gone = set(old["documents"]) - {d.doc_id for d in docs.values()}
            if not (changed or gone):
                if old["waiting"] and vectors:  # an earlier run stopped before its vectors and facts
                    report.embedded = _complete(conn, old, emb, progress, report)
                report.seconds = time.perf_counter() - t0
                return report
            reuse = lambda d, key: _old_vectors(conn, key) if key and emb.dim else {}
            manifest = publish(conn, old, changed, gone, reuse, report, None if rebuild else old["avgdl"] or None)
            report.searchable_after = time.perf_counter() - t0
            if a.scheme == "qdrant+local":  # elsewhere this folder holds other machines' copies as well
                _remove_unused_texts(texts, [], list(docs.values()))
            if progress:
                report.waiting = manifest["waiting"]
                progress("searchable", len(manifest["waiting"]), len(manifest["documents"]))
            if vectors and manifest["waiting"]:
                _complete(conn, manifest, emb, progress, report)
    finally:
        conn.close()
    report.seconds = time.perf_counter() - t0
    return report


def create(conn: Connection, emb: Embedder) -> dict:
    """Make the store's collections and write the manifest of an empty index, which it returns: a first build
    that stops half-way leaves a store the next one completes."""
    _create(conn, emb)
    manifest = {"format": FORMAT, "embedder": emb.name, "dim": emb.dim, "serial": 0, "documents": {}, "stale": [],
                "waiting": [], "lengths": {f: 0 for f in FIELDS}, "avgdl": {}}
    conn.write_manifest(manifest)
    return manifest


def publish(conn: Connection, old: dict, changed: list[Document], gone: set[str],
            reuse: Callable[[Document, str | None], dict], report: Report, avgdl: dict[str, float] | None) -> dict:
    """Write a new version of each `changed` document, make them and the removal of `gone` live in one manifest
    write, then delete the versions they replace; returns the new manifest. `reuse(document, live key or None)`
    gives dense vectors by content key that the document's passages keep (those of its live version). `avgdl`:
    the average lengths BM25 weights divide by; None sets them anew, over the documents the update leaves."""
    serial = old["serial"] + 1
    keys = {d.doc_id: f"{d.doc_id}@{serial}" for d in changed}
    kept = {k: v for k, v in old["documents"].items() if k not in gone and k not in keys}
    counted: dict[str, dict] = {}
    if avgdl is None:
        avgdl = _average_lengths(kept.values(), changed, counted, conn.renew)
    old["stale"] = list(keys.values())
    conn.write_manifest(old)  # readers skip these versions until they are live
    live, lengths = dict(kept), {f: sum(v["lengths"][f] for v in kept.values()) for f in FIELDS}
    for d in changed:
        before = old["documents"].get(d.doc_id)
        points, found, reused = _points(conn, d, keys[d.doc_id], avgdl, reuse(d, before and before["key"]), counted)
        searchable = sum(p.kind in CONTENT_KINDS for p in d.paragraphs)
        report.reused += reused
        report.embedded += searchable - reused if old["dim"] else 0
        for start in range(0, len(points), BATCH):
            conn.call("write points", conn.client.upsert, conn.name, points[start:start + BATCH], wait=True)
            conn.renew()
        payload = {"document": d.to_dict()}
        if d.text_path:
            payload["text"] = Path(d.text_path).read_text(encoding="utf-8")
        conn.call("write a document", conn.client.upsert, conn.documents, [conn.models.PointStruct(
            id=_point_id(keys[d.doc_id]), vector={}, payload=payload)], wait=True)
        for f in FIELDS:
            lengths[f] += found[f]
        live[d.doc_id] = {"key": keys[d.doc_id], "path": d.path, "sha256": d.sha256, "paragraphs": len(d.paragraphs),
                          "lengths": found, "searchable": searchable}
    retired = [old["documents"][x]["key"] for x in [*gone, *keys] if x in old["documents"]]
    manifest = {**old, "khsearch": __version__, "serial": serial, "created": time.strftime("%Y-%m-%dT%H:%M:%S"),
                "documents": dict(sorted(live.items())), "stale": retired, "lengths": lengths, "avgdl": avgdl,
                "waiting": sorted({*(x for x in old["waiting"] if x in live), *keys})}
    conn.write_manifest(manifest)  # the switch: readers see the new versions from here on
    _sweep(conn, manifest)  # the versions it replaced
    manifest["stale"] = []
    conn.write_manifest(manifest)
    return manifest


def _average_lengths(kept, changed: list[Document], counted: dict, tick=lambda: None) -> dict[str, float]:
    """Average terms per searchable paragraph, by field, of the documents an update leaves: what BM25's length
    normalisation divides by. The kept documents' lengths are in the manifest; the changed ones' are counted on
    their first ANCHOR_SAMPLE paragraphs (kept in `counted` for the points), whose mean stands for the rest.
    Set by the first build and each --rebuild, then kept, so that the weights stored stay comparable."""
    total = {f: sum(v["lengths"][f] for v in kept) for f in FIELDS}
    count = sum(v["searchable"] for v in kept)
    sampled, rest = dict.fromkeys(FIELDS, 0), 0
    for p in (p for d in changed for p in d.paragraphs if p.kind in CONTENT_KINDS):
        if len(counted) < ANCHOR_SAMPLE:
            tick()
            counted[p.id] = _counts(p)
            for f, (_, counts) in counted[p.id].items():
                sampled[f] += int(counts.sum())
        else:
            rest += 1
    if counted:
        for f in FIELDS:
            total[f] += sampled[f] * (1 + rest / len(counted))
    count += len(counted) + rest
    return {f: total[f] / count if count else 1.0 for f in FIELDS}


def _records(conn: Connection, keys: Sequence[str], missing_ok: bool = False) -> dict[str, dict]:
    """The document records of the versions `keys`, by key, read BATCH at a time; one missing is an error unless
    `missing_ok`."""
    out = {}
    for start in range(0, len(keys), BATCH):
        conn.renew()
        part = {_point_id(k): k for k in keys[start:start + BATCH]}
        for point in conn.call("read the documents", conn.client.retrieve, conn.documents, list(part),
                               with_payload=["document"]):
            out[part[str(point.id)]] = point.payload["document"]
    if (lost := [k for k in keys if k not in out]) and not missing_ok:
        raise IndexError_(f"{conn.address}: document version {', '.join(lost[:5])} is listed in the manifest but "
                          f"missing; index every plan folder again with 'khsearch index PATHS --store "
                          f"{conn.address} --rebuild'")
    return out


def complete_store(a, progress=None) -> int:
    conn = Connection(a)
    try:
        if conn.manifest() is None:
            raise IndexError_(f"no index in {a}: build one with 'khsearch index corpus --store {a}'")
        with conn.lease():
            manifest = conn.manifest()
            return _complete(conn, manifest, get_embedder(manifest["embedder"]), progress) if manifest["waiting"] else 0
    finally:
        conn.close()


def _complete(conn: Connection, manifest: dict, emb: Embedder, progress, report: Report | None = None) -> int:
    """Embed the paragraphs of the waiting documents that have no vector yet, store those documents' facts, and
    take them off `waiting`; returns how many paragraphs were embedded. Killed half-way, it goes on from there."""
    m = conn.models
    live = manifest["documents"]
    todo = []
    if emb.dim:
        for doc_id in manifest["waiting"]:
            flt = m.Filter(must=[m.FieldCondition(key="key", match=m.MatchValue(value=live[doc_id]["key"]))],
                           must_not=[m.HasVectorCondition(has_vector="dense")])
            todo += [p for p in _scroll(conn, conn.name, flt, ["paragraph"])
                     if p.payload["paragraph"]["kind"] in CONTENT_KINDS]
    texts = [passage(Paragraph.from_dict(p.payload["paragraph"])) for p in todo]
    tokens = [emb.tokens(x) for x in texts] if texts and (progress or report) else [0] * len(texts)
    done, t = 0, time.perf_counter()
    for start in range(0, len(todo), BATCH):
        part = slice(start, start + BATCH)
        vecs = emb.passages(texts[part])
        conn.call("write vectors", conn.client.update_vectors, conn.name, [
            m.PointVectors(id=p.id, vector={"dense": np.asarray(v, np.float32).tolist()})
            for p, v in zip(todo[part], vecs)], wait=True)
        done += sum(tokens[part])
        conn.renew()
        if progress:
            progress("embed", done, sum(tokens))
    if report:
        report.tokens, report.embed_seconds = sum(tokens), time.perf_counter() - t
    waiting = list(manifest["waiting"])
    for n, doc_id in enumerate(waiting, 1):
        key = live[doc_id]["key"]
        found_a, found_t = document_facts(Document.from_dict(_records(conn, [key])[key], Paragraphs(
            conn, key, live[doc_id]["paragraphs"])))
        conn.call("write facts", conn.client.set_payload, conn.documents, {"facts": {
            "assignments": [x.to_dict() for x in found_a], "targets": [x.to_dict() for x in found_t]}},
            points=[_point_id(key)], wait=True)
        conn.renew()
        if n % FACTS_PER_WRITE == 0 or n == len(waiting):  # the manifest lists every document: not after each
            manifest["waiting"] = waiting[n:]
            conn.write_manifest(manifest)
    return len(todo)
