"""User mistakes in a magic become one short IPython `UsageError`, never a traceback or `SystemExit`.

`USER_ERRORS` are the exceptions that mean "the user can fix this" (a bad config, a missing file,
an unknown device...); `@user_errors` maps them for a whole magic, so the magics hold no
try/except of their own.
"""
from __future__ import annotations

import functools
from typing import Any, Callable, TypeVar

from IPython.core.error import UsageError

from .core.config import ConfigError
from .core.corpus.errors import CorpusError
from .core.damaged import DamagedFileError
from .core.distributed.ray_session import DistributedError
from .gpu.device import DeviceError

# OSError: a file that cannot be read or written (missing, a folder where a file is expected, no permission...).
USER_ERRORS = (ConfigError, CorpusError, DamagedFileError, DeviceError, DistributedError, OSError, ValueError)

F = TypeVar("F", bound=Callable[..., Any])


def user_error(err: BaseException) -> UsageError:
    """The error as a UsageError with its own message (and the missing file's name when the message lacks it)."""
    text = str(err).strip() or type(err).__name__
    if isinstance(err, OSError) and err.strerror and err.filename is not None:
        text = f"{err.filename}: {err.strerror}"  # not "[Errno 2] No such file or directory: 'x'"
    return UsageError(text)


def user_errors(func: F) -> F:
    """Run `func`, turning USER_ERRORS into one short UsageError (keeps the name and docstring for `%magic?`)."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except USER_ERRORS as err:
            raise user_error(err) from None

    return wrapper  # type: ignore[return-value]
