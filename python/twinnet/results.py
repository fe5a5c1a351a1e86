"""Writing files: the one checked, atomic writer every file twinnet writes goes through.

Twin of ``r/R/results.R``.  A result (schema ``twinnet-result/1``) holds what
one language trained from a fixture; :func:`dumps` writes it (and any other
document) deterministically, floats as ``repr`` (shortest round-trip) so every
double reads back bit-exactly.  :func:`write_atomic` writes any text or bytes
(results, reports, benchmark tables, pages, notebooks, plots) through a
temporary file and a rename, after :func:`check_output_path` has refused the
paths twinnet must never write: a fixture, anything under ``shared_fixtures/``,
something that is not a regular file.  A refusal is one line, ``E_OUTPUT``.
"""

from __future__ import annotations

import contextlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from .fixtures import FIXTURE_SCHEMA, FixtureError, escape, load_json


def check_output_path(path: str | Path) -> None:
    """Refuse (E_OUTPUT) to write anywhere under a directory named
    shared_fixtures, over a file that is a fixture (a symbolic link is
    followed: one to a fixture is refused too), over anything that is not a
    regular file (a device, a FIFO, a directory), or where the directory is
    missing or cannot be written in."""
    shown = escape(str(path))
    text = os.fspath(path)
    if not text or text.endswith(("/", os.sep)):
        raise FixtureError("E_OUTPUT", f"{shown}: cannot write: not a file name")
    parent = os.path.dirname(text) or "."
    if not os.path.isdir(parent):
        raise FixtureError("E_OUTPUT", f"{shown}: cannot write: No such directory")
    if "shared_fixtures" in Path(parent).resolve().parts or "shared_fixtures" in Path(text).resolve().parts:
        raise FixtureError("E_OUTPUT", f"{shown}: refusing to write under shared_fixtures/")
    _check_replaceable(text, shown)
    if not os.access(parent, os.W_OK | os.X_OK):
        raise FixtureError("E_OUTPUT", f"{shown}: cannot write: its directory is not writable")
    if os.path.isfile(text):
        try:
            document = load_json(text)
        except FixtureError:
            return
        if isinstance(document, dict) and document.get("schema") == FIXTURE_SCHEMA:
            raise FixtureError("E_OUTPUT", f"{shown}: refusing to overwrite a fixture")


def write_atomic(path: str | Path, data: str | bytes) -> Path:
    """Write ``data`` (text is encoded as UTF-8) to ``path`` through a
    temporary file and a rename, so an interrupted write leaves the old file
    or none, never half a file.  The path is checked first
    (:func:`check_output_path`) and again at the rename.  The temporary file
    (``.NAME.twinnet-XXXXXXXX.tmp``, hidden; NAME cut at 100 characters) is
    removed on any failure, which is E_OUTPUT (a full disk shows at the
    flush); the file gets mode 0644 less the umask.  Returns the path."""
    check_output_path(path)
    text = os.fspath(path)
    shown = escape(str(path))
    raw = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    umask = os.umask(0o022)
    os.umask(umask)
    tmp = None
    try:
        prefix = f".{os.path.basename(text)[:100]}.twinnet-"
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(text) or ".", prefix=prefix, suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), 0o644 & ~umask)
            handle.write(raw)
            handle.flush()
            os.fsync(handle.fileno())
        _check_replaceable(text, shown)  # again: the path may have changed meanwhile
        os.replace(tmp, text)
        tmp = None
    except OSError as error:
        raise FixtureError("E_OUTPUT", f"{shown}: cannot write: {error.strerror or error}") from None
    finally:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
    return Path(path)


def write_result(result: dict[str, Any], path: str | Path) -> None:
    """Write a result with :func:`dumps` through :func:`write_atomic`."""
    write_atomic(path, dumps(result))


def dumps(document: Any, indent: int = 0, per_line: int = 4) -> str:
    """Deterministic JSON: objects one key a line, matrices (and lists of
    objects) one row a line, long vectors ``per_line`` numbers a line.  Arrays
    become lists; floats use repr."""
    if isinstance(document, np.ndarray):
        document = document.tolist()
    pad, inner = "  " * indent, "  " * (indent + 1)
    if isinstance(document, dict):
        items = (f"{inner}{json.dumps(key)}: {dumps(value, indent + 1)}" for key, value in document.items())
        return "{\n" + ",\n".join(items) + "\n" + pad + "}" + ("\n" if indent == 0 else "")
    if isinstance(document, (list, tuple)):
        if all(isinstance(item, (list, tuple, dict, np.ndarray)) for item in document) and document:
            rows = (inner + dumps(row, indent + 1) for row in document)
            return "[\n" + ",\n".join(rows) + "\n" + pad + "]"
        scalars = [json.dumps(item, allow_nan=False) for item in document]
        if len(scalars) <= per_line:
            return "[" + ", ".join(scalars) + "]"
        chunks = (", ".join(scalars[i:i + per_line]) for i in range(0, len(scalars), per_line))
        return "[\n" + ",\n".join(inner + chunk for chunk in chunks) + "\n" + pad + "]"
    return json.dumps(document, allow_nan=False)


def _check_replaceable(text, shown):
    """E_OUTPUT unless ``text`` is missing or a regular file (a symbolic link
    is followed: one to /dev/null is refused)."""
    try:
        status = os.stat(text)
    except FileNotFoundError:
        return
    except OSError as error:
        raise FixtureError("E_OUTPUT", f"{shown}: cannot write: {error.strerror}") from None
    if not stat.S_ISREG(status.st_mode):
        raise FixtureError("E_OUTPUT", f"{shown}: refusing to replace something that is not a regular file")
