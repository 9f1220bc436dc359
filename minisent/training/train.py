"""Training, the names the lessons use: the one loop and the course's MLM run.

    loop.py        fit(model, objective, batches, steps): the loop every objective trains with; lr_at, to_device
    checkpoint.py  checkpoint and resume a run of `fit` exactly
    cache.py       cache-or-train: a trained model under data/cache/, named by a hash of its recipe
    mlm.py         masked-language-model pretraining and the course's default MLM encoder (pretrained_mlm)
    recipes.py     every objective's recipe as one dataclass (MLMConfig here), overridable by keyword
"""
from .cache import load_or_train, save_with_history  # noqa: F401
from .checkpoint import CHECKPOINT_FILE  # noqa: F401
from .loop import fit, lr_at, recent_loss, to_device  # noqa: F401
from .mlm import MLMRun, mlm_sentences, pretrained_mlm, pretrained_mlm_run, train_mlm, train_mlm_cli  # noqa: F401
from .recipes import DEFAULT_MLM_CONFIG, MLMConfig  # noqa: F401
