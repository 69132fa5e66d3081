"""The child -> parent channel: framing, and the shape checks that stand between the child's bytes and the grader."""

from __future__ import annotations

import copy
import json
import time

import pytest

from grader.sandbox import observe
from grader.inputs import build_inputs
from grader.sandbox.protocol import (
    HEADER,
    MAX_ITEMS,
    MAX_MESSAGES,
    MAX_NOTES,
    Malformed,
    check_message,
    check_value,
    decode,
    frame,
    split_frames,
)
from grader.sandbox.runner import _parse

# --------------------------------------------------------------------------------------------------- framing


def test_frame_is_a_big_endian_length_then_the_payload():
    assert frame(b"abc") == b"\x00\x00\x00\x03abc"
    assert frame(b"") == b"\x00\x00\x00\x00"
    assert frame(b"x" * 300)[:4] == b"\x00\x00\x01\x2c"
    assert HEADER.size == 4


PAYLOADS = [b'{"kind":"loaded"}', b"", b"\x00\xff binary \n", "ünïcødé ∂Q/∂a".encode(), b"z" * 70_000]


def test_split_frames_round_trip():
    data = b"".join(frame(p) for p in PAYLOADS)
    frames, rest = split_frames(data)
    assert frames == PAYLOADS
    assert rest == b""


def test_split_frames_of_nothing():
    assert split_frames(b"") == ([], b"")


def test_split_frames_keeps_an_unfinished_frame_at_every_cut():
    payloads = [b"first", b"", b"third payload"]
    data = b"".join(frame(p) for p in payloads)
    ends = []  # byte offsets where each frame is complete
    offset = 0
    for p in payloads:
        offset += HEADER.size + len(p)
        ends.append(offset)
    for cut in range(len(data) + 1):
        frames, rest = split_frames(data[:cut])
        complete = sum(1 for end in ends if end <= cut)
        assert frames == payloads[:complete], cut
        assert rest == data[ends[complete - 1] if complete else 0:cut], cut
        # feeding the rest with the remaining bytes finishes the job
        later, tail = split_frames(rest + data[cut:])
        assert frames + later == payloads and tail == b"", cut


def test_split_frames_with_a_header_promising_more_than_sent():
    data = frame(b"ok") + HEADER.pack(1 << 30) + b"partial"
    frames, rest = split_frames(data)
    assert frames == [b"ok"]
    assert rest == HEADER.pack(1 << 30) + b"partial"


def test_decode():
    assert decode(b'{"kind": "done"}') == {"kind": "done"}
    for bad in (b"{not json", b"\xff\xfe", b"", b"[" * 100_000):
        with pytest.raises(Malformed, match="not JSON"):
            decode(bad)


# --------------------------------------------------------------------------------------------------- valid shapes


@pytest.fixture(scope="module")
def measured(ex03, ex03_oracle):
    """A real trial's values, measured exactly as the child measures them."""
    args = build_inputs(ex03, 0)
    returned = ex03_oracle.reference(*args.values())
    return observe.measure(returned, args, names=ex03.contract.returns, function=ex03.contract.function,
                           probes={}, seed=0, max_elements=1000)


@pytest.fixture
def trial(measured):
    return {"kind": "trial", "index": 0, "seconds": 0.01, "values": copy.deepcopy(measured), "autograd_calls": 1}


def test_measured_values_have_the_shape_the_parent_expects(measured):
    q = measured["returns"]["Q"]
    assert q["t"] == "tensor" and q["grad_fn"] == "SubBackward0" and len(q["data"]) == q["numel"]
    assert measured["args"]["a"]["grad"]["t"] == "tensor"


