"""`--code FILE[,FILE2]`: the user's Python files that register functions (architectures, readers, callbacks...),
imported before a config is resolved or a pipeline is loaded.

Why here, apart from the commands: the CLI, the magics, `nbnlp package` (which bundles the files) and installed
pipeline packages (which import their bundled copies on load) all import code the same way, and a file that
fails is one error naming the file and line, never a traceback from inside nbnlp.
"""
from __future__ import annotations

import importlib.util
import sys
import traceback
from pathlib import Path
from types import ModuleType
from typing import Iterable, Union

CodeSpec = Union[None, str, Path, Iterable[Union[str, Path]]]
MODULE_PREFIX = "nbnlp_user_code_"


def code_files(spec: CodeSpec) -> list[Path]:
    """The files `spec` names: one path, a comma-separated string of paths, or a list; each must exist."""
    if spec is None or spec == "":
        return []
    items = [spec] if isinstance(spec, Path) else spec.split(",") if isinstance(spec, str) else list(spec)
    files = [Path(str(item).strip()) for item in items if str(item).strip()]
    for file in files:
        if not file.is_file():
            what = "is a folder, not a Python file" if file.is_dir() else "no such file"
            raise FileNotFoundError(f"--code: {what}: {file}")
    by_stem: dict[str, Path] = {}
    for file in files:  # each is imported as a module named after its stem: two of one name would replace each other
        other = by_stem.setdefault(file.stem, file)
        if other.resolve() != file.resolve():
            raise ValueError(f"--code: two files named {file.name} ({other}, {file}): rename one")
    return files


def import_code(spec: CodeSpec) -> list[ModuleType]:
    """Import each file `spec` names (see `code_files`), in order, so what it registers exists; the modules."""
    return [import_file(file) for file in code_files(spec)]


def import_file(file: Path, module_name: str | None = None) -> ModuleType:
    """Run one file as the module `module_name` (default `nbnlp_user_code_<stem>`); any failure is a ValueError
    naming the file and, where known, the line."""
    name = module_name or f"{MODULE_PREFIX}{file.stem}"
    spec = importlib.util.spec_from_file_location(name, file)
    if spec is None or spec.loader is None:
        raise ValueError(f"--code {file}: cannot import it as Python code (give a .py file)")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except (SyntaxError, UnicodeDecodeError) as err:  # cut short, binary, or not Python: say where, without a traceback
        sys.modules.pop(name, None)
        line = f":{err.lineno}" if isinstance(err, SyntaxError) and err.lineno else ""
        reason = err.msg if isinstance(err, SyntaxError) else f"not UTF-8 text ({err.reason} at byte {err.start})"
        raise ValueError(f"--code {file}{line}: not valid Python: {reason}") from None
    except Exception as err:  # the user's code may fail in any way (a missing import, a NameError...): name the line
        sys.modules.pop(name, None)
        raise ValueError(f"--code {file}{_line_in(err, file)}: importing it failed: {type(err).__name__}: {err}") from None
    return module


def _line_in(err: BaseException, file: Path) -> str:
    """`:LINE` of the deepest frame of `err`'s traceback inside `file`, or "" when none is."""
    target = str(file.resolve())
    line = ""
    for frame in traceback.extract_tb(err.__traceback__):
        if frame.filename and Path(frame.filename).resolve() == Path(target):
            line = f":{frame.lineno}"
    return line


__all__ = ["CodeSpec", "code_files", "import_code", "import_file"]
