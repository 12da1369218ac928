"""`nbnlp package --code FILE[,FILE2]`: the user's code files bundled in a pipeline package, and imported by its load.

Why: a pipeline whose config names a function registered by the user's own code (a custom architecture, a reader,
a factory) cannot be built in a process that never imported that code. The files are copied into the package
(`<module>/code/`), and the package's `load()` imports them before building the pipeline, so
`nbnlp.load("<module>")` works after `pip install` in a fresh process. Packaging a pipeline that names an
unregistered function without `--code` is refused, naming the function and the config key, instead of shipping a
package that cannot load.
"""
from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any, Iterator, Sequence

from catalogue import RegistryError

from ..damaged import DamagedFileError
from ..language import Language
from ..pipeline.factory import factory_names
from ..pipeline_folder import read_pipeline_config
from ..registry import registry
from ..user_code import CodeSpec, code_files, import_code

CODE_DIRNAME = "code"  # the folder of the bundled code files inside the package module


def prepare_code(code: CodeSpec) -> list[Path]:
    """The code files, checked (they exist, no two share a name) and imported in this process."""
    files = code_files(code)
    names = [f.name for f in files]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ValueError(f"--code: two files are named {twice[0]}; they would overwrite each other in the package (rename one)")
    import_code(files)
    return files


def load_checked(input_dir: Path, code: Sequence[Path]) -> None:
    """Load the pipeline once, so a damaged one fails here, naming its file, not when the package is loaded; one that
    names a function nothing registered fails naming the function and suggesting --code."""
    try:
        Language.from_disk(input_dir)
    except DamagedFileError:
        raise
    except (RegistryError, ValueError):  # a missing function is a catalogue error, a missing factory a ValueError
        check_registered(input_dir, code)
        raise


def check_registered(input_dir: Path, code: Sequence[Path]) -> None:
    """Refuse a pipeline whose config names a function or factory nothing has registered (one error for all)."""
    _import_builtins()
    missing = list(unregistered(read_pipeline_config(input_dir)))
    if not missing:
        return
    names = "; ".join(f"{loc} = {name!r}" for loc, name in missing)
    given = f" (the --code files {', '.join(map(str, code))} do not register {'it' if len(missing) == 1 else 'them'})" if code else ""
    raise ValueError(
        f"{input_dir / 'config.cfg'}: the pipeline names {'a function' if len(missing) == 1 else 'functions'} nothing has "
        f"registered: {names}{given}. Give the Python file that registers {'it' if len(missing) == 1 else 'them'} with "
        "--code FILE (nbnlp package PIPELINE OUTPUT_DIR --code FILE): it is bundled in the package and imported when the package loads"
    )


def _import_builtins() -> None:
    """Import the modules that register nbnlp's own functions (they are otherwise imported only when used)."""
    from .. import models, training  # noqa: F401
    from ..pipeline.factory import _import_builtin_components

    _import_builtin_components()


def unregistered(config: Any, loc: str = "") -> Iterator[tuple[str, str]]:
    """(`section.key`, name) for every `@registry` name and component `factory` the config names but nothing registered."""
    if not isinstance(config, dict):
        return
    for key, value in config.items():
        here = f"{loc}.{key}" if loc else str(key)
        if isinstance(key, str) and key.startswith("@") and isinstance(value, str):
            if not registry.has(key[1:], value):
                yield here, value
        elif key == "factory" and loc.startswith("components.") and loc.count(".") == 1 and isinstance(value, str):
            if value not in factory_names():
                yield here, value
        else:
            yield from unregistered(value, here)


def bundle_code(files: Sequence[Path], module_dir: Path) -> list[str]:
    """Copy the code files into `module_dir/code/`; their names, in import order."""
    if not files:
        return []
    target = module_dir / CODE_DIRNAME
    target.mkdir(parents=True, exist_ok=True)
    for file in files:
        shutil.copyfile(file, target / file.name)
    return [file.name for file in files]


def load_source(names: Sequence[str]) -> str:
    """The package module's `load()` body: import the bundled code once, then load the shipped pipeline."""
    if not names:
        return "    return nbnlp.load(DATA_DIR)\n"
    return f'''    global _CODE_IMPORTED
    if not _CODE_IMPORTED:  # the functions the pipeline's config names are registered by the bundled code
        from nbnlp.core.user_code import import_code

        import_code([Path(__file__).parent / {CODE_DIRNAME!r} / name for name in CODE_FILES])
        _CODE_IMPORTED = True
    return nbnlp.load(DATA_DIR)


CODE_FILES = {list(names)!r}  # bundled by nbnlp package --code, imported in this order
_CODE_IMPORTED = False
'''


__all__ = ["CODE_DIRNAME", "bundle_code", "check_registered", "load_checked", "load_source", "prepare_code", "unregistered"]
