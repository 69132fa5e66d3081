"""What kind of thing an encoded value is (a tensor, a Python number, a list of numbers, a module, ...), and the
finding when a returned value is of another kind than the reference's.

Judged before any value: the value comparison is tolerant on purpose (it reads numbers, lists of numbers and
tensors alike as float64 tensors), so without this Q.tolist() would pass for the tensor Q and a 0-d tensor for
loss.item().
"""

from __future__ import annotations

from typing import Any

from .diagnose import Finding
from .exercise import Contract

PLURALS = {"tensor": "tensors", "sequence": "lists", "str": "strings", "dict": "dicts", "module": "modules",
           "optimizer": "optimizers", "none": "None values", "bool": "bools", "subclass": "tensor subclasses"}

NUMPY_SCALARS = frozenset({"float64", "float32", "float16", "int64", "int32", "bool_"})


def kind_of(node: Any) -> str | None:
    """The kind two values must share, or None where none can be told (nothing came back, a probe failed).

    Lists and tuples are one kind (sequences), as are ints and floats (Python numbers): both read the same way.
    """
    if node is None:
        return "none"
    if isinstance(node, bool):
        return "bool"
    if isinstance(node, (int, float)):
        return "number"
    if not isinstance(node, dict):
        return None
    tag = node.get("t")
    if tag == "tensor":
        return "subclass" if node.get("subclass") else "tensor"
    if tag in ("list", "tuple"):
        return "sequence"
    if tag == "float" or tag == "object" and node.get("cls") == "int":  # nan/inf, or an int too large for JSON
        return "number"
    if tag in ("missing", "error"):
        return None
    return f"object:{node.get('cls')}" if tag == "object" else tag


def _number(nodes: list) -> str:
    if all(type(n) is int or isinstance(n, dict) and n.get("cls") == "int" for n in nodes):
        return "int"
    return "float" if all(type(n) is float or isinstance(n, dict) and n.get("t") == "float" for n in nodes) else ""


def describe(node: Any) -> str:
    """A short noun phrase for a student: 'a tensor', 'a Python float', 'a list of Python floats', 'None'."""
    kind = kind_of(node)
    if kind == "none":
        return "None"
    if kind == "number":
        return f"a Python {_number([node]) or 'number'}"
    if kind in ("tensor", "bool", "str", "dict"):
        return {"tensor": "a tensor", "bool": "a bool", "str": "a string", "dict": "a dict"}[kind]
    if kind == "subclass":
        return f"a tensor subclass '{node.get('cls')}'"
    if kind == "module":
        return f"an nn.Module ({node.get('cls')})"
    if kind == "optimizer":
        return f"a torch.optim optimizer ({node.get('cls')})"
    if kind == "object:ndarray":
        return "a numpy array"
    if kind is not None and kind.startswith("object:") and kind.split(":", 1)[1] in NUMPY_SCALARS:
        return f"a numpy {kind.split(':', 1)[1]}"
    if kind == "sequence":
        items = node["items"]
        if not items:
            return f"an empty {node['t']}"
        kinds = {kind_of(item) for item in items}
        if len(kinds) != 1:
            return f"a {node['t']}"
        (each,) = kinds
        plural = f"Python {_number(items) or 'number'}s" if each == "number" else PLURALS.get(each, "objects")
        return f"a {node['t']} of {plural}"
    return f"a {node.get('cls', 'value') if isinstance(node, dict) else type(node).__name__} object"


def _uniform(node: dict) -> bool:
    return len({kind_of(item) for item in node["items"]}) <= 1


def _first_mismatch(want: Any, got: Any, label: str) -> tuple[str, Any, Any] | None:
    """The first place, walking into sequences and dicts, where got is another kind than want."""
    expected, actual = kind_of(want), kind_of(got)
    if expected is None or actual is None or expected == "none":  # nothing to tell, or None is expected: values say
        return None
    if expected != actual:
        return label, want, got
    pairs: list = []
    if expected == "sequence":
        pairs = [(w, g, f"{label}[{i}]") for i, (w, g) in enumerate(zip(want["items"], got["items"]))]
    elif expected == "dict":
        pairs = [(want["items"][k], got["items"][k], f"{label}[{k!r}]") for k in want["items"] if k in got["items"]]
    for w, g, where in pairs:
        found = _first_mismatch(w, g, where)
        if found is not None:  # a whole list of the wrong kind of item is named as the list, a stray item alone
            return (label, want, got) if expected == "sequence" and _uniform(want) and _uniform(got) else found
    return None


def _advice(label: str, want: Any, got: Any, contract: Contract) -> str:
    expected, actual = kind_of(want), kind_of(got)
    if actual == "none":
        if label in contract.returns:
            return (f"{contract.function}() gave None for it; end it with return {', '.join(contract.returns)} "
                    f"(a function that never reaches a return statement returns None)")
        return f"put {describe(want)} there, not None"
    if expected == "tensor":
        if actual == "subclass":
            return "return a plain torch.Tensor, not a subclass of it"
        if actual == "number":
            return (f"return the tensor {label} itself, not {label}.item() or float({label}): a Python number has "
                    f"no shape, no grad_fn and no gradient")
        if actual == "sequence" and kind_of(got["items"][0] if got["items"] else None) == "tensor":
            return "return one tensor, not a list of them (torch.stack joins tensors of one shape)"
        if actual == "sequence":
            return f"return the tensor {label} itself, not {label}.tolist()"
        if actual in ("object:ndarray", "object:generic") or actual.startswith("object:") and \
                actual.split(":", 1)[1] in NUMPY_SCALARS:
            return (f"return the tensor {label} itself, not {label}.detach().numpy() or a numpy array: numpy "
                    f"arrays carry no grad_fn and no gradient; keep every step in torch (torch.exp, torch.sum, "
                    f"...) and return the tensor")
    if expected == "number" and actual == "tensor":
        return f"turn the one-element tensor into a Python number with .item() ({label}.item())"
    if expected == "sequence" and actual == "sequence":  # a list of tensors where a list of numbers is expected
        if {kind_of(i) for i in want["items"]} == {"number"} and {kind_of(i) for i in got["items"]} == {"tensor"}:
            return (f"call .item() on each one-element tensor before you add it to the list "
                    f"({label}.append(loss.item()))")
    if expected == "sequence" and actual == "tensor":
        return "collect .item() of each value as you go, or turn the tensor into a list with .tolist()"
    if expected == "module":
        return "return the model (the nn.Module) itself"
    if expected == "optimizer":
        return "return the torch.optim optimizer itself, e.g. torch.optim.SGD(parameters, lr=...)"
    return f"return {describe(want)} there, as the exercise's signature says: {contract.signature}"


def kind_mismatch(label: str, want: Any, got: Any, contract: Contract) -> Finding | None:
    """A `type` finding when the student's value is another kind than the reference's; None when they agree."""
    found = _first_mismatch(want, got, label)
    if found is None:
        return None
    where, want, got = found
    return Finding("type", f"{where}: got {describe(got)}, expected {describe(want)}: "
                           f"{_advice(where, want, got, contract)}.")
