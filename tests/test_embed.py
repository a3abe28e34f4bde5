"""Embedder registry, the hash embedder, and the sentence-transformers backend on a tiny model built here."""
import socket
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest

from khsearch.embed import EMBEDDERS, SentenceTransformerEmbedder, get_embedder


# --- registry and the hash embedder (no torch needed) ---

def test_unknown_embedder_lists_known_names():
    with pytest.raises(ValueError) as e:
        get_embedder("word2vec")
    for known in ("e5-small", "hash", "sentence-transformers"):
        assert known in str(e.value)
    assert set(EMBEDDERS) >= {"e5-small", "hash", "sentence-transformers"}


def test_hash_embedder_is_deterministic_and_normalised():
    texts = ["Tăng cường công tác cai nghiện ma túy", "Kế hoạch phòng chống thiên tai năm 2025"]
    a, b = get_embedder("hash").passages(texts), get_embedder("hash").passages(texts)
    np.testing.assert_array_equal(a, b)
    np.testing.assert_allclose(np.linalg.norm(a, axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(get_embedder("hash").query(texts[0]), a[0])


def test_hash_embedder_puts_similar_texts_closer():
    emb = get_embedder("hash")
    q = emb.query("công tác cai nghiện ma túy")
    near, far = emb.passages(["Tăng cường công tác cai nghiện ma túy tại cộng đồng",
                              "Kế hoạch phòng chống thiên tai và tìm kiếm cứu nạn"])
    assert q @ near > q @ far


def test_shapes_and_dtype():
    emb = get_embedder("hash:64")
    assert emb.name == "hash:64" and emb.dim == 64
    p = emb.passages(["một", "hai", "ba"])
    assert p.shape == (3, 64) and p.dtype == np.float32
    q = emb.query("một")
    assert q.shape == (64,) and q.dtype == np.float32
    assert emb.passages([]).shape == (0, 64)


def test_batching_gives_the_same_vectors_and_reports_progress():
    emb, texts = get_embedder("hash"), [f"mục tiêu số {i}" for i in range(7)]
    whole = emb.passages(texts)
    emb.batch_size, seen = 3, []
    np.testing.assert_array_equal(emb.passages(texts, progress=seen.append), whole)
    assert seen == [12, 12, 4]  # the tokens of each batch (the hash embedder counts words), for tokens/s


def test_importing_embed_does_not_import_torch():
    code = "import sys, khsearch.embed; print('torch' in sys.modules, 'sentence_transformers' in sys.modules)"
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


def test_missing_sentence_transformers_gives_the_install_command(monkeypatch):
    monkeypatch.setitem(sys.modules, "sentence_transformers", None)  # makes the import fail
    with pytest.raises(RuntimeError) as e:
        get_embedder("sentence-transformers:some/model")
    assert "pip install torch==2.13.0" in str(e.value) and "pip install -e '.[st]'" in str(e.value)


@pytest.mark.parametrize("name", ["sentence-transformers:", "sentence-transformers:m?segmnt=1",
                                  "sentence-transformers:m?device=cuda"])
def test_bad_sentence_transformers_names_are_rejected(name):
    with pytest.raises(ValueError, match="segment=1"):
        get_embedder(name)


# --- the real sentence-transformers path, on a tiny BERT built from a Vietnamese vocabulary ---

VOCAB = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "hỏi", "đáp"] + """
    tăng cường tăng_cường công tác công_tác cai nghiện cai_nghiện ma túy ma_túy tại cộng đồng cộng_đồng
    phòng chống phòng_chống kế hoạch kế_hoạch thiên tai thiên_tai ủy ban ủy_ban nhân dân nhân_dân tỉnh
    sở y tế y_tế chủ trì chủ_trì phối hợp phối_hợp năm và các của""".split()


@pytest.fixture(scope="module")
def tiny_models(tmp_path_factory):
    """Two saved copies of one tiny model: 'plain', and 'prompted' with query/document prompts."""
    pytest.importorskip("sentence_transformers")
    import torch
    from sentence_transformers import SentenceTransformer
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, processors
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast
    try:
        from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    except ImportError:  # sentence-transformers < 6
        from sentence_transformers.models import Pooling, Transformer

    root = tmp_path_factory.mktemp("st")
    vocab = {w: i for i, w in enumerate(VOCAB)}
    tok = Tokenizer(models.WordLevel(vocab, unk_token="[UNK]"))
    tok.normalizer = normalizers.Sequence([normalizers.NFC(), normalizers.Lowercase()])
    tok.pre_tokenizer = pre_tokenizers.Whitespace()  # keeps "cai_nghiện" whole: "_" is a word character
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", special_tokens=[("[CLS]", vocab["[CLS]"]), ("[SEP]", vocab["[SEP]"])])
    fast = PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]", pad_token="[PAD]",
                                   cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")
    torch.manual_seed(0)
    bert = BertModel(BertConfig(vocab_size=len(VOCAB), hidden_size=32, num_hidden_layers=2,
                                num_attention_heads=2, intermediate_size=64, max_position_embeddings=64))
    bert.save_pretrained(root / "bert")
    fast.save_pretrained(root / "bert")

    encoder = Transformer(str(root / "bert"), max_seq_length=48)
    model = SentenceTransformer(modules=[encoder, Pooling(32, "mean")], device="cpu")
    model.save(str(root / "plain"))
    model.prompts = {"query": "hỏi ", "document": "đáp "}
    model.save(str(root / "prompted"))
    return {"plain": str(root / "plain"), "prompted": str(root / "prompted")}


