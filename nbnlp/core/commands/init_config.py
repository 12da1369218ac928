"""`init-config`: write a complete, commented training config with every setting explicit.

The text is assembled from per-section templates so each setting carries a comment saying what
it does; the result is parsed back before it is returned, so a template error can never produce
a config that does not load.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from thinc.api import Config

from ..config import ConfigError, ConfigProblem

SUPPORTED_COMPONENTS = ("tagger", "parser", "ner", "textcat", "textcat_multilabel")
LISTENER = "nbnlp.Tok2VecListener.v1"

# Comments written above settings (by key) and above model sections (by architecture).
SETTING_COMMENTS = {
    "label_attr": 'Which annotation to predict: "tag" (fine-grained, token.tag_) or "pos" (universal, token.pos_).',
    "nO": "Number of outputs: null = inferred from the labels in the training data.",
    "max_length": "Sentences longer than this many tokens are parsed in chunks of at most this length.",
    "sent_width": "Width of the view that predicts sentence starts in raw text (0 = none: a doc's trees define its sentences).",
    "sent_threshold": "A token of raw text starts a sentence when the parser's probability for it exceeds this.",
    "sent_loss_weight": "Weight of the sentence-start loss against the arc and label losses in training.",
    "decoder": 'Tree decoder used where the argmax heads are not a tree: "eisner" (projective) or "mst".',
    "entity_weight": "Loss weight of entity tokens against O tokens (higher favours recall).",
    "threshold": "A label is assigned when its score reaches this value (multilabel; exclusive classes use the argmax).",
    "absent_as_negative": "true: labels missing from a doc's cats count as 0; false: as unknown (no gradient).",
    "exclusive_classes": "true: one label per text (softmax); false: any number (sigmoid).",
    "ngram_size": "Longest n-gram of the bag-of-words features.",
    "length": "Hash buckets of the bag-of-words features.",
    "upstream": "Name of the tok2vec component this listens to.",
    "hidden_width": "Width of the hidden layer between the token vectors and the output (0 = none).",
    "window_size": "Neighbours either side each token sees in this model's own CNN layers.",
    "depth": "Extra residual CNN layers inside this model (0 = none).",
    "arc_width": "Width of the head/dependent views the biaffine arc scores compare.",
    "label_width": "Width of the head/dependent views the label scores compare.",
    "attrs": "Token attributes whose n-grams are features.",
}
ARCH_COMMENTS = {
    "nbnlp.Tok2VecListener.v1": "Reads the shared tok2vec's output; put an nbnlp.Tok2Vec.v1 block here to give this component its own copy.",
    "nbnlp.BiaffineParser.v2": "Biaffine graph-based parser: finds the sentences of raw text, then scores arcs and labels between the tokens of each sentence.",
    "nbnlp.EntityTagger.v1": "BILUO tags per token, decoded with Viterbi constrained to valid entity sequences.",
    "nbnlp.TextCatBOW.v1": "Sparse linear model over hashed bags of n-grams: fast and strong on short texts.",
    "nbnlp.TextCatEnsemble.v1": "Bag-of-words model combined with a network pooling the tok2vec output.",
    "nbnlp.Tagger.v1": "Softmax over the labels for every token.",
}


@dataclass(frozen=True)
class Tok2VecSize:
    width: int
    depth: int
    rows: tuple[int, int, int, int]
    window: int = 1
    maxout_pieces: int = 3


SIZES = {
    "efficiency": Tok2VecSize(width=96, depth=4, rows=(5000, 1000, 2500, 2500)),
    "accuracy": Tok2VecSize(width=256, depth=8, rows=(20000, 2000, 5000, 5000)),
}


def init_config(
    *,
    lang: str = "en",
    pipeline: list[str] | tuple[str, ...] = ("tagger",),
    optimize: str = "efficiency",
    gpu: bool = False,
    train_path: str | None = None,
    dev_path: str | None = None,
    max_steps: int = 20000,
    eval_frequency: int = 200,
    pretraining: bool = False,
) -> str:
    """The text of a complete config for `pipeline` (a shared tok2vec is added in front).

    `pretraining` adds a `[pretraining]` section and its raw-text corpus (`paths.raw_text`) for `nbnlp pretrain`.
    """
    problems = []
    if optimize not in SIZES:
        problems.append(ConfigProblem("--optimize", "unknown value", expected="efficiency or accuracy", given=optimize))
    names = [p.strip() for p in pipeline if p.strip()]
    if not names:
        problems.append(ConfigProblem("--pipeline", "no components named", expected="e.g. tagger"))
    for name in names:
        if name not in SUPPORTED_COMPONENTS:
            problems.append(ConfigProblem("--pipeline", "unknown component", expected=", ".join(SUPPORTED_COMPONENTS), given=name))
    if "textcat" in names and "textcat_multilabel" in names:
        problems.append(ConfigProblem("--pipeline", "textcat and textcat_multilabel both write doc.cats and the same scores; pick one"))
    if len(set(names)) != len(names):
        problems.append(ConfigProblem("--pipeline", "a component is named twice", given=",".join(names)))
    if problems:
        raise ConfigError(problems)
    size = SIZES[optimize]
    blocks = [_component(name) for name in names]
    shared = any(LISTENER in block for block in blocks)  # a bag-of-words textcat alone needs no tok2vec
    if pretraining and not shared:
        raise ConfigError([ConfigProblem("--pretraining", "pretraining needs a tok2vec, and this pipeline has none", expected="e.g. --pipeline tagger or ner", given=",".join(names))])
    parts = [
        _paths(train_path, dev_path, pretraining),
        _system(gpu),
        _nlp(lang, (["tok2vec"] if shared else []) + names, batch_size=256 if gpu else 1000),
        "[components]\n",
        *([_tok2vec(size)] if shared else []),
        *blocks,
        _corpora(pretraining, n_sents=10 if "parser" in names else 1),
        _training(names, gpu, max_steps, eval_frequency),
        *([_pretraining()] if pretraining else []),
        _initialize(),
    ]
    text = "\n".join(parts)
    Config().from_str(text)  # fails loudly on a template mistake
    return text


def _value(v: object) -> str:
    return "null" if v is None else f'"{v}"' if isinstance(v, str) else str(v)


def _paths(train: str | None, dev: str | None, pretraining: bool = False) -> str:
    raw_text = "# Raw text for nbnlp pretrain: JSONL records {\"text\": ...} or {\"tokens\": [...]}.\nraw_text = null\n" if pretraining else ""
    return f"""# Corpus paths: any file or folder nbnlp.load_docs reads (CoNLL-U, .iob2, CoNLL NER, IOB, JSONL, .nbnlp).
