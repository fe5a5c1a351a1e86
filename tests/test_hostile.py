"""Hostile input, generated at test time because it is too big or too special
for shared_fixtures/invalid/: nesting 100,000 deep, an object of 1,000,000
keys, a FIFO, /dev/zero, a device as --out, arrays that would need 6 GiB, an
epoch count past R's integers, comments, absurd learning rates. Each must end
with exit status 2, one line on stderr, the same code in ``--lang python``,
``--lang r`` and the R API (``Rscript``), and nothing written."""

import json
import os
import stat
import subprocess
import sys

import pytest
from conftest import FIXTURE_DIR, ROOT

from twinnet import fixtures, rbridge, results

# The R API as a user calls it: train_fixture() and write_result(), a refusal
# printed as one line and exit status 2, as the CLI does.
R_API = """
args <- commandArgs(trailingOnly = TRUE)
status <- tryCatch({
  epochs <- if (args[3] != "-") as.numeric(args[3]) else NULL
  twinnet::write_result(twinnet::train_fixture(args[1], epochs), args[2])
  0
}, twinnet_fixture_error = function(e) {
  cat("twinnet: ", conditionMessage(e), "\\n", sep = "", file = stderr())
  2
})
quit(status = status)
"""

MODES = ("python", "r", "r-api")


def run(mode, fixture, out, epochs=None, *extra):
    """(exit status, stderr) of one training run in ``mode``."""
    if mode == "r-api":
        env = {**os.environ, "R_LIBS": rbridge.r_libs_path()}
        command = ["Rscript", "-e", R_API, str(fixture), str(out), "-" if epochs is None else str(epochs)]
    else:
        env = dict(os.environ)
        command = [sys.executable, "-m", "twinnet", "train", str(fixture), "--lang", mode, "--out", str(out),
                   *(["--epochs", str(epochs)] if epochs is not None else []), *extra]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, env=env, timeout=120)
    return done.returncode, done.stderr


def assert_refused(fixture, out, code, epochs=None, modes=MODES, same_message=True, watch=None):
    """Every mode exits 2 with one line starting ``twinnet: CODE: ``, the same
    line in every mode, and writes nothing in ``watch`` (default: next to ``out``)."""
    watch = watch or os.path.dirname(out)
    before = sorted(os.listdir(watch))
    lines = {}
    for mode in modes:
        status, stderr = run(mode, fixture, out, epochs)
        assert status == 2, (mode, status, stderr[-2000:])
        assert stderr.startswith(f"twinnet: {code}: ") and stderr.count("\n") == 1, (mode, stderr[-2000:])
        lines[mode] = stderr
        assert sorted(os.listdir(watch)) == before, mode
    if same_message:
        assert len(set(lines.values())) == 1, lines
    return lines


def base_fixture():
    return json.loads((FIXTURE_DIR / "xor.json").read_text())


def write(path, document):
    path.write_text(json.dumps(document, separators=(",", ":")))
    return path


def test_nesting_100000_deep_is_refused_by_a_linear_scan(tmp_path):
    fixture = tmp_path / "deep.json"
    fixture.write_text('{"schema": "twinnet-fixture/1", "padding": ' + "[" * 100_000 + "]" * 100_000 + "}")
    assert_refused(fixture, tmp_path / "out.json", "E_DEPTH")
    with pytest.raises(fixtures.FixtureError, match="nested deeper than 64 levels at offset 106"):
        fixtures.load_json(fixture)


def test_nesting_1000000_deep_in_both_readers(tmp_path):
    fixture = tmp_path / "deeper.json"
    fixture.write_text("[" * 1_000_000 + "]" * 1_000_000)
    python = refusal(fixtures.load_json, fixture)
    r = refusal(lambda path: rbridge.call("load_json", str(path)), fixture)
    assert python == r == ("E_DEPTH", f"{fixture}: nested deeper than 64 levels at offset 64")


def refusal(reader, path):
    try:
        reader(path)
    except fixtures.FixtureError as error:
        return error.code, error.message
    except Exception as error:  # an R condition through rpy2
        converted = rbridge.fixture_error_from_r(error)
        return converted.code, converted.message
    pytest.fail(f"{path} was accepted")


def test_an_object_of_a_million_keys_is_read_in_linear_time(tmp_path):
    document = base_fixture()
    fixture = tmp_path / "keys.json"
    keys = ",".join(f'"k{i}":0' for i in range(1_000_000))
    fixture.write_text(json.dumps(document)[:-1] + ', "padding": {' + keys + "}}")
    assert_refused(fixture, tmp_path / "out.json", "E_SCHEMA")
    duplicated = tmp_path / "duplicated.json"
    duplicated.write_text("{" + keys + ', "k999999": 0}')
    python = refusal(fixtures.load_json, duplicated)
    r = refusal(lambda path: rbridge.call("load_json", str(path)), duplicated)
    assert python == r == ("E_JSON", f"{duplicated}: not valid JSON: duplicate key 'k999999'")


