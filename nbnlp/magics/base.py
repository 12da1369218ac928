"""What every magic shares: the user's namespace, finding a config, a pipeline or a path in it, driving a live view.

Each group of magics is its own `Magics` class (training, evaluation, toolbox, sweeps, runs) built on
`NamespaceMagics`; `%load_ext nbnlp` registers them all.
"""
from __future__ import annotations

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


def _view_kind(shell: Any, requested: str) -> str:
    """"html" in notebooks (and any non-terminal shell), "console" in terminal IPython."""
    if requested != "auto":
        return requested
    return "console" if type(shell).__name__ == "TerminalInteractiveShell" else "html"



class NamespaceMagics(Magics):
    """Helpers reading the user's namespace; the magics themselves live in the subclasses."""

    # ----- namespace helpers -------------------------------------------------------------------------
    @property
    def ns(self) -> dict[str, Any]:
        return self.shell.user_ns

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
        try:
            return load(ref)
        except (ConfigError, DamagedFileError):
            raise  # a pipeline folder that does not load: its own message names the file and what to do
        except USER_ERRORS as err:
            raise UsageError(f"no pipeline variable, folder or installed package named {ref!r} ({err})") from None

    def _path(self, ref: str) -> str:
        """A data path given literally or through a variable holding a path."""
        value = self.ns.get(ref) if ref.isidentifier() else None
        return str(value) if isinstance(value, (str, Path)) else ref


def _drive(run: Any, view: Any) -> str:
    """Feed a run's steps to its live view until it ends; Ctrl-C stops the run cleanly (`close()` saves what it
    keeps). Returns the view's final status word; a user error while running marks the view failed and goes on up
    (the magics' `@user_errors` turns it into a UsageError)."""
    from ..widgets.training_view import FINISHED, INTERRUPTED

    view.start()
    try:
        for step in run:
            view.update(step)
        return FINISHED
    except KeyboardInterrupt:
        run.close()  # a no-op when the loop itself was interrupted and has saved already
        return INTERRUPTED
    except USER_ERRORS as err:
        view.finish("Failed", str(err).splitlines()[0])
        raise


