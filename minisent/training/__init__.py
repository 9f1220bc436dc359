"""Training: one generic loop (`train.fit`) and one file per objective (MLM, triplets, SimCSE), plus
gradient caching, torch.distributed and distillation."""
