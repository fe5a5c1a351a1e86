"""The documentation: a short front door, links that resolve, no history, and
generated parts (the trace reference, the rule table) that match the program.

History patterns: documents describe what is; how it came to be lives in the
commit log.  The patterns below are deliberately narrow, so that they catch a
lab notebook and not ordinary English:

- ``issue 14``, ``issue-14``, ``issue #14``, ``issues 6``: an issue number
  (``issue`` followed by digits; "an issue with" is not caught);
- ``#14`` not preceded by a word character, ``&``, ``/`` or ``]``: a bare
  issue or pull-request number (``&#14;``, URL fragments and Markdown
  anchors such as ``](#failing-well)`` are not caught);
- ``Before:`` and ``Before the issue``: a before/after comparison heading
  ("before the backward pass" and "before any training" are ordinary English
  and are not caught: only ``before`` followed by a colon, or by "the" and
  issue/fix/change/session words, is);
- ``earlier run``, ``previous run``, ``last run``, ``this session``, ``earlier
  session``, ``previous session``: measurements told as a story of runs;
- ``down from <number>``, ``up from <number>``: a figure compared with an old one;
- ``used to be``, ``used to take``, ``used to run``, ``no longer takes`` ...:
  narratives of change ("use it to", "is used to draw" are not caught);
- ``**missed**`` and ``missed targets``: the lab notebook's target tables.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import numpy as np
import pytest

import twinnet
from twinnet import fixtures, resources, trace
from twinnet.maintain import refdocs
from twinnet.reading import tracenames

ROOT = Path(__file__).resolve().parents[1]
README_MAX_LINES = 250

HISTORY_PATTERNS = {
    "issue number": r"(?i)\bissues?[ -]?#?\d+",
    "bare #number": r"(?<![\w&/\]])#\d+\b",
    "before/after heading": r"(?i)\bbefore:|\bbefore the (?:issue|fix|change|session|rewrite)\b",
    "story of runs": r"(?i)\b(?:earlier|previous|last) (?:run|session)s?\b|\bthis session\b",
    "old figure": r"(?i)\b(?:down|up) from (?:about )?\d",
    "narrative of change": r"(?i)\bused to (?:be|take|run|give|write|read|call|have)\b"
                           r"|\bno longer (?:takes|runs|gives|writes|reads|calls|has)\b",
    "target table": r"(?i)\*\*missed\*\*|\bmissed targets?\b",
}

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def documents() -> list[Path]:
    """Every Markdown and R Markdown file git knows."""
    names = subprocess.run(["git", "ls-files", "*.md", "*.Rmd"], cwd=ROOT, capture_output=True, text=True,
                           check=True).stdout.split()
    return [ROOT / name for name in names]


def linked_pages() -> list[Path]:
    return [ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "SECURITY.md", *sorted((ROOT / "docs").glob("*.md"))]


def heading_anchors(text: str) -> set[str]:
    """GitHub's anchors for a Markdown page's headings."""
    anchors = set()
    in_code = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and line.startswith("#"):
            title = line.lstrip("#").strip().lower()
            anchors.add(re.sub(r"[^\w\- ]", "", title).replace(" ", "-"))
    return anchors | set(re.findall(r'<a (?:id|name)="([^"]+)"', text))


def test_readme_is_a_front_door():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_MAX_LINES, f"README.md has {len(lines)} lines; at most {README_MAX_LINES}"
    text = "\n".join(lines)
    for command in ("make test", "make demo", "docs/index.md", "```r", "```python"):
        assert command in text, command


def test_every_relative_link_resolves():
    broken = []
    for page in linked_pages():
        text = page.read_text(encoding="utf-8")
        for target in LINK.findall(text):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            resolved = (page.parent / path).resolve() if path else page
            if not resolved.exists():
                broken.append(f"{page.relative_to(ROOT)}: {target}")
            elif anchor and resolved.suffix == ".md" and anchor not in heading_anchors(
                    resolved.read_text(encoding="utf-8")):
                broken.append(f"{page.relative_to(ROOT)}: {target} (no such heading)")
    assert broken == []


def test_every_docs_page_is_on_the_index():
    index = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    missing = [page.name for page in (ROOT / "docs").glob("*.md") if page.name != "index.md"
               and f"]({page.name})" not in index]
    assert missing == []


@pytest.mark.parametrize("label", sorted(HISTORY_PATTERNS))
def test_no_document_tells_history(label):
    pattern = re.compile(HISTORY_PATTERNS[label])
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in documents() for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if pattern.search(line)]
    assert found == []


@pytest.mark.parametrize(("text", "history"), [
    ("the issue-6 fast paths", True), ("Targets (issue 14)", True), ("see #14", True),
    ("### Before: the old paths", True), ("from an earlier run", True), ("down from 163,000", True),
    ("| article | 34.9 | **missed**, 2.33x the limit |", True), ("it used to take 3 s", True),
    ("the output before the backward pass", False), ("an issue with the data", False),
    ("[Failing well](#failing-well)", False), ("`&#14;`", False), ("the seed is used to draw", False),
    ("checked before any training", False), ("the last layer", False)])
def test_the_history_patterns_catch_history_and_not_english(text, history):
    assert any(re.search(pattern, text) for pattern in HISTORY_PATTERNS.values()) == history


def traced_fixtures():
    return [(name, fixtures.trace_fixture(twinnet.example(name))) for name in twinnet.example()]


def test_every_traced_name_is_documented_with_its_shape():
    """Every name `trace` emits for every packaged fixture is in tracenames.TRACE_NAMES (and so on
    docs/trace-reference.md), with a symbolic shape that evaluates to the traced shape."""
    for name, document in traced_fixtures():
        fixture = fixtures.read_fixture(twinnet.example(name))
        X = np.asarray(fixture["data"]["X"])
        hyper = fixture["hyper"]
        sizes = {"n": X.shape[0], "d": X.shape[1], "h": hyper.get("hidden", 0)}
        neurons = tuple(hyper.get("neurons", ()))
        for quantity in document["quantities"]:
            shape = tracenames.numeric_shape(fixture["variant"], quantity["name"], sizes, neurons)
            assert list(shape) == quantity["shape"], (name, quantity["name"])


def test_the_names_table_describes_exactly_the_traced_names():
    for variant, steps in trace.STEP_TABLES.items():
        assert list(tracenames.TRACE_NAMES[variant]) == [name for _, _, names in steps for name in names], variant


def test_the_trace_reference_lists_every_step_and_name():
    page = (ROOT / "docs" / "trace-reference.md").read_text(encoding="utf-8")
    for variant, steps in trace.STEP_TABLES.items():
        for step, title, names in steps:
            for name in names:
                assert f"| {step} | {title} | `{name}` |" in page, (variant, name)


def test_generated_docs_are_current():
    """docs/trace-reference.md and the rule table of docs/errors.md equal a fresh generation (make docs)."""
    for name, text in refdocs.generated(ROOT).items():
        assert (ROOT / name).read_text(encoding="utf-8") == text, f"{name} is stale: run make docs"


def manifest() -> dict:
    return json.loads((resources.data_dir() / "invalid" / "manifest.json").read_text(encoding="utf-8"))


def test_the_rule_table_is_the_manifest():
    errors = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    table = errors.split(refdocs.INVALID_MARKERS[0], 1)[1].split(refdocs.INVALID_MARKERS[1], 1)[0]
    rows = re.findall(r"^\| `([^`]+)` \| `(E_[A-Z]+)` \|", table, re.M)
    assert rows == [(case["file"], case["code"]) for case in manifest()["cases"]]


def fixtures_readme() -> str:
    return (ROOT / "shared_fixtures" / "README.md").read_text(encoding="utf-8")


def test_the_fixtures_readme_counts_the_invalid_corpus():
    count = len(manifest()["cases"])
    on_disk = [path for path in (ROOT / "shared_fixtures" / "invalid").glob("*.json") if path.name != "manifest.json"]
    assert len(on_disk) == count
    claims = {int(number) for number in re.findall(r"(\d+) fixtures both readers must refuse", fixtures_readme())}
    assert claims == {count}


def test_the_fixtures_readme_cites_files_that_exist():
    cited = set(re.findall(r"`((?:python|r)/[\w/.-]+\.(?:py|R))`", fixtures_readme()))
    cited |= set(re.findall(r"`((?:python|r)/[\w/.-]+\.(?:py|R))`",
                            (ROOT / "docs" / "porting.md").read_text(encoding="utf-8")))
    assert cited and [path for path in sorted(cited) if not (ROOT / path).is_file()] == []


def test_the_docs_say_trace_takes_every_variant():
    """`trace` works on every variant's fixture (the packaged ones are traced above); no page says otherwise."""
    assert {document["variant"] for _, document in traced_fixtures()} == {"article", "stepwise", "layered"}
    for path in documents():
        assert "trace needs a 'stepwise' fixture" not in path.read_text(encoding="utf-8"), path
        assert "works on `\"stepwise\"` fixtures only" not in path.read_text(encoding="utf-8"), path