def test_well_formed_messages_pass(trial):
    check_message({"kind": "loaded"}, 0)
    check_message({"kind": "done"}, 3)
    check_message(trial, 0)
    check_message(dict(trial, index=2), 2)
    check_message({"kind": "trial", "index": 1, "seconds": 0.5,
                   "exception": {"type": "ValueError", "message": "x",
                                 "frames": [{"line": 3, "code": "raise ValueError('x')", "function": "f"}]}}, 1)
    check_message({"kind": "error", "error": {"kind": "syntax", "message": "expected ':'", "line": 4,
                                              "code": "def f()"}}, 0)
    check_message({"kind": "error", "error": {"kind": "missing", "message": "q_backward", "defined": ["f"]}}, 0)
    check_message({"kind": "error", "error": {"kind": "exception", "at": "import", "type": "SystemExit",
                                              "message": "", "frames": []}}, 0)


@pytest.mark.parametrize("value", [
    None, True, 3, -2.5, float("nan"),
    {"t": "str", "text": "hi"},
    {"t": "float", "text": "inf"},
    {"t": "float", "text": "nan"},
    {"t": "object", "cls": "Foo"},
    {"t": "missing", "why": "nothing came back"},
    {"t": "list", "items": [1, {"t": "str", "text": "x"}], "length": 2},
    {"t": "tuple", "items": [], "length": 0},
    {"t": "dict", "items": {"a": 1.5}},
    {"t": "error", "type": "RuntimeError", "message": "m", "frames": []},
    {"t": "tensor", "ref": 3, "cls": "Liar", "subclass": True},
])
def test_well_formed_values_pass(value):
    check_value(value)


def test_real_encodings_of_modules_and_optimizers_pass():
    import torch

    model = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.ReLU())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    encoder = observe.Encoder(max_elements=1000)
    check_value(encoder.encode(model))
    check_value(encoder.encode(optimizer))
    check_value(encoder.encode([torch.zeros(2, 0), torch.ones(3, dtype=torch.int64), (1, "x"), {"k": None}]))


# --------------------------------------------------------------------------------------------------- malformed messages


def _rejects(message, index=0, match=None):
    with pytest.raises(Malformed, match=match):
        check_message(message, index)


@pytest.mark.parametrize("message", [
    None, [], "loaded", 3, {}, {"kind": 1}, {"kind": None}, {"kind": ["loaded"]},
], ids=repr)
def test_message_must_be_an_object_with_a_kind(message):
    _rejects(message, match="a message is an object with a kind")


def test_unknown_kind():
    _rejects({"kind": "passed", "score": 10}, match="unknown message kind 'passed'")


@pytest.mark.parametrize("index, expected", [(1, 0), (0, 1), (5, 4), (-1, 0), (None, 0), ("0", 0)])
def test_trial_index_out_of_order(trial, index, expected):
    trial["index"] = index
    _rejects(trial, expected, match="out of order")


def test_trial_without_index(trial):
    del trial["index"]
    _rejects(trial, 0, match="out of order")


@pytest.mark.parametrize("index", [0.0, False], ids=repr)
def test_trial_index_must_be_an_int(trial, index):
    """BUG (protocol.check_message): `message.get("index") == expected_index` accepts 0.0 and False for 0 (and
    1.0, True for 1); grade._interpret then indexes a list with it, and a float raises TypeError there."""
    trial["index"] = index
    _rejects(trial, 0)


@pytest.mark.parametrize("seconds", [None, "0.1", [0.1]], ids=repr)
def test_trial_seconds_must_be_a_number(trial, seconds):
    trial["seconds"] = seconds
    _rejects(trial, match="trial seconds")


@pytest.mark.parametrize("change", ["drop returns", "extra group", "list", "group not a dict"])
def test_trial_values_must_have_exactly_three_groups(trial, change):
    values = trial["values"]
    if change == "drop returns":
        del values["returns"]
    elif change == "extra group":
        values["score"] = {}
    elif change == "list":
        trial["values"] = [values]
    else:
        values["probes"] = [1]
    _rejects(trial, match="trial value")


