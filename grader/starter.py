"""An exercise -> the starter file a student fills in."""

from __future__ import annotations

import textwrap

from .exercise import Exercise


def starter_text(exercise: Exercise) -> str:
    """The prompt as the module docstring, then the exercise's starter code (or the bare signature)."""
    prompt = exercise.prompt.replace('"""', '\\"\\"\\"')
    doc = f'"""{exercise.id}: {exercise.title}\n\n{prompt}\n\nCheck your answer with: grade {exercise.id}\n"""\n'
    code = exercise.starter.strip("\n")
    if not code:
        code = (f"import torch\n\n\ndef {exercise.contract.signature}:\n"
                f"    # TODO: your code here\n    raise NotImplementedError")
    return doc + "\n" + textwrap.dedent(code) + "\n"
