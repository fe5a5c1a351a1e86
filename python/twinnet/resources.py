"""Where twinnet's files are: the fixtures packaged with it, the R library, and
the source tree when twinnet runs from a clone (an editable install) or
``TWINNET_CHECKOUT`` names one.

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


CHECKOUT_VARIABLE = "TWINNET_CHECKOUT"
"""The environment variable that names a checkout explicitly, for an installed twinnet."""


def _is_checkout(root: Path) -> bool:
    return all((root / part).exists() for part in ("shared_fixtures", "r/DESCRIPTION", "python/twinnet"))


def find_checkout() -> Path | None:
    """The repository root: the folder named by ``TWINNET_CHECKOUT`` when it is
    set, else the clone this package was installed from in editable mode; else None.

    Never the working directory on its own: a folder that merely looks like a
    checkout (an untrusted download) must not have its files run by twinnet."""
    named = os.environ.get(CHECKOUT_VARIABLE)
    root = Path(named).resolve() if named else Path(__file__).resolve().parents[2]
    return root if _is_checkout(root) else None


def checkout(purpose: str) -> Path:
    """The repository root, or ``E_CHECKOUT`` saying that ``purpose`` needs one."""
    from .safejson import FixtureError

    root = find_checkout()
    if root is None:
        where = f"{CHECKOUT_VARIABLE} ({os.environ[CHECKOUT_VARIABLE]}) is not a checkout" \
            if os.environ.get(CHECKOUT_VARIABLE) else "run it in a clone of the repository"
        raise FixtureError("E_CHECKOUT", f"{purpose} needs the source tree: {where}")
    return root
