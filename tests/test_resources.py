"""Where twinnet finds the checkout: from its own location (an editable install)
or ``TWINNET_CHECKOUT``, never from the current folder alone."""

import re

import pytest
from conftest import ROOT

from twinnet import cli, resources


@pytest.fixture
def lookalike(tmp_path, monkeypatch):
    """A folder laid out like a checkout, with exercise and bench files that
    leave a mark when run, as the current folder of an installed twinnet."""
    root = tmp_path / "download"
    for folder in ("shared_fixtures", "python/twinnet", "r/inst/maintain", "docs/exercises"):
        (root / folder).mkdir(parents=True)
    (root / "r" / "DESCRIPTION").write_text("Package: twinnet\n")
    marker = tmp_path / "ran"
    payload = f"open({str(marker)!r}, 'w').write('ran')\n"
    for name in ("exercise-01.py", "exercise-02.R"):
        (root / "docs" / "exercises" / name).write_text(payload)
    (root / "r" / "inst" / "maintain" / "bench.R").write_text(f'writeLines("ran", "{marker}")\n')
    site = tmp_path / "site-packages" / "twinnet"
    site.mkdir(parents=True)
    monkeypatch.setattr(resources, "__file__", str(site / "resources.py"))  # as installed from a wheel
    monkeypatch.delenv(resources.CHECKOUT_VARIABLE, raising=False)
    monkeypatch.chdir(root)
    return root, marker


def test_an_editable_install_finds_its_own_clone():
    assert resources.find_checkout() == ROOT


def test_the_current_folder_is_never_taken_for_the_checkout(lookalike, capsys):
    root, marker = lookalike
    assert resources._is_checkout(root) and resources.find_checkout() is None
    assert cli.main(["exercise", "1"]) == 2
    assert re.fullmatch(r"twinnet: E_CHECKOUT: .* needs the source tree: run it in a clone of the repository\n",
                        capsys.readouterr().err)
    assert not marker.exists()


def test_twinnet_checkout_names_one_explicitly(lookalike, monkeypatch, capsys):
    root, _ = lookalike
    monkeypatch.setenv(resources.CHECKOUT_VARIABLE, str(ROOT))
    assert resources.find_checkout() == ROOT
    monkeypatch.setenv(resources.CHECKOUT_VARIABLE, str(root / "docs"))
    assert resources.find_checkout() is None
    assert cli.main(["generate", "--check"]) == 2
    assert f"TWINNET_CHECKOUT ({root / 'docs'}) is not a checkout" in capsys.readouterr().err
