"""Nothing lost, nothing run, no traceback (issue 14): files, caches and inputs that are not what the code assumed.

Each case ends in one clear error naming the file (or a documented recovery), never in code execution, a
silently replaced model or a bare traceback. The command line's side of these is in test_cli.py.
"""
import json
import os
import pickle
import re
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch

from minisent import data, device as device_mod

from minisent.nn import encoder as encoder_mod
from minisent.data import read_lines, read_nli_csv, read_sick, read_stsb
from minisent.nn.encoder import ModelFileError, SentenceEncoder
from minisent.text.tokenize import WordTokenizer
from minisent.nn.transformer import TransformerConfig

PACKAGE = Path(encoder_mod.__file__).parent
WORDS = ("the cat sat on the mat . the dog sat on the log . a cat and a dog met on the mat").split(" . ")


# ----------------------------------------------------------------------------- helpers
class _Planted:
    """Unpickling this object creates the file `marker`: the proof that a loader ran code from a file."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def plant(path: Path, marker: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(_Planted(marker)))


@pytest.fixture(scope="module")
def tok():
    return WordTokenizer.train(WORDS * 3, min_count=1)


def tiny(tok, seed=0, d_model=16):
    cfg = TransformerConfig(vocab_size=tok.vocab_size, max_len=32, d_model=d_model, n_heads=2, n_layers=1, d_ff=32)
    return SentenceEncoder.create(tok, cfg, seed=seed)


def same_weights(a: SentenceEncoder, b: SentenceEncoder) -> bool:
    sa, sb = a.state_dict(), b.state_dict()
    return sa.keys() == sb.keys() and all(torch.equal(sa[k], sb[k]) for k in sa)


@pytest.fixture
def tiny_tokens():
    return [s.split() for s in WORDS] * 20


# ------------------------------------------------------- 1. no file the package reads can run code
def test_planted_pickle_in_the_word_vector_cache_never_runs(tmp_path, tiny_tokens):
    from minisent import wordvec
    from minisent.wordvec import gensim_models

    kw = dict(sentences=tiny_tokens, cache_dir=tmp_path, progress=False, vector_size=8, epochs=1, min_count=2)
    params = {**wordvec.PRESETS["cbow"], "vector_size": 8, "epochs": 1, "min_count": 2, "seed": 0}
    path = wordvec.cache_path("cbow", params, tiny_tokens, tmp_path)
    marker = tmp_path / "code-ran"
    for where in (path, path.with_suffix(".kv")):  # where the vectors live now, and where gensim's pickle lived
        plant(where, marker)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        wv = wordvec.train_vectors("cbow", **kw)
    assert not marker.exists()
    assert any("not a word-vector file" in str(w.message) for w in caught)  # reported, then replaced
    again = gensim_models.load_vectors(path)  # the replacement: plain arrays, the same vectors
    np.testing.assert_array_equal(again.vectors, wv.vectors)
    with np.load(path, allow_pickle=False) as f:
        assert {"words", "vectors", "counts"} <= set(f.files)


def test_word_vector_cache_round_trip_keeps_counts_and_subwords(tmp_path, tiny_tokens):
    from minisent import wordvec
    from minisent.wordvec import gensim_models

    for preset, extra in (("skipgram", {}), ("fasttext", dict(bucket=500))):
        wv = wordvec.train_vectors(preset, sentences=tiny_tokens, cache=False, progress=False, vector_size=8,
                                   epochs=1, min_count=2, **extra)
        again = gensim_models.load_vectors(gensim_models.save_vectors(wv, tmp_path / f"{preset}.npz"))
        assert type(again) is type(wv) and again.index_to_key == wv.index_to_key
        np.testing.assert_array_equal(again.vectors, wv.vectors)
        assert [again.get_vecattr(w, "count") for w in wv.index_to_key] == \
               [wv.get_vecattr(w, "count") for w in wv.index_to_key]
        if preset == "fasttext":  # an unseen word still gets its vector from the n-gram table
            np.testing.assert_array_equal(again.get_vector("catalogue"), wv.get_vector("catalogue"))


def test_the_baselines_and_the_cli_never_run_a_planted_cache(tmp_path, tiny_tokens, monkeypatch, capsys):
    from minisent.__main__ import main
    from minisent.wordvec import build_baseline, gensim_models

    monkeypatch.setattr(gensim_models, "corpus_tokens", lambda: tiny_tokens)
    monkeypatch.setattr(data, "CACHE_DIR", tmp_path)
    params = {**gensim_models.PRESETS["skipgram"], "seed": 0}
    path = gensim_models.cache_path("skipgram", params, tiny_tokens)
    marker = tmp_path / "code-ran"
    for where in (path, path.with_suffix(".kv")):
        plant(where, marker)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "not a word-vector file ...; training the vectors again"
        build_baseline("avg-word2vec", progress=False)
        assert not marker.exists()
        plant(path, marker)
        assert main(["eval", "--model", "sif-word2vec", "--sts", "mini"]) == 0
    assert not marker.exists() and "spearman:" in capsys.readouterr().out


def test_every_load_in_the_package_is_a_safe_one():
    """No pickle loader anywhere: torch.load with weights_only=True, np.load with allow_pickle=False."""
    unsafe = []
    for py in sorted(PACKAGE.rglob("*.py")):
        for number, line in enumerate(py.read_text(encoding="utf-8").splitlines(), start=1):
            code = line.split("#")[0]
            if (re.search(r"\bpickle\.loads?\(|KeyedVectors\.load\(|joblib\.load\(", code)
                    or ("torch.load(" in code and "weights_only=True" not in code)
                    or ("np.load(" in code and "allow_pickle=False" not in code)):
                unsafe.append(f"{py.relative_to(PACKAGE)}:{number}: {line.strip()}")
    assert not unsafe, unsafe


@pytest.mark.filterwarnings("ignore:Detected pickle protocol")  # torch's note on reading the planted file
def test_planted_pickle_as_weights_never_runs(tok, tmp_path):
    tiny(tok).save(tmp_path / "m")
    marker = tmp_path / "code-ran"
    plant(tmp_path / "m" / "weights.pt", marker)
    with pytest.raises(ModelFileError, match="weights.pt"):
        encoder_mod.load(tmp_path / "m")
    assert not marker.exists()


# -------------------------------------------------- 2. a damaged model folder: one error naming the file
def _edit_config(folder: Path, change) -> None:
    cfg = json.loads((folder / "config.json").read_text())
    change(cfg)
    (folder / "config.json").write_text(json.dumps(cfg))


def _extra_tensor(folder: Path) -> None:
    state = torch.load(folder / "weights.pt", weights_only=True)
    torch.save({**state, "surprise.weight": torch.zeros(2)}, folder / "weights.pt")


DAMAGE = {  # name -> (what is done to a good folder, the file the error must name, words it must say)
    "empty weights": (lambda f: (f / "weights.pt").write_bytes(b""), "weights.pt", "empty"),
    "truncated weights": (lambda f: (f / "weights.pt").write_bytes((f / "weights.pt").read_bytes()[:300]),
                          "weights.pt", "cannot be read"),
    "random-byte weights": (lambda f: (f / "weights.pt").write_bytes(np.random.default_rng(0).bytes(2000)),
                            "weights.pt", "cannot be read"),
    "missing weights": (lambda f: (f / "weights.pt").unlink(), "weights.pt", "missing"),
    "an extra tensor": (_extra_tensor, "weights.pt", "unknown tensor"),
    "shapes that do not match": (lambda f: _edit_config(f, lambda c: c["backbone"].update(d_model=32)),
                                 "weights.pt", "wrong shapes"),
    "config without backbone": (lambda f: _edit_config(f, lambda c: c.pop("backbone")), "config.json",
                                "backbone"),
    "config with an unknown key": (lambda f: _edit_config(f, lambda c: c.update(colour="red")), "config.json",
                                   "unknown key"),
    "backbone with an unknown key": (lambda f: _edit_config(f, lambda c: c["backbone"].update(wings=2)),
                                     "config.json", "wings"),
    "config that is not JSON": (lambda f: (f / "config.json").write_text("{\"format\": "), "config.json",
                                "not valid JSON"),
    "tokenizer that is not JSON": (lambda f: (f / "tokenizer.json").write_bytes(b"\x00\xff"), "tokenizer.json",
                                   "damaged"),
}


@pytest.mark.parametrize("damage", list(DAMAGE))
def test_a_damaged_model_folder_is_one_error_naming_the_file(damage, tok, tmp_path):
    folder = tmp_path / "model"
    tiny(tok).save(folder)
    harm, file, words = DAMAGE[damage]
    harm(folder)
    with pytest.raises(ModelFileError) as err:
        SentenceEncoder.load(folder)
    msg = str(err.value)
    assert str(folder / file) in msg and words in msg and "\n" not in msg
    assert isinstance(err.value, ValueError)


# ----------------------------------------------- 3. load_or_train replaces a damaged complete cache
@pytest.mark.parametrize("damage", ["empty weights", "random-byte weights", "empty head"])
def test_load_or_train_replaces_a_damaged_complete_cache(damage, tok, tmp_path):
    from minisent.training.mlm import MLMObjective
    from minisent.training.cache import load_or_train
    from minisent.training.mlm import MLMRun

    def run(seed):
        enc = tiny(tok, seed=seed)
        return MLMRun(enc, MLMObjective(enc.dim, tok.vocab_size), {"loss": [float(seed)]})

    path = tmp_path / "cache"
    run(1).save(path)
    assert (path / "history.json").exists()  # a complete copy ...
    if damage == "empty head":
        (path / "mlm_head.pt").write_bytes(b"")
    else:
        DAMAGE[damage][0](path)               # ... with one damaged file
    trained = []
    result = load_or_train(path, MLMRun.load, lambda: trained.append(2) or run(2), lambda r, p: r.save(p))
    assert trained == [2] and result.history == {"loss": [2.0]}
    again = MLMRun.load(path)                 # replaced: the folder now holds the retrained run
    assert again.history == {"loss": [2.0]} and same_weights(again.encoder, result.encoder)


# ------------------------------------------------------------------------------ 4. atomic saves
def test_a_save_that_fails_halfway_leaves_the_old_model(tok, tmp_path, monkeypatch):
    folder = tmp_path / "model"
    old = tiny(tok, seed=1)
    old.save(folder)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    real_save = torch.save

    def fail_halfway(obj, f, *args, **kwargs):
        real_save(obj, f, *args, **kwargs)
        Path(f).write_bytes(Path(f).read_bytes()[:100])  # half a file on disk, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(torch, "save", fail_halfway)
    with pytest.raises(OSError, match="No space"):
        tiny(tok, seed=2, d_model=32).save(folder)  # a new config too: a mix of old and new would still load
    monkeypatch.undo()
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before
    assert same_weights(SentenceEncoder.load(folder), old)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # no temporary folder left behind


def test_a_save_replaces_the_whole_folder_and_never_a_foreign_one(tok, tmp_path):
    from minisent.training.cache import save_with_history

    folder = tmp_path / "model"
    save_with_history(tiny(tok, seed=1), {"loss": [1.0]}, folder)
    new = tiny(tok, seed=2)
    new.save(folder)
    assert not (folder / "history.json").exists()  # the old model's files go with it
    assert same_weights(SentenceEncoder.load(folder), new)
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "thesis.txt").write_text("years of work")
    with pytest.raises(FileExistsError, match="not a saved model"):
        new.save(tmp_path / "notes")
    assert (tmp_path / "notes" / "thesis.txt").read_text() == "years of work"


# ------------------------------------------------------------------ 5. train --out EXISTING refuses
def test_train_refuses_an_existing_out_unless_overwrite(tok, tmp_path, monkeypatch, capsys):
    import minisent.training.mlm as train_mod
    from minisent.__main__ import main

    folder = tmp_path / "model"
    old = tiny(tok, seed=1)
    old.save(folder)
    calls = []

    def fake_trainer(out, config, minutes=None, device=None):
        calls.append(out)
        tiny(tok, seed=7).save(out)

    monkeypatch.setattr(train_mod, "train_mlm_cli", fake_trainer)
    assert main(["train", "mlm", "--out", str(folder), "--steps", "1"]) == 2
    assert "--overwrite" in capsys.readouterr().err and calls == []
    assert same_weights(SentenceEncoder.load(folder), old)
    assert main(["train", "mlm", "--out", str(folder), "--steps", "1", "--overwrite"]) == 0
    assert same_weights(SentenceEncoder.load(folder), tiny(tok, seed=7))
    (tmp_path / "empty").mkdir()  # an empty folder holds nothing to lose
    assert main(["train", "mlm", "--out", str(tmp_path / "empty"), "--steps", "1"]) == 0


# ------------------------------------------------------------------------------------ 7. devices
def test_unknown_device_names_the_devices_here(monkeypatch):
    monkeypatch.delenv(device_mod.ENV_VAR, raising=False)
    for name in ("banana", "cuda:x", ""):
        with pytest.raises(ValueError) as err:
            device_mod.get_device(name or "  ")
        assert "devices here: " + ", ".join(device_mod.available_devices()) in str(err.value)
    monkeypatch.setenv(device_mod.ENV_VAR, "banana")
    with pytest.raises(ValueError, match=f"{device_mod.ENV_VAR}='banana'.*unset it"):
        device_mod.get_device()


def test_absent_cuda_is_a_device_error_listing_the_devices(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    monkeypatch.setenv(device_mod.ENV_VAR, "cuda")
    with pytest.raises(device_mod.DeviceError, match=r"no CUDA GPU.*devices here: (mps, )?cpu"):
        device_mod.get_device()
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    with pytest.raises(device_mod.DeviceError, match="1 CUDA GPU"):
        device_mod.get_device("cuda:3")
    assert device_mod.get_device("cuda:0") == torch.device("cuda:0")


def test_cli_catches_its_own_errors_but_keeps_bugs_visible(monkeypatch, capsys):
    import minisent.__main__ as cli

    monkeypatch.setenv(device_mod.ENV_VAR, "cpu")

    def raiser(error):
        def command(args):
            raise error
        return command

    for error, code in ((device_mod.DeviceError("no such GPU"), 2), (ModelFileError("weights.pt is empty"), 2)):
        monkeypatch.setattr(cli, "_cmd_search", raiser(error))
        assert cli.main(["search", "x"]) == code
        assert capsys.readouterr().err == f"error: {error}\n"
    for bug in (RuntimeError("a shape bug"), KeyError("a missing key"), TypeError("a wrong call")):
        monkeypatch.setattr(cli, "_cmd_search", raiser(bug))
        with pytest.raises(type(bug)):
            cli.main(["search", "x"])


# ------------------------------------------------------------------------------- 9. smaller edges
def test_a_folder_named_like_a_built_in_model_does_not_shadow_it(tok, tmp_path, monkeypatch):
    from minisent.models import load_model
    from minisent.wordvec.tfidf import TfidfEncoder

    monkeypatch.chdir(tmp_path)
    Path("tfidf").mkdir()
    assert isinstance(load_model("tfidf"), TfidfEncoder)
    tiny(tok).save("tfidf")
    assert isinstance(load_model("./tfidf"), SentenceEncoder)  # the folder, asked for as a path


def test_files_without_pairs_are_errors(tmp_path):
    empty = tmp_path / "sts-test.csv"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(ValueError, match="no sentence pairs"):
        read_stsb(empty)
    header = "pair_ID\tsentence_A\tsentence_B\trelatedness_score\tSemEval_set\n"
    sick = tmp_path / "SICK.txt"
    sick.write_text(header, encoding="utf-8")
    with pytest.raises(ValueError, match="no sentence pairs"):
        read_sick(sick)
    sick.write_text(header + "1\tA dog runs.\tA dog is running.\t4.5\tTRAIN\n", encoding="utf-8")
    assert len(read_sick(sick, split="train")) == 1
    with pytest.raises(ValueError, match="no sentence pairs in split 'test'"):
        read_sick(sick, split="test")


def test_a_latin1_file_names_the_file_and_the_line(tmp_path):
    rows = ["main-news\tf\t2024\t1\t4.0\tThe cafe opened.\tA cafe opened.",
            "main-news\tf\t2024\t2\t3.0\tIt rained.\tRain fell.",
            "main-news\tf\t2024\t3\t1.0\tThe caf\u00e9 closed.\tMarkets fell."]
    cases = {"sts.csv": (read_stsb, "\r\n".join(rows)),
             "sick.txt": (read_sick, "sentence_A\tsentence_B\trelatedness_score\nOne.\tTwo.\t3\nCaf\u00e9.\tTwo.\t3"),
             "lines.txt": (read_lines, "one\n\ntwo\ncaf\u00e9"),
             "nli.csv": (read_nli_csv, "sent0,sent1,hard_neg\na,b,c\ncaf\u00e9,b,c")}
    for name, (reader, text) in cases.items():
        path = tmp_path / name
        path.write_bytes(text.encode("latin-1"))
        line = 3 if name != "lines.txt" else 4
        with pytest.raises(ValueError, match=re.escape(f"{path}, line {line}: byte 0xe9 is not UTF-8")):
            reader(path)


def test_decode_rejects_ids_outside_the_vocabulary(tok):
    good = tok.encode("the cat sat", add_special_tokens=False)
    assert tok.decode(good) == "the cat sat"
    for bad in ([-1], [tok.vocab_size], good + [10**6]):
        with pytest.raises(ValueError, match="outside this vocabulary"):
            tok.decode(bad)
        with pytest.raises(ValueError, match="outside this vocabulary"):
            tok.decode(torch.tensor(bad))
    with pytest.raises(ValueError, match="outside this vocabulary"):
        tok.convert_ids_to_tokens([-2])
