"""The exercise format as data: every top-level key, input kind and check kind, what it means, and since when.

grader.exercise validates against these names, and docs/gen_format.py writes the tables of docs/exercise-format.md
from them, so the reference an instructor reads cannot drift from what the parser accepts.
"""

from __future__ import annotations

from dataclasses import dataclass

SCHEMAS = (1, 2)  # every exercise schema this grader reads; 2 adds the keys marked `since=2`


@dataclass(frozen=True)
class Entry:
    """One documented name of the format."""

    name: str
    meaning: str
    required: str = "no"
    syntax: str = ""  # how the key is written, where more than its name: `tensor: [shape]`
    example: str = ""
    diagnoses: tuple[str, ...] = ()
    since: int = 1


TOP_LEVEL: tuple[Entry, ...] = (
    Entry("schema", "`1` or `2`; keys marked *schema 2* need `schema: 2` (a schema-1 file that uses one is refused "
          "with the line to change). Files for a newer schema are refused with \"upgrade the grader\".", "yes"),
    Entry("id", "`exNN`; must begin the file name.", "yes"),
    Entry("version", "bump when the exercise changes; recorded with every grade.", "no (1)"),
    Entry("title", "shown by `grade show`, in reports and exports.", "yes"),
    Entry("prompt", "markdown, shown by `grade show` and at the top of the starter file.", "yes"),
    Entry("points", "must equal the sum of the checks' points.", "yes"),
    Entry("contract", "what students define: a function or (schema 2) a class, its signature as shown to students, "
          "and names for what it returns ([Contracts](#contracts)).", "yes"),
    Entry("dims", "named sizes drawn per trial: `n: [2, 6]` (inclusive) or `n: 4`."),
    Entry("inputs", "the arguments, in call order ([Inputs](#inputs)).", "yes"),
    Entry("trials", "`public: [seeds]` (fixed); `hidden: N` fresh seeds per grading run (default from "
          "`config.yaml`).", "yes"),
    Entry("limits", "this exercise's own sandbox limits, any of `timeout_s`, `memory_mb`, `output_limit_kb`: "
          "`limits: {timeout_s: 30, memory_mb: 4096}`. They replace the course's `sandbox:` values for this exercise "
          "only, wherever it is graded (`grade`, `batch`, `check-exercises`, the student bundle, Gradescope), and "
          "`timeout_s` also bounds the reference and the known mistakes here. Each must be at most the course's cap, "
          "`sandbox.max_timeout_s` (default 60), `max_memory_mb` (8192), `max_output_limit_kb` (4096) in "
          "config.yaml; a value above it is refused on load. `--timeout` and `--memory` on the command line win "
          "over both.", since=2),
    Entry("reference", "trusted Python defining the contract's function or class; the oracle runs it in the grading "
          "process under torch autograd, for at most the exercise's `timeout_s` per trial: a reference that runs "
          "longer stops grading with an error naming this file, the line it was running and the trial.", "yes"),
    Entry("expected", "only in a student bundle, in place of `reference` (and of the mistakes' `code`): the file "
          "beside this one holding their values on the public trials, written by `grade bundle` "
          "([platforms.md](platforms.md))."),
    Entry("probes", "`name: code` defining `def probe(...)`, run after the function on both the reference's and "
          "the student's objects; parameters are looked up by name among the returned values, the inputs, "
          "`instance` (an `nn.Module` contract's object) and `gen` (a `torch.Generator` seeded for the trial); any "
          "other parameter name is refused on load. A probe that raises on the student's objects fails the checks "
          "that read it with its exception (`AttributeError: ...`); one that raises on the reference's is an error "
          "in the exercise ([Validation](#validation-when-the-reference-first-runs))."),
    Entry("checks", "the scored checks ([Checks](#checks)).", "yes"),
    Entry("rules", "what the code must and must not call: `requires` (a list inside it: one of a group), `forbids`, "
          "`uses_autograd` ([Rules](#rules)).", since=2),
    Entry("mistakes", "known wrong approaches, recognized by their results or by the exception they raise "
          "([Mistakes](#mistakes))."),
    Entry("starter", "the starter file students receive; it must fail every check (`check-exercises --invert`)."),
    Entry("notebook", "how a free-form notebook answers: `args: {argument: variable}` and `returns: {result: "
          "variable}`, every argument and result mapped. The notebook is re-run on every trial's inputs "
          "([below](#free-form-notebooks)); the reference never runs on the notebook's own values."),
)

