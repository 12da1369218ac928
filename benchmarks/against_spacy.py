"""Drive spaCy from nbnlp's benchmarks without importing it: each call runs `spacy_side.py` under
another Python (a venv with spacy==3.8.18) pinned to its own core, and returns the JSON it prints.

Why a subprocess: spaCy is never an nbnlp dependency, and the two systems must not share a
process, a core or BLAS threads while they are timed. Every spaCy run is
`taskset -c 1 PYTHON benchmarks/spacy_side.py ...` with OPENBLAS/OMP/MKL_NUM_THREADS=1; the
caller pins its own process to core 0 (`pin_self_to_core(0)`) and limits its BLAS threads
(`one_blas_thread()`, before numpy is imported). Importing this module imports neither numpy nor
nbnlp; the scoring helpers import nbnlp when called.

Functions (PYTHON is the spaCy venv's interpreter, e.g. /work/spacy-venv/bin/python):

  prepare(python, data_dir, out, *, pipeline="tagger,parser", n_sents=10, max_steps=4000) -> dict
      Converted corpora + protocol config; keys config, train, dev, test (paths), pipeline, ...
      data_dir holds {train,dev,test}.conllu, or for pipeline="ner" UNER {dev,test}.iob2
      (train = dev, evaluation = test).
  start_training(python, config, output, *, max_steps=None, max_seconds=None, log=None) -> SpacyRun
      Starts `spacy train` and returns at once; `.wait()` gives {seconds, init_seconds,
      loop_seconds, steps, epochs, words, train_words_per_sec, peak_rss_mib, model_best,
      model_last}. `train(...)` is the same, waited for.
  predict(python, model, inputs, *, gold_tokens=False) -> list[dict]
      inputs: texts, or nbnlp Docs / (words, spaces) pairs for gold tokens. One dict per input:
      words, spaces, tags, pos, heads, deps, sent_starts, entities [[start_char, end_char, label]].
  evaluate(python, model, data_spacy, *, gold_preproc=False) -> dict   `spacy evaluate`'s scores.
  speed(python, model, inputs) -> dict            nlp.pipe, best of 2 after a warm-up: words_per_sec.
  tokenizer_speed(python, texts, *, repeats=5, model=None) -> dict
      cold_tokens_per_s, warm_tokens_per_s, iterate_tokens_per_s, n_tokens, ...
  score_spacy_predictions(predictions, gold_docs) -> dict
      spaCy's output (list from predict, or its JSONL path) as nbnlp Docs, scored by nbnlp's scorer
      against `gold_docs` (nbnlp reference Docs, same order): token_acc/p/r/f, tag_acc, pos_acc,
      dep_uas, dep_las, dep_las_per_type, sents_p/r/f, ents_p/r/f, ents_per_type (those spaCy predicted).
  raw_documents(conllu, k) -> (texts, gold_docs)
      The protocol's raw documents: `# text` lines of k consecutive sentences joined by one space
      (k=None: one document of everything), and the gold Docs of the same sentences.
  compare_with_load_docs(conllu, k) -> dict       where nbnlp.load_docs(n_sents=k) groups differently.
  ratios(ours, theirs, keys) -> dict              ours / theirs for each numeric key both have.

Typical use (ewt.py):
    import against_spacy as vs
    vs.one_blas_thread()                  # first, before numpy/nbnlp are imported
    vs.pin_self_to_core(0)
    prep = vs.prepare(PY, data, work)
    run = vs.start_training(PY, prep["config"], work / "spacy-out")
    ... train nbnlp on core 0 ...
    spacy_train = run.wait()
    model = spacy_train["model_best"] or spacy_train["model_last"]
    texts, golds = vs.raw_documents(data / "test.conllu", 10)
    raw_scores = vs.score_spacy_predictions(vs.predict(PY, model, texts), golds)
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path
from typing import IO, Any, Iterable, Sequence

SCRIPT = Path(__file__).resolve().with_name("spacy_side.py")
SPACY_CORE = 1
NBNLP_CORE = 0
BLAS_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


# ----- pinning -----------------------------------------------------------------------------------
def pin_self_to_core(core: int = NBNLP_CORE) -> None:
    """Keep this process (and threads it starts later) on one core, away from spaCy's."""
    os.sched_setaffinity(0, {core})


def one_blas_thread() -> str:
    """One BLAS/OpenMP thread for this process; returns how it was done.

    BLAS libraries read their thread count when numpy loads them, so environment variables only
    work before the first numpy import; afterwards threadpoolctl (if installed) can still cap them.
    """
    if "numpy" not in sys.modules:
        os.environ.update(BLAS_ENV)
        return "environment (set before numpy was imported)"
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        warnings.warn("numpy is already imported and threadpoolctl is not installed: BLAS may use several threads; "
                      "call one_blas_thread() before importing numpy/nbnlp or export " + " ".join(f"{k}=1" for k in BLAS_ENV))
        return "not limited"
    threadpool_limits(1)
    return "threadpoolctl"


