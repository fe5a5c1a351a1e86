"""Command line: ``twinnet COMMAND`` (or ``python -m twinnet COMMAND``), from any folder.

A FIXTURE is a path or the name of a packaged fixture (``twinnet train article
--lang r --out r.json``); a path that exists always wins over a name.  Commands
that read the source tree (generate, side-by-side, docs) say so when run
outside a clone of the repository.

    train FIXTURE --lang python|r --out RESULT.json [--epochs N] [--max-memory GIB]
    trace FIXTURE --lang python|r|both [--epoch K] [--step N] [--format text|json]   one epoch's quantities, by step
    parity [FIXTURE ...]           exit 1 on any mismatch
    demo [FIXTURE ...] [--out-dir out]
    generate [--check]             write (or check) shared_fixtures/*.json
    port FIXTURE RESULT            the Python twin as a port: train FIXTURE, write RESULT
    conform [--fixtures GLOB] [--report PATH] -- COMMAND...   check a port (docs/porting.md)
    side-by-side VARIANT [--width N]   the twins' steps in two columns
    docs [--out-dir docs]          write side-by-side.html and the article fixture's plots
    doctor                         versions, BLAS, exp probe: why Python and R differ in the last bits
    bench [--quick] [--out-dir out] [--page PAGE]    time every variant's training loop in both languages
    exercise [N] [--hint [2]] [--check FILE] [--answer]   find-the-bug and fill-in exercises: ask, hint, check
    gradcheck FIXTURE --lang python|r   backprop against finite-difference gradients, side by side
    errata [ID] [--out-dir out]    the errata, or one text's mistake (docs/errata.md) trained beside the correction

Bad input, a usage error included, exits 2 with one line on stderr (``twinnet: E_…: …``); a missing R
exits 3 with what to install; Ctrl-C exits 130 with one line, and nothing half-written.  --lang takes
any case (``R``, ``Python``, ``py``).

Over 400 lines: one parser with a help text and an example for every subcommand, and each subcommand's
few lines of wiring; the work is done in the modules they call.
"""

from __future__ import annotations

import argparse
import difflib
import functools
import os
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import NoReturn, TextIO

import numpy as np

from . import __version__, fixtures, parity, rbridge, resources, results, safejson, training
from .maintain import generate


class Parser(argparse.ArgumentParser):
    """argparse with twinnet's refusals: a usage error is one line, ``twinnet: E_USAGE: …``, and exit 2."""

    def error(self, message: str) -> NoReturn:
        command = self.prog.removeprefix("twinnet").strip()
        where = f" (twinnet {command} --help)" if command else " (twinnet --help)"
        self.exit(2, f"twinnet: E_USAGE: {safejson.escape(message)}{where}\n")


class UnknownFixture(Exception):
    """A FIXTURE that is neither a file nor a packaged fixture's name; the message names the close ones."""


def fixture_argument(text: str) -> str:
    """A FIXTURE argument: an existing path, else a packaged fixture's name,
    else a path with a folder in it as given (which then fails to read with
    E_IO); a bare word that names nothing is refused with the names close to it.
    A string, not a Path: Path("xor.json/") would drop the slash that makes it refused."""
    names = fixtures.example()
    if os.path.lexists(text):
        return text
    if text in names:
        return str(fixtures.example(text))
    if os.sep in text or (os.altsep and os.altsep in text):
        return text
    word = text.removesuffix(".json")
    close = difflib.get_close_matches(word, names, n=3, cutoff=0.6)
    if word in names:
        close = [word]
    guess = f"did you mean {' or '.join(map(repr, close))}? " if close else ""
    raise UnknownFixture(f"{safejson.escape(text)}: no such file or packaged fixture; {guess}"
                         f"(packaged: {', '.join(names)})")


LANGUAGES = {"python": "python", "py": "python", "r": "r"}


def language_argument(text: str) -> str:
    """--lang in any case: python (or py), r."""
    language = LANGUAGES.get(text.strip().lower())
    if language is None:
        raise argparse.ArgumentTypeError(f"expected python or r (any case), got {text!r}")
    return language


def erratum_argument(text: str) -> str:
    """An erratum that runs, in any case: A7 or a7."""
    from .reading.errata import TEXT_VERSIONS

    if text.upper() in TEXT_VERSIONS:
        return text.upper()
    raise argparse.ArgumentTypeError(f"{text!r} does not run: the errata that run are {', '.join(TEXT_VERSIONS)}; "
                                     "'twinnet errata' lists them all")


