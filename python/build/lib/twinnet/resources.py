"""Where twinnet's files are: the fixtures packaged with it, the R library, and
the source tree when twinnet runs from a clone.

The packaged fixtures (``twinnet/data/``) are byte-identical copies of the
repository's ``shared_fixtures/``, written by ``make fixtures``; they are found
with :mod:`importlib.resources`, so an installed wheel needs no checkout.  A few
maintainer tools read the source tree itself (the R twins' source, the fixture
generator's inputs): :func:`checkout` finds it or refuses with ``E_CHECKOUT``.
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path


def data_dir() -> Path:
    """The packaged copy of ``shared_fixtures/``: fixtures, schemas, the invalid corpus."""
    return Path(str(resources.files("twinnet") / "data"))


def schema_path(name: str = "schema.json") -> Path:
    """A packaged JSON Schema: ``schema.json`` (fixtures) or ``result.schema.json``."""
    return data_dir() / name


def _is_checkout(root: Path) -> bool:
    return all((root / part).exists() for part in ("shared_fixtures", "r/DESCRIPTION", "python/twinnet"))


def find_checkout() -> Path | None:
    """The repository root: the one this package was installed from in
    editable mode, else the working directory when it is a clone; else None."""
    for root in (Path(__file__).resolve().parents[2], Path(os.getcwd())):
        if _is_checkout(root):
            return root
    return None


def checkout(purpose: str) -> Path:
    """The repository root, or ``E_CHECKOUT`` saying that ``purpose`` needs one."""
    from .fixtures import FixtureError

    root = find_checkout()
    if root is None:
        raise FixtureError("E_CHECKOUT", f"{purpose} needs the source tree: run it in a clone of the repository")
    return root