def test_a_fifo_is_not_read(tmp_path):
    fifo = tmp_path / "fixture.json"
    os.mkfifo(fifo)
    lines = assert_refused(fifo, tmp_path / "out.json", "E_IO")
    assert lines["python"] == f"twinnet: E_IO: {fifo}: cannot read: not a regular file\n"


def test_dev_zero_is_not_read(tmp_path):
    lines = assert_refused("/dev/zero", tmp_path / "out.json", "E_IO")
    assert lines["r"] == "twinnet: E_IO: /dev/zero: cannot read: not a regular file\n"


def test_a_directory_and_a_trailing_slash_are_refused_alike(tmp_path):
    assert_refused(tmp_path, tmp_path / "out.json", "E_IO")
    assert_refused(str(FIXTURE_DIR / "xor.json") + "/", tmp_path / "out.json", "E_IO")


def test_a_device_as_out_is_never_replaced(tmp_path):
    if os.geteuid() == 0:  # root could replace /dev/full itself: use a copy of it
        device = tmp_path / "full"
        os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    else:
        device = "/dev/full"
    for mode in MODES:
        status, stderr = run(mode, FIXTURE_DIR / "xor.json", device, 2)
        assert status == 2 and stderr == f"twinnet: E_OUTPUT: {device}: refusing to replace something that is not " \
                                          "a regular file\n", (mode, stderr)
        assert stat.S_ISCHR(os.stat(device).st_mode)
    assert sorted(os.listdir(tmp_path)) == (["full"] if os.geteuid() == 0 else [])


@pytest.mark.parametrize("out", ["", "{tmp}", "{tmp}/", "/proc/x.json", "{tmp}/fifo"])
def test_outputs_that_cannot_be_files_are_refused(out, tmp_path):
    os.mkfifo(tmp_path / "fifo")
    out = out.replace("{tmp}", str(tmp_path))
    assert_refused(FIXTURE_DIR / "xor.json", out, "E_OUTPUT", epochs=2, watch=tmp_path)
    assert stat.S_ISFIFO(os.stat(tmp_path / "fifo").st_mode) and not os.path.exists("/proc/x.json")


def test_a_full_disk_is_e_output_and_keeps_the_old_file(tmp_path, monkeypatch):
    out = tmp_path / "result.json"
    out.write_text("old")
    result = fixtures.train_fixture(FIXTURE_DIR / "xor.json", epochs=1)

    def full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(fixtures.FixtureError) as error:
        results.write_result(result, out)
    assert error.value.code == "E_OUTPUT" and error.value.message == f"{out}: cannot write: No space left on device"
    assert out.read_text() == "old" and os.listdir(tmp_path) == ["result.json"]


def test_arrays_that_would_need_6_gib_are_refused_before_training(tmp_path):
    n, hidden = 200_000, 4096
    document = base_fixture()
    document["data"] = {"X": [[0]] * n, "y": [[0]] * n}
    document["hyper"]["hidden"] = hidden
    document["init"] = {"wh": [[0] * hidden], "bh": [[0] * hidden], "wout": [[0]] * hidden, "bout": [[0]]}
    fixture = write(tmp_path / "big.json", document)
    assert fixture.stat().st_size < 2_000_000
    lines = assert_refused(fixture, tmp_path / "out.json", "E_BUDGET")
    assert lines["python"] == "twinnet: E_BUDGET: training needs about 48.8 GiB; the limit is 2 GiB; raise it with " \
                              "--max-memory\n"
    status, stderr = run("python", fixture, tmp_path / "out.json", None, "--max-memory", "0.5")
    assert status == 2 and "the limit is 0.5 GiB" in stderr


def test_a_day_of_epochs_is_refused_up_front(tmp_path):
    document = base_fixture()
    hidden = 4096
    document["data"] = {"X": [[0]] * 300, "y": [[0]] * 300}
    document["hyper"].update(hidden=hidden, epochs=1_000_000)
    document["init"] = {"wh": [[0] * hidden], "bh": [[0] * hidden], "wout": [[0]] * hidden, "bout": [[0]]}
    lines = assert_refused(write(tmp_path / "long.json", document), tmp_path / "out.json", "E_BUDGET")
    assert lines["r"] == "twinnet: E_BUDGET: training needs about 1.1e+13 multiply-adds, hours of computing; the " \
                         "limit is 1e+13; lower the epochs\n"