def trace_language(text: str) -> str:
    """trace's --lang: python, r or both, in any case."""
    return "both" if text.strip().lower() == "both" else language_argument(text)


def default_fixtures() -> list[Path]:
    """Every packaged fixture (the same bytes as the repository's shared_fixtures/)."""
    return fixtures.fixture_paths(resources.data_dir())


PROGRESS_WORK = 5e7
"""Multiply-adds (training.estimate_cost) past which a run on a terminal shows a progress bar: a second or more."""
PROGRESS_CHUNKS = 100


def train(path: str, language: str, epochs: int | None, max_memory: float, stream: TextIO | None = None) -> dict:
    """``parity.TRAINERS[language](path, epochs, max_memory)``; on a terminal (``stream``, default stderr,
    a tty) a long run trains in chunks of epochs with a progress bar there, to the same numbers bit for bit:
    the language's own reading and checks first (a run of 0 epochs), then its ``train_variant`` chunk by
    chunk, each chunk starting from the parameters the last one ended with, and the same convergence rule."""
    stream = sys.stderr if stream is None else stream
    trainer = parity.TRAINERS[language]
    if not stream.isatty():
        return trainer(path, epochs, max_memory)
    untrained = trainer(path, 0, max_memory)  # the language's own reading and checks of the fixture
    fixture = fixtures.read_fixture(path)
    hyper, X, y = fixture["hyper"], fixture["data"]["X"], fixture["data"]["y"]
    epochs = int(hyper["epochs"]) if epochs is None else epochs
    n, d = X.shape
    _, work = training.estimate_cost(fixture["variant"], n, d, hyper, epochs)
    if work < PROGRESS_WORK or not 0 <= epochs <= fixtures.MAX_EPOCHS:  # short, or refused as without a bar
        return trainer(path, epochs, max_memory)
    training.check_budget(fixture["variant"], n, d, hyper, epochs, max_memory)
    train_variant = rbridge.train_variant if language == "r" else training.train_variant
    params, losses, output, done = untrained["params"], [], untrained["output"], 0
    size = max(1, -(-epochs // PROGRESS_CHUNKS))
    try:
        while done < epochs:
            with np.errstate(over="ignore", invalid="ignore"):  # divergence is reported below, once
                params, loss, output = train_variant(fixture["variant"], X, y, params, hyper, min(size, epochs - done))
            losses.append(loss)
            done += len(loss)
            filled = 30 * done // epochs
            stream.write(f"\r{fixture['name']} in {language} [{'#' * filled}{'.' * (30 - filled)}] "
                         f"epoch {done}/{epochs}")
            stream.flush()
    finally:
        stream.write("\r\033[K")  # the bar erased: what stays on the terminal is the result's line
        stream.flush()
    loss = np.concatenate(losses) if losses else np.empty(0)
    training._check_converging(loss, params)  # the one rule, the same in R (fixtures.R check_converging)
    return {**untrained, "params": params, "loss": loss, "output": output}


def cmd_train(args: argparse.Namespace) -> int:
    results.check_output_path(args.out)  # before training: a refused path costs nothing
    result = train(args.fixture, args.lang, args.epochs, args.max_memory)
    results.write_result(result, args.out)  # checks the path again, at the rename
    print(f"wrote {safejson.escape(args.out)}: {safejson.escape(result['fixture'])} trained in {args.lang} "
          f"for {len(result['loss'])} epochs")
    return 0


def cmd_trace(args: argparse.Namespace) -> int:
    from .reading import numbers

    if args.lang == "both" and args.format == "json":
        print("twinnet: E_USAGE: --format json writes one language's trace: --lang python or --lang r "
              "(twinnet trace --help)", file=sys.stderr)
        return 2
    languages = ("python", "r") if args.lang == "both" else (args.lang,)
    documents = [parity.TRACERS[language](args.fixture, args.epoch) for language in languages]
    if args.step is not None:
        steps = [step for step, _ in numbers.steps_of(documents[0])]
        if args.step not in steps:
            print(f"twinnet: E_USAGE: --step {args.step}: the {documents[0]['variant']} network's traced steps are "
                  f"{', '.join(map(str, steps))} (twinnet trace --help)", file=sys.stderr)
            return 2
        documents = [{**document, "quantities": list(numbers.by_step(document, args.step))} for document in documents]
    if args.lang == "both":
        sys.stdout.write(numbers.trace_both_text(*documents))
    else:
        sys.stdout.write(results.dumps(documents[0]) if args.format == "json" else numbers.trace_text(documents[0]))
    return 0


def cmd_parity(args: argparse.Namespace) -> int:
    return report(parity.run(args.fixtures or default_fixtures()))


def report(rows: Sequence[parity.Comparison]) -> int:
    """Print the parity table and any mismatch; returns the exit status."""
    print(parity.table(rows))
    mismatches = [row.first_mismatch() for row in rows if not row.ok]
    for mismatch in mismatches:
        print(f"MISMATCH {mismatch}", file=sys.stderr)
    print(f"\n{len(rows) - len(mismatches)} of {len(rows)} quantities agree within {parity.TOLERANCE:g}")
    return 1 if mismatches else 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .reading import plots

    paths = args.fixtures or default_fixtures()
    variants = {fixture["name"]: fixture["variant"] for fixture in map(fixtures.read_fixture, paths)}
    rows = parity.run(paths)
    status = report(rows)
    for row in rows:
        if row.quantity == "loss":
            print(f"wrote {plots.loss_curves(row, variants[row.fixture], args.out_dir)}")
    for path in paths:
        for target in plots.fixture_plots(path, args.out_dir):
            print(f"wrote {target}")
    return status


def cmd_side_by_side(args: argparse.Namespace) -> int:
    resources.checkout("side-by-side (it cuts the R twins' source files)")
    from .reading import terminal

    sys.stdout.write(terminal.terminal(args.variant, args.width, colour=terminal.use_colour(sys.stdout)))
    return 0


def cmd_docs(args: argparse.Namespace) -> int:
    resources.checkout("docs (it cuts the R twins' source files)")
    from .maintain import drift
    from .reading import page, plots

    print(f"wrote {page.write_page(args.out_dir / 'side-by-side.html')}")
    path = fixtures.example("article")
    loss = next(row for row in parity.run([path]) if row.quantity == "loss")
    print(f"wrote {plots.loss_curves(loss, 'article', args.out_dir)}")
    print(f"wrote {plots.parity_drift(drift.parameter_drift(path), args.out_dir)}")
    return 0


def cmd_doctor(args: argparse.Namespace) -> int:
    from .maintain import doctor

    return doctor.main()


def cmd_bench(args: argparse.Namespace) -> int:
    from . import fast
    from .maintain import bench, bench_page

    fast.threads_setting()  # a bad TWINNET_THREADS is the one line printed
    print("Timing the training loops (reference and fast path, Python and R); "
          + ("a few seconds." if args.quick else "this takes a few minutes."))
    document = bench.run(args.out_dir, quick=args.quick, log=lambda line: print(line, flush=True), page=args.page)
    print("\n".join(["", *bench_page.report(document), "", f"wrote {args.out_dir / 'bench.json'}",
                     f"wrote {args.out_dir / 'bench.png'}", *([f"wrote {args.page}"] if args.page else [])]))
    return 0


def cmd_generate(args: argparse.Namespace) -> int:
    root = resources.checkout("generating the fixtures")
    if not args.check:
        for path in generate.generate(root):
            print(f"wrote {path.relative_to(root)}")
        return 0
    source = root / "shared_fixtures"
    stale = [f"shared_fixtures/{name}" for name, content in generate.all_files(root).items()
             if not (source / name).is_file() or (source / name).read_bytes() != content]
    stale += generate.stale_copies(root)
    for name in stale:
        print(f"{name} differs from a fresh generation (make fixtures)", file=sys.stderr)
    return 1 if stale else 0


def cmd_port(args: argparse.Namespace) -> int:
    results.write_result(training.train_fixture(args.fixture), args.result)
    return 0


def cmd_conform(args: argparse.Namespace) -> int:
    from .ports import conform, run

    names = fixtures.example()
    patterns = [str(fixtures.example(pattern.removesuffix(".json")))  # a packaged fixture's name, as elsewhere
                if pattern.removesuffix(".json") in names and not os.path.lexists(pattern) else pattern
                for pattern in args.fixtures or ()]
    paths = conform.expand_fixture_globs(patterns) if patterns else default_fixtures()
    if not paths:
        print(f"twinnet: E_USAGE: --fixtures {safejson.escape(' '.join(args.fixtures))}: no fixture file matches "
              f"(packaged: {', '.join(names)})", file=sys.stderr)
        return 2
    return conform.check_port(paths, args.port_command, args.report, args.work_dir,
                              args.timeout or run.TIMEOUT, args.jobs, args.strict_trace)


def cmd_exercise(args: argparse.Namespace) -> int:
    from .ports import exercises

    if args.number is None and (args.check or args.hint or args.answer or args.run_it):
        print("twinnet: E_USAGE: --check, --hint, --answer and --run need an exercise's number N "
              "(twinnet exercise --help)", file=sys.stderr)
        return 2
    return exercises.run(args.number, args.check, args.hint, args.answer, args.run_it)


def cmd_gradcheck(args: argparse.Namespace) -> int:
    from .reading import gradcheck

    lines, ok = gradcheck.report(args.fixture, args.lang)
    print("\n".join(lines))
    return 0 if ok else 1


def cmd_errata(args: argparse.Namespace) -> int:
    from .reading import errata

    if args.id is None:
        root = resources.find_checkout()
        print("\n".join(errata.listing(root / "docs" / "errata.md" if root else None)))
        return 0
    print("\n".join(errata.compare(args.id, out_dir=args.out_dir)))
    return 0


@functools.cache
def parser() -> argparse.ArgumentParser:
    """The command line's parser, built once per process: building it takes
    7 ms, and a caller in process (the tests, a notebook) runs :func:`main`
    hundreds of times; parsing leaves it as it was."""
    top = Parser(prog="twinnet", description="The article network in Python and R, in parity.")
    top.add_argument("--version", action="version", version=f"twinnet {__version__}")
    commands = top.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train one fixture in one language and write a result",
                                epilog="example: twinnet train article --lang r --out r.json --epochs 100")
    train.add_argument("fixture", type=fixture_argument,
                       help="a fixture file, or a packaged fixture's name, e.g. article")
    train.add_argument("--lang", type=language_argument, choices=sorted(parity.TRAINERS), required=True,
                       help="which twin trains it: python (py) or r, any case, e.g. --lang R")
    train.add_argument("--out", type=str, required=True,  # not Path: Path("r.json/") would drop the slash
                       help="where the twinnet-result/1 JSON goes, e.g. --out r.json")
    train.add_argument("--epochs", type=int, help="override hyper.epochs, e.g. --epochs 0 for the untrained output")
    train.add_argument("--max-memory", type=float, default=fixtures.MAX_MEMORY_GIB, metavar="GIB",
                       help=f"refuse runs estimated to need more memory (default {fixtures.MAX_MEMORY_GIB} GiB), "
                            "e.g. --max-memory 8")
    train.set_defaults(run=cmd_train)

    trace = commands.add_parser(
        "trace", help="every named quantity of one epoch, step by step, at full precision (any variant)",
        description="Print every named quantity of one training epoch of FIXTURE -- forward pass, loss, backward "
                    "pass and update -- in step order, each labelled with its step number and title as on "
                    "docs/side-by-side.html, with its shape and its values at full precision (17 significant "
                    "digits). --format json writes a twinnet-trace/1 document (shared_fixtures/trace.schema.json) "
                    "to diff against another language or a port.",
        epilog="example: twinnet trace article --lang both --step 7   (or: twinnet trace xor --lang r --epoch 2 "
               "--format json)")
    trace.add_argument("fixture", type=fixture_argument,
                       help="a fixture file, or a packaged fixture's name, e.g. stepwise")
    trace.add_argument("--lang", type=trace_language, choices=[*sorted(parity.TRACERS), "both"], required=True,
                       help="which twin computes the trace (any case), or both side by side with their "
                            "agreement, e.g. --lang both")
    trace.add_argument("--step", type=int, metavar="N",
                       help="only the quantities of step N (as numbered on docs/side-by-side.html), e.g. --step 7")
    trace.add_argument("--epoch", type=int, default=1, metavar="K",
                       help="the epoch to trace, from 1 (default 1, the untrained network), e.g. --epoch 100")
    trace.add_argument("--format", choices=("text", "json"), default="text",
                       help="text for reading (default), json for a twinnet-trace/1 document, e.g. --format json")
    trace.set_defaults(run=cmd_trace)

    for name, run, text in (("parity", cmd_parity, "train fixtures in both languages and compare"),
                            ("demo", cmd_demo, "parity, then loss-curve plots")):
        command = commands.add_parser(name, help=text, epilog=f"example: twinnet {name} article xor")
        command.add_argument("fixtures", nargs="*", type=fixture_argument,
                             help="fixture paths or names (default: every packaged fixture), e.g. xor iris")
        command.set_defaults(run=run)
    commands.choices["demo"].add_argument("--out-dir", type=Path, default=Path("out"),
                                          help="where the plots go (default out/), e.g. --out-dir plots")

    gen = commands.add_parser("generate", help="write shared_fixtures/ and its packaged copies (in a clone)",
                              epilog="example: twinnet generate --check")
    gen.add_argument("--check", action="store_true",
                     help="only check that shared_fixtures/ and its copies are current (exit 1 if not), e.g. --check")
    gen.set_defaults(run=cmd_generate)

    port = commands.add_parser("port", help="the Python twin as a port: COMMAND FIXTURE RESULT (see conform)",
                               epilog="example: twinnet conform -- twinnet port")
    port.add_argument("fixture", type=fixture_argument, help="the fixture conform hands the port, e.g. xor")
    port.add_argument("result", type=Path, help="where the port writes its result, e.g. xor.result.json")
    port.set_defaults(run=cmd_port)

    conform = commands.add_parser("conform", help="check a port against every fixture and diagnose its mistakes",
                                  description="Run COMMAND... FIXTURE RESULT on every fixture, with 0, 1 and 2 "
                                              "epochs and then in full, and compare with the Python twin.",
                                  epilog="example: twinnet conform --fixtures 'shared_fixtures/x*.json' -- "
                                         "julia port.jl")
    conform.add_argument("--fixtures", action="append", metavar="GLOB",
                         help="fixture files to check (repeatable; default: every packaged fixture), "
                              "e.g. --fixtures xor.json")
    conform.add_argument("--report", type=Path, metavar="PATH",
                         help="also write a JSON report there (default: none), e.g. --report conform.json")
    conform.add_argument("--strict-trace", action="store_true",
                         help="fail a fixture whose trace (TWINNET_TRACE) is missing, matches nothing, or has a "
                              "name the reference does not, e.g. --strict-trace")
    conform.add_argument("--work-dir", type=Path, metavar="DIR",
                         help="keep the derived fixtures and the port's results here, e.g. --work-dir conform-work")
    conform.add_argument("--timeout", type=float, metavar="SECONDS",
                         help="seconds one run of the port may take (default 600), e.g. --timeout 60")
    conform.add_argument("--jobs", type=int, metavar="N",
                         help="fixtures checked at a time (default: one per CPU), e.g. --jobs 1")
    conform.add_argument("port_command", nargs="+", metavar="COMMAND",
                         help="the port, after --, e.g. -- node port.js")
    conform.set_defaults(run=cmd_conform)

    side = commands.add_parser(
        "side-by-side", help="print a variant's steps, Python and R in two aligned columns",
        description="Print one variant's steps as on docs/side-by-side.html: for each step its maths, then the "
                    "Python lines and the R lines that compute it side by side (the shorter padded with blank "
                    "rows), long lines wrapped at spaces with a hanging indent. Colour on a terminal only "
                    "(NO_COLOR turns it off). Width: --width, else COLUMNS, else the terminal's, else 100.",
        epilog="example: python -m twinnet side-by-side layered --width 160 | less -R")
    side.add_argument("variant", choices=fixtures.VARIANTS, help="which network, e.g. article")
    side.add_argument("--width", type=int, metavar="N",
                      help="columns (default: COLUMNS, else the terminal's width, else 100 when piped), "
                           "e.g. --width 120")
    side.set_defaults(run=cmd_side_by_side)

    docs = commands.add_parser("docs", help="write docs/side-by-side.html and the article fixture's plots",
                               epilog="example: twinnet docs --out-dir /tmp/page")
    docs.add_argument("--out-dir", type=Path, default=Path("docs"),
                      help="where the page and plots go (default docs/), e.g. --out-dir /tmp/page")
    docs.set_defaults(run=cmd_docs)

    doctor = commands.add_parser("doctor", help="versions, BLAS, exp probe: why Python and R differ in the last bits",
                                 epilog="example: twinnet doctor | less")
    doctor.set_defaults(run=cmd_doctor)

    bench = commands.add_parser("bench", help="time every variant's training loop in both languages",
                                epilog="example: twinnet bench --quick --out-dir /tmp/bench")
    bench.add_argument("--quick", action="store_true", help="a tiny configuration, for a smoke test, e.g. --quick")
    bench.add_argument("--out-dir", type=Path, default=Path("out"),
                       help="where bench.json and bench.png go (default out/), e.g. --out-dir /tmp/bench")
    bench.add_argument("--page", type=Path, default=None,
                       help="a Markdown page whose region between <!-- bench:table:start --> and "
                            "<!-- bench:table:end --> is rewritten, e.g. --page docs/benchmark.md")
    bench.set_defaults(run=cmd_bench)

    from .ports.exercises import EXERCISES, WHAT_IFS
    exercise = commands.add_parser(
        "exercise", help="the exercises of docs/exercises/: the list, a question, hints, a check of your copy",
        description="Without N: the list. With N: exercise N's question (find the mistake in a port, or fill in "
                    "a skeleton), and nothing of the answer. --hint names the step, --hint 2 gives the checker's "
                    "diagnosis, --answer the answer; --check FILE checks your copy on every fixture of the "
                    "exercise (at least two, with other learning rates, shapes and sample counts). Exercises 14 "
                    "to 16 are what-ifs: predict, then --run trains the network as given and as changed.",
        epilog="example: twinnet exercise 3, then twinnet exercise 3 --check mine.py")
    numbers = [*(item.number for item in EXERCISES), *(item.number for item in WHAT_IFS)]
    exercise.add_argument("number", nargs="?", type=int, choices=numbers, metavar="N",
                          help="the exercise's number on docs/exercises/README.md (none: the list), e.g. 3")
    action = exercise.add_mutually_exclusive_group()
    action.add_argument("--check", type=Path, metavar="FILE",
                        help="your copy of the exercise (.py or .R), checked on every fixture, e.g. --check mine.R")
    action.add_argument("--hint", nargs="?", type=int, const=1, choices=(1, 2), metavar="K",
                        help="hint 1 (the default: the step) or 2 (the checker's diagnosis), e.g. --hint 2")
    action.add_argument("--answer", action="store_true", help="give the answer away, e.g. --answer")
    action.add_argument("--run", dest="run_it", action="store_true",
                        help="a what-if exercise (14 to 16): train the network as given and as changed, e.g. --run")
    exercise.set_defaults(run=cmd_exercise)

    gradcheck = commands.add_parser("gradcheck", help="backprop against finite-difference gradients, side by side",
                                    epilog="example: twinnet gradcheck xor --lang r")
    gradcheck.add_argument("fixture", type=fixture_argument,
                           help="a fixture file, or a packaged fixture's name, e.g. xor")
    gradcheck.add_argument("--lang", type=language_argument, choices=sorted(parity.TRAINERS), required=True,
                           help="whose backprop is checked, e.g. --lang r")
    gradcheck.set_defaults(run=cmd_gradcheck)

    errata = commands.add_parser("errata", help="list the errata, or train a text's mistake (docs/errata.md) beside "
                                                "the corrected loop",
                                 epilog="example: twinnet errata   (the list), twinnet errata A7")
    errata.add_argument("id", nargs="?", type=erratum_argument, metavar="ID",
                        help="an erratum that runs (twinnet errata lists them; any case), e.g. A7")
    errata.add_argument("--out-dir", type=Path, default=Path("out"),
                        help="where errata-ID.png goes (default out/), e.g. --out-dir /tmp")
    errata.set_defaults(run=cmd_errata)
    return top


# The optional dependencies, by the module a command imports: pip extras.
EXTRAS = {"matplotlib": "plots", "pygments": "docs"}


def main(argv: Sequence[str] | None = None) -> int:
    try:
        return _main(argv)
    except KeyboardInterrupt:  # Ctrl-C: the writers' temporary files are gone by now; nothing is half-written
        sys.stdout.flush()
        print("\ntwinnet: interrupted", file=sys.stderr)
        return 128 + signal.SIGINT


def _main(argv: Sequence[str] | None) -> int:
    try:
        args = parser().parse_args(argv)
    except SystemExit as stop:  # --help, --version, or a usage error already printed as one line
        return stop.code if isinstance(stop.code, int) else 0
    except UnknownFixture as error:
        print(f"twinnet: E_IO: {error}", file=sys.stderr)
        return 2
    # SIGTERM unwinds like Ctrl-C, so a half-written result's temporary file is removed.
    # Only the main thread may set a handler; main() called from another thread leaves it be.
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        return args.run(args)
    except safejson.FixtureError as error:
        print(f"twinnet: {error}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as error:
        package = (error.name or "").split(".")[0]
        if package not in EXTRAS:
            raise
        missing = safejson.FixtureError("E_EXTRA", f"{args.command} needs {package}: "
                                                   f"pip install 'twinnet[{EXTRAS[package]}]'")
        print(f"twinnet: {missing}", file=sys.stderr)
        return 2
    except rbridge.RUnavailable as error:
        print(f"twinnet: {error}", file=sys.stderr)
        return 3
