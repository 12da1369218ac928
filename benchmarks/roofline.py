"""Roofline report for the default tagger+parser pipeline: how far inference and training are from
this core's BLAS peak, and where the rest of the time goes.

1. Multiply-adds (MACs) per word, derived from the layer shapes of the built model (walks the
   thinc tree: every dense layer's `W` is one MAC per weight per token; hash embeddings are
   gathers, 0 MACs; the parser's own projections and its pairwise arc part, which is per
   sentence, n x n x (arc + distance buckets), given per word for the measured sentence lengths).
2. The measured peak: a 2048^3 float32 matmul through numpy's BLAS, best of several.
3. Inference: `nlp.pipe` over the raw EWT test text (`# text` lines joined into 10-sentence
   documents with one space), words/s x MACs/word x 2 = achieved GFLOP/s, fraction of peak, and
   the time per pipeline step (tokenizer, tok2vec, tagger, parser).
4. Training: `nlp.update` steps (forward + backward + update, counted as 3x the forward MACs) on
   batches of a given size in words.
5. A profile (cProfile, top functions by tottime and cumulative) of `nlp.pipe` and of training
   steps, and a "where the time goes" summary: BLAS gemm (replayed at the real shapes), tree
   decoding (timed in place), tokenizer, and the rest (numpy elementwise/copies vs Python).

The pipeline is trained briefly on the demo corpus (`--train-steps`), or loaded with `--model`.
BLAS threads are fixed before numpy loads (`--threads`, default 1) and the process is pinned to
one core (`--cpu`, default 0). The whole run takes about 2-3 minutes.

Usage: python benchmarks/roofline.py [--threads 1] [--cpu 0] [--model PATH] [--train-steps 300]
       [--batch-words 1000] [--update-steps 20] [--top 15] [--output roofline.json]
"""
from __future__ import annotations

import argparse
import os
import sys


def _parse_args(argv: list[str]) -> argparse.Namespace:
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads (set before numpy is imported)")
    parser.add_argument("--cpu", type=int, default=0, help="core to pin to (-1: no pinning)")
    parser.add_argument("--model", default=None, help="a saved pipeline to use instead of training one")
    parser.add_argument("--train-steps", type=int, default=300, help="steps of the brief training on the demo corpus")
    parser.add_argument("--test", default=os.path.join(os.path.dirname(repo), "shared", "data", "ud-english-ewt", "test.conllu"))
    parser.add_argument("--sents-per-doc", type=int, default=10)
    parser.add_argument("--batch-words", type=int, default=1000, help="training batch size in words")
    parser.add_argument("--update-steps", type=int, default=20, help="timed training steps")
    parser.add_argument("--profile-docs", type=int, default=100, help="documents in the profiled nlp.pipe")
    parser.add_argument("--top", type=int, default=15, help="functions shown per profile")
    parser.add_argument("--output", default=None, help="write the figures as JSON here")
    return parser.parse_args(argv)


def _limit_blas_threads(threads: int) -> None:
    """BLAS libraries read their thread count once, when numpy loads, so this runs first."""
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS", "BLIS_NUM_THREADS", "VECLIB_MAXIMUM_THREADS"):
        os.environ[var] = str(threads)


ARGS = _parse_args(sys.argv[1:]) if __name__ == "__main__" else None
if ARGS is not None:
    _limit_blas_threads(ARGS.threads)

import contextlib  # noqa: E402
import cProfile  # noqa: E402
import itertools  # noqa: E402
import json  # noqa: E402
import pstats  # noqa: E402
import time  # noqa: E402
from collections import Counter  # noqa: E402
from dataclasses import asdict, dataclass  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable, Iterable, Iterator, Sequence  # noqa: E402

import numpy  # noqa: E402

import nbnlp  # noqa: E402
from nbnlp.core.config import load_config  # noqa: E402
from nbnlp.core.commands.init_config import init_config  # noqa: E402
from nbnlp.core.models import parser as parser_model  # noqa: E402
from nbnlp.core.registry import registry  # noqa: E402
from nbnlp.core.training.train import iter_training  # noqa: E402
from nbnlp.core.util import minibatch  # noqa: E402
from nbnlp.data import demo_path  # noqa: E402
from thinc.backends.ops import Ops  # noqa: E402