# Override on the command line: nbnlp train config.cfg --paths.train train.conllu --paths.dev dev.conllu
[paths]
train = {_value(train)}
dev = {_value(dev)}
{raw_text}"""


def _system(gpu: bool) -> str:
    return f"""[system]
# Random seed for weights, shuffling and dropout (saved with the trained pipeline).
seed = 0
# GPU to train on (-1 = CPU); --gpu-id on the command line overrides it.
gpu_id = {0 if gpu else -1}
"""


def _nlp(lang: str, pipeline: list[str], batch_size: int) -> str:
    return f"""[nlp]
# Language of the tokenizer and lexical attributes.
lang = "{lang}"
# Components, in the order they run.
pipeline = {pipeline!r}
# Texts per batch in nlp.pipe and evaluation.
batch_size = {batch_size}

[nlp.tokenizer]
@tokenizers = "nbnlp.Tokenizer.v1"
""".replace("'", '"')


def _tok2vec(size: Tok2VecSize) -> str:
    return f"""# Shared token-to-vector layer: later components listen to its output, and their gradients are summed into it.
[components.tok2vec]
factory = "tok2vec"

[components.tok2vec.model]
@architectures = "nbnlp.Tok2Vec.v1"

# Hashed embeddings of lexical attributes, concatenated and mixed to `width`.
[components.tok2vec.model.embed]
@architectures = "nbnlp.HashEmbed.v1"
width = ${{components.tok2vec.model.encode.width}}
attrs = ["NORM", "PREFIX", "SUFFIX", "SHAPE"]
# Rows of each attribute's hash table.
rows = {list(size.rows)}
# true: add the word vectors of [initialize] vectors (made by nbnlp init-vectors) before the mixing layer.
include_static_vectors = false
# Which form of a word its vector is looked up by: "ORTH" (as written), "LOWER" or "NORM".
vectors_key_attr = "ORTH"

