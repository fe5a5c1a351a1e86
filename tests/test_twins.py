"""Every twin pair mirrors itself: ``python/twinnet/X.py`` and ``r/R/X.R`` have
the same public functions in the same order (Python: top-level functions
without a leading underscore; R: the functions with a roxygen block, exported
or documented as internal), and the
error codes the fixtures twins refuse with are one list, the same in both
languages, each raised somewhere and documented in docs/errors.md."""

import ast
import re

import pytest
from conftest import ROOT

from twinnet import fixtures, rbridge

R_DIR = ROOT / "r" / "R"
TWINS = sorted(path.stem for path in R_DIR.glob("*.R") if path.stem != "twinnet-package")
R_EXPORTS = set(re.findall(r"^export\(([\w.]+)\)$", (ROOT / "r" / "NAMESPACE").read_text(), re.M))
# Where R must spell a function differently from its Python twin, R name -> Python name:
# R's readr_example() convention names the package in the function.
R_SPELLING: dict[str, str] = {"twinnet_example": "example"}
# Python functions with no R twin on purpose: R's fast paths share their blocks
# with worker processes, not threads (R's worker_count, internal, decides).
PYTHON_ONLY: dict[str, set[str]] = {"fast": {"threads_for"}}


def python_public_functions(name):
    tree = ast.parse((ROOT / "python" / "twinnet" / f"{name}.py").read_text(encoding="utf-8"))
    def is_overload(node):  # typing.overload stubs are not functions of their own
        return any(isinstance(decorator, ast.Name) and decorator.id == "overload" for decorator in node.decorator_list)

    return [node.name for node in tree.body
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_") and not is_overload(node)]


def r_public_functions(name):
    text = (R_DIR / f"{name}.R").read_text(encoding="utf-8")
    documented = re.findall(r"^#'.*\n([\w.]+)\s*<-\s*function\b", text, re.M)
    return [R_SPELLING.get(function, function) for function in documented]


def test_every_r_file_has_a_python_twin():
    assert TWINS == ["article", "fast", "fixtures", "layered", "params", "results", "stepwise", "trace"]
    assert all((ROOT / "python" / "twinnet" / f"{name}.py").is_file() for name in TWINS)


@pytest.mark.parametrize("name", TWINS)
def test_twins_have_the_same_public_functions_in_the_same_order(name):
    python = [function for function in python_public_functions(name) if function not in PYTHON_ONLY.get(name, ())]
    r = r_public_functions(name)
    assert python, f"{name}: no public functions found"
    if python != r:
        only_python = [function for function in python if function not in r]
        only_r = [function for function in r if function not in python]
        pytest.fail(f"{name}: python/twinnet/{name}.py has {python}, r/R/{name}.R exports {r} "
                    f"(only in Python: {only_python}; only in R: {only_r})", pytrace=False)


def raised_codes(pattern, paths):
    return {code for path in paths for code in re.findall(pattern, path.read_text(encoding="utf-8"))}


def test_every_error_code_raised_is_listed_and_every_listed_code_is_raised():
    # FixtureError("E_...", ...) or, from the JSON scan, return "E_...", message
    python = raised_codes(r'(?:FixtureError\(\s*|return )"(E_[A-Z]+)"', (ROOT / "python" / "twinnet").rglob("*.py"))
    r = raised_codes(r'fixture_error\(\s*"(E_[A-Z]+)"', [*R_DIR.glob("*.R"), *(ROOT / "r" / "inst").rglob("*.R")])
    assert python - set(fixtures.ERROR_CODES) == set(), "raised in Python but not in fixtures.ERROR_CODES"
    assert r - set(fixtures.ERROR_CODES) == set(), "raised in R but not in fixtures.ERROR_CODES"
    assert set(fixtures.ERROR_CODES) - python - r == set(), "listed but never raised"


def test_both_twins_list_the_same_error_codes_with_the_same_meanings():
    rbridge.r_package()
    from rpy2 import robjects

    r_codes = robjects.r("twinnet:::error_codes")
    assert dict(zip(r_codes.names, r_codes, strict=True)) == fixtures.ERROR_CODES


def test_every_error_code_is_documented_in_docs_errors():
    section = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8").split("## The codes", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `(E_[A-Z]+)` \|", section, re.M)
    assert documented == list(fixtures.ERROR_CODES)
