"""grader.config: config.yaml -> Settings, with file:line errors and command-line overrides."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from grader.config import (
    CONFIG_NAME,
    Limits,
    Settings,
    bundled_notice,
    course_config,
    find_config,
    load_settings,
    package_root,
    search_config,
)
from grader.errors import UsageError
from grader.errors import ConfigError

FULL = """\
schema: 1
exercises_dir: course/exercises
solutions_dir: course/solutions
hidden_trials: 5
sandbox:
  timeout_s: 2.5
  memory_mb: 512
  output_limit_kb: 64
  result_limit_mb: 8
  max_tensor_elements: 1000
tolerance:
  rtol: 1.0e-3
  atol: 0
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / CONFIG_NAME
    path.write_text(text, encoding="utf-8")
    return path


def error_of(path: Path) -> str:
    with pytest.raises(ConfigError) as info:
        load_settings(path)
    return str(info.value)


def line_of(text: str, needle: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in text")


def test_defaults_without_a_config():
    settings = load_settings(None)
    root = package_root()
    assert settings.root == root
    assert settings.exercises_dir == root / "exercises"
    assert settings.solutions_dir == root / "solutions"
    assert settings.limits == Limits()
    assert settings.limits.timeout_s == 10.0 and settings.limits.memory_mb == 2048
    assert settings.limits.max_tensor_elements == 1_000_000
    assert (settings.rtol, settings.atol, settings.hidden_trials) == (1e-4, 1e-6, 3)


def test_minimal_config_uses_defaults_rooted_at_its_folder(tmp_path):
    settings = load_settings(write(tmp_path, "schema: 1\n"))
    root = tmp_path.resolve()
    assert settings.root == root
    assert settings.exercises_dir == root / "exercises"
    assert settings.solutions_dir == root / "solutions"
    assert settings.limits == Limits()
    assert (settings.rtol, settings.atol, settings.hidden_trials) == (1e-4, 1e-6, 3)


def test_full_valid_config(tmp_path):
    settings = load_settings(write(tmp_path, FULL))
    root = tmp_path.resolve()
    assert settings == Settings(
        root=root, exercises_dir=root / "course/exercises", solutions_dir=root / "course/solutions",
        limits=Limits(timeout_s=2.5, memory_mb=512, output_limit_kb=64, result_limit_mb=8, max_tensor_elements=1000),
        rtol=1e-3, atol=0.0, hidden_trials=5)
    assert isinstance(settings.atol, float)
    assert isinstance(settings.limits.timeout_s, float)


def test_empty_sections_and_zero_hidden_trials_are_valid(tmp_path):
    settings = load_settings(write(tmp_path, "schema: 1\nhidden_trials: 0\nsandbox: {}\ntolerance: {}\n"))
    assert settings.hidden_trials == 0
    assert settings.limits == Limits()


def test_shipped_config_loads():
    path = package_root() / CONFIG_NAME
    settings = load_settings(path)
    assert settings.exercises_dir == package_root() / "exercises"
    assert settings.hidden_trials == 3


def test_schema_too_new_says_upgrade(tmp_path):
    path = write(tmp_path, "# course\nschema: 2\n")
    message = error_of(path)
    assert message.startswith(f"{path}:2: ")
    assert "config schema 2 is newer than this grader understands (schema 1)" in message
    assert "upgrade the grader" in message


def test_schema_too_old_says_set_schema_1(tmp_path):
    path = write(tmp_path, "exercises_dir: ex\nschema: 0\n")
    message = error_of(path)
    assert message.startswith(f"{path}:2: ")
    assert "config schema 0 is older than this grader understands (schema 1)" in message
    assert "set schema: 1" in message


def test_missing_schema(tmp_path):
    path = write(tmp_path, "exercises_dir: ex\n")
    assert error_of(path) == f"{path}:1: config is missing the required key 'schema'"


def test_schema_must_be_a_whole_number(tmp_path):
    path = write(tmp_path, "schema: '1'\n")
    assert error_of(path) == f"{path}:1: config.schema must be a whole number, not '1'"


def test_unknown_top_level_key_suggests(tmp_path):
    text = "schema: 1\nexercise_dir: ex\n"
    path = write(tmp_path, text)
    message = error_of(path)
    assert message.startswith(f"{path}:2: unknown key 'exercise_dir' in config")
    assert "(did you mean 'exercises_dir'?)" in message


def test_unknown_sandbox_key_suggests(tmp_path):
    text = "schema: 1\nsandbox:\n  timeout_s: 3\n  memory_mbs: 100\n"
    path = write(tmp_path, text)
    message = error_of(path)
    assert message.startswith(f"{path}:4: unknown key 'memory_mbs' in config.sandbox")
    assert "(did you mean 'memory_mb'?)" in message
    assert ("known keys: max_memory_mb, max_output_limit_kb, max_tensor_elements, max_timeout_s, memory_mb, "
            "output_limit_kb, pid_namespace, require, result_limit_mb, runner, timeout_s") in message


def test_unknown_tolerance_key_suggests(tmp_path):
    path = write(tmp_path, "schema: 1\ntolerance:\n  rtoll: 0.1\n")
    message = error_of(path)
    assert message.startswith(f"{path}:3: unknown key 'rtoll' in config.tolerance (did you mean 'rtol'?)")


@pytest.mark.parametrize("key", ["timeout_s", "memory_mb", "output_limit_kb", "result_limit_mb",
                                 "max_tensor_elements"])
@pytest.mark.parametrize("value", [0, -1])
def test_limits_must_be_positive(tmp_path, key, value):
    text = f"schema: 1\nsandbox:\n  timeout_s: 5\n  {key}: {value}\n" if key != "timeout_s" else \
        f"schema: 1\nsandbox:\n  memory_mb: 5\n  {key}: {value}\n"
    path = write(tmp_path, text)
    assert error_of(path) == f"{path}:4: config.sandbox.{key}: must be greater than 0"


def test_negative_hidden_trials(tmp_path):
    path = write(tmp_path, "schema: 1\nhidden_trials: -1\n")
    assert error_of(path) == f"{path}:2: config.hidden_trials: must be 0 or more"


@pytest.mark.parametrize("key", ["rtol", "atol"])
def test_negative_tolerance(tmp_path, key):
    path = write(tmp_path, f"schema: 1\ntolerance:\n  {key}: -0.1\n")
    assert error_of(path) == f"{path}:3: config.tolerance.{key}: must be 0 or more"


@pytest.mark.parametrize(("text", "line", "expected"), [
    ("schema: 1\nexercises_dir: 3\n", 2, "config.exercises_dir must be text, not 3"),
    ("schema: 1\nsolutions_dir: [a]\n", 2, "config.solutions_dir must be text, not ['a']"),
    ("schema: 1\nhidden_trials: 2.5\n", 2, "config.hidden_trials must be a whole number, not 2.5"),
    ("schema: 1\nhidden_trials: yes\n", 2, "config.hidden_trials must be a whole number, not True"),
    ("schema: 1\nsandbox:\n  timeout_s: soon\n", 3, "config.sandbox.timeout_s must be a number, not 'soon'"),
    ("schema: 1\nsandbox:\n  memory_mb: 1.5\n", 3, "config.sandbox.memory_mb must be a whole number, not 1.5"),
    ("schema: 1\ntolerance:\n  atol: false\n", 3, "config.tolerance.atol must be a number, not False"),
    ("schema: 1\ntolerance: 0.1\n", 2, "config.tolerance must be a mapping of keys to values, not a number"),
])
def test_wrong_types(tmp_path, text, line, expected):
    path = write(tmp_path, text)
    assert error_of(path) == f"{path}:{line}: {expected}"


def test_invalid_yaml_in_config(tmp_path):
    path = write(tmp_path, "schema: 1\nsandbox: [\n")
    assert error_of(path).startswith(f"{path}:")
    assert "invalid YAML" in error_of(path)


# --- find_config ---------------------------------------------------------------------------------------------------

def test_find_config_walks_up_from_a_subfolder(tmp_path):
    config = write(tmp_path, "schema: 1\nexercises_dir: exercises\n")
    deep = tmp_path / "a" / "b" / "c"
    deep.mkdir(parents=True)
    assert find_config(deep) == config
    assert find_config(tmp_path) == config


def test_find_config_skips_config_files_without_exercises_dir(tmp_path):
    config = write(tmp_path, "schema: 1\nexercises_dir: exercises\n")
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / CONFIG_NAME).write_text("# an unrelated tool's config\nname: other\n", encoding="utf-8")
    deeper = sub / "x"
    deeper.mkdir()
    assert find_config(deeper) == config
    assert find_config(sub) == config


