"""ex13's inputs make its verdicts meaningful: on every trial the clamp [-1, 1] on 3h² both acts and does not act."""

from __future__ import annotations

import math
import random

import torch

from grader.config import load_settings
from grader.exercise import exercise_files, parse_exercise
from grader.inputs import build_inputs
from grader.grade import hidden_seeds

from test_catalog import REPO

SETTINGS = load_settings(REPO / "config.yaml")
CUT = 1 / math.sqrt(3)  # |h| above it: 3h² > 1, the clamp cuts the gradient; below it, the clamp leaves it


def _both_sides(exercise, seed: int) -> bool:
    inputs = build_inputs(exercise, seed)
    h = (inputs["x"] @ inputs["w"]).detach().abs()
    return bool((h > CUT).any() and (h < CUT).any())


def test_every_trial_holds_entries_the_clamp_cuts_and_entries_it_leaves():
    """The public seeds, the first seeds, and hidden-trial seeds as grading draws them (a fresh random start)."""
    exercise = parse_exercise(exercise_files(SETTINGS.exercises_dir)["ex13"])
    starts = random.Random(13).sample(range(1000, 2**31 - 1000), 20)
    seeds = [*exercise.public_seeds, *range(2000), *(s for start in starts for s in hidden_seeds(50, start))]
    assert [s for s in seeds if not _both_sides(exercise, s)] == []


def test_the_hook_changes_w_grad_on_the_public_trials():
    """Without the clamp, w.grad would differ: a student who forgets it cannot pass by luck."""
    exercise = parse_exercise(exercise_files(SETTINGS.exercises_dir)["ex13"])
    for seed in exercise.public_seeds:
        inputs = build_inputs(exercise, seed)
        h = inputs["x"] @ inputs["w"].detach()
        clamped = inputs["x"].T @ (3 * h**2).clamp(-1, 1)
        assert not torch.allclose(clamped, inputs["x"].T @ (3 * h**2))
