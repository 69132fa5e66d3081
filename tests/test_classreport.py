"""The instructor's class report: numbers, escaping and determinism, then the page in a real headless browser."""

from __future__ import annotations

import copy
import json
import os
import shutil
import subprocess
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from grader.course.classreport import FAILURE_COLOUR, HISTOGRAM_COLOUR, render_class_report
from grader.course.classstats import NO_SUBMISSION, PHRASES, histogram
from grader.codes import DIAGNOSES, ERROR_KINDS
from grader.report import render
from grader.result import CheckResult, Grade, GradeError, StudentResult

HOSTILE = "<script>alert('id')</script>&amp;"
HOSTILE_MESSAGE = 'a.grad: got <script>alert(1)</script> "twice" & </pre><img src=x onerror=alert(2)>'
HOSTILE_OUTPUT = "print('<b>bold</b>')\n\x1b[31mred\x1b[0m\n"
EXERCISES = {  # id -> (title, ((check name, points), ...))
    "ex01": ("First gradient", (("y", 2.0), ("x_tensor.grad", 2.0), ("y.grad_fn", 1.0))),
    "ex05": ("Fix accumulation", (("a.grad", 2.0), ("b.grad", 2.0), ("loss", 1.0))),
    "ex09": ("Chain rule by hand", (("dw1", 3.0), ("dw2", 3.0), ("db", 2.5), ("autograd_free", 1.5))),
}


def _grade(exercise: str, failed: dict[str, str] | None = None, *, error: str | None = None,
           message: str = "got 2x the expected value", output: str = "") -> Grade:
    """Grade one exercise by hand: `failed` maps a check name to its diagnosis; an error fails every check."""
    title, checks = EXERCISES[exercise]
    failed = {name: error for name, _ in checks} if error else (failed or {})
    results = tuple(CheckResult(name=name, kind="value", passed=name not in failed,
                                score=0.0 if name in failed else points, max_score=points,
                                message=message if name in failed else "", diagnosis=failed.get(name),
                                trial="public trial 1 (seed 0)" if name in failed else None)
                    for name, points in checks)
    return Grade(exercise=exercise, title=title, version=1, submission=f"{exercise}.py", checks=results,
                 error=GradeError(error, f"{error} happened") if error else None, output=output, public_seeds=(0,))


def _class() -> list[StudentResult]:
    """32 students, the first with a hostile id; who earns what is fixed by index so the numbers are known."""
    students = []
    for i, student in enumerate([HOSTILE] + [f"s{n:02d}" for n in range(1, 32)]):
        ex01 = (_grade("ex01", {"x_tensor.grad": "missing_grad"}) if i < 5 else
                _grade("ex01", {"y": "value", "x_tensor.grad": "value"}) if i < 8 else
                _grade("ex01", error="exception") if i < 10 else
                _grade("ex01", error=NO_SUBMISSION) if i < 12 else _grade("ex01"))
        ex05 = (_grade("ex05", {"a.grad": "accumulated", "b.grad": "accumulated"},
                       message=HOSTILE_MESSAGE if i == 0 else "got 2x", output=HOSTILE_OUTPUT if i == 0 else "")
                if i < 13 else
                _grade("ex05", {"b.grad": "sign"}) if i < 16 else
                _grade("ex05", error="timeout") if i == 16 else
                _grade("ex05", error=NO_SUBMISSION) if i == 17 else _grade("ex05"))
        ex09 = (_grade("ex09", {"dw1": "summed", "dw2": "summed"}) if i < 10 else
                _grade("ex09", {"autograd_free": "used_autograd"}) if i < 14 else
                _grade("ex09", error="crash") if i == 14 else _grade("ex09"))
        students.append(StudentResult(student=student, grades=(ex01, ex05, ex09)))
    return students


CLASS = _class()
PAGE = render_class_report(CLASS, title="Autograd 2025 <week 3>")


def _tree(page: str = PAGE) -> ET.Element:
    return ET.fromstring(page)  # the page is also well-formed XML, so structure can be read exactly


def _by_id(root: ET.Element, anchor: str) -> ET.Element:
    [element] = [e for e in root.iter() if e.get("id") == anchor]
    return element


def _text(element: ET.Element) -> str:
    return " ".join("".join(element.itertext()).split())


def _section(root: ET.Element, exercise: str) -> ET.Element:
    [section] = [e for e in root.iter("section") if e.get("data-exercise") == exercise]
    return section


