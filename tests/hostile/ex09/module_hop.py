# attack: ex09 forbids autograd; hop from torch to the pickle module it imported, whose loads can call any getattr
# exercise: ex09
# expect-status: failed
# expect-score: 8
import torch

PAYLOAD = b"ctorch._C\n_ImperativeEngine\n."  # pickle: the global torch._C._ImperativeEngine


def manual_mse_grads(x1, x2, w1, w2, b, y_true):
    engine = torch.serialization.pickle.loads(PAYLOAD)()
    loss = (((x1 * w1 + x2 * w2 + b) - y_true) ** 2).mean()
    grads = engine.run_backward((loss,), (torch.ones_like(loss),), False, False, (w1, w2, b), False, False)
    return tuple(g.detach() for g in grads)
