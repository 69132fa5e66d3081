"""The channel from child to parent: length-prefixed JSON frames, checked shape by shape before anyone trusts them."""

from __future__ import annotations

import json
import math
import struct
from typing import Any

HEADER = struct.Struct(">I")
SANDBOX_NOTE = "sandbox: "  # the note in which the child reports the isolation level it reached
MAX_TEXT = 4000  # characters of one string the parent keeps; an honest child sends at most observe.MAX_TEXT + 3
MAX_NAMES = 100  # names kept of the functions a submission defines (a 'missing' error lists them)
MAX_FRAMES = 8  # stack frames per exception, as observe.describe_exception sends
MAX_ITEMS = 1000  # items of one list or dict value, as observe.MAX_ITEMS sends
MAX_MESSAGES = 5000  # frames the parent reads from one run: an honest child sends a few per trial and notebook cell
MAX_NOTES = 50  # note frames: an honest child sends one for the sandbox and one per stubbed display library
MAX_RULES = 64  # counted functions and modified inputs in one trial's `rules`: an exercise names a few


class Malformed(Exception):
    """The child sent something that is not a well-formed message; the run counts as a crash."""


def frame(payload: bytes) -> bytes:
    return HEADER.pack(len(payload)) + payload


def split_frames(data: bytes, *, most: int | None = None) -> tuple[list[bytes], bytes]:
    """Complete frames in `data` (the first `most` of them, if given), and the bytes after the last one taken.

    Linear in the frames taken: each is copied once, and the rest once at the end.
    """
    frames = []
    offset = 0
    while len(data) - offset >= HEADER.size and (most is None or len(frames) < most):
        (size,) = HEADER.unpack_from(data, offset)
        end = offset + HEADER.size + size
        if end > len(data):
            break
        frames.append(data[offset + HEADER.size:end])
        offset = end
    return frames, data[offset:]


def ends_with_last_word(data: bytes, *, largest: int = 1 << 16) -> bool:
    """Whether `data` is whole frames, at most MAX_MESSAGES, the last of which ends a run (done or error).

    A child that sent it has nothing more to say, so how its process then ends cannot change its grade. A submission
    can send it too, as it can any message; the parent judges every frame as always.
    """
    offset = last = count = 0
    while len(data) - offset >= HEADER.size and count < MAX_MESSAGES:
        (size,) = HEADER.unpack_from(data, offset)
        last, offset, count = offset, offset + HEADER.size + size, count + 1
    if count == 0 or offset != len(data) or offset - last - HEADER.size > largest:
        return False
    try:
        message = json.loads(data[last + HEADER.size:offset])
    except (UnicodeDecodeError, ValueError, RecursionError):
        return False
    return isinstance(message, dict) and message.get("kind") in ("done", "error")


def _need(ok: bool, what: str) -> None:
    if not ok:
        raise Malformed(what)


def _is(value: Any, *kinds: type) -> bool:
    return type(value) in kinds


def _text(obj: dict, key: str) -> None:
    _need(_is(obj.get(key), str), f"'{key}' must be text")


def _number(value: Any) -> bool:
    """A JSON number the parent can turn into a float: bool, float (nan and inf included), or an int that fits."""
    return _is(value, float, bool) or _is(value, int) and abs(value) < 2**1023


def check_tensor(obj: dict, depth: int) -> None:
    _need(_is(obj.get("ref"), int) and _is(obj.get("cls"), str), "a tensor needs ref and cls")
    if obj.get("subclass"):
        return
    shape = obj.get("shape")
    _need(_is(shape, list) and all(_is(s, int) and s >= 0 for s in shape), "tensor shape")
    _need(_is(obj.get("numel"), int) and math.prod(shape) == obj["numel"], "tensor numel")
    _text(obj, "dtype")
    for flag in ("param", "requires_grad", "is_leaf"):
        _need(_is(obj.get(flag), bool), f"tensor {flag}")
    _need(obj.get("grad_fn") is None or _is(obj["grad_fn"], str), "tensor grad_fn")
    _need(obj.get("storage") is None or _is(obj["storage"], int), "tensor storage")
    data = obj.get("data")
    _need(data is None or (_is(data, list) and len(data) == obj["numel"] and all(map(_number, data))), "tensor data")
    grad = obj.get("grad")
    if grad is not None:
        _need(_is(grad, dict) and grad.get("t") == "tensor" and depth < 2, "tensor grad")
        check_tensor(grad, depth + 1)


