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
    example: str = ""
    diagnoses: tuple[str, ...] = ()
    since: int = 1


TOP_LEVEL: tuple[Entry, ...] = (
    Entry("schema", "`1` or `2` (2 may use the keys marked *schema 2*). Files for a newer schema are refused with "
          "\"upgrade the grader\".", "yes"),
    Entry("id", "`exNN`; must begin the file name.", "yes"),
    Entry("version", "bump when the exercise changes; recorded with every grade.", "no (1)"),
    Entry("title", "shown by `grade show`, in reports and exports.", "yes"),
    Entry("prompt", "markdown shown by `grade show` and at the top of the starter file.", "yes"),
    Entry("points", "must equal the sum of the checks' points.", "yes"),
    Entry("contract", "what students define: `function` (or, schema 2, `class` with `base`), `signature` (shown "
          "to students), `returns` (names for the returned values: one name for a single value, several for a "
          "tuple of that length). See [Contracts](#contracts).", "yes"),
    Entry("dims", "named sizes drawn per trial: `n: [2, 6]` (inclusive) or `n: 4`."),
    Entry("inputs", "the arguments, in call order ([Inputs](#inputs)).", "yes"),
    Entry("trials", "`public: [seeds]` (fixed); `hidden: N` fresh seeds per grading run (default from "
          "`config.yaml`).", "yes"),
    Entry("limits", "`timeout_s`, `memory_mb`, `output_limit_kb` for this exercise alone, in place of the course's "
          "`sandbox:` values and within its caps ([Limits](#limits)).", since=2),
    Entry("reference", "trusted Python defining the contract's function or class; the oracle runs it in the grading "
          "process under torch autograd, for at most the exercise's `timeout_s` per trial: a reference that runs "
          "longer stops grading with an error naming this file, the line it was running and the trial.", "yes"),
    Entry("expected", "only in a student bundle, in place of `reference` (and of the mistakes' `code`): the file "
          "beside this one holding their values on the public trials, written by `grade bundle` "
          "([platforms.md](platforms.md))."),
    Entry("probes", "`name: code` defining `def probe(...)`, run after the function on both the reference's and "
          "the student's objects; parameters are looked up by name among the returned values, the inputs, "
          "`instance` (a class contract's object) and `gen` (a `torch.Generator` seeded for the trial)."),
    Entry("checks", "the scored checks ([Checks](#checks)).", "yes"),
    Entry("rules", "what the code must or must not call: `requires`, `forbids`, `uses_autograd` "
          "([Rules](#rules)).", since=2),
    Entry("mistakes", "known wrong approaches, by their results or by the exception they raise "
          "([Mistakes](#mistakes))."),
    Entry("starter", "the starter file students receive."),
    Entry("notebook", "how a free-form notebook answers: `args: {argument: variable}` and `returns: {result: "
          "variable}`, every argument and result mapped. The notebook is re-run on every trial's inputs "
          "([below](#free-form-notebooks)); the reference never runs on the notebook's own values."),
)

INPUT_KINDS: tuple[Entry, ...] = (
    Entry("tensor", "`dtype` float32 (default), float64, int64, bool; `dist` normal (`mean`, `std`), uniform (`low`, "
          "`high`), bernoulli (`p`), randint (`low`, `high`), ones, zeros, eye, arange; `scale_log10: [lo, hi]` "
          "multiplies by 10^U(lo, hi) to vary magnitudes between trials.",
          example="`x: {tensor: [n, 3], dist: normal, requires_grad: true}`"),
    Entry("float", "a Python float drawn from [low, high].", example="`lr: {float: [0.01, 0.1]}`"),
    Entry("int", "a Python int drawn from [low, high], inclusive.", example="`steps: {int: [3, 6]}`"),
    Entry("choice", "one of the values.", example="`num_classes: {choice: [2, 5, 10]}`"),
    Entry("fixture", "the object a fixture function returns, built with the trial's seed: the course's "
          "`fixtures.py` or a built-in one (`small_convnet`, `small_mlp`).", example="`model: {fixture: small_mlp}`"),
    Entry("callable", "one of the named functions (from the course's `fixtures.py` or built in), chosen per trial "
          "and passed as the function itself.", example="`f: {callable: [sin_exp, cubic_sum]}`", since=2),
    Entry("value", "a constant.", example="`v: {value: 0.5}`"),
)

CHECK_KINDS: tuple[Entry, ...] = (
    Entry("value", "the target's values match the reference's",
          diagnoses=("scaled", "sign", "summed", "shape", "transposed", "unchanged", "aliased", "constant", "value")),
    Entry("grad", "the target's `.grad` matches the reference's (both None passes only with `expect: none`)",
          diagnoses=("missing_grad", "accumulated", "sign", "scaled", "summed", "shape", "transposed",
                     "requires_grad", "constant", "value")),
    Entry("shape", "the target's shape matches", diagnoses=("shape",)),
    Entry("requires_grad", "the flag equals `expect:` or the reference's", diagnoses=("requires_grad",)),
    Entry("is_leaf", "the flag equals `expect:` or the reference's", diagnoses=("not_leaf",)),
    Entry("grad_fn", "the grad_fn class name (`MulBackward0`, `ExpBackward` for a custom Function `Exp`) equals "
          "`expect:` or the reference's", diagnoses=("grad_fn",)),
    Entry("flag", "any boolean attribute at the target path (`model.training`, `instance.training`) equals "
          "`expect:` or the reference's", diagnoses=("value",), since=2),
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
    Entry("equal", "plain data (e.g. a probe's list of names) equals the reference's", diagnoses=("(its diagnosis:)",)),
    Entry("gradcheck", "float64 `torch.autograd.gradcheck` of the student's Function (`Exp.apply`), function, or the "
          "returned callable named by `target`, on the trial's inputs, passes; run in the sandbox",
          diagnoses=("gradcheck",), since=2),
    Entry("hooks", "the number of hooks the target tensor or module still holds after the call equals `expect:` "
          "or the reference's; counted in the sandbox through trusted accessors", diagnoses=("hooks",), since=2),
    Entry("finite", "the target (a value, or a gradient as `x.grad`) holds no NaN or inf", diagnoses=("nonfinite",),
          since=2),
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


def names(entries: tuple[Entry, ...]) -> tuple[str, ...]:
    """The names of `entries`, in documented order."""
    return tuple(entry.name for entry in entries)


def since(entries: tuple[Entry, ...], schema: int) -> tuple[str, ...]:
    """The names a file of `schema` may not use: those introduced by a later schema."""
    return tuple(entry.name for entry in entries if entry.since > schema)
