# attack: write to file descriptor 2 directly (no Python buffering) without end
# expect-error: output_limit
import os


def q_backward(a, b):
    while True:
        os.write(2, b"e" * 4096)