INPUT_KINDS: tuple[Entry, ...] = (
    Entry("tensor", "`dtype` float32 (default), float64, int64, bool; `dist` normal (`mean`, `std`), uniform (`low`, "
          "`high`), bernoulli (`p`), randint (`low`, `high`), ones, zeros, eye, arange; `scale_log10: [lo, hi]` "
          "multiplies by 10^U(lo, hi) to vary magnitudes between trials; `include: [[lo, hi], ...]` (float tensors) "
          "puts one value drawn uniformly from each range at a random position of every trial's tensor, so that "
          "every trial holds, say, a value beyond exp's float32 range (`[[89.5, 1000], [-1000, -89.5]]`).",
          syntax="tensor: [shape]", example="`{tensor: [n, 3], dist: normal, requires_grad: true}`"),
    Entry("float", "a Python float.", syntax="float: [low, high]", example="`lr: {float: [0.01, 0.1]}`"),
    Entry("int", "a Python int, inclusive.", syntax="int: [low, high]", example="`steps: {int: [3, 6]}`"),
    Entry("choice", "one of the values.", syntax="choice: [...]", example="`num_classes: {choice: [2, 5, 10]}`"),
    Entry("fixture", "the object a fixture function returns, called with no arguments under the trial's seed "
          "(`torch.manual_seed(seed)`): the same object, parameters included, for the student and the reference. "
          "Built in: `small_convnet` (a resnet18-shaped miniature with an `fc` head), `small_mlp` "
          "(`nn.Sequential(Linear(4, 8), Tanh(), Linear(8, 3))`); a course adds its own in `fixtures.py` "
          "([below](#course-fixtures)).", syntax="fixture: name", example="`model: {fixture: small_mlp}`"),
    Entry("callable", "one of the named functions, chosen per trial from the seed like `choice`, passed as the "
          "function itself (not called): for \"compute the gradient of `f` at `x`\". Built in: `sin_exp(x)` = "
          "`sum(sin(x) * exp(x))` (gradient `(cos x + sin x) e^x`) and `cubic_sum(x)` = `sum(x**3 - 2x)` (gradient "
          "`3x**2 - 2`), each of a tensor, returning a 0-dim tensor; a course adds its own in `fixtures.py`.",
          syntax="callable: [names]", example="`f: {callable: [sin_exp, cubic_sum]}`", since=2),
    Entry("value", "a constant.", syntax="value: x", example="`v: {value: 0.5}`"),
)

