"""A class's grades -> one JSON document: every student, every exercise, every check."""

from __future__ import annotations

import json
from collections.abc import Sequence

from ..export import results_to_dict
from ..result import StudentResult


def class_json(results: Sequence[StudentResult]) -> str:
    """Render grader.export.results_to_dict as indented JSON (UTF-8 text kept as it is)."""
    return json.dumps(results_to_dict(list(results)), indent=2, ensure_ascii=False) + "\n"
