# expect: stale-gradients
# check: total_norm
"""Never zeroes the gradients: backward() adds the new gradient to the stale one the model came with."""
import torch
import torch.nn.functional as F


def clipped_step(model, x, y, lr, max_norm):
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    loss = F.mse_loss(model(x).squeeze(-1), y)
    loss.backward()
    total_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), max_norm)
    optimizer.step()
    return loss, total_norm
