"""The class folder: which file answers which exercise, and clear errors for folders that cannot be graded."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.errors import UsageError
from grader.course.roster import read_roster, select_exercises

KNOWN = ["ex01", "ex02", "ex03"]


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


def _jobs(roster) -> dict[tuple[str, str], list[str]]:
    return {(j.student, j.exercise): [p.name for p in j.files] for j in roster.jobs}


def test_named_files_answer_their_exercise_and_missing_ones_are_assigned(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"alice/ex01.py": "", "alice/ex03.py": "", "bob/hw/EX01.py": "", "bob/ex01.ipynb": "{}"})
    roster = read_roster(root, KNOWN, None)
    assert roster.students == ("alice", "bob")
    assert roster.exercises == ("ex01", "ex03")  # ex02: nobody answered it
    jobs = _jobs(roster)
    assert jobs[("alice", "ex01")] == ["ex01.py"]
    assert jobs[("bob", "ex01")] == ["ex01.ipynb"]  # the shallower file first
    assert jobs[("bob", "ex03")] == []  # nothing handed in: graded as a zero with the reason


def test_other_notebooks_are_tried_for_every_exercise_and_stray_files_are_listed(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"carol/homework.ipynb": "{}", "carol/ex02.py": "", "carol/helpers.py": "",
                            "carol/notes.txt": "", "carol/.ipynb_checkpoints/ex01-checkpoint.ipynb": "{}",
                            "README.md": ""})
    roster = read_roster(root, KNOWN, None)
    jobs = _jobs(roster)
    assert jobs[("carol", "ex01")] == ["homework.ipynb"]
    assert jobs[("carol", "ex02")] == ["ex02.py"]
    assert roster.exercises == tuple(KNOWN)
    assert sorted(roster.ignored) == ["README.md: not inside a student folder",
                                      "carol/helpers.py: matches no exercise (name it after one, e.g. ex01.py)",
                                      "carol/notes.txt: not a .py file or notebook"]


def test_selected_exercises_are_checked_against_the_catalog(tmp_path: Path) -> None:
    assert select_exercises(KNOWN, "ex03, ex01,ex03") == ("ex03", "ex01")
    assert select_exercises(KNOWN, None) is None
    with pytest.raises(UsageError, match=r"no exercise 'ex3' \(did you mean ex03\?\)"):
        select_exercises(KNOWN, "ex01,ex3")
    root = _tree(tmp_path, {"alice/ex01.py": ""})
    roster = read_roster(root, KNOWN, ("ex02",))
    assert _jobs(roster) == {("alice", "ex02"): []}


def test_a_folder_without_student_folders_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no student folders"):
        read_roster(_tree(tmp_path, {"ex01.py": ""}), KNOWN, None)
    with pytest.raises(UsageError, match="not a folder"):
        read_roster(tmp_path / "absent", KNOWN, None)


def test_student_ids_differing_only_in_case_are_refused_by_name(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"Alice/ex01.py": "", "alice/ex01.py": "", "bob/ex01.py": ""})
    if not (root / "Alice").samefile(root / "Alice") or len(list(root.iterdir())) < 3:
        pytest.skip("this file system folds case: the clash cannot be made")
    with pytest.raises(UsageError, match="differ only in case: Alice and alice"):
        read_roster(root, KNOWN, None)


def test_fingerprint_follows_content_not_timestamps(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"alice/ex01.py": "x = 1\n"})
    first = read_roster(root, KNOWN, None).jobs[0].fingerprint
    (root / "alice/ex01.py").write_text("x = 1\n", encoding="utf-8")
    assert read_roster(root, KNOWN, None).jobs[0].fingerprint == first
    (root / "alice/ex01.py").write_text("x = 2\n", encoding="utf-8")
    assert read_roster(root, KNOWN, None).jobs[0].fingerprint != first


def test_a_relative_or_symlinked_class_folder_keeps_one_absolute_spelling(tmp_path: Path, monkeypatch) -> None:
    """Every job's files lie under roster.folder as spelled, so batch can store them relative to it (issue 12)."""
    real = _tree(tmp_path / "real", {"alice/ex01.py": "", "elsewhere/bob/ex01.py": ""})
    (real / "class").mkdir()
    (real / "class" / "alice").symlink_to(real / "alice", target_is_directory=True)
    (real / "class" / "bob").symlink_to(real / "elsewhere" / "bob", target_is_directory=True)
    (tmp_path / "link").symlink_to(real / "class", target_is_directory=True)
    monkeypatch.chdir(tmp_path)
    roster = read_roster(Path("link/"), KNOWN, None)
    assert roster.folder == tmp_path / "link"  # absolute, the symlink kept
    assert [p.relative_to(roster.folder).as_posix() for j in roster.jobs for p in j.files] == ["alice/ex01.py",
                                                                                             "bob/ex01.py"]
