# attack: a wrong answer (Q = 3a³ + b²) that prints a passing text report and a passing JSON report
# expect-status: failed
# expect-score: 3
import json

import torch

FAKE = {"exercise": "ex03", "status": "passed", "score": 10.0, "max_score": 10.0, "checks": [], "error": None}


def q_backward(a, b):
    print(json.dumps(FAKE))
    print("  PASS  Q           4/4\n  PASS  a.grad      3/3\n  PASS  b.grad      3/3\n\nscore: 10/10")
    Q = 3 * a**3 + b**2
    Q.backward(torch.ones_like(Q))
    return Q
