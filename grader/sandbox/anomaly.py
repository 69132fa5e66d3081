"""In the child: find the forward line behind an in-place error by running the failing trial again in anomaly mode.

Torch's in-place error surfaces at backward(); anomaly mode records, for every op, where it was called, and names
that place for the op whose backward failed. The parent (grader.explain) reads those frames to name the line that
changed the saved tensor. What this finds only ever changes a message: the trial already failed.
"""

from __future__ import annotations

import re
import warnings
from typing import Any, Callable

import torch

INPLACE_ERROR = "modified by an inplace operation"
MAX_FRAMES = 8  # as grader.sandbox.protocol accepts
_FRAME = re.compile(r'File "([^"\n]+)", line (\d+), in ([^\n]+)\n([^\n]*)')
_detect_anomaly, _catch, _simplefilter = torch.autograd.detect_anomaly, warnings.catch_warnings, warnings.simplefilter


def wanted(error: dict, elapsed_s: float, budget_s: float) -> bool:
    """Whether a trial's exception is the in-place error, and the trial was quick enough to run once more."""
    return INPLACE_ERROR in str(error.get("message", "")) and elapsed_s < budget_s


def forward_frames(again: Callable[[], Any], files: frozenset) -> list[dict]:
    """Call `again` (the failing trial, from fresh inputs) in anomaly mode; the student's frames of the forward call.

    Innermost last, in the student's files only, as grader.sandbox.observe.describe_exception gives frames.
    """
    with _catch(record=True) as caught:
        _simplefilter("always")
        try:
            with _detect_anomaly(check_nan=False):
                again()
        except BaseException:  # noqa: BLE001 - it is expected to raise again; anything else finds nothing
            pass
    for warning in caught:
        text = str(warning.message)
        if "Traceback of forward call" not in text:
            continue
        frames = [{"line": int(line), "function": function.strip()[:200], "code": code.strip()[:2000], "file": file}
                  for file, line, function, code in _FRAME.findall(text) if file in files]
        return frames[-MAX_FRAMES:]
    return []
