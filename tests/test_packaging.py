"""The two packages stand on their own: packaged fixtures identical to
shared_fixtures/, metadata that agrees with the pins, the public API, fixtures
by name, the R package found where R looks, and one line for what needs a
checkout.  (The built wheel and tarball are exercised from an empty folder by
``make test-packages`` and ``make check``: .ci/check-packages.)"""

import json
import os
import re
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import numpy as np
import pytest
from conftest import FIXTURE_DIR, ROOT, UNCACHED_R_PACKAGE, run_cli

import twinnet
from twinnet import cli, fixtures, rbridge, resources, safejson
from twinnet.maintain import generate

PYPROJECT = tomllib.loads((ROOT / "python" / "pyproject.toml").read_text(encoding="utf-8"))


def test_every_packaged_copy_is_byte_identical_to_shared_fixtures():
    assert generate.stale_copies(ROOT) == []
    canonical = generate.canonical_files(ROOT)
    assert {"schema.json", "result.schema.json", "article.json", "invalid/manifest.json"} <= set(canonical)
    for copy in generate.PACKAGED_COPIES:
        for name, content in canonical.items():
            assert (ROOT / copy / name).read_bytes() == content, f"{copy}/{name}"


def test_a_changed_byte_in_a_copy_is_found(tmp_path):
    for part in ("shared_fixtures", *generate.PACKAGED_COPIES):
        source = ROOT / part
        for path in source.rglob("*"):
            if path.is_file():
                target = tmp_path / part / path.relative_to(source)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(path.read_bytes())
    assert generate.stale_copies(tmp_path) == []
    copy = tmp_path / "r" / "inst" / "extdata" / "xor.json"
    copy.write_bytes(copy.read_bytes().replace(b"0.5", b"0.6", 1))
    (tmp_path / "python" / "twinnet" / "data" / "extra.json").write_text("{}")
    assert generate.stale_copies(tmp_path) == ["python/twinnet/data/extra.json", "r/inst/extdata/xor.json"]
    generate.mirror(tmp_path)
    assert generate.stale_copies(tmp_path) == []


def test_the_installed_package_reads_its_own_copy():
    assert resources.data_dir() == ROOT / "python" / "twinnet" / "data"
    assert twinnet.example() == [path.stem for path in fixtures.fixture_paths(FIXTURE_DIR)]
    assert twinnet.example("article").read_bytes() == (FIXTURE_DIR / "article.json").read_bytes()
    assert resources.schema_path("result.schema.json").is_file()


@pytest.mark.parametrize("name", ["nope", "schema", "../article", ""])
def test_an_unknown_example_name_is_one_line_e_io(name):
    with pytest.raises(safejson.FixtureError) as refused:
        twinnet.example(name)
    assert refused.value.code == "E_IO"
    assert str(refused.value) == (f"E_IO: no packaged fixture named '{name}'; the packaged fixtures are: "
                                  "article, iris, layered-xor, stepwise, wide, xor")


@pytest.mark.needs_r
def test_r_twinnet_example_lists_and_finds_the_same_fixtures():
    assert list(rbridge.call("twinnet_example")) == twinnet.example()
    path = Path(str(rbridge.call("twinnet_example", "article")[0]))
    assert path.name == "article.json" and path.read_bytes() == (FIXTURE_DIR / "article.json").read_bytes()


@pytest.mark.needs_r
def test_r_twinnet_example_refuses_an_unknown_name_like_python():
    from rpy2.rinterface_lib.embedded import RRuntimeError

    with pytest.raises(RRuntimeError) as refused:
        rbridge.call("twinnet_example", "nope")
    error = rbridge.fixture_error_from_r(refused.value)
    with pytest.raises(safejson.FixtureError) as python:
        twinnet.example("nope")
    assert (error.code, error.message) == (python.value.code, python.value.message)


def test_the_public_api_is_importable_from_twinnet():
    assert {"train_fixture", "read_fixture", "example", "init_params", "predict_variant"} <= set(twinnet.__all__)
    for name in twinnet.__all__:
        assert getattr(twinnet, name) is not None, name
    for name in ("train_fixture", "read_fixture", "example", "train_variant", "write_result"):
        function = getattr(twinnet, name)
        assert function.__annotations__.get("return"), f"{name} has no return annotation"
    fit = twinnet.train_fixture(twinnet.example("xor"), epochs=3)
    assert fit["fixture"] == "xor" and fit["loss"].shape == (3,)
    assert twinnet.__version__ == PYPROJECT["project"]["version"] == metadata.version("twinnet")


