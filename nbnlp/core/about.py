"""The installed nbnlp version, kept in the core so the engine never imports the package root above it."""
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("nbnlp")
except PackageNotFoundError:  # pragma: no cover - running from a source tree without install
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