def test_the_cost_estimate_is_the_same_formula_in_both_languages():
    for name in ("article", "stepwise", "layered-xor", "iris", "wide"):
        fixture = fixtures.read_fixture(FIXTURE_DIR / f"{name}.json")
        n, d = fixture["data"]["X"].shape
        python = fixtures.estimate_cost(fixture["variant"], n, d, fixture["hyper"], 1000)
        r = rbridge.call("estimate_cost", fixture["variant"], n, d, rbridge.to_r_list(
            {key: value for key, value in fixture["hyper"].items()}), 1000)
        assert list(python) == list(r), name


@pytest.mark.parametrize("epochs", ["2147483648", "-2147483649", "1" + "0" * 400])
def test_epochs_past_r_integers_are_e_hyper(epochs, tmp_path):
    assert_refused(FIXTURE_DIR / "xor.json", tmp_path / "out.json", "E_HYPER", epochs=epochs,
                   modes=("python", "r") if len(epochs) > 300 else MODES)


def test_comments_in_json_are_refused_alike(tmp_path):
    text = (FIXTURE_DIR / "xor.json").read_text()
    fixture = tmp_path / "commented.json"
    fixture.write_text("// a fixture\n" + text)
    assert_refused(fixture, tmp_path / "out.json", "E_JSON")


def test_an_absurd_lr_is_e_diverged_everywhere(tmp_path):
    document = base_fixture()
    document["hyper"]["lr"] = 1e308
    lines = assert_refused(write(tmp_path / "lr.json", document), tmp_path / "out.json", "E_DIVERGED", epochs=20)
    assert "larger than 1e+150 in magnitude" in lines["python"]


def test_names_and_paths_with_line_breaks_stay_on_one_line(tmp_path):
    folder = tmp_path / "a\nE_OK: fine\a"
    folder.mkdir()
    document = base_fixture()
    document["variant"] = "deep\nE_OK"
    fixture = write(folder / "x.json", document)
    lines = assert_refused(fixture, folder / "out.json", "E_VARIANT")
    assert lines["python"] == ("twinnet: E_VARIANT: variant: expected 'article', 'stepwise' or 'layered', "
                               "got 'deep\\nE_OK'\n")
    missing = folder / "missing.json"
    lines = assert_refused(missing, folder / "out.json", "E_IO")
    assert lines["r"] == f"twinnet: E_IO: {tmp_path}/a\\nE_OK: fine\\u0007/missing.json: cannot read: " \
                         "No such file or directory\n"


def test_results_get_mode_0644_less_the_umask_in_both_languages(tmp_path):
    modes = {}
    for mode in MODES:
        out = tmp_path / f"{mode}.json"
        command = "umask 027 && exec \"$@\""
        env = {**os.environ, "R_LIBS": rbridge.r_libs_path()}
        args = (["Rscript", "-e", R_API, str(FIXTURE_DIR / "xor.json"), str(out), "1"] if mode == "r-api"
                else [sys.executable, "-m", "twinnet", "train", str(FIXTURE_DIR / "xor.json"), "--lang", mode,
                      "--out", str(out), "--epochs", "1"])
        done = subprocess.run(["sh", "-c", command, "sh", *args], cwd=ROOT, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        modes[mode] = stat.S_IMODE(os.stat(out).st_mode)
    assert modes == {mode: 0o640 for mode in MODES}
    assert sorted(os.listdir(tmp_path)) == sorted(f"{mode}.json" for mode in MODES)  # no temporary file left


def test_the_scan_does_not_mistake_strings_for_structure(tmp_path):
    """Brackets, slashes and form feeds inside strings, after escaped quotes
    and escaped backslashes, are text: both readers parse the file."""
    text = '{"a\\\\": [[1]], "b\\"[[[[//\\f": 2, "c": "\\\\\\"]]]]", "d": "\\ud83d\\ude00"}'
    path = tmp_path / "strings.json"
    path.write_text(text)
    expected = json.loads(text)
    assert fixtures.load_json(path) == expected
    r = rbridge.call("load_json", str(path))
    assert list(r.keys()) == list(expected)
    assert [str(r[key][0]) for key in ("c", "d")] == [expected["c"], expected["d"]]
    assert int(r['b"[[[[//\f'][0]) == 2


def test_a_path_that_is_not_utf8_is_one_line_for_r(tmp_path):
    fixture = os.path.join(os.fsencode(tmp_path), b"\xff.json")
    with open(fixture, "wb") as handle:
        handle.write((FIXTURE_DIR / "xor.json").read_bytes())
    shown = os.fsdecode(fixture)
    status, stderr = run("r", shown, tmp_path / "out.json", 1)
    assert status == 2 and stderr == f"twinnet: E_IO: {fixtures.escape(shown)}: cannot read: the path is not " \
                                     "UTF-8, which R needs\n"
    assert "\\udcff" in stderr and not (tmp_path / "out.json").exists()