def _lowest_python(specifier):
    match = re.search(r">=\s*(\d+)\.(\d+)", specifier or "")
    return (int(match.group(1)), int(match.group(2))) if match else (3, 0)


def test_requires_python_is_the_lowest_version_the_pins_install_on():
    pins = [line.split("==")[0] for line in (ROOT / "python" / "requirements.txt").read_text().splitlines()
            if line and not line.startswith("#")]
    floors = {name: _lowest_python(metadata.metadata(name).get("Requires-Python")) for name in pins}
    needed = max(floors.values())
    declared = _lowest_python(PYPROJECT["project"]["requires-python"])
    assert declared == needed, f"requires-python says {declared}; the pins need {needed}: " + ", ".join(
        f"{name} {'.'.join(map(str, floor))}" for name, floor in floors.items() if floor == needed)


def test_pyproject_has_the_metadata_a_package_index_shows():
    project = PYPROJECT["project"]
    assert project["license"] == "MIT" and project["license-files"] == ["LICENSE"]
    assert project["readme"] == "README.md" and (ROOT / "python" / "README.md").is_file()
    assert {"Homepage", "Source", "Issues"} <= set(project["urls"])
    assert any(line.startswith("Programming Language :: Python :: 3.") for line in project["classifiers"])
    assert {"r", "plots", "docs"} <= set(project["optional-dependencies"])
    assert not any(dependency.startswith(("matplotlib", "pygments")) for dependency in project["dependencies"])
    assert (ROOT / "python" / "twinnet" / "py.typed").is_file()


def test_one_licence_text_everywhere():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License\n\nCopyright (c) 2026 twinnet developers\n")
    assert "Permission is hereby granted, free of charge" in text
    assert (ROOT / "python" / "LICENSE").read_text(encoding="utf-8") == text
    assert (ROOT / "r" / "LICENSE.md").read_text(encoding="utf-8") == text
    # CRAN's form for "MIT + file LICENSE": the year and the holder only
    assert (ROOT / "r" / "LICENSE").read_text() == "YEAR: 2026\nCOPYRIGHT HOLDER: twinnet developers\n"
    description = (ROOT / "r" / "DESCRIPTION").read_text()
    assert "License: MIT + file LICENSE" in description and "\nURL: " in description and "BugReports: " in description


