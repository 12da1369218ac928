"""thinc architectures; importing this package registers them under `nbnlp.*` in `registry.architectures`."""
from .featurize import FeatureExtractor
from .listener import Tok2VecListener
from .tagger import Tagger
from .tok2vec import EmbedHashedFeatures, MaxoutWindowEncoder, Tok2Vec

__all__ = ["FeatureExtractor", "EmbedHashedFeatures", "MaxoutWindowEncoder", "Tagger", "Tok2Vec", "Tok2VecListener"]