TEXTS = ["Tăng cường công tác cai nghiện ma túy tại cộng đồng",
         "Sở Y tế chủ trì, phối hợp với Ủy ban nhân dân tỉnh",
         "Kế hoạch phòng chống thiên tai năm 2025"]


def test_sentence_transformers_embeds_vietnamese(tiny_models):
    emb = get_embedder("sentence-transformers:" + tiny_models["plain"])
    assert isinstance(emb, SentenceTransformerEmbedder)
    assert emb.name == "sentence-transformers:" + tiny_models["plain"] and emb.dim == 32
    p = emb.passages(TEXTS)
    assert p.shape == (3, 32) and p.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(p, axis=1), 1.0, rtol=1e-5)
    assert not np.allclose(p[0], p[1])
    q = emb.query(TEXTS[0])
    assert q.shape == (32,) and q.dtype == np.float32
    np.testing.assert_allclose(q, p[0], atol=1e-5)  # no prompts saved: query and passage encode alike
    again = get_embedder("sentence-transformers:" + tiny_models["plain"])
    np.testing.assert_allclose(again.passages(TEXTS), p, atol=1e-6)
    again.batch_size = 2  # the base class batches; padding to a different length must not change vectors
    np.testing.assert_allclose(again.passages(TEXTS), p, atol=1e-5)


def test_segment_option_feeds_word_segmented_text(tiny_models):
    from underthesea import word_tokenize
    plain = get_embedder("sentence-transformers:" + tiny_models["plain"])
    seg = get_embedder("sentence-transformers:" + tiny_models["plain"] + "?segment=1")
    assert seg.segment and not plain.segment and seg.dim == 32
    text = "Tăng cường công tác cai nghiện ma túy tại cộng đồng"
    segmented = word_tokenize(text, format="text")
    assert "cai_nghiện" in segmented
    ids = plain._model.tokenizer(segmented)["input_ids"]
    assert VOCAB.index("cai_nghiện") in ids  # one token for the model, not "cai" + "nghiện"
    np.testing.assert_allclose(seg.passages([text]), plain.passages([segmented]), atol=1e-6)
    np.testing.assert_allclose(seg.query(text), plain.query(segmented), atol=1e-6)
    assert not np.allclose(seg.passages([text]), plain.passages([text]), atol=1e-3)


def test_model_prompts_are_applied(tiny_models):
    plain = get_embedder("sentence-transformers:" + tiny_models["plain"])
    prompted = get_embedder("sentence-transformers:" + tiny_models["prompted"])
    text = TEXTS[1]
    np.testing.assert_allclose(prompted.query(text), plain.query("hỏi " + text), atol=1e-5)
    np.testing.assert_allclose(prompted.passages([text])[0], plain.passages(["đáp " + text])[0], atol=1e-5)
    assert not np.allclose(prompted.query(text), prompted.passages([text])[0], atol=1e-3)

    # sentence-transformers < 5 has no encode_query/encode_document: the prompt is picked by name instead.
    old = get_embedder("sentence-transformers:" + tiny_models["prompted"])
    old._model = types.SimpleNamespace(encode=old._model.encode, prompts=old._model.prompts)
    np.testing.assert_allclose(old.query(text), prompted.query(text), atol=1e-6)
    np.testing.assert_allclose(old.passages([text]), prompted.passages([text]), atol=1e-6)


def test_missing_model_is_a_clear_error_without_network(tmp_path, monkeypatch):
    pytest.importorskip("sentence_transformers")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    tried = []

    def no_network(*args, **kwargs):
        tried.append(args)
        raise OSError("network used in a test")
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    for model in ["khsearch-tests/no-such-model", str(tmp_path / "no-such-folder")]:
        with pytest.raises(RuntimeError) as e:
            get_embedder("sentence-transformers:" + model)
        msg = str(e.value)
        assert model in msg and "not available locally" in msg
        assert "path of a model folder" in msg and "machine with network" in msg
    assert tried == []
