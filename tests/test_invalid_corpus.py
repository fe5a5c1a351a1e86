"""Error parity: every file of shared_fixtures/invalid/ gets exactly the error
code its manifest (and its file name) says, in both languages, and where the
manifest gives a message, the same one-line message."""

import json

import pytest
from conftest import FIXTURE_DIR

from twinnet import fixtures, rbridge, safejson
from twinnet.maintain import invalid

CORPUS = FIXTURE_DIR / "invalid"
CASES = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))["cases"]
READERS = {"python": fixtures.read_fixture, "r": lambda path: rbridge.call("read_fixture", str(path))}


def refusal(language, path):
    """(code, message) of the reader's refusal."""
    try:
        READERS[language](path)
    except safejson.FixtureError as error:
        return error.code, error.message
    except Exception as error:  # an R condition, through rpy2
        converted = rbridge.fixture_error_from_r(error)
        return converted.code, converted.message
    pytest.fail(f"{language} accepted {path.name}")


def test_the_corpus_is_large_and_covers_every_input_code():
    assert len(CASES) >= 25
    codes = {case["code"] for case in CASES}
    assert codes >= {"E_ENCODING", "E_JSON", "E_SCHEMA", "E_VARIANT", "E_HYPER", "E_SHAPE", "E_VALUE"}
    listed = [case["file"] for case in CASES] + ["manifest.json"]
    assert sorted(path.name for path in CORPUS.iterdir()) == sorted(listed)
    assert all(case["file"].startswith(case["code"] + "-") for case in CASES)


def test_the_corpus_is_what_the_generator_writes():
    for name, content in invalid.corpus().items():
        assert (CORPUS / name).read_bytes() == content, f"{name} differs from a fresh generation: make fixtures"


@pytest.mark.needs_r
@pytest.mark.parametrize("case", CASES, ids=[case["file"] for case in CASES])
def test_both_languages_give_the_manifest_code(case):
    path = CORPUS / case["file"]
    python, r = refusal("python", path), refusal("r", path)
    assert python[0] == r[0] == case["code"], f"{case['file']}: python {python}, r {r}"
    if case["message"] is not None:
        assert python[1] == r[1] == case["message"].replace("{path}", str(path))
    assert "\n" not in python[1] and "\n" not in r[1]
