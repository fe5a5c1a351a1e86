"""Every public function of the package is annotated (its parameters and its
return), so that ``make lint``'s mypy checks what callers pass.  Private
helpers (a leading underscore) may stay unannotated."""

import ast

import pytest
from conftest import ROOT

PACKAGE = ROOT / "python" / "twinnet"
MODULES = sorted(PACKAGE.rglob("*.py"))


def unannotated(tree):
    """``name`` or ``Class.name`` of each public function missing an annotation."""
    missing = []

    def visit(body, prefix):
        for node in body:
            if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
                visit(node.body, f"{prefix}{node.name}.")
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) or node.name.startswith("_"):
                continue
            arguments = [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs,
                         *(extra for extra in (node.args.vararg, node.args.kwarg) if extra is not None)]
            if prefix:  # a method: self or cls needs none
                arguments = [argument for argument in arguments if argument.arg not in ("self", "cls")]
            if node.returns is None or any(argument.annotation is None for argument in arguments):
                missing.append(f"{prefix}{node.name}")
            visit(node.body, f"{prefix}{node.name}.")  # functions defined inside it

    visit(tree.body, "")
    return missing


@pytest.mark.parametrize("path", MODULES, ids=[str(path.relative_to(PACKAGE)) for path in MODULES])
def test_every_public_function_is_annotated(path):
    missing = unannotated(ast.parse(path.read_text(encoding="utf-8")))
    if missing:
        pytest.fail(f"{path.relative_to(ROOT)}: no annotations on {', '.join(missing)}", pytrace=False)


def test_the_check_sees_a_missing_annotation():
    tree = ast.parse("def typed(a: int) -> int: ...\ndef untyped(a): ...\ndef _private(a): ...\n"
                     "class C:\n    def method(self, b: int) -> None: ...\n    def bare(self, b): ...\n")
    assert unannotated(tree) == ["untyped", "C.bare"]
