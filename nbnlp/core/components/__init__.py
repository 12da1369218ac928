"""Built-in pipeline components; importing this package registers their factories (and the architectures they use)."""
from .. import models  # noqa: F401  (registers the nbnlp.* architectures the default configs name)
from .ner import EntityRecognizer
from .parser import DependencyParser
from .tagger import Tagger
from .textcat import MultiLabelTextCategorizer, TextCategorizer
from .tok2vec import Tok2Vec

__all__ = ["DependencyParser", "EntityRecognizer", "MultiLabelTextCategorizer", "Tagger", "TextCategorizer", "Tok2Vec"]
