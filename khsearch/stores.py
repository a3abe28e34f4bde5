"""Where an index lives, behind one interface: an index folder (the default) or a Qdrant collection.

A store is named by an address: a folder path ('index'), 'qdrant://HOST:6333/COLLECTION' for a Qdrant server
or cluster ('qdrant+https://…' over TLS), or 'qdrant+local:PATH' for qdrant-client's local mode (one process,
for tests and small set-ups).
Answers, facts, comparisons and the page read a store only through `Store`; they do not know which one it is.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Callable, Protocol, Sequence

import numpy as np

from .records import Assignment, Document, Paragraph, Target

DEFAULT_INDEX = "index"

# scheme -> module that implements it: open_store(address), build_store(paths, address, ...),
# complete_store(address, progress), live_version(address)
BACKENDS = {"folder": "khsearch.index", "qdrant": "khsearch.qdrant", "qdrant+https": "khsearch.qdrant",
            "qdrant+local": "khsearch.qdrant"}


class Store(Protocol):
    """What khsearch reads of an opened index, whichever store holds it."""

    documents: dict[str, Document]  # by doc_id; a document's paragraphs may be read on first use
    embedder_name: str
    dim: int  # of the paragraph vectors; 0 for an index built with '--embedder none'

    @property
    def version(self) -> str:
        """Changes whenever an update is published (a page reopens the store then)."""

    @property
    def complete(self) -> bool:
        """Whether every paragraph has its vector and every document its facts stored."""

    @property
    def waiting(self) -> list[str]:
        """The documents searchable by their words only, their vectors still to come."""

    def facts(self, doc_id: str) -> tuple[list[Assignment], list[Target]]:
        """A document's assignments and targets, as read when it was indexed."""

    def rank(self, ranker: str, query, docs: Sequence[str] | None, depth: int | None) -> tuple[list[Paragraph],
                                                                                                 np.ndarray]:
        """One ranker's best paragraphs, best first, with their scores: 'words' and 'folded' take the query's
        terms (BM25), 'dense' its vector (cosine). `docs`: the doc_ids searched (None: all); `depth`: how many
        (None: every paragraph that scores)."""

    def known_terms(self, ranker: str, terms: Sequence[str]) -> set[str]:
        """Those of `terms` that some paragraph holds, for a lexical ranker."""


@dataclass(frozen=True)
class Address:
    scheme: str  # a key of BACKENDS
    target: str  # the folder, the local path, or 'HOST:PORT/COLLECTION'

    def __str__(self) -> str:
        if self.scheme == "folder":
            return self.target
        return f"{self.scheme}{':' if self.scheme == 'qdrant+local' else '://'}{self.target}"


def address(store=None, root=DEFAULT_INDEX) -> Address:
    """The store an address names; without one, the folder `root`."""
    if store is None or not str(store).strip():
        return Address("folder", str(root))
    text = str(store).strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        scheme, sep, rest = text.partition(":")
        if not sep or "+" not in scheme:  # a plain path (even 'C:\\...'): a folder
            return Address("folder", text.removeprefix("folder:"))
    if scheme not in BACKENDS or scheme == "folder":
        raise ValueError(f"--store {text}: unknown store '{scheme}'; give a folder, qdrant://HOST:PORT/COLLECTION "
                         "or qdrant+local:PATH")
    if not rest:
        raise ValueError(f"--store {text}: say where, e.g. qdrant://localhost:6333/khsearch or qdrant+local:qdrant-data")
    return Address(scheme, rest)


def _backend(a: Address):
    return importlib.import_module(BACKENDS[a.scheme])


def open_index(root=DEFAULT_INDEX, store=None) -> Store:
    """Open the index in `store` (an address, see the module), else the index folder `root`."""
    a = address(store, root)
    return _backend(a).open_store(a)


def build(paths, root=DEFAULT_INDEX, embedder=None, progress: Callable[[str, int, int], None] | None = None,
          rebuild: bool = False, vectors: bool = True, report=None, store=None):
    """Index the plan files under `paths` into `store` (else the folder `root`), processing only what changed;
    see `khsearch.index.build`, which every store follows."""
    a = address(store, root)
    return _backend(a).build_store(paths, a, embedder=embedder, progress=progress, rebuild=rebuild,
                                   vectors=vectors, report=report)


def add_vectors(root=DEFAULT_INDEX, progress: Callable[[str, int, int], None] | None = None, store=None) -> int:
    """Complete what an update left for later (vectors, facts); returns how many paragraphs were embedded."""
    a = address(store, root)
    return _backend(a).complete_store(a, progress)



def live_version(root=DEFAULT_INDEX, store=None) -> str:
    """The `version` an index opened now would have: a page compares it with the one it serves."""
    a = address(store, root)
    return _backend(a).live_version(a)
