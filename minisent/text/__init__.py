"""Text to ids: the word-level and BPE tokenizers (lesson 03) and the discrete noise SimCSE adds (lesson 07)."""
