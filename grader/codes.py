"""The stable vocabulary of diagnoses (why a check failed) and error kinds (why grading could not finish)."""

from __future__ import annotations

DIAGNOSES: dict[str, str] = {
    "accumulated": "k times the expected gradient for a whole k >= 2: backward() ran k times without clearing .grad",
    "sign": "the expected value with the opposite sign",
    "scaled": "the expected value multiplied or divided by a constant factor, e.g. a sum where a mean is due, or a "
              "mean where none is",
    "summed": "a single number equal to the sum of the expected tensor, e.g. summed over examples",
    "shape": "a tensor of the wrong shape",
    "transposed": "the transpose of the expected matrix",
    "missing_grad": ".grad is None: no requires_grad, no backward(), a detached graph, or a non-leaf",
    "not_leaf": "a tensor that should be a leaf of the graph is the result of an operation",
    "requires_grad": "requires_grad is not what it should be",
    "grad_fn": "the tensor was made by a different operation than expected (grad_fn)",
    "mutated_input": "an input that must be left alone was changed",
    "unchanged": "the tensors passed in were never updated in place, e.g. w = w - lr * w.grad rebinds a name",
    "aliased": "the same tensor was returned several times where clones were needed",
    "frozen": "the wrong set of parameters is trainable",
    "used_autograd": "autograd was used where the gradients must be computed by hand",
    "unverifiable": "code the by-hand check cannot read as plain arithmetic: getattr/eval, private names, other modules",
    "constant": "the same value on every trial although the inputs changed: hard-coded numbers or an assigned .grad",
    "gradcheck": "backward disagrees with finite differences (torch.autograd.gradcheck in float64)",
    "hooks": "a hook left registered after the call (or one missing): keep the handle and call handle.remove()",
    "nonfinite": "NaN or inf in a value or gradient: log of 0, division by 0, exp overflowing",
    "type": "a returned value of another kind than expected, e.g. a list or a Python float where a tensor is due",
    "rule": "the code breaks one of the exercise's rules: a torch function it requires or forbids, in-place writes "
            "to its inputs, or autograd it must use",
    "value": "any other mismatch",
}

ERROR_KINDS: dict[str, str] = {
    "syntax": "the submission is not valid Python",
    "missing": "the function the exercise asks for is not defined",
    "exception": "the submission raised an exception",
    "timeout": "the submission ran longer than the time limit",
    "memory": "the submission used more memory than allowed",
    "crash": "the process running the submission exited early or died on a signal",
    "output_limit": "the submission printed more than the output limit",
    "result_limit": "the submission sent the grader more messages or data than it reads (writes to its result pipe)",
    "no_submission": "the student handed in no file for an assigned exercise (batch grading)",
}
