"""Grades -> the formats other platforms read; every function is pure and returns text or plain data.

Class-level (a list of StudentResult): render(kind, results, **options) with kind one of CLASS_KINDS.
One submission (a list of Grade): gradescope_results, classroom_result (+ step_summary, annotations, classroom_log),
submission_junit; render_html (the student's report as HTML). docs/exports.md gives each shape and the decisions behind it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from ..errors import UsageError
from ..result import StudentResult
from .annotations import annotations
from .canvas import CanvasAssignment, canvas_csv
from .class_csv import class_csv
from .class_json import class_json
from .classroom import classroom_log, classroom_payload, classroom_result, encode, error_payload
from .gradescope import gradescope_results
from .junit import class_junit, submission_junit
from .report_html import render_html
from .summary import step_summary

RENDERERS: dict[str, Callable[..., str]] = {"csv": class_csv, "json": class_json, "canvas": canvas_csv,
                                            "junit": class_junit}
CLASS_KINDS = tuple(RENDERERS)


def render(kind: str, results: Sequence[StudentResult], **options: Any) -> str:
    """Render a class's results as `kind` (one of CLASS_KINDS), passing `options` to that kind's renderer.

    canvas takes assignments, match_on and section (see canvas_csv); junit takes timestamp; csv and json take none.
    """
    if kind not in RENDERERS:
        raise UsageError(f"unknown export format {kind!r}; choose one of {', '.join(CLASS_KINDS)}")
    return RENDERERS[kind](list(results), **options)


__all__ = ["CLASS_KINDS", "CanvasAssignment", "annotations", "canvas_csv", "class_csv", "class_json", "class_junit",
           "classroom_log", "classroom_payload", "classroom_result", "encode", "error_payload", "gradescope_results",
           "render", "render_html", "step_summary", "submission_junit"]