@pytest.mark.parametrize("calls", [None, 1.0, "1"], ids=repr)
def test_trial_autograd_calls_must_be_an_int(trial, calls):
    trial["autograd_calls"] = calls
    _rejects(trial, match="autograd_calls")


def test_trial_exception_frames_are_checked():
    base = {"kind": "trial", "index": 0, "seconds": 0.1}
    _rejects(dict(base, exception="boom"), match="exception")
    _rejects(dict(base, exception={"type": "E", "message": "m"}), match="exception frames")
    _rejects(dict(base, exception={"type": "E", "message": "m", "frames": [{"line": "3", "code": "x",
                                                                          "function": "f"}]}),
             match="exception frame")
    _rejects(dict(base, exception={"type": 1, "message": "m", "frames": []}), match="'type' must be text")


def test_bad_values_inside_a_trial_are_found(trial):
    trial["values"]["returns"]["Q"]["numel"] += 1
    _rejects(trial, match="tensor numel")


@pytest.mark.parametrize("error", [
    None, "syntax", {"kind": "timeout", "message": "x"}, {"kind": "crash", "message": "x"},
    {"message": "x"}, {"kind": "syntax"}, {"kind": "missing", "message": 3},
    {"kind": "exception", "type": "E", "message": "m"},
], ids=repr)
def test_error_messages_are_checked(error):
    _rejects({"kind": "error", "error": error})


@pytest.mark.parametrize("error", [
    {"kind": "syntax", "message": "x"},
    {"kind": "syntax", "message": "x", "line": "3", "code": "y"},
    {"kind": "syntax", "message": "x", "line": 3},
    {"kind": "syntax", "message": "x", "line": 3, "code": 4},
], ids=["no line or code", "line as text", "no code", "code as number"])
def test_syntax_error_needs_line_and_code(error):
    """BUG (protocol.check_message): a syntax error is checked for its message only; grade._interpret then reads
    error['line'] and error['code'] and raises KeyError in the grading process when they are absent."""
    _rejects({"kind": "error", "error": error})


@pytest.mark.parametrize("defined", [5, [1, 2], "abc", [None]], ids=repr)
def test_missing_error_defined_must_be_a_list_of_names(defined):
    """BUG (protocol.check_message): 'defined' is never checked; grade._interpret joins it, raising TypeError in
    the grading process for a number or a list of numbers."""
    _rejects({"kind": "error", "error": {"kind": "missing", "message": "q_backward", "defined": defined}})


# --------------------------------------------------------------------------------------------------- malformed values


def _tensor(**changes):
    node = {"t": "tensor", "ref": 0, "cls": "Tensor", "shape": [2, 3], "numel": 6, "dtype": "float32",
            "param": False, "requires_grad": True, "is_leaf": True, "grad_fn": None, "storage": 0,
            "data": [0.0, 1.0, 2, True, -1e30, float("inf")], "grad": None}
    node.update(changes)
    return {k: v for k, v in node.items() if v is not _DROP}


_DROP = object()


def test_a_plain_tensor_passes():
    check_value(_tensor())
    check_value(_tensor(data=None, storage=None, grad_fn="MulBackward0"))
    check_value(_tensor(grad=_tensor(requires_grad=False)))


