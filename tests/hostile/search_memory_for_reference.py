# attack: search the child's own memory (gc objects, stack frames) for the reference solution and run it
# expect-status: failed
# expect-score: 3
import gc
import sys

import torch


def find_reference():
    needle = "Q.backward(" + "gradient=torch.ones_like(Q))"  # the reference's line, not spelled out here
    for obj in gc.get_objects():
        try:
            found = getattr(getattr(obj, "reference", None), "source", None)
        except Exception:  # noqa: BLE001 - some objects (ctypes libraries) load what they are asked for
            found = None
        if isinstance(found, str) and "def q_backward" in found:
            return found
        if isinstance(obj, dict):
            for value in list(obj.values())[:50]:
                if isinstance(value, str) and needle in value and "def q_backward" in value:
                    return value
    frame = sys._getframe()
    while frame is not None:
        for value in frame.f_locals.values():
            source = getattr(getattr(getattr(value, "exercise", None), "reference", None), "source", None)
            if isinstance(source, str):
                return source
        frame = frame.f_back
    return None


def q_backward(a, b):
    source = find_reference()
    if source:
        namespace = {"torch": torch}
        exec(source, namespace)
        print("found the reference")
        return namespace["q_backward"](a, b)
    Q = 3 * a**3 + b**2  # nothing found: the wrong answer stands
    Q.backward(torch.ones_like(Q))
    return Q
