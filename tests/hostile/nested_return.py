# attack: return for Q a list that contains itself, a 20 000-key dict and a million-item list
# expect-status: failed
# expect-score: 6
import torch

LOOP = []
LOOP.append(LOOP)
LOOP.append({str(i): [i] for i in range(2 * 10**4)})
LOOP.append(list(range(10**6)))


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    return LOOP