@pytest.mark.parametrize("changes, match", [
    ({"ref": None}, "ref and cls"),
    ({"ref": "0"}, "ref and cls"),
    ({"cls": _DROP}, "ref and cls"),
    ({"shape": [2, -3]}, "tensor shape"),
    ({"shape": "2x3"}, "tensor shape"),
    ({"shape": [2.0, 3]}, "tensor shape"),
    ({"numel": 5}, "tensor numel"),
    ({"numel": 6.0}, "tensor numel"),
    ({"shape": [7], "numel": 6}, "tensor numel"),
    ({"data": [0.0] * 5}, "tensor data"),
    ({"data": [0.0] * 7}, "tensor data"),
    ({"data": [0.0] * 5 + ["1"]}, "tensor data"),
    ({"data": [0.0] * 5 + [None]}, "tensor data"),
    ({"data": [0.0] * 5 + [[1.0]]}, "tensor data"),
    ({"data": "012345"}, "tensor data"),
    ({"dtype": None}, "'dtype' must be text"),
    ({"param": 0}, "tensor param"),
    ({"requires_grad": "yes"}, "tensor requires_grad"),
    ({"is_leaf": _DROP}, "tensor is_leaf"),
    ({"grad_fn": 3}, "tensor grad_fn"),
    ({"storage": "0"}, "tensor storage"),
    ({"grad": [1.0]}, "tensor grad"),
    ({"grad": {"t": "str", "text": "x"}}, "tensor grad"),
], ids=repr)
def test_malformed_tensors_are_rejected(changes, match):
    with pytest.raises(Malformed, match=match):
        check_value(_tensor(**changes))


def test_tensor_grad_nesting_is_bounded():
    deep = _tensor(grad=_tensor(grad=_tensor(grad=_tensor())))
    with pytest.raises(Malformed, match="tensor grad"):
        check_value(deep)


def test_bad_grad_inside_a_tensor_is_checked():
    with pytest.raises(Malformed, match="tensor numel"):
        check_value(_tensor(grad=_tensor(numel=1)))


@pytest.mark.parametrize("value, match", [
    ({"t": "bytes", "data": "x"}, "unknown value tag 'bytes'"),
    ({"t": "module"}, "module parts"),
    ({"t": 3}, "a value is a number or a tagged object"),
    ({"text": "x"}, "a value is a number or a tagged object"),
    ("plain text", "a value is a number or a tagged object"),
    ([1, 2], "a value is a number or a tagged object"),
    ({"t": "list", "items": {"0": 1}, "length": 1}, "list items"),
    ({"t": "list", "items": [1], "length": "1"}, "list items"),
    ({"t": "tuple", "items": [1, "x"], "length": 2}, "a value is a number or a tagged object"),
    ({"t": "dict", "items": [["k", 1]]}, "dict items"),
    ({"t": "dict", "items": {"k": object()}}, "a value is a number or a tagged object"),
    ({"t": "module", "params": {"w": [1.0]}, "modules": {}}, "module parameter"),
    ({"t": "module", "params": {}, "modules": {"": 3}}, "module classes"),
    ({"t": "module", "params": {"w": _tensor(numel=2)}, "modules": {}}, "tensor numel"),
    ({"t": "optimizer", "groups": {}}, "optimizer groups"),
    ({"t": "optimizer", "groups": [{"params": [], "options": []}]}, "group"),
    ({"t": "optimizer", "groups": [{"params": [1.0], "options": {}}]}, "optimizer parameter"),
    ({"t": "missing"}, "'why' must be text"),
    ({"t": "error", "type": "E", "message": "m"}, "exception frames"),
], ids=repr)
def test_malformed_values_are_rejected(value, match):
    with pytest.raises(Malformed, match=match):
        check_value(value)


def test_values_nested_too_deeply_are_rejected():
    value: object = 1
    for _ in range(14):
        value = {"t": "list", "items": [value], "length": 1}
    with pytest.raises(Malformed, match="nested too deeply"):
        check_value(value)


@pytest.mark.parametrize("value", [
    {"t": "float"}, {"t": "float", "text": "abc"}, {"t": "float", "text": 1.5}, {"t": "str"}, {"t": "str", "text": 3},
], ids=repr)
def test_text_carrying_tags_need_their_text(value):
    """BUG (protocol.check_value accepts 'str' and 'float' without checking 'text'): observe.Encoder always
    writes text for them, and compare (as_tensor, _plain) reads float(node['text']) / node['text'], raising
    KeyError or ValueError in the grading process for these."""
    with pytest.raises(Malformed):
        check_value(value)