# The parser model's helpers, timed in place (looked up as module globals when the forward runs).
PARSER_PARTS = ("_units", "_dep_projection", "_arc_scores", "_heads_for_labels", "_label_scores")
TRAIN_FACTOR = 3.0  # forward + backward (dX and dW, each about the forward's cost) per training step


# ----- 1. multiply-adds per word -------------------------------------------------------------------
@dataclass
class LayerCost:
    component: str
    layer: str
    shape: str
    macs_per_word: float
    note: str = ""
    kernel: str = "gemm"  # "gemm": a thinc layer's Ops.gemm; "matmul": numpy products in the parser model; "gather"


@dataclass
class SentenceLengths:
    """Lengths of the units the parser scores pairwise (sentences, cut at the parser's max_length)."""

    lengths: list[int]

    @property
    def mean(self) -> float:
        return float(numpy.mean(self.lengths)) if self.lengths else 0.0

    @property
    def pairwise_per_word(self) -> float:
        """Sum n^2 / sum n: the n x n cost of a sentence spread over its n words, word-weighted."""
        n = numpy.asarray(self.lengths, dtype=numpy.float64)
        return float((n * n).sum() / n.sum()) if len(n) else 0.0


def _parents_and_windows(model: Any) -> tuple[dict[int, Any], dict[int, int]]:
    """Each node's parent, and the expand_window size that feeds each node (if any)."""
    parents: dict[int, Any] = {}
    windows: dict[int, int] = {}
    for node in model.walk():
        for child in node.layers:
            parents.setdefault(child.id, node)
        if len(node.layers) > 1 and node.layers[0].name == "expand_window":
            size = node.layers[0].attrs.get("window_size", 0)
            for later in node.layers[1:]:
                for sub in later.walk():
                    windows[sub.id] = size
    return parents, windows


def _block_name(node: Any, parents: dict[int, Any]) -> str:
    """The nearest enclosing layer with a plain name (hash_embed, maxout_window_encoder, tagger...)."""
    current = parents.get(node.id)
    while current is not None:
        if current.name.isidentifier():
            return current.name
        current = parents.get(current.id)
    return ""


def _dense_cost(component: str, node: Any, block: str, window: int | None) -> LayerCost:
    W = node.get_param("W")
    nO, nI = node.get_dim("nO"), node.get_dim("nI")
    nP = node.maybe_get_dim("nP") if "nP" in node.dim_names else None
    shape = f"{nI} -> {nO}" + (f" x {nP} pieces" if nP else "")
    note = f"window {window}: {2 * window + 1} x {nI // (2 * window + 1)} in" if window else ""
    return LayerCost(component, f"{block}/{node.name}", shape, float(W.size), note)


def _parser_costs(component: str, node: Any, sents: SentenceLengths) -> list[LayerCost]:
    """The biaffine parser's own per-token products and its per-sentence pairwise part."""
    da, dl, ds, nO = (node.get_dim(d) for d in ("arc", "label", "sent", "nO"))
    n_dist = parser_model.N_DIST
    n_eff = sents.pairwise_per_word
    pair_note = f"per sentence n x n; n_eff = sum n^2 / sum n = {n_eff:.1f} (mean n {sents.mean:.1f})"
    costs = [
        LayerCost(component, "biaffine/dep projection [U|dist|root]", f"{da} -> {da + n_dist + 1}", float(da * (da + n_dist + 1)), kernel="matmul"),
        LayerCost(component, "biaffine/head bias u.head", f"{da} -> 1", float(da), kernel="matmul"),
        LayerCost(component, "biaffine/labels [d*h|d|h] @ [V;W]", f"{3 * dl} -> {nO}", float(3 * dl * nO + dl), kernel="matmul"),
        LayerCost(component, "biaffine/arc pairwise dep.head", f"n x n x {da}", n_eff * da, pair_note, "matmul"),
        LayerCost(component, "biaffine/distance buckets", f"n x n x {n_dist}", n_eff * n_dist, pair_note, "matmul"),
    ]
    if ds:
        costs.insert(2, LayerCost(component, "biaffine/sentence logit", f"{ds} -> 1", float(ds), kernel="matmul"))
    return costs