CHECK_KINDS: tuple[Entry, ...] = (
    Entry("value", "the target's values match the reference's (`expect: none`: the reference's value is None, on "
          "purpose)", diagnoses=("scaled", "sign", "summed", "shape", "transposed", "unchanged", "aliased",
                                 "constant", "type", "value")),
    Entry("grad", "the target's `.grad` matches the reference's (both None passes only with `expect: none`, see "
          "[validation](#validation-when-the-reference-first-runs))",
          diagnoses=("missing_grad", "accumulated", "sign", "scaled", "summed", "shape", "transposed",
                     "requires_grad", "constant", "value")),
    Entry("shape", "the target's shape matches", diagnoses=("shape",)),
    Entry("requires_grad", "the flag equals `expect:` or the reference's", diagnoses=("requires_grad",)),
    Entry("is_leaf", "the flag equals `expect:` or the reference's", diagnoses=("not_leaf",)),
    Entry("grad_fn", "the grad_fn class name (`MulBackward0`; `ExpBackward` for a custom Function `Exp`) equals "
          "`expect:` or the reference's", diagnoses=("grad_fn",)),
    Entry("flag", "the boolean at the dotted path `target:` (`instance.training`, `model.training`, "
          "`x.requires_grad`, `x.grad.is_leaf`), read after the call, equals `expect:` (true/false) or the "
          "reference's. A value that is not a bool fails, named by its type", diagnoses=("value", "its diagnosis:"),
          since=2),
    Entry("trainable", "the set of parameters with `requires_grad` in the target module matches (`exclude: [fc]` "
          "leaves submodules out)", diagnoses=("frozen",)),
    Entry("optimizer", "the optimizer holds the same parameters of `module:` as the reference's (`allow_extra: "
          "true`: any superset within the module), with the same class and settings", diagnoses=("frozen", "value")),
    Entry("unmutated", "the input's values, `requires_grad` and `.grad` are as they came",
          diagnoses=("mutated_input",)),
    Entry("not_aliased", "no two of `targets:` share memory", diagnoses=("aliased",)),
    Entry("no_autograd", "the submission ran no backward pass and no `torch.autograd.grad` anywhere (loading the file "
          "and every trial are counted together), and its source (read by the grader, never run there) is plain "
          "code that cannot compute gradients around that count (see `grader/byhand.py`)",
          diagnoses=("used_autograd", "unverifiable")),
    Entry("equal", "plain data (e.g. a probe's list of names) equals the reference's", diagnoses=("its diagnosis:",)),
    Entry("gradcheck", "`torch.autograd.gradcheck` passes, in float64, on the trial's inputs: the float tensors cast "
          "to float64 and detached, each with the `requires_grad` its input declares (at least one must; the float "
          "inputs may hold at most 64 elements at the largest `dims`, as gradcheck runs two forward passes per "
          "element). It checks `Exp.apply` for a Function contract, the function (its floating-point tensor outputs) "
          "for a function contract, a fresh float64 instance for an `nn.Module`, or the returned callable `target:` "
          "names. Run in the child on the student's code; refused with `notebook:`", diagnoses=("gradcheck",),
          since=2),
    Entry("hooks", "the number of hooks the target still holds after the call equals `expect:` (a whole number) or "
          "the reference's: a tensor's backward and post-accumulate-grad hooks, or the forward, forward-pre, "
          "backward and backward-pre hooks of a module and its submodules. Read in the child through torch's own "
          "accessors captured before the submission runs", diagnoses=("hooks",), since=2),
    Entry("finite", "the target's values (`x.grad` for a gradient) hold no NaN and no inf; judged on the student's "
          "run alone", diagnoses=("nonfinite",), since=2),
)

CHECK_OPTIONS: tuple[Entry, ...] = (
    Entry("kind", "one of the kinds below.", "yes"),
    Entry("points", "what the check is worth (0 or more).", "yes"),
    Entry("target", "the dotted path it reads ([Targets](#targets)); every kind but `not_aliased` and "
          "`no_autograd`.", "most kinds"),
    Entry("name", "shown in reports (default: the target); unique within the exercise."),
    Entry("rtol", "relative tolerance (default: `config.yaml`)."),
    Entry("atol", "absolute tolerance (default: `config.yaml`)."),
    Entry("expect", "the expected flag, count or `none` where the kind takes one."),
    Entry("hint", "what the student reads when this check fails without a more specific diagnosis (no known "
          "mistake matched, no specific pattern such as `accumulated` found): replaces the generic advice.", since=2),
    Entry("hidden", "`true`: counts in the score, but students see only its name, points and pass/fail; the "
          "gradebook and instructor exports keep the details.", since=2),
    Entry("diagnosis", "`equal` and `flag`: the diagnosis code a mismatch carries (default `value`)."),
    Entry("targets", "`not_aliased`: the dotted paths that must not share memory."),
    Entry("module", "`optimizer`: the module whose parameters the optimizer holds."),
    Entry("allow_extra", "`optimizer`: accept any superset within the module."),
    Entry("exclude", "`trainable`: submodules left out."),
)

