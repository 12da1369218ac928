"""Built-in pipeline components; importing this package registers their factories (and the architectures they use)."""
from .. import models  # noqa: F401  (registers the nbnlp.* architectures the default configs name)
from .tagger import Tagger
from .tok2vec import Tok2Vec

__all__ = ["Tagger", "Tok2Vec"]