def process(*args, cwd, env=None):
    """``python -m twinnet ARGS...`` in a process of its own: for an installed
    copy or an environment this process cannot take back (PYTHONPATH, R's library)."""
    return subprocess.run([sys.executable, "-m", "twinnet", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, env=env)


@pytest.mark.parametrize("language", ["python", "r"])
def test_train_takes_a_packaged_fixture_by_name_from_any_folder(language, tmp_path):
    run = run_cli("train", "xor", "--lang", language, "--out", "out.json", "--epochs", 2, cwd=tmp_path)
    assert run.code == 0, run.err
    assert json.loads((tmp_path / "out.json").read_text())["fixture"] == "xor"


def test_a_path_wins_over_a_packaged_name(tmp_path):
    fixture = json.loads((FIXTURE_DIR / "xor.json").read_text())
    fixture["name"] = "my-own-xor"
    (tmp_path / "xor").write_text(json.dumps(fixture))
    run = run_cli("train", "xor", "--lang", "python", "--out", "out.json", "--epochs", 1, cwd=tmp_path)
    assert run.code == 0, run.err
    assert json.loads((tmp_path / "out.json").read_text())["fixture"] == "my-own-xor"
    assert cli.fixture_argument("no/such-fixture.json") == "no/such-fixture.json"
    with pytest.raises(cli.UnknownFixture, match="no-such-fixture: no such file or packaged fixture"):
        cli.fixture_argument("no-such-fixture")


def test_a_name_that_is_neither_a_file_nor_a_fixture_is_e_io(tmp_path):
    run = run_cli("train", "artcle", "--lang", "python", "--out", "out.json", cwd=tmp_path)
    assert run.code == 2 and run.err.count("\n") == 1
    assert run.err.startswith("twinnet: E_IO: artcle: no such file or packaged fixture; did you mean 'article'?")
    assert not (tmp_path / "out.json").exists()


@pytest.fixture
def installed_copy(tmp_path):
    """The package as a wheel installs it: a copy of python/twinnet in a folder
    of its own, with no checkout around it; returns (PYTHONPATH env, an empty cwd)."""
    import shutil

    site = tmp_path / "site-packages"
    shutil.copytree(ROOT / "python" / "twinnet", site / "twinnet", ignore=shutil.ignore_patterns("__pycache__"))
    cwd = tmp_path / "empty"
    cwd.mkdir()
    # a copy used once: no bytecode of it (make keeps the checkout's under .venv/ for the next run)
    return {**os.environ, "PYTHONPATH": str(site), "PYTHONDONTWRITEBYTECODE": "1"}, cwd


NEEDS_THE_SOURCE_TREE = re.compile(
    r"twinnet: E_CHECKOUT: .* needs the source tree: run it in a clone of the repository\n")


@pytest.mark.process
def test_an_installed_copy_is_no_checkout(installed_copy):
    """An installed copy finds no source tree from where it is (the commands below each say so)."""
    env, cwd = installed_copy
    run = process("generate", "--check", cwd=cwd, env=env)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr and NEEDS_THE_SOURCE_TREE.fullmatch(run.stderr)
    assert list(cwd.iterdir()) == []


@pytest.mark.parametrize("command", [["generate"], ["generate", "--check"], ["side-by-side", "article"],
                                     ["docs", "--out-dir", "d"], ["exercise", "1"]])
def test_commands_that_need_the_source_tree_say_so_in_one_line(command, tmp_path, monkeypatch):
    """What each command says where no checkout is found (as in an installed copy, above), in this worker."""
    monkeypatch.setattr(resources, "find_checkout", lambda: None)
    run = run_cli(*command, cwd=tmp_path)
    assert run.code == 2, run.out + run.err
    assert NEEDS_THE_SOURCE_TREE.fullmatch(run.err)
    assert run.out == "" and list(tmp_path.iterdir()) == []


INSTALLED_COPY_SCRIPT = """
import sys
import twinnet
from twinnet import cli
print(twinnet.example("article"))
status = cli.main(["train", "article", "--lang", "python", "--out", "p.json", "--epochs", "3"])
sys.exit(status or cli.main(["gradcheck", "xor", "--lang", "python"]))
"""


@pytest.mark.process
def test_the_installed_copy_trains_by_name_with_its_own_data(installed_copy):
    """One process of the installed copy (its start is most of the cost): the packaged fixture is its own,
    training by name writes the result, the gradient check runs."""
    env, cwd = installed_copy
    run = subprocess.run([sys.executable, "-c", INSTALLED_COPY_SCRIPT], cwd=cwd, env=env, capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0] == str(cwd.parent / "site-packages" / "twinnet" / "data" / "article.json")
    assert lines[1] == "wrote p.json: article trained in python for 3 epochs"
    assert (cwd / "p.json").is_file() and "relative error" in run.stdout


@pytest.mark.process
def test_a_missing_extra_is_one_line(tmp_path):
    # matplotlib hidden: what a wheel installed without [plots] sees
    (tmp_path / "matplotlib").mkdir()
    (tmp_path / "matplotlib" / "__init__.py").write_text("raise ModuleNotFoundError(name='matplotlib')\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]),
           "PYTHONDONTWRITEBYTECODE": "1"}  # no bytecode of the stand-in, used once
    run = process("demo", "xor", cwd=tmp_path, env=env)
    assert run.returncode == 2 and "Traceback" not in run.stderr
    assert run.stderr.splitlines()[-1] == "twinnet: E_EXTRA: demo needs matplotlib: pip install 'twinnet[plots]'"


@pytest.mark.process
@pytest.mark.needs_r
def test_the_bridge_finds_the_r_package_on_r_libs(tmp_path):
    """R_LIBS naming the library is enough, as it is for R itself (the
    project's own library is taken away); without it, the libraries searched
    are named in the message."""
    script = ("from pathlib import Path; from twinnet import rbridge\n"
              "rbridge.r_library = lambda: Path('/nonexistent')\n"
              "rbridge.r_package(); from rpy2 import robjects\n"
              "print(robjects.r['path.package']('twinnet')[0])")
    base = {key: value for key, value in os.environ.items() if key not in ("TWINNET_R_LIBRARY", "R_LIBS")}
    found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path,
                           env={**base, "R_LIBS": str(rbridge.r_library())})
    assert found.returncode == 0, found.stderr
    assert Path(found.stdout.strip()) == rbridge.r_library() / "twinnet"
    not_found = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=tmp_path,
                               env=base)
    assert "the twinnet R package is not installed in any of" in not_found.stderr