class _Tags(HTMLParser):
    """Collect what a browser's tokenizer sees: every start tag and all the text."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.data: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attrs += attrs

    def handle_data(self, data):
        self.data.append(data)


def _tokens(page: str) -> _Tags:
    parser = _Tags()
    parser.feed(page)
    parser.close()
    return parser


def test_page_is_self_contained_with_no_script_or_external_resource():
    tokens = _tokens(PAGE)
    assert PAGE.startswith("<!DOCTYPE html>") and "style" in tokens.tags and "svg" in tokens.tags
    assert not {"script", "link", "img", "iframe", "object"} & set(tokens.tags)
    links = [value for name, value in tokens.attrs if name in {"href", "src", "xlink:href"}]
    assert links and all(value.startswith("#") for value in links)
    assert "url(" not in PAGE and "@import" not in PAGE and "//" not in PAGE.split("<main>")[0]


def test_histogram_counts_every_submitted_score_with_labelled_axes():
    ex05, ex09 = _section(_tree(), "ex05"), _section(_tree(), "ex09")
    bars = {bar.get("data-label"): int(bar.get("data-count")) for bar in ex05.iter("rect")
            if bar.get("class") == "bar" and bar.get("data-label")}
    assert bars == {"0": 1, "1": 13, "3": 3, "5": 14}  # 13 accumulated, 3 sign, 1 timeout, 14 right; 1 absent
    svg = next(e for e in ex05.iter("svg") if e.get("class") == "histogram")
    labels = [_text(t) for t in svg.iter("text")]
    assert "students" in labels and "score (points out of 5)" in labels
    assert [_text(t) for t in svg.iter("text") if t.get("class") == "tick"] == ["0", "1", "2", "3", "4", "5"]
    assert [_text(t) for t in svg.iter("text") if t.get("class") == "count"] == ["1", "13", "0", "3", "0", "14"]
    ranges = {bar.get("data-label"): int(bar.get("data-count")) for bar in ex09.iter("rect")
              if bar.get("class") == "bar" and bar.get("data-label")}
    assert ranges == {"0–1": 1, "4–5": 10, "8–9": 4, "9–10": 17}  # 8.5 of 10 is not a whole score: ten ranges


def test_each_exercise_states_mean_median_and_who_handed_nothing_in():
    root = _tree()
    facts = {ex: dict(zip([_text(d) for d in _section(root, ex).iter("dt")],
                          [_text(d) for d in _section(root, ex).iter("dd")])) for ex in EXERCISES}
    assert facts["ex05"] == {"Handed in": "31", "Nothing handed in": "1", "Mean": "2.97 / 5", "Median": "3 / 5",
                             "Full marks": "14"}
    assert facts["ex01"] == {"Handed in": "30", "Nothing handed in": "2", "Mean": "3.93 / 5", "Median": "5 / 5",
                             "Full marks": "20"}
    assert facts["ex09"]["Nothing handed in"] == "0" and facts["ex09"]["Mean"] == "7.62 / 10"
    overview = [[_text(td) for td in tr.iter("td")] for tr in _by_id(root, "overview").iter("tr")][1:]
    assert overview[1] == ["ex05", "Fix accumulation", "31", "1", "2.97 / 5", "3 / 5", "14"]


def test_failure_rate_has_a_bar_per_failing_check_among_students_who_handed_in():
    ex05 = _section(_tree(), "ex05")
    svg = next(e for e in ex05.iter("svg") if e.get("class") == "failures")
    bars = {bar.get("data-check"): (bar.get("data-failed"), bar.get("data-total"), int(bar.get("width")))
            for bar in svg.iter("rect") if bar.get("class") == "bar"}
    assert bars == {"a.grad": ("14", "31", 135), "b.grad": ("17", "31", 165), "loss": ("1", "31", 10)}
    assert [_text(t) for t in svg.iter("text") if t.get("class") == "rate"] == \
        ["14 / 31 (45%)", "17 / 31 (55%)", "1 / 31 (3%)"]


def test_common_diagnoses_count_students_not_checks_and_read_like_an_instructor_wrote_them():
    items = [li for li in _by_id(_tree(), "diagnoses").iter("li")]
    headlines = [_text(next(li.iter("p"))) for li in items]
    assert headlines[0] == "41% of the class (13 of 32 students) accumulated gradients over several backward() " \
                           "calls in ex05"  # two failed checks each, counted once per student
    assert [(li.get("data-exercise"), li.get("data-code"), li.get("data-students")) for li in items] == [
        ("ex05", "accumulated", "13"), ("ex09", "summed", "10"), ("ex01", "missing_grad", "5"),
        ("ex09", "used_autograd", "4"), ("ex01", "value", "3"), ("ex05", "sign", "3"), ("ex01", "exception", "2"),
        ("ex05", "timeout", "1"), ("ex09", "crash", "1")]  # most students first; ties in exercise order
    assert "the student handed in no file" not in PAGE  # nothing handed in is counted in the overview instead
    detail = _text(list(items[0].iter("p"))[1])
    assert detail.startswith(f"accumulated: {DIAGNOSES['accumulated']}. Seen on: a.grad, b.grad.")
    assert len(_tree(render_class_report(CLASS, title="t", top=3)).find(".//ol").findall("li")) == 3


def test_every_code_but_no_submission_has_an_instructor_phrase():
    assert set(PHRASES) == set(DIAGNOSES) | set(ERROR_KINDS) - {NO_SUBMISSION}


def test_each_diagnosis_links_to_an_example_report_embedded_in_the_page():
    root = _tree()
    links = [a.get("href")[1:] for li in _by_id(root, "diagnoses").iter("li") for a in li.iter("a")
             if _text(a).startswith("Example report")]
    assert len(links) == 9 and len(set(links)) == 9  # nine findings, each with its own example
    grades = {(r.student, g.exercise): g for r in CLASS for g in r.grades}
    first = _by_id(root, links[0])
    assert _text(first.find("h3")) == f"ex05 · {HOSTILE}"  # the first student, by id, who accumulated
    expected = render(grades[HOSTILE, "ex05"], colour=False).replace("\x1b", "\ufffd")
    assert first.find("pre").text == expected and HOSTILE_MESSAGE in expected
    timeout = _by_id(root, links[7])
    assert _text(timeout.find("h3")) == "ex05 · s16" and "ERROR [timeout]" in timeout.find("pre").text


def test_hostile_ids_messages_and_output_render_as_text():
    tokens = _tokens(PAGE)
    assert "script" not in tokens.tags and "img" not in tokens.tags and "b" not in tokens.tags
    text = "".join(tokens.data)
    assert HOSTILE in text and "print('<b>bold</b>')" in text and "\ufffd[31mred" in text
    assert "<script" not in PAGE.lower() and "\x1b" not in PAGE
    page = render_class_report(CLASS, title="lone \udc80 surrogate \x00 and <title>")
    page.encode("utf-8")  # would raise on a lone surrogate
    assert "<title>lone \ufffd surrogate \ufffd and &lt;title&gt;</title>" in page


def test_same_input_gives_the_same_bytes():
    assert render_class_report(copy.deepcopy(CLASS), title="Autograd 2025 <week 3>") == PAGE


def test_an_empty_class_and_an_exercise_nobody_handed_in_have_no_chart():
    empty = render_class_report([], title="Nobody yet")
    assert "No grades yet." in empty and "<svg" not in empty
    absent = render_class_report([StudentResult("s01", (_grade("ex01", error=NO_SUBMISSION),))], title="t")
    assert "Nobody handed this exercise in." in absent and "<svg" not in absent
    assert "No failed checks" in absent


def test_histogram_puts_the_maximum_in_the_last_bar():
    assert [b.count for b in histogram((0.0, 9.99, 10.0, 20.0), 20.0)] == [1, 0, 0, 0, 1, 1, 0, 0, 0, 1]
    assert [(b.label, b.count) for b in histogram((0.0, 1.0, 1.0), 2.0)] == [("0", 1), ("1", 2), ("2", 0)]


# --- in a real browser ------------------------------------------------------------------------------------------

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
WINDOW = (1100, 2600)  # tall enough to hold the first exercise's charts
TIMEOUT_S = 30
GEOMETRY = """<script>
document.documentElement.setAttribute('data-geometry', JSON.stringify([...document.querySelectorAll('svg')].map(
  svg => ({cls: svg.getAttribute('class'), box: (r => [r.left, r.top, r.right, r.bottom])(svg.getBoundingClientRect()),
           bars: [...svg.querySelectorAll('rect.bar')].map(b => +b.dataset.count)}))));
