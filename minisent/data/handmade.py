"""The sets written by hand for this course, kept in `data/` (formats and how they were made: data/README.md).

    mini_sts()        data/mini_sts.tsv         sentence1 sentence2 score category topic -> list[STSPair]
    nli_triplets()    data/nli_triplets.csv     sent0,sent1,hard_neg                     -> list[NLITriplet]
    topic_sentences() data/topic_sentences.tsv  topic sentence                           -> list[LabelledSentence]
    qa_pairs()        data/qa_pairs.tsv         question passage topic                   -> list[QAPair]

The evaluation sets take split="dev" (rows 0, 2, 4, ...: for choosing) or split="test" (rows 1, 3, 5, ...:
for reporting); the default None gives every row (`corpora.dev_test_split`, data/README.md).

The .tsv files are tab-separated with a header line; columns are found by name, quotes are plain
characters. Each loader takes an optional `path` (default: the file in DATA_DIR) so that a reader
can point it at their own file of the same format.
"""
from __future__ import annotations

from pathlib import Path

from . import paths
from .corpora import LabelledSentence, STSPair, dev_test_split
from .readers import NLITriplet, PathLike, QAPair, _score, read_nli_csv, read_tsv_records

MINI_STS = "mini_sts.tsv"
NLI_TRIPLETS = "nli_triplets.csv"
TOPIC_SENTENCES = "topic_sentences.tsv"
QA_PAIRS = "qa_pairs.tsv"


def _locate(path: PathLike | None, name: str) -> Path:
    """The file to read: `path`, or DATA_DIR/name; FileNotFoundError naming it when it is missing."""
    # paths.DATA_DIR is looked up at call time, so tests (and MINISENT_DATA_DIR) can move it
    path = Path(path) if path is not None else paths.DATA_DIR / name
    if not path.exists():
        raise FileNotFoundError(f"{path} does not exist. {name} is one of the course's hand-written sets, "
                                f"committed in the repository's data/ folder (see data/README.md): restore it "
                                f"with `git checkout -- data/{name}`, set MINISENT_DATA_DIR to the folder "
                                f"that holds it, or pass path= explicitly")
    return path


def mini_sts(path: PathLike | None = None, split: str | None = None) -> list[STSPair]:
    """The hand-written mini-STS set: sentence pairs with a 0..5 similarity and a category
    (paraphrase, negation, word order, ...). The topic column is not part of STSPair and is dropped.
    split: "dev" / "test" (175 pairs each, every category in both) or None (all 350)."""
    path = _locate(path, MINI_STS)
    return dev_test_split([STSPair(r["sentence1"], r["sentence2"], _score(r["score"], path, n), r["category"])
                           for n, r in read_tsv_records(path, ("sentence1", "sentence2", "score", "category"))],
                          split)


def nli_triplets(path: PathLike | None = None) -> list[NLITriplet]:
    """Hand-written (anchor, positive, negative) triplets for supervised contrastive training."""
    return read_nli_csv(_locate(path, NLI_TRIPLETS))


def topic_sentences(path: PathLike | None = None, split: str | None = None) -> list[LabelledSentence]:
    """Sentences labelled with their topic (LabelledSentence.label = topic), for clustering and probes.
    split: "dev" / "test" (225 each, every topic in both) or None (all 450)."""
    path = _locate(path, TOPIC_SENTENCES)
    return dev_test_split([LabelledSentence(r["sentence"], r["topic"])
                           for _, r in read_tsv_records(path, ("topic", "sentence"))], split)


def qa_pairs(path: PathLike | None = None, split: str | None = None) -> list[QAPair]:
    """Questions, each with the passage that answers it (and a topic), for retrieval.
    split: "dev" / "test" (60 each) or None (all 120)."""
    path = _locate(path, QA_PAIRS)
    return dev_test_split([QAPair(r["question"], r["passage"], r["topic"])
                           for _, r in read_tsv_records(path, ("question", "passage"), optional=("topic",))], split)
