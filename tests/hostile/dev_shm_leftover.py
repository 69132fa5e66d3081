# attack: write a file into /dev/shm, shared with the host and with later submissions, where it outlives grading
# expect-status: passed
# needs: namespaces
import torch

try:
    with open("@SHM_PATH@", "w") as handle:
        handle.write("a message for the next submission")
    print("WROTE @SHM_PATH@")
except OSError as exc:
    print("refused", exc.errno)


def q_backward(a, b):
    Q = 3 * a**3 - b**2
    Q.backward(torch.ones_like(Q))
    return Q
