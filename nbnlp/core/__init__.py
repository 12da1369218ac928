"""The nbnlp engine: importable without IPython; magics, widgets and the CLI are shells over it."""
from .doc import Doc
from .span import Span
from .strings import StringStore
from .token import Token
from .vocab import Vocab

__all__ = ["Doc", "Span", "StringStore", "Token", "Vocab"]
