"""Siamese / triplet training: it learns a tiny set, it is reproducible, it never sees held-out articles,
its batches give the same vectors as encoding each role on its own, and the CLI saves a loadable encoder."""
import itertools
import random

import numpy as np
import pytest
import torch

import minisent
from conftest import tiny_encoder
from minisent.training import siamese, triplet_data
from minisent.data import NLITriplet
from minisent.data.triplets import section_triplets
from minisent.nn.encoder import SentenceEncoder
from minisent.evaluation.tasks import triplet_accuracy
from minisent.models import load_model
from minisent.text.tokenize import WordTokenizer
from minisent.nn.transformer import TransformerConfig

TOPICS = {
    "cooking": ["she chops onions and garlic for the soup", "the bread rises in a warm oven",
                "he stirs the sauce with a wooden spoon", "fresh pasta boils in salted water",
                "we roast vegetables with olive oil", "the cake needs sugar butter and eggs"],
    "sailing": ["the boat leans as the wind fills the sail", "they drop anchor in a quiet bay",
                "the crew trims the jib before the race", "waves splash over the bow of the yacht",
                "a sailor ties a knot on the mooring line", "the harbour lights guide ships home"],
    "astronomy": ["the telescope points at a distant galaxy", "jupiter has many moons and a great red spot",
                  "a comet tail glows near the sun", "astronomers measure the light of faint stars",
                  "the moon hides the sun during an eclipse", "saturn rings are made of ice and rock"],
    "football": ["the striker shoots and the keeper saves", "fans sing in the stadium after the goal",
                 "the referee shows a yellow card", "the coach changes the team at half time",
                 "a penalty decides the final match", "the defender heads the ball away"],
}


def topic_triplets(seed=0):
    """Every (anchor, positive) of one topic with a negative from another: 4 x 30 = 120 triplets."""
    rng = random.Random(seed)
    out = []
    for topic, sents in TOPICS.items():
        others = [s for t, ss in TOPICS.items() if t != topic for s in ss]
        out += [NLITriplet(a, p, rng.choice(others)) for a, p in itertools.permutations(sents, 2)]
    return out


@pytest.fixture(scope="module")
def tok():
    return WordTokenizer.train([s for ss in TOPICS.values() for s in ss], vocab_size=200, min_count=1)


def tiny(tok, seed=0):
    return tiny_encoder(tok, seed=seed)


def test_training_lowers_the_loss_and_raises_triplet_accuracy(tok, device):
    triplets = topic_triplets()
    enc = tiny(tok).to(device)
    before = triplet_accuracy(enc, triplets)
    enc, h = siamese.train_triplet(encoder=enc, steps=40, triplets=triplets, batch_size=16, lr=3e-3, seed=0,
                                   device=device, progress=False, eval_triplets=triplets, eval_every=20)
    after = triplet_accuracy(enc, triplets)
    assert np.mean(h["loss"][-5:]) < 0.5 * np.mean(h["loss"][:5])
    assert after > before + 0.2 and after > 0.9, (before, after)
    assert h["eval_step"] == [0, 20, 40] and h["eval_acc"][0] == pytest.approx(before)
    assert h["eval_acc"][-1] == pytest.approx(after)
    assert {"batch_acc", "active"} <= set(h) and h["config"]["source"] == "given"


@pytest.mark.parametrize("kwargs", [dict(objective="contrastive", margin=0.5),
                                    dict(mining="hard"), dict(distance="euclidean", margin=1.0)])
def test_other_objectives_learn_too(tok, kwargs):
    triplets = topic_triplets()
    enc = tiny(tok)
    before = triplet_accuracy(enc, triplets)
    enc, h = siamese.train_triplet(encoder=enc, steps=40, triplets=triplets, batch_size=16, lr=3e-3, device="cpu",
                                   progress=False, eval_triplets={"topics": triplets}, eval_every=25, **kwargs)
    assert np.mean(h["loss"][-5:]) < np.mean(h["loss"][:5])
    assert h["eval_step"] == [0, 25, 40] and h["eval_acc"]["topics"][0] == pytest.approx(before)
    # (mining with pair labels treats other sentences of the same topic as negatives: a noisier signal)
    assert triplet_accuracy(enc, triplets) > before + 0.1


def test_same_seed_gives_the_same_weights_on_cpu(tok):
    def run(seed):
        enc, _ = siamese.train_triplet(encoder=tiny(tok, seed), steps=6, triplets=topic_triplets(), batch_size=8,
                                       seed=seed, device="cpu", progress=False)
        return enc.state_dict()

    a, b, c = run(0), run(0), run(1)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


