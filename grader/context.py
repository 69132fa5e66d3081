"""What an exercise declares that a diagnosis may name as a cause: a learning rate, a mean, a square, the sizes.

A constant factor has many possible causes; a message that offers "a wrong learning rate" where there is none, or
"a forgotten mean" where nothing is averaged, sends the student looking for a mistake that cannot exist. So the
causes are read from what the exercise declares, never guessed from the numbers alone:

- a learning rate: an input whose name is one (LEARNING_RATE_NAMES, e.g. `lr`) and whose kind is a number;
- a mean: the reference's code (`.mean(`, `torch.mean`, an nn loss with its default reduction) or, in a student
  bundle, which holds no reference code, the prompt ("mean", "average");
- a square: `**2`, `pow(`, `square` in the reference, or "²"/"square" in the prompt;
- the sizes: every dimension and element count of the trial's tensor inputs, which a mean divides by.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .exercise import Exercise

LEARNING_RATE_NAMES = frozenset({"lr", "learning_rate", "step_size", "eta"})
NUMBER_KINDS = frozenset({"float", "int", "choice", "value"})
_MEAN_CODE = re.compile(r"\.mean\(|torch\.mean|reduction\s*=\s*['\"]mean|"
                        r"(MSELoss|CrossEntropyLoss|BCELoss|BCEWithLogitsLoss|L1Loss|NLLLoss)\(\s*\)|"
                        r"(mse_loss|cross_entropy|binary_cross_entropy(_with_logits)?|l1_loss|nll_loss)\((?![^)]*sum)")
_MEAN_PROMPT = re.compile(r"\bmean\b|\baverag|\bMSE\b", re.IGNORECASE)
_SQUARE_CODE = re.compile(r"\*\*\s*2\b|\bpow\(|\bsquare\(|mse_loss|MSELoss|(\w+)\s*\*\s*\1\b")
_SQUARE_PROMPT = re.compile(r"²|\bsquare|\*\*\s*2\b", re.IGNORECASE)


@dataclass(frozen=True)
class Context:
    """The causes of a constant factor this exercise makes possible, and the sizes a mean would divide by."""

    learning_rate: str = ""  # the input's name, or "" when the exercise has no learning rate
    averages: bool = False
    squares: bool = False
    sizes: frozenset[int] = frozenset()


def read_context(exercise: Exercise, before: dict | None = None) -> Context:
    """The context of one trial: what `exercise` declares, and the sizes of the tensor inputs in `before`."""
    reference = exercise.reference.source if exercise.reference is not None else ""
    prompt = exercise.prompt or ""
    rate = next((spec.name for spec in exercise.inputs
                 if spec.name.lower() in LEARNING_RATE_NAMES and spec.kind in NUMBER_KINDS), "")
    sizes: set[int] = set()
    for node in (before or {}).values():
        if isinstance(node, dict) and node.get("t") == "tensor":
            shape = [int(d) for d in node.get("shape") or ()]
            sizes.update(d for d in shape if d >= 2)
            if node.get("numel", 0) >= 2:
                sizes.add(int(node["numel"]))
    return Context(learning_rate=rate,
                   averages=bool(_MEAN_CODE.search(reference) if reference else _MEAN_PROMPT.search(prompt)),
                   squares=bool(_SQUARE_CODE.search(reference) or _SQUARE_PROMPT.search(prompt)),
                   sizes=frozenset(sizes))