# Residual CNN: each layer sees `window_size` tokens either side.
[components.tok2vec.model.encode]
@architectures = "nbnlp.MaxoutWindowEncoder.v2"
width = {size.width}
depth = {size.depth}
window_size = {size.window}
maxout_pieces = {size.maxout_pieces}
"""


def _component(name: str) -> str:
    """The block of one component: its factory's defaults filled in with every argument, commented."""
    from ..pipeline.factory import get_factory_meta
    from ..registry import registry

    meta = get_factory_meta(name)
    filled = registry.fill({"c": {"@factories": name, **meta.default_config}}, validate=False)["c"]
    block = {"factory": name, **{k: v for k, v in filled.items() if k != "@factories"}}
    _use_shared_tok2vec(block)
    text = Config({"components": {name: block}}).to_str()
    text = text.split("\n", 2)[2]  # drop the "[components]" header and blank line
    text = re.sub(r'"(\$\{[^}]+\})"', r"\1", text)  # references, not strings
    lines = []
    for line in text.splitlines():
        key = line.split(" = ", 1)[0]
        if key in SETTING_COMMENTS and " = " in line:
            lines.append(f"# {SETTING_COMMENTS[key]}")
        if line.startswith("@architectures = "):
            arch = line.split(" = ", 1)[1].strip('"')
            if arch in ARCH_COMMENTS:
                lines.append(f"# {ARCH_COMMENTS[arch]}")
        lines.append(line)
    return "\n".join(lines) + "\n"


def _use_shared_tok2vec(block: dict) -> None:
    """Point every listener inside a component block at the shared tok2vec and its width."""
    for key, value in block.items():
        if isinstance(value, dict):
            if value.get("@architectures") == LISTENER:
                value["width"] = "${components.tok2vec.model.encode.width}"
                value["upstream"] = "tok2vec"
            else:
                _use_shared_tok2vec(value)


def _corpora(pretraining: bool = False, n_sents: int = 1) -> str:
    """The readers; a parser learns sentence boundaries from documents of `n_sents` sentences."""
    return """[corpora]
""" + (_PRETRAIN_CORPUS if pretraining else "") + f"""
[corpora.train]
@readers = "nbnlp.Corpus.v1"
path = ${{paths.train}}
# Sentences of a sentence-based corpus (CoNLL-U, ...) grouped into one document: running text,
# from which a parser learns where sentences end.
n_sents = {n_sents}
# true: train on the corpus' own tokens; false: on nbnlp's tokenizer output aligned to them.
gold_preproc = false
# Skip training docs longer than this many tokens (0 = keep all).
max_length = 0
# Use at most this many docs (0 = all).
limit = 0
# The corpus is read as a stream each epoch; one of at most this many words is kept in memory after its
# first read instead (about 300 bytes a word). 0: always read it again.
cache_words = 1000000

[corpora.dev]
@readers = "nbnlp.Corpus.v1"
path = ${{paths.dev}}
n_sents = {n_sents}
gold_preproc = false
max_length = 0
limit = 0
"""


def _score_weights(names: list[str]) -> dict[str, float]:
    """Each component's default weights, the components weighted equally, summing to 1."""
    from ..pipeline.factory import get_factory_meta

    combined: dict[str, float] = {}
    for name in names:
        weights = {k: v for k, v in get_factory_meta(name).default_score_weights.items() if v}
        total = sum(weights.values()) or 1.0
        for key, value in weights.items():
            combined[key] = combined.get(key, 0.0) + value / total / len(names)
    return combined


