"""Time `grade similar` on a generated class: N students answering ex03 in varied ways, some copying others.

Each student's file is assembled from random choices (how Q is computed, how it is back-propagated, a helper or
not, a self-test block with the student's own numbers), then disguised: names changed, comments and blank lines
added, independent statements swapped. One in ten students copies another (disguised the same way). Prints the
time, the groups found and how many planted copies landed in their original's group.

    PYTHONPATH=$PWD python bench/bench_similar.py --students 200
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path

from grader.config import load_settings
from grader.course.roster import read_roster
from grader.course.similar import find_similar
from grader.exercise import load_exercise
from grader.starter import starter_text

REPO = Path(__file__).resolve().parent.parent
CUBES = ["{a}**3", "{a} * {a} * {a}", "{a}.pow(3)", "torch.pow({a}, 3)"]
SQUARES = ["{b}**2", "{b} * {b}", "{b}.pow(2)", "torch.square({b})"]
BACKWARDS = ["{q}.backward(gradient=torch.ones_like({q}))", "{q}.sum().backward()",
             "{q}.backward(torch.ones_like({q}))", "torch.autograd.backward({q}, torch.ones_like({q}))"]
NAMES = ["a", "b", "x", "y", "t", "u", "first", "second", "left", "right", "p", "r", "inp", "other"]


def student_file(rng: random.Random) -> str:
    a, b, q, c, s = rng.sample(NAMES, 3) + ["cube_part", "square_part"]
    cube, square = rng.choice(CUBES).format(a=a), rng.choice(SQUARES).format(b=b)
    body = [f"{c} = 3 * {cube}", f"{s} = {square}"]
    rng.shuffle(body)
    lines = ["import torch", "", "", f"def q_backward({a}, {b}):", *(f"    {line}" for line in body),
             f"    {q} = {c} - {s}", f"    {rng.choice(BACKWARDS).format(q=q)}", f"    return {q}", ""]
    if rng.random() < 0.7:  # a self-test with the student's own numbers and prints
        values = [round(rng.uniform(-3, 3), rng.randint(1, 3)) for _ in range(rng.randint(2, 5))]
        lines += ["", "if __name__ == '__main__':", f"    xs = torch.tensor({values}, requires_grad=True)",
                  f"    ys = torch.tensor({values[::-1]}, requires_grad=True)", "    out = q_backward(xs, ys)",
                  f"    print('{rng.choice(['Q', 'out', 'result'])}', out, xs.grad, ys.grad)"]
    return "\n".join(lines) + "\n"


def disguise(text: str, rng: random.Random) -> str:
    for old in ("cube_part", "square_part", "xs", "ys", "out"):
        text = text.replace(old, f"{old[0]}{rng.randint(0, 999)}")
    out = []
    for line in text.split("\n"):
        out.append(line)
        if line.strip() and rng.random() < 0.3:
            out.append(" " * (len(line) - len(line.lstrip())) + f"# note {rng.randint(0, 99)}")
    return "\n".join(out)


def make_class(root: Path, students: int, seed: int) -> dict[str, str]:
    rng = random.Random(seed)
    copied: dict[str, str] = {}
    texts: dict[str, str] = {}
    for i in range(students):
        name = f"s{i:04d}"
        if i > 10 and rng.random() < 0.1:
            source = rng.choice(list(texts))
            copied[name] = source
            texts[name] = disguise(texts[source], rng)
        else:
            texts[name] = student_file(rng)
        (root / name).mkdir(parents=True)
        (root / name / "ex03.py").write_text(texts[name], encoding="utf-8")
    return copied


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    settings = load_settings(REPO / "config.yaml")
    exercise = load_exercise(settings.exercises_dir, "ex03", settings)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "submissions"
        copied = make_class(root, args.students, args.seed)
        started = time.perf_counter()
        roster = read_roster(root, ["ex03"], ("ex03",))
        result = find_similar("ex03", list(roster.jobs), roster.folder, starter=starter_text(exercise),
                              keep=frozenset({"q_backward"}), variables=frozenset(exercise.notebook.names))
        seconds = time.perf_counter() - started
    group_of = {m: g.number for g in result.groups for m in g.members}
    found = sum(1 for copy, source in copied.items() if copy in group_of and group_of[copy] == group_of.get(source))
    sizes = sorted((len(g.members) for g in result.groups), reverse=True)
    print(f"{args.students} students: {seconds:.2f} s ({1000 * seconds / args.students:.1f} ms each), "
          f"{result.pairs_compared} pairs compared of {args.students * (args.students - 1) // 2}, "
          f"{result.common_removed} common fingerprints dropped")
    print(f"{len(result.groups)} groups, sizes {sizes[:10]}{' ...' if len(sizes) > 10 else ''}; "
          f"planted copies found {found} of {len(copied)}")


if __name__ == "__main__":
    main()