def test_find_config_prefers_the_nearest(tmp_path):
    write(tmp_path, "schema: 1\nexercises_dir: exercises\n")
    sub = tmp_path / "sub"
    sub.mkdir()
    nearer = sub / CONFIG_NAME
    nearer.write_text("schema: 1\nexercises_dir: mine\n", encoding="utf-8")
    assert find_config(sub) == nearer


@pytest.mark.parametrize("text", ["schema: 1\n", "# my course\nschema: 1\nhidden_trials: 2\n"])
def test_a_config_with_a_schema_key_and_no_exercises_dir_is_a_course(tmp_path, text):
    """BUG (issue 14): a config.yaml holding only `schema: 1` was skipped, and the bundled course used instead."""
    config = write(tmp_path, text)
    deep = tmp_path / "a"
    deep.mkdir()
    assert search_config(deep) == config and find_config(deep) == config
    assert course_config(None, deep, writes="x") == config
    assert load_settings(config).exercises_dir == tmp_path.resolve() / "exercises"


def test_a_config_beside_an_exercises_folder_is_a_course(tmp_path):
    config = write(tmp_path, "# settings\nhidden_trials: 2\n")
    assert search_config(tmp_path) is None
    (tmp_path / "exercises").mkdir()
    assert search_config(tmp_path) == config