</script>"""


@pytest.fixture(scope="module")
def browser(tmp_path_factory) -> dict[str, object]:
    """Load the class page, the same page measured by a script, and an empty page, all at once; keep what came out."""
    if CHROMIUM is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is missing but CI must run the browser tests: .ci/run installs it with apt-get")
        pytest.skip("chromium is not installed: apt-get install -y --no-install-recommends chromium")
    tmp = tmp_path_factory.mktemp("browser")
    pages = {"class": PAGE, "measured": PAGE.replace("</body>", GEOMETRY + "</body>"),
             "empty": render_class_report([], title="Nobody yet")}
    for name, page in pages.items():
        (tmp / f"{name}.html").write_text(page, encoding="utf-8")
    jobs = {"dom": ("class", ["--dump-dom"]), "geometry": ("measured", ["--dump-dom"]),
            "shot": ("class", [f"--screenshot={tmp / 'class.png'}"]),
            "empty_shot": ("empty", [f"--screenshot={tmp / 'empty.png'}"])}
    running = {job: subprocess.Popen(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
         "--force-device-scale-factor=1", f"--window-size={WINDOW[0]},{WINDOW[1]}",
         f"--user-data-dir={tmp / ('profile-' + job)}", *flags, (tmp / f"{page}.html").as_uri()],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE) for job, (page, flags) in jobs.items()}
    out: dict[str, object] = {}
    try:
        for job, process in running.items():
            stdout, stderr = process.communicate(timeout=TIMEOUT_S)
            assert process.returncode == 0, f"chromium {job} failed: {stderr.decode(errors='replace')[-2000:]}"
            out[job] = stdout.decode("utf-8")
    finally:
        for process in running.values():
            if process.poll() is None:
                process.kill()
    out["shot"], out["empty_shot"] = tmp / "class.png", tmp / "empty.png"
    return out


def _pixels(path: Path) -> np.ndarray:
    from PIL import Image

    with Image.open(path) as image:
        return np.asarray(image.convert("RGB"), dtype=np.int16)


def _find(pixels: np.ndarray, colour: str, box=(0, 0, None, None)) -> list[tuple[int, int]]:
    """Return the (x, y) of every pixel within 3 of `colour` in the box (left, top, right, bottom)."""
    left, top, right, bottom = (None if v is None else max(0, int(v)) for v in box)
    target = np.array([int(colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=np.int16)
    region = pixels[top:bottom, left:right]
    ys, xs = np.nonzero((np.abs(region - target) <= 3).all(axis=2))
    return [(int(x) + left, int(y) + top) for y, x in zip(ys, xs)]


def test_browser_loads_the_page_and_its_dom_holds_every_chart(browser):
    tokens = _tokens(browser["dom"])
    assert "Autograd 2025 <week 3>" in "".join(tokens.data) and HOSTILE in "".join(tokens.data)
    assert "script" not in tokens.tags
    classes = [value for name, value in tokens.attrs if name == "class"]
    assert classes.count("histogram") == 3 and classes.count("failures") == 3
    assert classes.count("bar") == 4 + 4 + 4 + 3 + 3 + 4  # histogram bars, then failing-check bars, per exercise


def test_screenshot_shows_histogram_bars_as_tall_as_their_counts(browser):
    [geometry] = [value for name, value in _tokens(browser["geometry"]).attrs if name == "data-geometry"]
    charts = json.loads(geometry)
    histograms = [c for c in charts if c["cls"] == "histogram"]
    first = histograms[0]
    pixels = _pixels(browser["shot"])
    assert first["box"][3] <= WINDOW[1], "the first histogram is below the screenshot: make WINDOW taller"
    found = _find(pixels, HISTOGRAM_COLOUR, first["box"])
    assert found, "no histogram bar pixels where the first chart is"
    columns: dict[int, int] = {}
    for x, _ in found:
        columns[x] = columns.get(x, 0) + 1
    heights, previous = [], None  # one run of adjacent columns per bar, left to right
    for x in sorted(columns):
        if previous is None or x != previous + 1:
            heights.append(columns[x])
        previous = x
    assert len(heights) == len(first["bars"]) == 4  # ex01: 2 exceptions at 0, 3 at 1, 5 at 3, 20 at 5
    per_student = [h / count for h, count in zip(heights, first["bars"])]
    assert max(per_student) - min(per_student) < 1.0, (heights, first["bars"])
    inside = sum(len(_find(pixels, HISTOGRAM_COLOUR, c["box"])) for c in histograms)
    assert len(_find(pixels, HISTOGRAM_COLOUR)) == inside  # the colour belongs to the bars alone
    failures = next(c for c in charts if c["cls"] == "failures")
    assert _find(pixels, FAILURE_COLOUR, failures["box"])


def test_screenshot_of_a_page_without_charts_has_no_bar_pixels(browser):
    pixels = _pixels(browser["empty_shot"])
    assert pixels.shape == (WINDOW[1], WINDOW[0], 3)
    assert _find(pixels, HISTOGRAM_COLOUR) == [] and _find(pixels, FAILURE_COLOUR) == []
