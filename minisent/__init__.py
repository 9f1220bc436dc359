"""minisent: sentence embeddings from scratch.

    from minisent import data

    from minisent.evaluation import evaluate
    from minisent.device import setup
    model = minisent.load_model("tfidf")          # or a saved encoder directory
    vectors = model.encode(["a sentence", "another one"])   # np.ndarray (2, d)
"""
__version__ = "0.1.0"

from .models import load_model  # noqa: E402


def load(directory):
    """Load a SentenceEncoder saved with `.save(directory)`."""
    from .nn.encoder import load as _load

    return _load(directory)
