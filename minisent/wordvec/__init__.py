"""minisent.wordvec: word vectors, and sentence vectors made by averaging them (lessons 01-02).

- `gensim_models`  word2vec (skip-gram, CBOW) and fastText trained with gensim, cached by name
- `sgns`           skip-gram with negative sampling written out in torch (what gensim does in C)
- `io`             read / write the word2vec and GloVe text formats (drop in real GloVe)
- `averaging`      AveragingEncoder: mean, TF-IDF and SIF weighting, principal-component removal
- `baselines`      build_baseline(name): the four averaging rows of the course leaderboard
- `evaluation`     word-pair similarity (WordSim353, SimLex-999) and analogy accuracy

    from minisent import wordvec
    wv = wordvec.train_vectors("skipgram")                 # KeyedVectors, cached after the first run
    enc = wordvec.AveragingEncoder(wv, weighting="sif", remove_components=1)
    enc.encode(["A dog runs.", "A puppy is running."])     # (2, 100) float32
"""
from .averaging import (OOV_POLICIES, SIF_A, WEIGHTINGS, AveragingEncoder, idf_weight, principal_components,
    remove_components, sif_weight)
from .baselines import BASELINE_NAMES, BASELINES, build_baseline
from .gensim_models import PRESETS, cache_path, corpus_tokens, train_gensim, train_vectors
from .io import load_glove_text, load_text_vectors, load_word2vec_text, save_word2vec_text
from .sgns import (SkipGramNS, Vocab, keep_probabilities, noise_distribution, noise_table, sgns_loss_reference,
    skipgram_pairs, train_sgns)
from .evaluation import analogy_accuracy, read_analogies, word_pair_spearman
