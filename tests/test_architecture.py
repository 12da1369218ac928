"""The layers, pinned at run time: the core imports nothing of the notebook or the command line, the CLI
nothing of the notebook views, the views nothing of the magics.

Each check imports every module of a layer in a fresh interpreter (other tests' imports would
hide a stray one) and then looks at `sys.modules`.
"""
from __future__ import annotations

import json
import subprocess
import sys

import pytest

IMPORT_ALL = """
import importlib, json, pkgutil, sys
for root in {roots!r}:
    package = importlib.import_module(root)
    for info in pkgutil.walk_packages(getattr(package, "__path__", []), root + "."):
        importlib.import_module(info.name)
print(json.dumps(sorted(sys.modules)))
"""


def imported_by(*roots: str) -> set[str]:
    """Every module in `sys.modules` after importing all modules under `roots` in a fresh interpreter."""
    proc = subprocess.run([sys.executable, "-c", IMPORT_ALL.format(roots=list(roots))], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    return set(json.loads(proc.stdout.strip().splitlines()[-1]))


def offenders(modules: set[str], forbidden: tuple[str, ...]) -> list[str]:
    return sorted(m for m in modules if any(m == f or m.startswith(f + ".") for f in forbidden))


@pytest.mark.parametrize(
    "roots, forbidden",
    [
        (("nbnlp.core",), ("IPython", "ipywidgets", "matplotlib", "nbnlp.widgets", "nbnlp.magics", "nbnlp.cli")),
        (("nbnlp.cli", "nbnlp.core"), ("nbnlp.widgets", "nbnlp.magics", "IPython", "ipywidgets")),
        (("nbnlp.widgets",), ("nbnlp.magics", "nbnlp.magic_args", "nbnlp.magic_errors")),
    ],
    ids=["core", "cli", "widgets"],
)
def test_layers_import_nothing_above_them(roots: tuple[str, ...], forbidden: tuple[str, ...]) -> None:
    assert offenders(imported_by(*roots), forbidden) == []


def test_the_check_sees_a_stray_import() -> None:
    """The same check fails on a layer that does import the forbidden module (so a pass means something)."""
    assert offenders(imported_by("nbnlp.magics"), ("IPython",)) != []
