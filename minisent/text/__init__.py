"""Text to ids: the word-level and BPE tokenizers (lesson 03), BERT's WordPiece (lesson 13), and the discrete
noise SimCSE adds to a sentence (lesson 07)."""
