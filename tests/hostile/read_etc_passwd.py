# attack: read files outside the working folder (/etc/passwd, /etc/hostname) and return what they hold as Q
# expect-status: failed
# expect-score: 0
import torch


def q_backward(a, b):
    with open("/etc/passwd") as handle:
        lines = handle.read().splitlines()
    print("first passwd entry:", lines[0])
    return torch.tensor([float(len(line)) for line in lines[: len(a)]])