def layer_costs(nlp: Any, sents: SentenceLengths) -> list[LayerCost]:
    """MACs per word of every layer of the pipeline's models, from their weights and dims."""
    costs: list[LayerCost] = []
    seen: set[int] = set()
    for name, component in nlp.pipeline:
        model = getattr(component, "model", None)
        if model is None:
            continue
        parents, windows = _parents_and_windows(model)
        repeats: Counter = Counter()
        for node in model.walk():
            if node.id in seen:
                continue
            seen.add(node.id)
            block = _block_name(node, parents)
            if node.name == "hashembed" and node.has_param("E"):
                E = node.get_param("E")
                costs.append(LayerCost(name, f"{block}/hashembed", f"{E.shape[0]} x {E.shape[1]} table", 0.0, f"gather {E.shape[1]} floats", "gather"))
            elif node.name == "biaffine_parser":
                costs.extend(_parser_costs(name, node, sents))
            elif "W" in node.param_names and node.has_param("W"):
                cost = _dense_cost(name, node, block, windows.get(node.id))
                repeats[cost.layer] += 1
                cost.layer += f" #{repeats[cost.layer]}"
                costs.append(cost)
    for cost in costs:  # number repeated layers only where there is more than one
        base = cost.layer.rsplit(" #", 1)[0]
        if cost.layer.endswith(" #1") and sum(c.layer.startswith(base + " #") for c in costs) == 1:
            cost.layer = base
    return costs


def print_costs(costs: list[LayerCost]) -> float:
    total = sum(c.macs_per_word for c in costs)
    print(f"{'component':10} {'layer':42} {'shape':22} {'kernel':7} {'MACs/word':>10} {'share':>6}  note")
    for c in costs:
        share = c.macs_per_word / total if total else 0.0
        print(f"{c.component:10} {c.layer:42} {c.shape:22} {c.kernel:7} {c.macs_per_word:10,.0f} {share:6.1%}  {c.note}")
    print(f"{'total':84} {total:10,.0f}")
    print("kernel: gemm = thinc Ops.gemm (numpy dot); matmul = numpy products in nbnlp/core/models/parser.py; "
          "gather = table lookup, no MACs")
    return total


