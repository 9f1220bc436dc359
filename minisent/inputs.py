"""The one check every `encode(sentences)` makes on its input, so every encoder fails the same clear way."""
from __future__ import annotations


def check_sentences(sentences) -> list[str]:
    """A list (or any iterable) of str -> list[str]. A single str, or an item that is not a str, raises TypeError."""
    if isinstance(sentences, str):
        raise TypeError("encode expects a list of sentences, not a single str: wrap it, encode([text])")
    sentences = list(sentences)
    for i, s in enumerate(sentences):
        if not isinstance(s, str):
            raise TypeError(f"sentence {i} is {type(s).__name__}, not str (index {i} of the list)")
    return sentences