# --------------------------------------------------------------------------------------------------- a whole stream


def _stream(*messages) -> bytes:
    return b"".join(frame(json.dumps(m).encode()) for m in messages)


def test_parse_a_whole_run(trial):
    messages, malformed, over_limit = _parse(_stream({"kind": "loaded"}, trial, dict(trial, index=1), {"kind": "done"}))
    assert malformed is over_limit is None
    assert [m["kind"] for m in messages] == ["loaded", "trial", "trial", "done"]


@pytest.mark.parametrize("stream, kept, match", [
    (lambda t: _stream(t), 0, "the first message must say whether the code loaded"),
    (lambda t: _stream({"kind": "loaded"}, {"kind": "done"}, {"kind": "done"}), 2, "a message after the last one"),
    (lambda t: _stream({"kind": "error", "error": {"kind": "missing", "message": "f"}}, {"kind": "loaded"}), 1,
     "a message after the last one"),
    (lambda t: _stream({"kind": "loaded"}, dict(t, index=1)), 1, "trial 1 out of order"),
    (lambda t: _stream({"kind": "loaded"}, t, t), 2, "trial 0 out of order"),
    (lambda t: _stream({"kind": "loaded"}) + frame(b"{oops"), 1, "not JSON"),
    (lambda t: _stream({"kind": "loaded"}) + frame(b"\xff"), 1, "not JSON"),
    (lambda t: _stream({"kind": "loaded"}) + frame(b'{"kind": "done"}')[:-2], 1, "an unfinished message"),
    (lambda t: _stream({"kind": "loaded"}) + b"\x00\x00", 1, "an unfinished message"),
], ids=["trial first", "after done", "after error", "skipped trial", "repeated trial", "bad json", "bad utf8",
        "cut frame", "cut header"])
def test_parse_reports_the_first_problem(trial, stream, kept, match):
    messages, malformed, over_limit = _parse(stream(trial))
    assert len(messages) == kept and over_limit is None
    assert malformed is not None and match in malformed


# --------------------------------------------------------------------------------------------------- numbers the parent converts


@pytest.mark.parametrize("index", [1.0, True], ids=repr)
def test_trial_index_one_must_be_an_int(trial, index):
    trial["index"] = index
    _rejects(trial, 1, match="out of order")


def test_an_int_too_large_for_a_float_in_tensor_data_is_rejected():
    # compare.as_tensor builds a float64 tensor from the data; 10**400 would raise OverflowError there
    with pytest.raises(Malformed, match="tensor data"):
        check_value(_tensor(data=[0.0] * 5 + [10**400]))
    with pytest.raises(Malformed, match="tensor data"):
        check_value(_tensor(data=[0.0] * 5 + [-(2**1024)]))
    check_value(_tensor(data=[0.0] * 5 + [2**63]))


def test_a_plain_int_too_large_for_a_float_is_rejected():
    with pytest.raises(Malformed):
        check_value(10**400)
    with pytest.raises(Malformed):
        check_value({"t": "list", "items": [1, 10**400], "length": 2})
    check_value(-(2**63))


@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "1e400", "-0.0"])
def test_float_text_that_float_parses_passes(text):
    check_value({"t": "float", "text": text})


def test_trial_seconds_must_fit_in_a_float(trial):
    trial["seconds"] = 10**400
    _rejects(trial, match="trial seconds")


def test_missing_error_without_defined_is_accepted():
    check_message({"kind": "error", "error": {"kind": "missing", "message": "q_backward"}}, 0)
    check_message({"kind": "error", "error": {"kind": "missing", "message": "q_backward", "defined": []}}, 0)


def test_error_kind_must_be_known_before_its_fields_are_read():
    _rejects({"kind": "error", "error": {"kind": "syntax", "message": 3, "line": 1, "code": "x"}},
             match="'message' must be text")


# ------------------------------------------------------------------------------------------------ sizes


