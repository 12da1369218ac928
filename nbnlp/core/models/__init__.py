"""thinc architectures; importing this package registers them under `nbnlp.*` in `registry.architectures`."""
from .featurize import FeatureExtractor
from .listener import Tok2VecListener
from .ner import EntityTagger
from .parser import BiaffineParser
from .pretrain_objectives import PretrainCharacters, PretrainVectors
from .static_vectors import StaticVectors
from .tagger import Tagger
from .textcat import TextCatBOW, TextCatEnsemble
from .tok2vec import EmbedHashedFeatures, MaxoutWindowEncoder, MaxoutWindowEncoderV2, Tok2Vec

__all__ = [
    "BiaffineParser", "EmbedHashedFeatures", "EntityTagger", "FeatureExtractor", "MaxoutWindowEncoder", "MaxoutWindowEncoderV2", "Tagger",
    "PretrainCharacters", "PretrainVectors", "StaticVectors", "TextCatBOW", "TextCatEnsemble", "Tok2Vec", "Tok2VecListener",
]