def _training(names: list[str], gpu: bool, max_steps: int, eval_frequency: int) -> str:
    weights = "\n".join(f"{key} = {value:.4g}" for key, value in _score_weights(names).items())
    return f"""[training]
seed = ${{system.seed}}
# Dropout rate applied while training.
dropout = 0.1
# Split each batch into this many parts and update once (more memory-friendly).
accumulate_gradient = 1
# Stop after this many steps without a better score (0 = never).
patience = 1600
# Stop after this many passes over the training data (0 = no limit).
max_epochs = 0
# Stop after this many updates (0 = no limit).
max_steps = {max_steps}
# Evaluate on the dev data every this many steps.
eval_frequency = {eval_frequency}
# Components kept as they are (not updated).
frozen_components = []
# Each epoch is shuffled through a buffer of this many documents: a corpus of at most this many is shuffled
# whole; a larger one is read as a stream and only the buffer is held in memory (lower it if memory is short).
shuffle_buffer = 20000
dev_corpus = "corpora.dev"
train_corpus = "corpora.train"

# Batches grow from `start` to `stop` words.
[training.batcher]
@batchers = "nbnlp.batch_by_words.v1"
discard_oversize = false
tolerance = 0.2

[training.batcher.size]
@schedules = "compounding.v1"
start = {100 if not gpu else 500}
stop = {1000 if not gpu else 2000}
compound = 1.001
t = 0.0

[training.logger]
@loggers = "nbnlp.ConsoleLogger.v1"
progress_bar = false

[training.optimizer]
@optimizers = "Adam.v1"
beta1 = 0.9
beta2 = 0.999
L2_is_weight_decay = true
L2 = 0.01
grad_clip = 1.0
use_averages = true
eps = 0.00000001
learn_rate = 0.001

# How the scores combine into the one score that picks model-best.
[training.score_weights]
{weights}
"""


_PRETRAIN_CORPUS = """
# Raw text for nbnlp pretrain (docs shorter/longer than min_length/max_length tokens are skipped; 0 = off).
[corpora.pretrain]
@readers = "nbnlp.JsonlCorpus.v1"
path = ${paths.raw_text}
min_length = 5
max_length = 500
limit = 0
"""


def _pretraining() -> str:
    return """# nbnlp pretrain CONFIG OUTPUT_DIR: trains the tok2vec on raw text; then set [initialize] init_tok2vec = "OUTPUT_DIR/modelN.bin".
[pretraining]
# Passes over the raw text; the weights are saved after each as modelN.bin.
max_epochs = 1000
dropout = 0.2
# Also save every this many batches within an epoch (null = only at epoch ends).
n_save_every = null
# The component whose model is pretrained, and the corpus section it reads.
component = "tok2vec"
corpus = "corpora.pretrain"

[pretraining.batcher]
@batchers = "nbnlp.batch_by_words.v1"
size = 3000
discard_oversize = false
tolerance = 0.2

# Predict the first and last n_characters of each hidden word from its context (needs no vectors). With a
# vectors table, nbnlp.PretrainVectors.v1 (loss = "cosine" or "L2") predicts each hidden word's vector instead.
[pretraining.objective]
@architectures = "nbnlp.PretrainCharacters.v1"
n_characters = 4
hidden_size = 300
maxout_pieces = 3
# Share of words hidden from the input (mask token / another word / kept) and predicted; 0 = predict every word as seen.
mask_probability = 0.15

[pretraining.optimizer]
@optimizers = "Adam.v1"
beta1 = 0.9
beta2 = 0.999
L2_is_weight_decay = true
L2 = 0.01
grad_clip = 1.0
use_averages = false
eps = 0.00000001
learn_rate = 0.001
"""


def _initialize() -> str:
    return """[initialize]
# A pipeline folder with word vectors (made by nbnlp init-vectors), copied into the vocab before training.
vectors = null
# Pretrained tok2vec weights (OUTPUT_DIR/modelN.bin from nbnlp pretrain), loaded before training.
init_tok2vec = null

# Settings for each component's initialize, e.g. labels written by nbnlp init-labels:
# [initialize.components.tagger.labels] @readers = "nbnlp.read_labels.v1", path = "labels/tagger.json"
[initialize.components]

# Settings for the tokenizer's initialize: rules (special cases) and split_final_period.
[initialize.tokenizer]
"""


def demo_config() -> str:
    """The built-in demo: tok2vec + tagger trained on the demo corpus shipped in the package (about a minute on 2 cores)."""
    from ...data import demo_path

    return init_config(
        pipeline=["tagger"], train_path=str(demo_path("ewt-train")), dev_path=str(demo_path("ewt-dev")),
        max_steps=1000, eval_frequency=100,
    )
