"""Close a process's file descriptors but the ones it keeps: what a child does before it runs and before it exits."""

from __future__ import annotations

import os


def close_all_but(keep: set[int]) -> None:
    """Close every descriptor below 65536 that is not in `keep`."""
    start = 0
    for fd in sorted(keep):
        if start < fd:  # never an empty range: os.closerange(0, 0) closes every descriptor (close_range's ~0 max)
            os.closerange(start, fd)
        start = fd + 1
    os.closerange(start, 1 << 16)
