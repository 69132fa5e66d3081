"""In the child: the trials' fixture and callable inputs, which the grading process built and serialized.

The child never reads the course's fixtures.py (it is hidden from it); it receives the objects made from it as bytes
(grader.inputs.pack_built). They are loaded before any student code runs; a trial that needs its objects again (a
notebook that assigns the model twice) gets a fresh copy from the same bytes.
"""

from __future__ import annotations

import pickle
from typing import Any

_loads = pickle.loads  # bound before any student code runs; cloudpickle's output is read by pickle itself


class BuiltInputs:
    """Each trial's built inputs: the ones loaded at the start first, then fresh copies."""

    def __init__(self, blobs: tuple[bytes, ...]) -> None:
        self._blobs = blobs
        self._first: list[dict | None] = [_loads(blob) for blob in blobs]  # noqa: S301 - written by the grader

    def take(self, index: int) -> dict[str, Any] | None:
        """Trial `index`'s objects by input name; None when the exercise has no fixture or callable input."""
        if not self._blobs:
            return None
        first = self._first[index]
        if first is not None:
            self._first[index] = None
            return first
        return _loads(self._blobs[index])  # noqa: S301 - written by the grading process, never by the child