def check_value(value: Any, depth: int = 0) -> None:
    """Accept only the shapes observe.Encoder produces."""
    _need(depth <= 12, "value nested too deeply")
    if value is None or _number(value):
        return
    _need(_is(value, dict) and _is(value.get("t"), str), "a value is a number or a tagged object")
    tag = value["t"]
    if tag == "tensor":
        check_tensor(value, 0)
    elif tag in ("list", "tuple"):
        _need(_is(value.get("items"), list) and _is(value.get("length"), int), "list items")
        _need(len(value["items"]) <= MAX_ITEMS, f"more than {MAX_ITEMS} list items")
        for item in value["items"]:
            check_value(item, depth + 1)
    elif tag == "dict":
        _need(_is(value.get("items"), dict), "dict items")
        _need(len(value["items"]) <= MAX_ITEMS, f"more than {MAX_ITEMS} dict items")
        for item in value["items"].values():
            check_value(item, depth + 1)
    elif tag == "module":
        _need(_is(value.get("params"), dict) and _is(value.get("modules"), dict), "module parts")
        _need(all(_is(v, str) for v in value["modules"].values()), "module classes")
        for tensor in value["params"].values():
            _need(_is(tensor, dict) and tensor.get("t") == "tensor", "module parameter")
            check_tensor(tensor, 0)
    elif tag == "optimizer":
        _need(_is(value.get("groups"), list), "optimizer groups")
        for group in value["groups"]:
            _need(_is(group, dict) and _is(group.get("params"), list) and _is(group.get("options"), dict), "group")
            for tensor in group["params"]:
                _need(_is(tensor, dict) and tensor.get("t") == "tensor", "optimizer parameter")
                check_tensor(tensor, 0)
    elif tag == "missing":
        _text(value, "why")
    elif tag == "str":
        _text(value, "text")
    elif tag == "float":
        _text(value, "text")
        try:
            float(value["text"])
        except ValueError:
            raise Malformed(f"float text {value['text'][:40]!r} is not a number") from None
    elif tag == "error":
        check_exception(value)
    else:
        _need(tag == "object", f"unknown value tag {tag!r}")


def check_exception(obj: Any) -> None:
    _need(_is(obj, dict), "exception")
    _text(obj, "type")
    _text(obj, "message")
    frames = obj.get("frames")
    _need(_is(frames, list) and len(frames) <= MAX_FRAMES, "exception frames")
    forward = obj.get("forward", [])  # grader.sandbox.anomaly: where the op whose backward failed was called
    _need(_is(forward, list) and len(forward) <= MAX_FRAMES, "forward frames")
    for f in (*frames, *forward):
        _need(_is(f, dict) and _is(f.get("line"), int) and _is(f.get("code"), str) and _is(f.get("function"), str)
              and _is(f.get("file", ""), str), "exception frame")


def _check_values(values: Any, what: str) -> None:
    _need(_is(values, dict) and set(values) - {"measures"} == {"returns", "args", "probes"}, f"{what} values")
    for group, part in values.items():
        _need(_is(part, dict), f"{what} value group")
        if group == "measures":
            check_measures(part)
            continue
        for value in part.values():
            check_value(value)


def check_measures(measures: dict) -> None:
    """Accept only the shapes grader.sandbox.measures produces: a gradcheck verdict, a hook count, a flag."""
    _need(len(measures) <= MAX_ITEMS, f"more than {MAX_ITEMS} measurements")
    for value in measures.values():
        _need(_is(value, dict) and _is(value.get("t"), str), "a measurement is a tagged object")
        tag = value["t"]
        if tag == "gradcheck":
            _need(_is(value.get("ok"), bool), "gradcheck ok")
            _text(value, "message")
        elif tag == "hooks":
            _need(_is(value.get("count"), int) and 0 <= value["count"] < 2**31, "hook count")
        elif tag == "flag":
            _need(value.get("value") is None or _is(value["value"], bool), "flag value")
            _need(value["value"] is not None or _is(value.get("cls"), str), "a flag that is no bool names its type")
        elif tag == "missing":
            _text(value, "why")
        else:
            _need(tag == "error", f"unknown measurement tag {tag!r}")
            check_exception(value)