def pinned_command(python: str, args: Sequence[str], core: int = SPACY_CORE) -> list[str]:
    return ["taskset", "-c", str(core), str(python), str(SCRIPT), *map(str, args)]


def pinned_env() -> dict[str, str]:
    return {**os.environ, **BLAS_ENV}


# ----- running spacy_side.py -----------------------------------------------------------------------
def _parse(stdout: str, command: list[str]) -> dict[str, Any]:
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines:
        raise RuntimeError(f"no JSON from {' '.join(command)}")
    return json.loads(lines[-1])


class SpacyRun:
    """A spacy_side.py process still running (e.g. training while nbnlp trains on the other core)."""

    def __init__(self, args: Sequence[str], python: str, *, log: str | Path | None = None, core: int = SPACY_CORE) -> None:
        self.command = pinned_command(python, args, core)
        self._log: IO[str] | None = open(log, "w", encoding="utf8") if log else None
        self.popen = subprocess.Popen(self.command, env=pinned_env(), stdout=subprocess.PIPE,
                                      stderr=self._log or None, text=True)
        self.pid = self.popen.pid

    def poll(self) -> int | None:
        return self.popen.poll()

    def wait(self, timeout: float | None = None) -> dict[str, Any]:
        """Wait for the end and return its JSON; raises if it failed."""
        stdout, _ = self.popen.communicate(timeout=timeout)
        if self._log:
            self._log.close()
        if self.popen.returncode:
            raise subprocess.CalledProcessError(self.popen.returncode, self.command, stdout)
        return _parse(stdout, self.command)

    def terminate(self) -> None:
        self.popen.terminate()


def run(python: str, *args: Any, log: str | Path | None = None) -> dict[str, Any]:
    """Run one spacy_side.py subcommand pinned to spaCy's core; its progress goes to our stderr (or `log`)."""
    return SpacyRun([str(a) for a in args], python, log=log).wait()


def prepare(python: str, data_dir: str | Path, out: str | Path, *, pipeline: str = "tagger,parser",
            n_sents: int = 10, max_steps: int = 4000) -> dict[str, Any]:
    return run(python, "prepare", "--data-dir", data_dir, "--out", out, "--pipeline", pipeline,
               "--n-sents", n_sents, "--max-steps", max_steps)


def start_training(python: str, config: str | Path, output: str | Path, *, max_steps: int | None = None,
                   max_seconds: float | None = None, log: str | Path | None = None) -> SpacyRun:
    args = ["train", "--config", str(config), "--output", str(output)]
    if max_steps is not None:
        args += ["--max-steps", str(max_steps)]
    if max_seconds is not None:
        args += ["--max-seconds", str(max_seconds)]
    return SpacyRun(args, python, log=log)


def train(python: str, config: str | Path, output: str | Path, **kwargs: Any) -> dict[str, Any]:
    return start_training(python, config, output, **kwargs).wait()


def _input_row(item: Any) -> dict[str, Any]:
    """A text, an nbnlp Doc (its words and spaces), or a (words, spaces) pair -> one JSONL row."""
    if isinstance(item, str):
        return {"text": item}
    if hasattr(item, "arrays") and hasattr(item, "words"):
        return {"words": item.words, "spaces": [bool(s) for s in item.arrays["SPACY"].tolist()]}
    words, spaces = item
    return {"words": list(words), "spaces": [bool(s) for s in spaces]}


def write_inputs(inputs: Iterable[Any], path: str | Path) -> Path:
    path = Path(path)
    with open(path, "w", encoding="utf8") as f:
        for item in inputs:
            f.write(json.dumps(_input_row(item)) + "\n")
    return path


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf8") as f:
        return [json.loads(line) for line in f if line.strip()]


def predict(python: str, model: str | Path, inputs: Iterable[Any], *, gold_tokens: bool = False) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as tmp:
        texts = write_inputs(inputs, Path(tmp) / "in.jsonl")
        out = Path(tmp) / "out.jsonl"
        run(python, "predict", model, "--texts", texts, "--out", out, *(["--gold-tokens"] if gold_tokens else []))
        return read_jsonl(out)


def evaluate(python: str, model: str | Path, data_spacy: str | Path, *, gold_preproc: bool = False) -> dict[str, Any]:
    return run(python, "evaluate", model, data_spacy, *(["--gold-preproc"] if gold_preproc else []))


def speed(python: str, model: str | Path, inputs: Iterable[Any]) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        return run(python, "speed", model, "--texts", write_inputs(inputs, Path(tmp) / "in.jsonl"))


def tokenizer_speed(python: str, texts: Iterable[str], *, repeats: int = 5, model: str | Path | None = None) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = write_inputs(texts, Path(tmp) / "in.jsonl")
        return run(python, "tokenizer-speed", "--texts", path, "--repeats", repeats, *(["--model", model] if model else []))


