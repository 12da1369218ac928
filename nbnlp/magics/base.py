"""What every magic shares: the user's namespace, finding a config, a pipeline or a path in it, driving a live view.

Each group of magics is its own `Magics` class (training, evaluation, toolbox, sweeps, runs) built on
`NamespaceMagics`; `%load_ext nbnlp` registers them all.
"""
from __future__ import annotations

import weakref
from pathlib import Path
from typing import Any, Optional

from IPython.core.error import UsageError
from IPython.core.magic import Magics

from ..arguments import arg
from ..core.config import ConfigError
from ..core.damaged import DamagedFileError
from ..magic_errors import USER_ERRORS

DEFAULT_CONFIG_NAME = "config"
DEFAULT_RESULT_NAME = "train_result"
CONFIG_NAME = arg("name", nargs="?", default=DEFAULT_CONFIG_NAME, help="variable to store the config in (default: config)")
CONFIG_REF = arg("config", nargs="?", default=DEFAULT_CONFIG_NAME, help="config variable or file (default: config)")


def result_name(default: str) -> Any:
    """The `--as NAME` option binding a magic's result."""
    return arg("--as", dest="result_name", default=default, help=f"variable for the result (default: {default})")


_SHELL_STATE: "weakref.WeakKeyDictionary[Any, dict[str, Any]]" = weakref.WeakKeyDictionary()
RUNS_FOLDER = "runs_folder"  # state key: the runs folder last listed or trained into (`%nlp_runs`, `run-3` lookups)


class NamespaceMagics(Magics):
    """Helpers reading the user's namespace; the magics themselves live in the subclasses."""

    # ----- namespace helpers -------------------------------------------------------------------------
    @property
    def ns(self) -> dict[str, Any]:
        return self.shell.user_ns

    @property
    def state(self) -> dict[str, Any]:
        """Per-shell state every group of magics shares (each group is its own Magics instance)."""
        return _SHELL_STATE.setdefault(self.shell, {})

    @property
    def runs_folder(self) -> Optional[Path]:
        """The config's runs folder last listed (`%nlp_runs`) or trained into, where run names are looked up."""
        return self.state.get(RUNS_FOLDER)

    def _run_output(self, config_name: str, output: Optional[str] = None, *, resume: bool = False,
                    overwrite: bool = False) -> tuple[Optional[str], bool]:
        """(output folder, resume) for a training of `config_name`: `output` as given (refused if it holds a run, unless
        resume/overwrite), else a new `training/<config>/run-N` (with `resume`: the latest one). Remembers the runs
        folder for `%nlp_runs` and run names, and prints the one-line note of --overwrite or a resume."""
        from ..core.training.runs import resolve_output, runs_folder

        folder = runs_folder(config_name)
        target = resolve_output(output, runs=folder, resume=resume, overwrite=overwrite)
        self.state[RUNS_FOLDER] = folder if output is None else Path(output).parent
        if target.note:
            print(target.note)
        return (str(target.path) if target.path is not None else None), target.resume

    def _config_source(self, ref: Optional[str]) -> tuple[Any, str]:
        """A config from a variable (Config, dict or config text), `demo`, or a file; plus a short name for it."""
        from thinc.api import Config

        from ..core.commands.init_config import demo_config

        ref = ref or DEFAULT_CONFIG_NAME
        if ref in self.ns:
            value = self.ns[ref]
            if isinstance(value, (Config, dict)):
                return Config(value), ref
            if isinstance(value, (str, Path)):
                return value, ref
            raise UsageError(f"{ref!r} is a {type(value).__name__}, not a config (run a %%nlp_config cell or give a config file)")
        if ref == "demo":
            return demo_config(), "demo"
        if Path(ref).is_file():
            return ref, Path(ref).stem
        hint = " (run a %%nlp_config cell first)" if ref == DEFAULT_CONFIG_NAME else ""
        raise UsageError(f"no config variable or file named {ref!r}{hint}")

    def _pipeline(self, ref: str) -> Any:
        """A Language from a variable (Language, TrainResult, EvaluationResult's source) or a model path/package."""
        from ..core.language import Language, load
        from ..core.training.train import TrainResult

        if ref in self.ns:
            value = self.ns[ref]
            if isinstance(value, Language):
                return value
            if isinstance(value, TrainResult):
                return value.nlp
            if isinstance(value, (str, Path)):
                ref = str(value)
            else:
                raise UsageError(f"{ref!r} is a {type(value).__name__}, not a pipeline (a Language, a training result or a model path)")
        from ..core.training.runs import find_run_model

        model = find_run_model(ref, self.runs_folder)  # a run folder, or a run's name (run-3) under the runs folder
        try:
            return load(str(model) if model is not None else ref)
        except (ConfigError, DamagedFileError):
            raise  # a pipeline folder that does not load: its own message names the file and what to do
        except USER_ERRORS:
            what = "pipeline variable, pipeline folder" + (
                f", installed pipeline package or run in {self.runs_folder}" if self.runs_folder is not None else " or installed pipeline package")
            raise UsageError(f"no {what} named {ref!r}") from None  # load's own message would say it a second time

    def _pipeline_path(self, ref: str) -> str:
        """A saved pipeline's folder or package name from a training result variable (its model-best, else
        model-last), a variable holding a path, a run's name (run-3) or the path itself."""
        from ..core.training.runs import find_run_model
        from ..core.training.train import TrainResult

        value = self.ns.get(ref) if ref.isidentifier() else None
        if isinstance(value, TrainResult):
            saved = value.model_best or value.model_last
            if saved is None:
                raise UsageError(f"{ref!r} is a training result with no saved pipeline")
            return str(saved)
        if isinstance(value, (str, Path)):
            return str(value)
        model = find_run_model(ref, self.runs_folder)
        return str(model) if model is not None else ref

    def _path(self, ref: str) -> str:
        """A data path given literally or through a variable holding a path."""
        value = self.ns.get(ref) if ref.isidentifier() else None
        return str(value) if isinstance(value, (str, Path)) else ref