def _check_error(error: Any, kinds: tuple[str, ...]) -> None:
    _need(_is(error, dict) and error.get("kind") in kinds, "error kind")
    if error["kind"] == "exception":
        check_exception(error)
        return
    _text(error, "message")
    if error["kind"] == "syntax":
        _need(_is(error.get("line"), int), "a syntax error needs its line number")
        _text(error, "code")
    else:
        defined = error.get("defined")
        _need(defined is None or _is(defined, list) and all(_is(name, str) for name in defined),
              "'defined' must be a list of names")
        _need(error.get("found") is None or _is(error["found"], str), "'found' must be text")


def _check_rules(rules: Any) -> None:
    """A trial's rule counts, as grader.sandbox.rulewatch reports them: {counts: {name: n}, modified: [input]}."""
    _need(_is(rules, dict) and set(rules) == {"counts", "modified"}, "rules")
    counts, modified = rules["counts"], rules["modified"]
    _need(_is(counts, dict) and len(counts) <= MAX_RULES and all(
        _is(k, str) and len(k) <= 200 and _is(v, int) and 0 <= v < 2**63 for k, v in counts.items()), "rule counts")
    _need(_is(modified, list) and len(modified) <= MAX_RULES and all(_is(n, str) and len(n) <= 200 for n in modified),
          "modified inputs")


def check_message(message: Any, expected_index: int) -> None:
    """Validate one decoded message, given the index the next trial message must carry."""
    _need(_is(message, dict) and _is(message.get("kind"), str), "a message is an object with a kind")
    kind = message["kind"]
    if kind == "trial":
        index = message.get("index")
        _need(_is(index, int) and index == expected_index, f"trial {index!r} out of order")
        _need(_number(message.get("seconds")), "trial seconds")
        if "rules" in message:
            _check_rules(message["rules"])
        if message.get("freeform") is True:  # a notebook's re-run: its states came before it
            _need(_is(message.get("autograd_calls", 0), int), "autograd_calls")
            return
        if "exception" in message:
            check_exception(message["exception"])
            return
        _check_values(message.get("values"), "trial")
        _need(_is(message.get("autograd_calls"), int), "autograd_calls")
    elif kind == "error":
        _check_error(message.get("error"), ("syntax", "missing", "exception"))
    elif kind == "cell_error":
        _need(_is(message.get("cell"), int), "cell number")
        _need("trial" not in message or _is(message["trial"], int), "trial number")
        _check_error(message.get("error"), ("syntax", "exception"))
    elif kind == "state":
        _need(_is(message.get("cell"), int) and _is(message.get("trial"), int), "cell and trial numbers")
        _check_values(message.get("values"), "state")
        _need(_is(message.get("autograd_calls"), int), "autograd_calls")
    elif kind == "note":
        _need(_is(message.get("text"), str) and len(message["text"]) <= 500, "a note is short text")
    else:
        _need(kind in ("loaded", "done"), f"unknown message kind {kind!r}")
        dims = message.get("dims", {})
        _need(_is(dims, dict) and len(dims) <= 64 and all(_is(k, str) and _is(v, int) for k, v in dims.items()),
              "dims are sizes by name")


def _cut(text: str) -> str:
    if len(text) <= MAX_TEXT:
        return text
    return f"{text[:MAX_TEXT]}[... cut by the grader: {len(text)} characters in all]"


def shorten(value: Any) -> Any:
    """Copy a validated message with every string cut to MAX_TEXT characters (marked) and long name lists cut.

    A forged frame can carry a message of many megabytes, which would otherwise be copied into every report.
    Tensor data holds only numbers (check_tensor made sure) and is passed on as it is.
    """
    if _is(value, str):
        return _cut(value)
    if _is(value, list):
        return [shorten(item) for item in value]
    if not _is(value, dict):
        return value
    tensor = value.get("t") == "tensor"
    out = {_cut(key): item if tensor and key == "data" else shorten(item) for key, item in value.items()}
    defined = out.get("defined")
    if value.get("kind") == "missing" and _is(defined, list) and len(defined) > MAX_NAMES:
        out["defined"] = [*defined[:MAX_NAMES], f"... and {len(defined) - MAX_NAMES} more"]
    return out


def decode(payload: bytes) -> Any:
    try:
        return json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise Malformed(f"not JSON: {exc}") from None