@pytest.mark.needs_r
def test_a_library_without_the_r_package_is_named_with_how_to_install_it(tmp_path, monkeypatch):
    """TWINNET_R_LIBRARY alone is searched: the CLI exits 3 with one line (the bridge uncached, as in a process
    that has not loaded the package yet; R itself is this worker's)."""
    monkeypatch.setattr(rbridge, "r_package", UNCACHED_R_PACKAGE)
    empty = tmp_path / "empty-library"
    empty.mkdir()
    missing = run_cli("train", "xor", "--lang", "r", "--out", "r.json", cwd=tmp_path,
                      env={"TWINNET_R_LIBRARY": str(empty)})
    assert missing.code == 3 and missing.err.count("\n") == 1, missing.err
    assert f"the twinnet R package is not installed in any of {empty}:" in missing.err
    assert "R CMD INSTALL twinnet_*.tar.gz" in missing.err and not (tmp_path / "r.json").exists()


def test_r_libs_path_hands_subprocesses_the_same_library(monkeypatch):
    monkeypatch.delenv("TWINNET_R_LIBRARY", raising=False)
    monkeypatch.setenv("R_LIBS", "/somewhere/else")
    assert rbridge.r_libs_path() == os.pathsep.join(["/somewhere/else", str(rbridge.r_library())])
    monkeypatch.setenv("TWINNET_R_LIBRARY", "/only/this")
    assert rbridge.r_libs_path() == "/only/this"


def test_every_packaged_fixture_trains_from_the_installed_copy():
    for name in twinnet.example():
        fixture = twinnet.read_fixture(twinnet.example(name))
        fit = twinnet.train_fixture(twinnet.example(name), epochs=min(fixture["hyper"]["epochs"], 50))
        assert all(np.all(np.isfinite(value)) for value in fit["params"].values()), name


def test_the_layout_page_names_every_module_and_twin():
    """docs/layout.md is the map a new maintainer reads: every Python
    module, every R twin and every tool folder is on it."""
    layout = (ROOT / "docs" / "layout.md").read_text(encoding="utf-8")
    package = ROOT / "python" / "twinnet"
    modules = [path for path in package.rglob("*.py") if path.name != "__init__.py" and "templates" not in path.parts
               and path.name != "__main__.py"]
    missing = [str(path.relative_to(package)) for path in modules if path.name not in layout]
    missing += [f"r/R/{path.name}" for path in (ROOT / "r" / "R").glob("*.R")
                if path.name != "twinnet-package.R" and path.name not in layout]
    missing += [folder for folder in ("reading/", "ports/", "maintain/", "inst/extdata/", "inst/ports/",
                                      "inst/maintain/") if folder not in layout]
    assert missing == [], f"docs/layout.md lacks {missing}"


def test_every_data_file_of_the_package_is_package_data():
    """A file the package reads that is not Python (the fixtures, page.css, the port templates) is listed in
    pyproject.toml's package-data, so the wheel carries it; page.css is read through importlib.resources."""
    import fnmatch
    import tomllib

    from twinnet.reading import page

    config = tomllib.loads((ROOT / "python" / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"]["twinnet"]
    package = ROOT / "python" / "twinnet"
    files = [path.relative_to(package).as_posix() for path in package.rglob("*")
             if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".py"]
    assert "reading/page.css" in files
    unlisted = [name for name in files if not any(fnmatch.fnmatch(name, pattern) for pattern in patterns)]
    assert unlisted == []
    assert page.css() == (package / "reading" / "page.css").read_text(encoding="utf-8")