def test_a_schema_key_only_counts_at_the_top_level(tmp_path):
    write(tmp_path, "tool:\n  schema: 1\n")
    assert search_config(tmp_path) is None
    with pytest.raises(UsageError) as info:
        course_config(None, tmp_path, writes="it writes")
    assert "no course folder" in info.value.message and "grade init" in info.value.message


def test_the_bundled_notice_names_the_folder_and_the_course(tmp_path):
    assert bundled_notice(tmp_path) == (f"grade: no course folder here (no config.yaml at or above {tmp_path}); "
                                        f"using the bundled example course {package_root()}")


def test_find_config_falls_back_to_the_bundled_config(tmp_path):
    start = tmp_path / "nowhere"
    start.mkdir()
    assert find_config(start) == package_root() / CONFIG_NAME


# --- with_overrides ------------------------------------------------------------------------------------------------

def test_with_overrides_sets_limits_and_top_level_fields(tmp_path):
    settings = load_settings(write(tmp_path, FULL))
    changed = settings.with_overrides(timeout_s=1.0, memory_mb=None, rtol=0.5, hidden_trials=0, atol=None)
    assert changed.limits.timeout_s == 1.0
    assert changed.limits.memory_mb == 512          # None means 'not given'
    assert changed.rtol == 0.5
    assert changed.atol == 0.0
    assert changed.hidden_trials == 0                 # 0 is given, not 'not given'
    assert changed.limits.max_tensor_elements == 1000
    # the original is untouched (frozen)
    assert settings.limits.timeout_s == 2.5 and settings.rtol == 1e-3 and settings.hidden_trials == 5
    with pytest.raises(dataclasses.FrozenInstanceError):
        settings.rtol = 1.0  # type: ignore[misc]


def test_with_overrides_without_changes_is_equal(tmp_path):
    settings = load_settings(write(tmp_path, FULL))
    assert settings.with_overrides() == settings
    assert settings.with_overrides(timeout_s=None, rtol=None) == settings


def test_with_overrides_exercises_dir(tmp_path):
    settings = load_settings(None)
    changed = settings.with_overrides(exercises_dir=tmp_path, output_limit_kb=3)
    assert changed.exercises_dir == tmp_path
    assert changed.limits.output_limit_kb == 3
    assert changed.solutions_dir == settings.solutions_dir


@pytest.mark.parametrize("level", ["portable", "baseline", "namespaces", "own_process_tree"])
def test_sandbox_require_names_a_level(tmp_path, level):
    settings = load_settings(write(tmp_path, f"schema: 1\nsandbox:\n  require: {level}\n"))
    assert settings.limits.require == level


def test_sandbox_require_defaults_to_the_weakest_level_portable(tmp_path):
    assert load_settings(write(tmp_path, "schema: 1\n")).limits.require == "portable"


@pytest.mark.parametrize("value", ["strong", "Namespaces", "own process tree", "''"])
def test_an_unknown_sandbox_level_names_the_file_line_and_the_levels(tmp_path, value):
    path = write(tmp_path, f"schema: 1\nsandbox:\n  timeout_s: 2\n  require: {value}\n")
    message = error_of(path)
    assert message.startswith(f"{path}:4: config.sandbox.require: must be one of portable, baseline, namespaces, "
                              f"own_process_tree"), message


def test_sandbox_require_must_be_text(tmp_path):
    path = write(tmp_path, "schema: 1\nsandbox:\n  require: 2\n")
    assert error_of(path).startswith(f"{path}:3: config.sandbox.require must be text")