def test_shorten_cuts_long_text_with_a_visible_marker():
    from grader.sandbox.protocol import MAX_TEXT, shorten

    huge = "A" * (26 << 20)
    message = {"kind": "error", "error": {"kind": "exception", "type": "Boom" * 5000, "message": huge,
                                          "frames": [{"line": 1, "function": "f", "code": huge, "file": "x.py"}]}}
    check_message(message, 0)
    cut = shorten(message)
    error = cut["error"]
    assert error["message"] == "A" * MAX_TEXT + f"[... cut by the grader: {26 << 20} characters in all]"
    assert len(error["type"]) < MAX_TEXT + 100 and error["frames"][0]["code"].endswith("characters in all]")
    assert message["error"]["message"] is huge  # a copy: the validated message is left as it was


def test_shorten_keeps_tensor_data_and_cuts_keys_and_long_name_lists():
    from grader.sandbox.protocol import MAX_NAMES, MAX_TEXT, shorten

    tensor = observe.Encoder(max_elements=100).encode(__import__("torch").ones(3))
    value = {"t": "dict", "items": {"k" * (MAX_TEXT + 1): tensor, "data": {"t": "str", "text": "x" * 10**5}}}
    cut = shorten(value)
    assert cut["items"]["k" * MAX_TEXT + f"[... cut by the grader: {MAX_TEXT + 1} characters in all]"] == tensor
    assert len(cut["items"]["data"]["text"]) < MAX_TEXT + 100  # a key named 'data' outside a tensor is cut too
    missing = shorten({"kind": "missing", "message": "f", "defined": [f"f{i}" for i in range(10**4)]})
    assert missing["defined"][-1] == f"... and {10**4 - MAX_NAMES} more" and len(missing["defined"]) == MAX_NAMES + 1


def test_an_exception_with_more_frames_than_the_child_sends_is_malformed():
    frames = [{"line": 1, "function": "f", "code": "x", "file": "x.py"}] * 9
    with pytest.raises(Malformed, match="exception frames"):
        check_message({"kind": "error", "error": {"kind": "exception", "type": "E", "message": "",
                                                  "frames": frames}}, 0)


def test_encoding_a_huge_self_containing_dict_copies_only_what_it_encodes():
    import time

    loop: dict = {"self": None}
    loop.update((str(i), i) for i in range(10**6))
    loop["self"] = loop  # first: every level descends into it, down to the depth limit
    started = time.perf_counter()
    encoded = observe.Encoder(max_elements=100).encode(loop)
    assert time.perf_counter() - started < 0.5
    assert len(encoded["items"]) == observe.MAX_ITEMS
    for _ in range(observe.MAX_DEPTH - 1):
        encoded = encoded["items"]["self"]
    assert encoded["items"]["self"] == {"t": "object", "cls": "dict", "text": "<nested too deeply>"}


def test_a_key_that_changes_its_dict_while_encoded_cannot_break_the_encoder():
    class Sneaky:
        def __str__(self) -> str:
            target.clear()
            return "sneaky"

    target: dict = {Sneaky(): 1, "b": 2, "c": 3}
    encoded = observe.Encoder(max_elements=100).encode(target)
    assert encoded["items"] == {"sneaky": 1, "b": 2, "c": 3}


# ------------------------------------------------------------------------------------------------ bounds on the work


NOTE = frame(json.dumps({"kind": "note", "text": "n"}).encode())
CELL_ERROR = frame(json.dumps({"kind": "cell_error", "cell": 1,
                               "error": {"kind": "syntax", "message": "x", "line": 1, "code": ""}}).encode())


def test_splitting_frames_is_linear():
    """BUG (split_frames copied the rest of the data after every frame): 200,000 frames took 16 s."""
    started = time.perf_counter()
    frames, rest = split_frames(NOTE * 200_000)
    assert time.perf_counter() - started < 1.0
    assert len(frames) == 200_000 and rest == b""
    frames, rest = split_frames(NOTE * 10 + b"\x00", most=4)
    assert len(frames) == 4 and rest == NOTE * 6 + b"\x00"


