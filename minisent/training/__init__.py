"""Training: one generic loop (`loop.fit`, with checkpoint.py and cache.py beside it) and one file per objective
(MLM, triplets, SimCSE, ...), plus gradient caching, torch.distributed and distillation."""