CONTRACT_KEYS: tuple[Entry, ...] = (
    Entry("function", "the name of the function students define.", "one of function, class"),
    Entry("class", "the name of the class students define; the grader calls `Exp.apply(*inputs)` for a "
          "`torch.autograd.Function`, or builds `Net(**init)` under the trial's seed and calls it on the inputs for a "
          "`torch.nn.Module` (the object is the target and probe parameter `instance`).", "one of function, class",
          since=2),
    Entry("base", "with `class`: `torch.autograd.Function` or `torch.nn.Module`; a submission's class must derive "
          "from it.", "with class", since=2),
    Entry("init", "with a `torch.nn.Module` class: the keyword arguments it is built with (plain values).",
          since=2),
    Entry("signature", "what students see (`grade show`, the starter).", "yes for a function"),
    Entry("returns", "names for the returned values: one name for a single value, several for a tuple of that "
          "length.", "yes"),
)

MISTAKE_KEYS: tuple[Entry, ...] = (
    Entry("id", "a name unique in the exercise; a known-wrong variant may declare it (`# expect: <id>`).", "yes"),
    Entry("diagnosis", "the diagnosis code (or, with `raises`, an error kind such as `exception`) a match carries.",
          "yes"),
    Entry("message", "what the student reads when their answer matches this mistake.", "yes"),
    Entry("code", "trusted Python making the mistake, run like the reference (its results, or its exception, are "
          "what a student's are matched against).", "yes"),
    Entry("checks", "only these checks may name it (default: every check it fails)."),
    Entry("raises", "the mistake is an exception: its class name (`RuntimeError`, `torch.OutOfMemoryError`); a "
          "student whose run raises it is told `message`.", since=2),
    Entry("match", "with `raises`: a regular expression the exception's message must contain.", since=2),
)


def newer_key(data: dict, schema: int) -> tuple[str, int] | None:
    """The first key or kind in a parsed exercise file that needs a later schema than it declares: (what, line)."""
    def first(mapping: object, entries: tuple[Entry, ...], where: str) -> tuple[str, int] | None:
        if not isinstance(mapping, dict):
            return None
        lines = getattr(mapping, "key_lines", {})
        found = [key for key in mapping if key in since(entries, schema)]
        return (f"{where}{found[0]}", lines.get(found[0], getattr(mapping, "line", 1))) if found else None

    def items(key: str) -> list:
        value = data.get(key)
        return list(value.values()) if isinstance(value, dict) else value if isinstance(value, list) else []

    found = [first(data, TOP_LEVEL, ""), first(data.get("contract"), CONTRACT_KEYS, "contract.")]
    found += [first(spec, INPUT_KINDS, "an input of kind ") for spec in items("inputs")]
    for check in items("checks"):
        if isinstance(check, dict) and check.get("kind") in since(CHECK_KINDS, schema):
            found.append((f"the check kind {check['kind']}", getattr(check, "key_lines", {}).get("kind", 1)))
        found.append(first(check, CHECK_OPTIONS, "the check option "))
    found += [first(mistake, MISTAKE_KEYS, "the mistake key ") for mistake in items("mistakes")]
    return next((item for item in found if item is not None), None)


def names(entries: tuple[Entry, ...]) -> tuple[str, ...]:
    """The names of `entries`, in documented order."""
    return tuple(entry.name for entry in entries)


def since(entries: tuple[Entry, ...], schema: int) -> tuple[str, ...]:
    """The names a file of `schema` may not use: those introduced by a later schema."""
    return tuple(entry.name for entry in entries if entry.since > schema)
