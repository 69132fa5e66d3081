"""grade start: the starter file carries the prompt and the signature, and never overwrites a student's work."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from grader.cli import main

CONFIG = str(Path(__file__).resolve().parent.parent / "config.yaml")


def test_start_writes_the_starter_with_prompt_and_signature(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["start", "ex05", "--config", CONFIG])
    assert result.exit_code == 0, result.output
    text = Path("ex05.py").read_text(encoding="utf-8")
    assert text.startswith('"""ex05: ')
    assert "def train_linear(" in text
    assert "grade ex05" in text
    compile(text, "ex05.py", "exec")


def test_start_never_overwrites_without_force(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    Path("ex03.py").write_text("my precious work\n")
    result = runner.invoke(main, ["start", "ex03", "--config", CONFIG])
    assert result.exit_code == 2
    assert "already exists" in result.stderr and "--force" in result.stderr
    assert Path("ex03.py").read_text() == "my precious work\n"
    forced = runner.invoke(main, ["start", "ex03", "--force", "--config", CONFIG])
    assert forced.exit_code == 0
    assert "def q_backward(" in Path("ex03.py").read_text()


def test_start_unknown_exercise_is_a_usage_error(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(main, ["start", "ex3", "--config", CONFIG])
    assert result.exit_code == 2
    assert "did you mean ex03" in result.stderr
    assert not Path("ex3.py").exists()
