"""minisent.data: every sentence the course reads, offline by default.

- `corpora`   corpora built from files the installed gensim ships (Wikipedia, Lee, WordSim353, ...)
- `handmade`  the sets written for this project, in `data/`
- `readers`   readers for the standard public formats (STS-B, SICK, NLI triplet csv, plain lines)
- `catalog`   the table of optional downloads of bigger public sets: where from, where they live
- `downloads` fetching them (checksums, archives), cached under `data/cache/`
"""
from .paths import CACHE_DIR, DATA_DIR, cache_lock
from .corpora import (SPLITS, LabelledSentence, STSPair, WikiSentence, WordPair, check_split, corpus_sentences,
    corpus_stats, dev_test_split, lee_background, lee_documents, lee_pairs, newsgroup_sentences, sentiment_sentences,
    simlex999, split_sentences, tokenize_words, wiki_articles, wiki_sentences, wordsim353)
from .readers import NLITriplet, QAPair, guess_sts_format, read_lines, read_nli_csv, read_sick, read_sts, read_stsb
from .handmade import mini_sts, nli_triplets, qa_pairs, read_tsv_records, topic_sentences
from .downloads import DOWNLOADS, ChecksumMismatch, Download, DownloadUnavailable, download, load, path_of
from .triplets import section_yardstick