def test_parsing_is_linear_up_to_its_cap_and_stops_there():
    """BUG (_parse rescanned every earlier message for each new one): 20,000 notes took 27 s, a flood of a
    million tiny frames (what result_limit_mb allows) far longer. Reading now stops at MAX_MESSAGES frames."""
    started = time.perf_counter()
    messages, malformed, over_limit = _parse(CELL_ERROR * MAX_MESSAGES, trials=2)
    assert time.perf_counter() - started < 1.0
    assert (len(messages), malformed, over_limit) == (MAX_MESSAGES, None, None)  # at the cap: still read
    started = time.perf_counter()
    messages, malformed, over_limit = _parse(CELL_ERROR * 200_000, trials=2)
    assert time.perf_counter() - started < 1.0
    assert len(messages) == MAX_MESSAGES and malformed is None and over_limit == f"more than {MAX_MESSAGES} messages"
    _, malformed, over_limit = _parse(CELL_ERROR * MAX_MESSAGES + frame(b"{")[:-1], trials=2)
    assert (malformed, over_limit) == (None, f"more than {MAX_MESSAGES} messages")  # even when the last is cut


def test_parsing_stops_past_max_notes():
    """BUG (no cap): every forged note ended up in the report."""
    messages, malformed, over_limit = _parse(NOTE * MAX_NOTES + _stream({"kind": "loaded"}))
    assert (len(messages), malformed, over_limit) == (MAX_NOTES + 1, None, None)
    messages, malformed, over_limit = _parse(NOTE * (MAX_NOTES + 1) + _stream({"kind": "loaded"}))
    assert (len(messages), malformed, over_limit) == (MAX_NOTES, None, f"more than {MAX_NOTES} notes")


def test_a_problem_before_the_cap_is_malformed_not_over_limit():
    messages, malformed, over_limit = _parse(NOTE * 3 + frame(b"{oops") + NOTE * (MAX_NOTES + 10))
    assert len(messages) == 3 and "not JSON" in malformed and over_limit is None


@pytest.mark.parametrize("value", [
    {"t": "list", "items": [1] * (MAX_ITEMS + 1), "length": MAX_ITEMS + 1},
    {"t": "tuple", "items": [None] * (MAX_ITEMS + 1), "length": 10**9},
    {"t": "dict", "items": {str(i): i for i in range(MAX_ITEMS + 1)}},
], ids=["list", "tuple", "dict"])
def test_containers_longer_than_the_child_sends_are_malformed(value):
    assert MAX_ITEMS == observe.MAX_ITEMS
    with pytest.raises(Malformed, match=f"more than {MAX_ITEMS}"):
        check_value(value)
    if value["t"] == "dict":
        value["items"].popitem()
    else:
        value["items"].pop()
    check_value(value)  # exactly what observe.MAX_ITEMS lets through


def test_the_last_word_is_a_whole_final_frame_and_nothing_after_it():
    from grader.sandbox.protocol import ends_with_last_word, frame

    note, done = frame(b'{"kind": "note", "text": "x"}'), frame(b'{"kind": "done"}')
    assert ends_with_last_word(note + done)
    assert ends_with_last_word(frame(b'{"kind": "error", "error": {}}'))
    assert not ends_with_last_word(b"")
    assert not ends_with_last_word(done + note)  # something after it: the run went on
    assert not ends_with_last_word(note + done[:-1])  # cut short: the process died mid-write
    assert not ends_with_last_word(note + done + b"\0")
    assert not ends_with_last_word(frame(b'["done"]')) and not ends_with_last_word(frame(b"\xff"))
    assert not ends_with_last_word(frame(b'{"kind": "done", "pad": "' + b"x" * 70000 + b'"}'))  # too large to read
