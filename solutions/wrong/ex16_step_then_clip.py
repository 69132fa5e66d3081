# expect: clipped-after-step
# check: model.0.weight
"""Steps first and clips afterwards: the update used the unclipped gradients."""
import torch
import torch.nn.functional as F


def clipped_step(model, x, y, lr, max_norm):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    optimizer.zero_grad()
    loss = F.mse_loss(model(x).squeeze(-1), y)
    loss.backward()
    optimizer.step()
    total_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    return loss, total_norm
