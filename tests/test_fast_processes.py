"""The R fast path as a program of its own, where the process is what is
tested: during a run at n = 1e5 (n·h ≥ 2¹⁸) no process of its tree holds a
listening socket, and SIGKILL of the parent mid-run leaves no process of its
tree alive after 2 s.  These start a real Rscript (a few seconds each)."""

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from twinnet import rbridge

pytestmark = [pytest.mark.needs_r, pytest.mark.process]  # what is tested is the R process tree

SCRIPT = """
suppressPackageStartupMessages(library(twinnet))
set.seed(1)
n <- 1e5; d <- 32; h <- 64
X <- matrix(rnorm(n * d), n, d)
y <- matrix(as.numeric(X[, 1] > 0), n, 1)
params <- list(wh = matrix(runif(d * h, -0.2, 0.2), d, h), bh = matrix(0, 1, h),
               wout = matrix(runif(h, -0.1, 0.1), h, 1), bout = matrix(0, 1, 1))
cat("training\\n")
flush(stdout())
invisible(train_fast(X, y, params, 100000, 1e-6))
"""


def children(pid):
    """The process ids whose parent is ``pid``, from /proc."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def tree(pid):
    """``pid`` and its descendants."""
    pids, pending = [], [pid]
    while pending:
        current = pending.pop()
        pids.append(current)
        pending.extend(children(current))
    return pids


def listening_inodes():
    """The socket inodes of every TCP socket in the LISTEN state (st 0A), IPv4 and IPv6."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A":
                inodes.add(fields[9])
    return inodes


def socket_inodes(pid):
    """The socket inodes among ``pid``'s open file descriptors."""
    inodes = set()
    try:
        descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
    except OSError:
        return inodes
    for descriptor in descriptors:
        try:
            target = os.readlink(descriptor)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:["):-1])
    return inodes


def alive(pid):
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.fixture
def r_fast_run():
    """An Rscript training train_fast at n = 1e5, started and past its set-up."""
    rbridge.r_package()  # says what to install when R or the R package is missing
    process = subprocess.Popen(["Rscript", "-e", SCRIPT], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env={**os.environ, "R_LIBS": rbridge.r_libs_path()})
    try:
        assert process.stdout.readline().strip() == "training", process.stderr.read()
        time.sleep(0.5)  # into the epochs (an epoch at n = 1e5 is tens of milliseconds)
        assert process.poll() is None, "the run ended before it could be inspected"
        yield process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait()


def test_an_r_fast_path_run_listens_on_no_socket_and_sigkill_of_it_leaves_no_process_behind(r_fast_run):
    """One run (its start is most of the cost) for both: what it holds while it trains, then its SIGKILL."""
    pids = tree(r_fast_run.pid)
    held = set().union(*(socket_inodes(pid) for pid in pids))
    listening = held & listening_inodes()
    assert listening == set(), f"listening sockets held by the run's processes {pids}: {listening}"
    assert len(pids) >= 1 and r_fast_run.pid in pids

    os.kill(r_fast_run.pid, signal.SIGKILL)
    r_fast_run.wait()
    deadline = time.monotonic() + 2
    survivors = [pid for pid in pids if pid != r_fast_run.pid and alive(pid)]
    while survivors and time.monotonic() < deadline:  # every one gone within 2 s
        time.sleep(0.05)
        survivors = [pid for pid in survivors if alive(pid)]
    assert survivors == [], f"processes of the killed run still alive 2 s after it: {survivors}"
    assert not alive(r_fast_run.pid)
