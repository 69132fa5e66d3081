"""`python -m grader.sandbox.zygote FD`: the zygote of grader.sandbox.pool.Zygote.fresh, in a new interpreter.

It imports torch and warms autograd before anything else, then forks launchers on request over the Unix socket it
was handed (file descriptor FD), exactly as a forked zygote does; it holds nothing of the process that started it.
"""

from __future__ import annotations

import os
import socket
import sys

from .pool import serve
from .spawner import warm_up


def main(argv: list[str]) -> int:
    sock = socket.socket(fileno=int(argv[1]))
    warm_up()
    serve(sock, os.getppid())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