def test_the_docs_say_conform_checks_the_packaged_fixtures_by_default():
    porting = (ROOT / "docs" / "porting.md").read_text(encoding="utf-8")
    assert "default every `shared_fixtures/*.json`" not in porting
    assert "default: every packaged fixture" in porting


def test_the_docs_give_the_layered_last_activation_rule():
    """The reader refuses a layered network whose last activation is not the sigmoid; the docs say so."""
    rule = re.compile(r"last[^.]*`?sigmoid`?", re.I)
    for path in (ROOT / "docs" / "porting.md", ROOT / "shared_fixtures" / "README.md", ROOT / "docs" / "errors.md"):
        assert rule.search(path.read_text(encoding="utf-8")), path
    codes = {case["code"] for case in manifest()["cases"] if case["file"].startswith("E_HYPER-activation-last")}
    assert codes == {"E_HYPER"}


def test_the_bench_table_is_rewritten_between_its_markers():
    row = {"case": "article/fast", "n": 3, "d": 4, "h": 3, "epochs": 10, "python_us_per_epoch": 35.0,
           "r_us_per_epoch": 26.4, "r_over_python": 0.75, "python_ns_per_sample_epoch": 11650.0,
           "r_ns_per_sample_epoch": 8800.0, "python_peak_mb": 32.0, "r_peak_mb": 72.0, "floor_us_per_epoch": 0.064,
           "python_over_floor": 543.7}
    document = {"machine": {"cpu": "Test CPU", "cpu_family_model": "1/2", "cpu_simd": ["avx2"], "cores": 2,
                            "memory_gib": 4.0, "os": "Debian", "python": "3.11", "numpy": "2.4",
                            "numpy_blas": "openblas", "r": "R 4.2.2", "r_blas": "libopenblas.so (OpenBLAS)"},
                "floor": {"gemm_gflops": 1.0, "copy_gb_s": 2.0, "exp_ns": 3.0, "r_exp_ns": 4.0}, "rows": [row]}
    page = (ROOT / refdocs.BENCH_PAGE).read_text(encoding="utf-8")
    start, end = refdocs.BENCH_MARKERS
    assert page.count(start) == 1 and page.count(end) == 1
    rewritten = refdocs.replace_between(page, refdocs.BENCH_MARKERS, refdocs.bench_table(document))
    table = rewritten.split(start, 1)[1].split(end, 1)[0]
    assert "Test CPU" in table and "| article/fast | 3×4, 3 | 10 |" in table
    assert rewritten.split(start)[0] == page.split(start)[0] and rewritten.split(end)[1] == page.split(end)[1]
    assert "Measured by `make bench` on:" in page.split(start, 1)[1].split(end, 1)[0]
