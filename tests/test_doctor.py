"""``python -m twinnet doctor`` runs and reports every section."""

import numpy as np
import pytest

from twinnet import cli
from twinnet.maintain import doctor


@pytest.mark.needs_r
def test_doctor_prints_every_section(capsys):
    assert cli.main(["doctor"]) == 0
    out = capsys.readouterr().out
    for heading in ("== Versions", "== Linear algebra", "== exp, probed on a grid", "operation by operation",
                    "trained in full", "== Why"):
        assert heading in out, heading
    for name in ("Python", "numpy", "R version", "rpy2", "jsonlite", "numpy BLAS", "R BLAS", "R LAPACK"):
        assert name in out, name
    assert " mode (cffi module " in out
    assert "numpy exp vs C library exp" in out and "R exp vs C library exp" in out
    assert "max ULP: parameters and output" in out
    assert "How to read the differences: |Δ| is the absolute difference" in out and "ULP" in out
    assert "parameters first differ after epoch" in out or "parameters bit-identical for" in out


@pytest.mark.needs_r
def test_exp_probe_counts_bitwise_differences():
    grid = np.array([-1.0, 0.0, 0.5, 2.0])
    numpy_probe, r_probe = doctor.exp_agreement(grid)
    assert numpy_probe.total == r_probe.total == 4
    assert r_probe.differing == 0  # R's exp is the C library's


def test_probe_reports_fraction_ulps_and_first_epoch():
    probe = doctor.Probe("example")
    assert not probe.add(1, [1.0, 2.0], [1.0, 2.0])
    assert probe.add(2, [1.0, 2.0], [1.0, np.nextafter(2.0, 3.0)])
    assert (probe.differing, probe.total, probe.max_ulp, probe.first_epoch) == (1, 4, 1, 2)
    assert "1 of 4" in probe.line() and "first in epoch 2" in probe.line()


def test_blas_kind_names_common_libraries():
    assert doctor.blas_kind("/usr/lib/x86_64-linux-gnu/blas/libblas.so.3") == "the reference BLAS"
    assert doctor.blas_kind("/usr/lib/x86_64-linux-gnu/openblas-pthread/libblas.so.3") == "OpenBLAS"