# ----- 2. peak ---------------------------------------------------------------------------------------
def best_seconds(fn: Callable[[], Any], repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def matmul_peak_gflops(n: int = 2048, repeats: int = 7) -> float:
    rng = numpy.random.default_rng(0)
    a = rng.standard_normal((n, n), dtype=numpy.float32)
    b = rng.standard_normal((n, n), dtype=numpy.float32)
    a @ b  # warm-up: page in, BLAS thread start
    return 2 * n**3 / best_seconds(lambda: a @ b, repeats) / 1e9


def blas_library() -> str:
    config = numpy.show_config(mode="dicts") if "mode" in numpy.show_config.__code__.co_varnames else {}
    blas = (config or {}).get("Build Dependencies", {}).get("blas", {})
    return f"{blas.get('name', '?')} {blas.get('version', '')}".strip()


# ----- the pipeline ----------------------------------------------------------------------------------
def train_briefly(steps: int) -> tuple[Any, Any]:
    """The default tagger+parser config trained `steps` steps on the demo corpus; (nlp, optimizer)."""
    text = init_config(pipeline=["tagger", "parser"], train_path=str(demo_path("ewt-train")), dev_path=str(demo_path("ewt-dev")))
    config = load_config(text, interpolate=False)
    config["training"].update({"max_steps": steps, "eval_frequency": max(steps, 1), "patience": 0})
    run = iter_training(config, None)
    for _ in run:
        pass
    return run.nlp, run.optimizer


def training_examples(nlp: Any, sents_per_doc: int) -> list[Any]:
    """Demo-corpus examples as training reads them (documents of `sents_per_doc` sentences, re-tokenized)."""
    corpus = registry.resolve({"c": {"@readers": "nbnlp.Corpus.v1", "path": str(demo_path("ewt-train")), "n_sents": sents_per_doc}})["c"]
    return list(corpus(nlp))


def raw_documents(path: Path, sents_per_doc: int) -> list[str]:
    """The `# text` lines of a CoNLL-U file joined by one space into documents of `sents_per_doc` sentences."""
    texts = [line[len("# text = "):].strip() for line in path.read_text(encoding="utf8").splitlines() if line.startswith("# text = ")]
    return [" ".join(texts[i : i + sents_per_doc]) for i in range(0, len(texts), sents_per_doc)]


def parsed_units(docs: Iterable[Any], max_length: int) -> SentenceLengths:
    """Lengths of the predicted sentences, cut into chunks of at most `max_length` as the parser does."""
    lengths: list[int] = []
    for doc in docs:
        if not len(doc):
            continue
        for sent in doc.sents:
            n = len(sent)
            lengths.extend([max_length] * (n // max_length) + ([n % max_length] if n % max_length else []))
    return SentenceLengths(lengths)


def gold_units(examples: Sequence[Any], max_length: int) -> SentenceLengths:
    return parsed_units((eg.reference for eg in examples), max_length)


# ----- 3. inference ----------------------------------------------------------------------------------
@dataclass
class StepTimes:
    """Seconds per pipeline step, and per step the seconds each in-place timer counted during it."""

    seconds: dict[str, float]
    inner: dict[str, dict[str, float]]
    words: int

    @property
    def total(self) -> float:
        return sum(self.seconds.values())


def timed_pipe(nlp: Any, texts: Sequence[str], timers: dict[str, "Timed"]) -> StepTimes:
    """`nlp.pipe` step by step (the same batching), timing the tokenizer and each component; the
    `timers` (active around this call) are read before and after each step."""
    steps = ["tokenizer", *nlp.pipe_names]
    seconds = {name: 0.0 for name in steps}
    inner = {name: {t: 0.0 for t in timers} for name in steps}
    size = nlp.batch_size
    words = 0

    def run(name: str, fn: Callable[[], Any]) -> Any:
        before = {t: timer.seconds for t, timer in timers.items()}
        start = time.perf_counter()
        result = fn()
        seconds[name] += time.perf_counter() - start
        for t, timer in timers.items():
            inner[name][t] += timer.seconds - before[t]
        return result

    for batch in minibatch(texts, size=size):
        docs = run("tokenizer", lambda: [nlp.make_doc(text) for text in batch])
        for name, component in nlp.pipeline:
            docs = run(name, lambda: list(component.pipe(docs, batch_size=size)))
        words += sum(len(doc) for doc in docs)
    return StepTimes(seconds, inner, words)


def timed_pass(nlp: Any, texts: Sequence[str], timers: dict[str, "Timed"]) -> StepTimes:
    """One `timed_pipe` pass with every timer active and reset."""
    with contextlib.ExitStack() as stack:
        for timer in timers.values():
            timer.seconds, timer.calls = 0.0, 0
            stack.enter_context(timer)
        return timed_pipe(nlp, texts, timers)


def print_steps(steps: StepTimes, step_macs: dict[str, float], gemm_macs: dict[str, float]) -> None:
    """Per pipeline step: time, share, words/s, its MACs/word, GFLOP/s, its gemm time and rate, decoding time."""
    print(f"{'step':10} {'seconds':>8} {'share':>6} {'words/s':>11} {'MACs/word':>10} {'GFLOP/s':>8} {'gemm s':>7} {'gemm GF/s':>9} {'decode s':>8}")
    for name, sec in steps.seconds.items():
        flops = steps.words * step_macs.get(name, 0.0) * 2
        gemm_s = steps.inner[name].get("gemm", 0.0)
        print(f"{name:10} {sec:8.3f} {sec / steps.total:6.1%} {steps.words / sec:11,.0f} {step_macs.get(name, 0.0):10,.0f} "
              f"{flops / sec / 1e9:8.2f} {gemm_s:7.3f} {(steps.words * gemm_macs.get(name, 0.0) * 2 / gemm_s / 1e9) if gemm_s else 0.0:9.1f} {steps.inner[name].get('decode', 0.0):8.3f}")


def pipe_seconds(nlp: Any, texts: Sequence[str], passes: int = 3) -> tuple[float, int]:
    """Best of `passes` timed `nlp.pipe` passes after one warm-up pass; (seconds, words)."""
    words = sum(len(doc) for doc in nlp.pipe(texts))
    return best_seconds(lambda: sum(1 for _ in nlp.pipe(texts)), passes), words


class Timed:
    """Times every call of `owner.attr` (a module function or a class's method) while active.

    Wrapping the name the caller looks up measures that work in place, without the profiler's
    overhead: `decode_heads` as the parser model calls it, thinc's `Ops.gemm` for every layer."""

    def __init__(self, owner: Any, attr: str) -> None:
        self.owner, self.attr = owner, attr
        self.seconds = 0.0
        self.calls = 0
        self._original: Callable | None = None

    def __enter__(self) -> "Timed":
        self._original = original = getattr(self.owner, self.attr)

        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                self.seconds += time.perf_counter() - start
                self.calls += 1

        setattr(self.owner, self.attr, timed)
        return self

    def __exit__(self, *exc: Any) -> None:
        setattr(self.owner, self.attr, self._original)


# ----- 4. training -----------------------------------------------------------------------------------
def word_batches(examples: Sequence[Any], batch_words: int, n_batches: int) -> list[list[Any]]:
    """`n_batches` batches of consecutive examples (cycling), each of at least `batch_words` words."""
    return list(itertools.islice(_word_batches(itertools.cycle(examples), batch_words), n_batches))


def _word_batches(examples: Iterable[Any], batch_words: int) -> Iterator[list[Any]]:
    batch: list[Any] = []
    words = 0
    for eg in examples:
        batch.append(eg)
        words += len(eg.predicted)
        if words >= batch_words:
            yield batch
            batch, words = [], 0


def timed_updates(nlp: Any, optimizer: Any, batches: Sequence[list[Any]]) -> tuple[float, int]:
    """Seconds and words of one `nlp.update` (dropout 0.1) per batch."""
    start = time.perf_counter()
    for batch in batches:
        nlp.update(batch, drop=0.1, sgd=optimizer)
    return time.perf_counter() - start, sum(len(eg.predicted) for batch in batches for eg in batch)


# ----- BLAS replay -----------------------------------------------------------------------------------
def gemm_floor_seconds(costs: list[LayerCost], rows: int, sents: SentenceLengths, da: int, n_dist: int) -> float:
    """Seconds the layers' matrix products alone take at their real shapes: each per-token layer as one
    (rows x in) @ (in x out) product, the pairwise part as batched (U, n, d) @ (U, d, n) per length."""
    rng = numpy.random.default_rng(0)
    total = 0.0
    for cost in costs:
        if cost.macs_per_word <= 0 or "pairwise" in cost.layer or "distance" in cost.layer:
            continue
        n_in = _in_width(cost)
        n_out = max(int(round(cost.macs_per_word / n_in)), 1)
        x = rng.standard_normal((rows, n_in), dtype=numpy.float32)
        w = rng.standard_normal((n_in, n_out), dtype=numpy.float32)
        total += best_seconds(lambda: x @ w, 3)
    for n, count in sorted(Counter(sents.lengths).items()):
        a = rng.standard_normal((count, n, da + n_dist), dtype=numpy.float32)
        b = rng.standard_normal((count, da + n_dist, n), dtype=numpy.float32)
        total += best_seconds(lambda: numpy.matmul(a, b), 3)
    return total


def _in_width(cost: LayerCost) -> int:
    return int(cost.shape.split("->")[0].strip())


# ----- 5. profile ------------------------------------------------------------------------------------
GEMM_NAMES = ("dot", "matmul", "gemm", "einsum", "tensordot")


def profile(fn: Callable[[], Any]) -> pstats.Stats:
    profiler = cProfile.Profile()
    profiler.enable()
    fn()
    profiler.disable()
    return pstats.Stats(profiler)


def top_functions(stats: pstats.Stats, key: str, top: int) -> list[dict[str, Any]]:
    """The `top` functions by `key` ("tottime" or "cumulative")."""
    column = 2 if key == "tottime" else 3
    rows = sorted(stats.stats.items(), key=lambda item: item[1][column], reverse=True)[:top]
    return [
        {"function": _label(func), "calls": nc, "tottime": round(tt, 4), "cumtime": round(ct, 4)}
        for func, (cc, nc, tt, ct, _) in rows
    ]


def _label(func: tuple[str, int, str]) -> str:
    filename, line, name = func
    if filename == "~":
        return name
    parts = Path(filename).parts
    short = "/".join(parts[-3:]) if "nbnlp" in parts or "thinc" in parts else Path(filename).name
    return f"{short}:{line}({name})"


ARRAY_WORK_PER_CALL = 1e-4  # seconds of self time per call above which a Python frame is doing array work


def time_categories(stats: pstats.Stats) -> dict[str, float]:
    """Profiled self time by kind: BLAS (gemm/dot/matmul calls), numpy C calls (elementwise,
    reductions, copies, thinc's compiled kernels), tree decoding, tokenizer, Python.

    Operators (`a @ b`, `a * b`) are not calls, so their time lands in the Python frame that
    uses them: a Python frame with more than ARRAY_WORK_PER_CALL self time per call counts as
    "array work in Python frames" (operators), the rest as Python overhead."""
    out = {"blas": 0.0, "numpy_c": 0.0, "array_ops_in_python_frames": 0.0, "decode": 0.0, "tokenizer": 0.0, "python_overhead": 0.0}
    for (filename, _, name), (_, calls, tottime, _, _) in stats.stats.items():
        lowered = name.lower()
        if filename.endswith(os.path.join("core", "decode.py")):
            out["decode"] += tottime
        elif filename.endswith("tokenizer.py"):
            out["tokenizer"] += tottime
        elif any(g in lowered for g in GEMM_NAMES) and (filename == "~" or "backends" in filename):
            out["blas"] += tottime
        elif filename == "~" or filename.endswith(".pyx"):
            out["numpy_c"] += tottime
        elif tottime / max(calls, 1) > ARRAY_WORK_PER_CALL:
            out["array_ops_in_python_frames"] += tottime
        else:
            out["python_overhead"] += tottime
    return out


def print_profile(title: str, stats: pstats.Stats, top: int) -> dict[str, Any]:
    figures: dict[str, Any] = {"total_seconds": round(stats.total_tt, 3)}
    for key in ("tottime", "cumulative"):
        rows = top_functions(stats, key, top)
        figures[key] = rows
        print(f"\n{title}: top {top} by {key} (profiled total {stats.total_tt:.2f} s)")
        print(f"{'tottime':>8} {'cumtime':>8} {'calls':>8}  function")
        for r in rows:
            print(f"{r['tottime']:8.3f} {r['cumtime']:8.3f} {r['calls']:8d}  {r['function']}")
    categories = time_categories(stats)
    figures["categories"] = {k: round(v, 4) for k, v in categories.items()}
    total = sum(categories.values()) or 1.0
    print(f"{title}: profiled self time by kind: " + ", ".join(f"{k} {v / total:.0%}" for k, v in categories.items()))
    return figures


# ----- the report ------------------------------------------------------------------------------------
def pin(cpu: int) -> str:
    if cpu >= 0 and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})
    return ",".join(map(str, sorted(os.sched_getaffinity(0)))) if hasattr(os, "sched_getaffinity") else "?"


def where_the_time_goes(total: float, parts: dict[str, float]) -> dict[str, float]:
    """Measured parts and the remainder, as fractions of `total` seconds."""
    rest = max(total - sum(parts.values()), 0.0)
    shares = {**parts, "rest (numpy elementwise, copies, Python)": rest}
    for name, seconds in shares.items():
        print(f"  {name:48} {seconds:7.3f} s  {seconds / total:6.1%}")
    return {k: round(v / total, 4) for k, v in shares.items()}


def print_summary(figures: dict[str, Any], peak: float) -> dict[str, Any]:
    """The roofline in three lines, against the better of the two peak measurements."""
    inference, training = figures["inference"], figures["training"]
    section("summary")
    print(f"peak {peak:.1f} GFLOP/s (best of start {figures['peak_gflops']:.1f} and end {figures['peak_gflops_at_end']:.1f}; shared core)")
    print(f"MACs/word (forward) {figures['macs_per_word']:,}; parser sentences n_eff {figures['parser_units']['n_eff']}")
    summary = {"peak_gflops": peak}
    for name, run in (("inference", inference), ("training", training)):
        fraction = run["gflops"] / peak
        summary[name] = {"words_per_sec": run["words_per_sec"], "gflops": run["gflops"], "fraction_of_peak": round(fraction, 4)}
        print(f"{name:9}: {run['words_per_sec']:>7,} words/s  {run['gflops']:6.2f} GFLOP/s  {fraction:6.1%} of peak; "
              + ", ".join(f"{k} {v:.0%}" for k, v in run["shares"].items()))
    return summary


def section(title: str) -> None:
    print(f"\n== {title} " + "=" * max(0, 90 - len(title)))


def main(args: argparse.Namespace) -> dict[str, Any]:
    cores = pin(args.cpu)
    figures: dict[str, Any] = {"threads": args.threads, "cores": cores, "blas": blas_library()}
    section(f"machine: BLAS {figures['blas']}, {args.threads} thread(s), pinned to core(s) {cores}")
    peak = matmul_peak_gflops()
    figures["peak_gflops"] = round(peak, 1)
    print(f"peak: 2048^3 float32 matmul, best of 7: {peak:.1f} GFLOP/s")

    start = time.perf_counter()
    if args.model:
        nlp, optimizer = nbnlp.load(args.model), None
        print(f"pipeline: {args.model} {nlp.pipe_names}")
    else:
        nlp, optimizer = train_briefly(args.train_steps)
        print(f"pipeline: default tagger+parser config, trained {args.train_steps} steps on the demo corpus "
              f"({time.perf_counter() - start:.0f} s)")
    optimizer = optimizer or nlp.create_optimizer()
    parser = nlp.get_pipe("parser")

    section("3. inference: nlp.pipe over raw EWT test text (timed; its sentences give the pairwise cost)")
    texts = raw_documents(Path(args.test), args.sents_per_doc)
    seconds, words = pipe_seconds(nlp, texts)
    docs = list(nlp.pipe(texts))
    units = parsed_units(docs, parser.max_length)

    section("1. multiply-adds per word (inference, predicted sentences of the test text)")
    costs = layer_costs(nlp, units)
    macs = print_costs(costs)
    figures["macs_per_word"] = round(macs)
    figures["layers"] = [asdict(c) for c in costs]
    figures["parser_units"] = {"count": len(units.lengths), "mean_length": round(units.mean, 2), "n_eff": round(units.pairwise_per_word, 2)}

    section("3. inference: achieved")
    wps = words / seconds
    achieved = wps * macs * 2 / 1e9
    print(f"{len(texts)} docs, {words} words, best of 3 passes after a warm-up: {seconds:.2f} s = {wps:,.0f} words/s")
    print(f"achieved {achieved:.2f} GFLOP/s = {achieved / peak:.1%} of peak ({peak:.1f})")
    timers = {"gemm": Timed(Ops, "gemm"), "decode": Timed(parser_model, "decode_heads")}
    timers.update({name: Timed(parser_model, name) for name in PARSER_PARTS})
    steps = min((timed_pass(nlp, texts, timers) for _ in range(2)), key=lambda st: st.total)
    step_macs = {name: sum(c.macs_per_word for c in costs if c.component == name) for name in steps.seconds}
    print("time by pipeline step (the faster of 2 passes; thinc gemm and tree decoding timed in place):")
    gemm_macs = {name: sum(c.macs_per_word for c in costs if c.component == name and c.kernel == "gemm") for name in steps.seconds}
    print_steps(steps, step_macs, gemm_macs)
    parser_parts = {name: steps.inner["parser"][name] for name in PARSER_PARTS}
    print("parser forward, timed in place: " + ", ".join(f"{k} {v:.3f} s" for k, v in parser_parts.items())
          + " (_heads_for_labels includes decoding)")
    gemm, decode = timers["gemm"], timers["decode"]
    da = parser.model.get_dim("arc")
    floor = gemm_floor_seconds(costs, steps.words, units, da, parser_model.N_DIST)
    print(f"BLAS floor: all the layers' products replayed alone at their shapes ({steps.words} rows): {floor:.3f} s "
          f"= {steps.words * macs * 2 / floor / 1e9:.1f} GFLOP/s; thinc gemm in place: {gemm.seconds:.3f} s in {gemm.calls} calls")
    print("where the time goes (inference):")
    shares = where_the_time_goes(
        steps.total,
        {
            "tokenizer": steps.seconds["tokenizer"],
            "BLAS gemm (thinc Ops.gemm, in place)": gemm.seconds,
            "tree decoding (nbnlp.core.decode)": decode.seconds,
        },
    )
    figures["inference"] = {
        "docs": len(texts), "words": words, "seconds": round(seconds, 3), "words_per_sec": round(wps),
        "gflops": round(achieved, 3), "fraction_of_peak": round(achieved / peak, 4),
        "step_seconds": {k: round(v, 3) for k, v in steps.seconds.items()},
        "step_timers": {k: {t: round(v, 3) for t, v in d.items()} for k, d in steps.inner.items()},
        "gemm_seconds": round(gemm.seconds, 3), "gemm_calls": gemm.calls, "gemm_floor_seconds": round(floor, 3),
        "decode_seconds": round(decode.seconds, 3), "decode_calls": decode.calls, "shares": shares,
    }

    section(f"4. training: nlp.update on batches of >= {args.batch_words} words (demo corpus, {args.sents_per_doc}-sentence docs)")
    examples = training_examples(nlp, args.sents_per_doc)
    batches = word_batches(examples, args.batch_words, args.update_steps + 1)
    train_units = gold_units([eg for b in batches[1:] for eg in b], parser.max_length)
    train_macs = sum(c.macs_per_word for c in layer_costs(nlp, train_units))
    timed_updates(nlp, optimizer, batches[:1])  # warm-up
    with Timed(Ops, "gemm") as train_gemm, Timed(Ops, "get_dropout_mask") as dropout:
        train_seconds, train_words = timed_updates(nlp, optimizer, batches[1:])
    train_wps = train_words / train_seconds
    train_gflops = train_wps * train_macs * 2 * TRAIN_FACTOR / 1e9
    print(f"{len(batches) - 1} steps, {train_words} words: {train_seconds:.2f} s = {train_wps:,.0f} words/s, "
          f"{train_seconds / (len(batches) - 1) * 1000:.0f} ms/step")
    print(f"forward MACs/word on gold sentences (n_eff {train_units.pairwise_per_word:.1f}): {train_macs:,.0f}; "
          f"counted x{TRAIN_FACTOR:g} for forward+backward")
    print(f"achieved {train_gflops:.2f} GFLOP/s = {train_gflops / peak:.1%} of peak")
    print("where the time goes (training):")
    train_shares = where_the_time_goes(
        train_seconds,
        {"BLAS gemm (thinc Ops.gemm, in place)": train_gemm.seconds, "dropout masks (thinc get_dropout_mask)": dropout.seconds},
    )
    figures["training"] = {
        "steps": len(batches) - 1, "words": train_words, "seconds": round(train_seconds, 3), "words_per_sec": round(train_wps),
        "forward_macs_per_word": round(train_macs), "factor": TRAIN_FACTOR, "gflops": round(train_gflops, 3),
        "fraction_of_peak": round(train_gflops / peak, 4), "gemm_seconds": round(train_gemm.seconds, 3),
        "dropout_mask_seconds": round(dropout.seconds, 3), "shares": train_shares,
    }

    section("5. profiles")
    sample = texts[: args.profile_docs]
    figures["profile_pipe"] = print_profile(f"nlp.pipe ({len(sample)} docs)", profile(lambda: list(nlp.pipe(sample))), args.top)
    few = batches[1:6]
    update_stats = profile(lambda: [nlp.update(b, drop=0.1, sgd=optimizer) for b in few])
    figures["profile_update"] = print_profile(f"nlp.update ({len(few)} steps)", update_stats, args.top)
    figures["peak_gflops_at_end"] = round(matmul_peak_gflops(), 1)
    figures["summary"] = print_summary(figures, max(peak, figures["peak_gflops_at_end"]))
    return figures


if __name__ == "__main__":
    started = time.perf_counter()
    results = main(ARGS)
    results["script_seconds"] = round(time.perf_counter() - started, 1)
    print(f"\nscript ran {results['script_seconds']} s")
    if ARGS.output:
        Path(ARGS.output).write_text(json.dumps(results, indent=2) + "\n", encoding="utf8")
