"""An exercise -> the starter file a student fills in."""

from __future__ import annotations

import textwrap

from .exercise import Exercise


def starter_text(exercise: Exercise) -> str:
    """The prompt as the module docstring, then the exercise's starter code (or the bare signature)."""
    prompt = exercise.prompt.replace('"""', '\\"\\"\\"')
    doc = f'"""{exercise.id}: {exercise.title}\n\n{prompt}\n\nCheck your answer with: grade {exercise.id}\n"""\n'
    code = exercise.starter.strip("\n")
    if not code and exercise.contract.base:
        code = _class_skeleton(exercise)
    elif not code:
        code = (f"import torch\n\n\ndef {exercise.contract.signature}:\n"
                f"    # TODO: your code here\n    raise NotImplementedError")
    return doc + "\n" + textwrap.dedent(code) + "\n"


def _class_skeleton(exercise: Exercise) -> str:
    """A class deriving from the contract's base, with the methods the grader calls, each still to be written."""
    contract, args = exercise.contract, ", ".join(exercise.input_names)
    if contract.is_module:
        params = ", ".join(contract.init)
        return (f"import torch\n\n\nclass {contract.function}(torch.nn.Module):\n"
                f"    def __init__(self{', ' + params if params else ''}):\n        super().__init__()\n"
                f"        # TODO: create the layers\n\n    def forward(self, {args}):\n"
                f"        # TODO: your code here\n        raise NotImplementedError")
    return (f"import torch\n\n\nclass {contract.function}(torch.autograd.Function):\n    @staticmethod\n"
            f"    def forward(ctx, {args}):\n        # TODO: compute the result; save what backward needs with "
            f"ctx.save_for_backward\n        raise NotImplementedError\n\n    @staticmethod\n"
            f"    def backward(ctx, grad_output):\n        # TODO: one gradient per input of forward\n"
            f"        raise NotImplementedError")