# ----- scoring spaCy's output with nbnlp's scorer ------------------------------------------------------
def doc_from_prediction(vocab: Any, row: dict[str, Any]) -> Any:
    """An nbnlp Doc carrying spaCy's tokens and annotation ("" labels read as missing, dep labels lowercased)."""
    import nbnlp

    def labels(key: str) -> list[str | None] | None:
        values = row.get(key)
        if values is None or not any(values):
            return None
        return [v or None for v in values]

    deps = labels("deps")
    if deps is not None:  # spaCy names the root "ROOT" where UD says "root"; its own scorer lowercases too
        deps = [d.lower() if d else None for d in deps]
    doc = nbnlp.Doc(vocab, words=row["words"], spaces=row["spaces"], tags=labels("tags"), pos=labels("pos"),
                    heads=row.get("heads"), deps=deps, sent_starts=row.get("sent_starts"))
    if row.get("entities") is not None:
        spans = [doc.char_span(start, end, label) for start, end, label in row["entities"]]
        if any(span is None for span in spans):
            raise ValueError(f"a spaCy entity does not fall on token boundaries: {row['entities']}")
        doc.ents = spans
    return doc


def score_spacy_predictions(predictions: str | Path | Sequence[dict[str, Any]], gold_docs: Sequence[Any]) -> dict[str, Any]:
    """nbnlp's scores of spaCy's predictions against nbnlp's gold Docs (the same scorer as for nbnlp)."""
    from nbnlp.core.example import Example
    from nbnlp.core.scorer import score_token_attr, score_tokenization
    from nbnlp.core.scores.ner import score_ents
    from nbnlp.core.scores.parser import score_parse

    rows = read_jsonl(predictions) if isinstance(predictions, (str, Path)) else list(predictions)
    if len(rows) != len(gold_docs):
        raise ValueError(f"{len(rows)} predictions for {len(gold_docs)} gold docs")
    examples = [Example(doc_from_prediction(gold.vocab, row), gold) for row, gold in zip(rows, gold_docs)]
    has = {key: any(row.get(key) and any(row[key]) for row in rows) for key in ("tags", "pos", "heads", "entities")}
    has["entities"] = any(row.get("entities") is not None for row in rows)
    scores: dict[str, Any] = dict(score_tokenization(examples))
    if has["tags"]:
        scores.update(score_token_attr(examples, "TAG"))
    if has["pos"]:
        scores.update(score_token_attr(examples, "POS"))
    if has["heads"]:
        scores.update(score_parse(examples))
    if has["entities"]:
        scores.update(score_ents(examples))
    return scores


# ----- the protocol's raw documents ------------------------------------------------------------------
def _groups(items: list[Any], k: int | None) -> list[list[Any]]:
    size = k or len(items)
    return [items[i:i + size] for i in range(0, len(items), size)]


def raw_documents(conllu: str | Path, k: int | None, *, vocab: Any = None) -> tuple[list[str], list[Any]]:
    """Texts of k consecutive sentences (their `# text` lines joined by one space; k=None: all in one)
    and the gold Docs of those sentences (nbnlp.Doc.from_docs), as `spacy convert -n k` groups them:
    by count only, ignoring `# newdoc`."""
    import nbnlp

    sentences = list(nbnlp.load_docs(conllu, vocab=vocab))
    texts, golds = [], []
    for group in _groups(sentences, k):
        texts.append(" ".join(doc.user_data.get("text") or doc.text for doc in group))
        golds.append(nbnlp.Doc.from_docs(group))
    return texts, golds


def compare_with_load_docs(conllu: str | Path, k: int) -> dict[str, Any]:
    """How nbnlp.load_docs(n_sents=k) documents differ from the protocol's k-sentence joins."""
    import nbnlp

    sentences = list(nbnlp.load_docs(conllu))
    grouped = list(nbnlp.load_docs(conllu, n_sents=k))
    joined_own = [" ".join(d.user_data.get("text") or d.text for d in g) for g in _groups(sentences, k)]
    # The same grouping as load_docs (a `# newdoc` starts a new document), joined from `# text`.
    by_newdoc: list[list[Any]] = []
    for doc in sentences:
        if not by_newdoc or len(by_newdoc[-1]) >= k or doc.user_data.get("newdoc"):
            by_newdoc.append([])
        by_newdoc[-1].append(doc)
    joined_newdoc = [" ".join(d.user_data.get("text") or d.text for d in g) for g in by_newdoc]
    text_diffs = [(i, a, b.text) for i, (a, b) in enumerate(zip(joined_newdoc, grouped)) if a != b.text]
    return {
        "k": k,
        "protocol_docs": len(joined_own),
        "load_docs_docs": len(grouped),
        "same_grouping": len(joined_own) == len(grouped) and all(a == b.text for a, b in zip(joined_own, grouped)),
        "load_docs_text_differs_from_joined_text": len(text_diffs),
        "examples": [{"doc": i, "joined": a, "doc_text": b} for i, a, b in text_diffs[:3]],
    }


def ratios(ours: dict[str, Any], theirs: dict[str, Any], keys: Iterable[str]) -> dict[str, float | None]:
    """ours / theirs for each key (None where either is missing or theirs is 0)."""
    out: dict[str, float | None] = {}
    for key in keys:
        a, b = ours.get(key), theirs.get(key)
        out[key] = round(a / b, 4) if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else None
    return out
