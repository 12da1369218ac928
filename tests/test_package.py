"""Packaging promises: README's two commands, CI runs the README's test command, demo corpus shipped with licenses."""
from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbnlp
from nbnlp.data import DEMO_FILES, demo_path

REPO = Path(__file__).resolve().parents[1]


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf8")
    block = re.search(r"```bash\n(.*?)```", text, re.S)
    assert block, "README.md must open with a bash block"
    assert text.index("```bash") < 200, "the two commands must come first"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_readme_opens_with_two_commands_and_ci_runs_the_test_one() -> None:
    commands = readme_commands()
    assert len(commands) == 2
    ci = (REPO / ".ci" / "run").read_text(encoding="utf8")
    assert commands[1] in ci.splitlines(), ".ci/run must run exactly the README's test command"
    assert "pytest" in commands[1] and "nbnlp" in commands[0]


def test_demo_corpus_is_shipped_with_attribution() -> None:
    for name in DEMO_FILES:
        assert demo_path(name).is_file() and demo_path(name).stat().st_size > 10_000
    readme = (demo_path("") / "README.md").read_text(encoding="utf8")
    assert "CC BY-SA 4.0" in readme and "Almeida" in readme
    assert (demo_path("") / "LICENSE-CC-BY-SA-4.0.txt").is_file()


def test_python_m_nbnlp_and_version() -> None:
    out = subprocess.run([sys.executable, "-m", "nbnlp", "--version"], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == f"nbnlp {nbnlp.__version__}"
    help_text = subprocess.run([sys.executable, "-m", "nbnlp", "--help"], capture_output=True, text=True).stdout
    assert "convert" in help_text


def test_core_imports_without_ipython() -> None:
    code = "import sys, nbnlp, nbnlp.core; assert 'IPython' not in sys.modules, 'core imported IPython'"
    subprocess.run([sys.executable, "-c", code], check=True)