def test_batches_embed_like_separate_forward_passes(tok):
    """Length-sorted chunks + restore give exactly the rows of model(anchors), model(positives), model(negatives)."""
    enc = tiny(tok).eval()
    batches = siamese.TripletBatches(tok, topic_triplets(), batch_size=10, seed=3)
    batch = next(iter(batches))
    t = batch["triplets"]
    with torch.no_grad():
        z = siamese.embed(enc, batch)  # (30, d)
        ref = torch.cat([enc([x.anchor for x in t]), enc([x.positive for x in t]), enc([x.negative for x in t])])
    torch.testing.assert_close(z, ref, rtol=1e-5, atol=1e-6)
    assert batch["labels"].tolist() == list(range(10)) * 2 + list(range(10, 20))
    pairs = siamese.PairBatches(tok, topic_triplets(), batch_size=10, seed=3)
    pb = next(iter(pairs))
    assert pb["triplets"] == t  # same seed, same order
    assert pb["labels"].tolist() == [1.0] * 10 + [0.0] * 10
    assert pb["x1"].tolist() == list(range(10)) * 2 and pb["x2"].tolist() == list(range(10, 30))


def test_bad_input_is_refused(tok):
    with pytest.raises(ValueError, match="batch_size"):
        siamese.TripletBatches(tok, topic_triplets()[:5], batch_size=8)
    with pytest.raises(ValueError, match="empty"):
        siamese.TripletBatches(tok, [("a", "", "c")] * 4, batch_size=2)
    with pytest.raises(ValueError, match="mining"):
        siamese.TripletObjective(mining="hardest")
    with pytest.raises(ValueError, match="source"):
        siamese.training_triplets("wiki")


def test_held_out_articles_never_reach_a_training_batch():
    train, held = section_triplets()
    labels = siamese.section_labels()
    article = lambda s: labels[s].split(" / ")[0]  # noqa: E731
    held_articles = {article(s) for t in held for s in (t.anchor, t.positive, t.negative)}
    triplets = siamese.training_triplets("sections")
    assert triplets == train and held_articles
    tok = WordTokenizer.train([s for t in triplets for s in (t.anchor, t.positive, t.negative)], vocab_size=500)
    batches = siamese.TripletBatches(tok, triplets, batch_size=64, labels=labels, seed=0)
    seen = set()
    for batch in itertools.islice(batches, 2 * len(batches)):  # two epochs
        for t in batch["triplets"]:
            seen.update((t.anchor, t.positive, t.negative))
        # section labels: anchor i and positive i share their section, the negative does not
        lab = batch["labels"].view(3, -1)
        assert torch.equal(lab[0], lab[1]) and not (lab[0] == lab[2]).any()
    assert {article(s) for s in seen}.isdisjoint(held_articles)
    assert len(seen) == len({s for t in triplets for s in (t.anchor, t.positive, t.negative)})


def test_section_batches_draw_training_sections_only():
    tree = triplet_data.training_sections()
    _, held = section_triplets()
    labels = siamese.section_labels()
    held_articles = {labels[s].split(" / ")[0] for t in held for s in (t.anchor, t.positive, t.negative)}
    assert len(tree) >= 50 and held_articles.isdisjoint(tree)
    assert all(len(secs) >= 2 and all(len(v) >= 4 for v in secs.values()) for secs in tree.values())
    tok = WordTokenizer.train([s for secs in tree.values() for v in secs.values() for s in v], vocab_size=500)
    batches = triplet_data.SectionBatches(tok, tree, articles=2, sections=3, per_section=4, seed=0)
    for batch in itertools.islice(batches, 20):
        sents, lab = batch["sentences"], batch["labels"]
        counts = np.bincount(lab.numpy())
        assert set(counts[counts > 0]) == {4} and 4 <= len(set(lab.tolist())) <= 6  # 2 articles x (2 or 3) sections
        assert len({labels[s].split(" / ")[0] for s in sents}) == 2
        assert all(labels[s] == labels[sents[lab.tolist().index(l)]] for s, l in zip(sents, lab.tolist()))
        assert len(batch["restore"]) == len(sents) and sum(len(c) for c in batch["chunks"]) == len(sents)
    # and mining turns a batch of labelled sentences into a loss
    enc = siamese.SentenceEncoder.create(tok, TransformerConfig(vocab_size=tok.vocab_size, max_len=128, d_model=16,
                                                                n_heads=2, n_layers=1, d_ff=32), seed=0)
    loss, metrics = siamese.TripletObjective(mining="semi-hard")(enc, batch)
    assert loss.item() > 0 and 0 < metrics["active"] <= 1
    with pytest.raises(ValueError, match="mining"):
        siamese.TripletObjective()(enc, batch)


@pytest.mark.filterwarnings("ignore:.*truncated")  # the tiny test model reads 32 tokens; Wikipedia sentences are longer
def test_cli_saves_a_loadable_encoder(tok, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(siamese, "initial_encoder", lambda *a, **k: tiny(tok))
    out = tmp_path / "triplet_model"
    enc, history = siamese.train_triplet_cli(out, siamese.DEFAULT_TRIPLET_CONFIG.override(steps=3), device="cpu")
    printed = capsys.readouterr().out
    assert "held-out section-triplet accuracy" in printed and str(out) in printed
    assert len(history["loss"]) == 3 and (out / "history.json").exists()
    sentences = ["the boat leans in the wind", "a comet near the sun"]
    expected = enc.encode(sentences)
    np.testing.assert_array_equal(minisent.load(out).encode(sentences), expected)
    np.testing.assert_array_equal(load_model(str(out)).encode(sentences), expected)
