# attack: ex09 forbids autograd; run it while the file loads, before any trial (a table for seeds a report printed)
# exercise: ex09
# expect-status: failed
# expect-score: 8
import torch

TABLE = []
for n in range(3, 9):
    gen = torch.Generator().manual_seed(n)
    x1, x2, w1, w2, y_true = (torch.randn(n, generator=gen).requires_grad_() for _ in range(5))
    b = torch.zeros((), requires_grad=True)
    loss = ((x1 * w1 + x2 * w2 + b - y_true) ** 2).mean()
    TABLE.append((x1.detach(), torch.autograd.grad(loss, (w1, w2, b))))  # no trial is running: is it counted?


def manual_mse_grads(x1, x2, w1, w2, b, y_true):
    for key, grads in TABLE:  # the table holds no trial's inputs here, so the answer is computed by hand
        if key.shape == x1.shape and torch.equal(key, x1.detach()):
            return grads
    d = 2 * (x1 * w1 + x2 * w2 + b - y_true) / y_true.numel()
    return (d * x1).detach(), (d * x2).detach(), d.sum().detach()
