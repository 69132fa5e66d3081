# attack: one 40 GB tensor at import, far beyond the 256 MB allowed
# expect-error: memory
# limits: memory_mb=256
import torch

BIG = torch.ones(10**10)


def q_backward(a, b):
    return BIG
