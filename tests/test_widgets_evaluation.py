"""The evaluation view on pipelines trained briefly on the demo corpus: scores, per-label tables, confusion matrices."""
from __future__ import annotations

import base64
import io
import re
from itertools import islice

import numpy as np
import pytest

import nbnlp
from nbnlp.core.commands.evaluate import EvaluationResult, evaluate
from nbnlp.core.commands.init_config import init_config
from nbnlp.core.training import train
from nbnlp.data import demo_path
from nbnlp.core.scores.confusion import NONE_LABEL, OTHER_LABEL, available_kinds, confusion_matrix, top_labels
from nbnlp.core.scores.display import format_score
from nbnlp.core.scores.per_label import per_label_tables
from nbnlp.widgets.evaluation import EvaluationView, confusion_matrix_png, evaluation_html

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _train(pipeline: list[str], corpus: str, steps: int) -> nbnlp.Language:
    config = init_config(
        pipeline=pipeline, train_path=str(demo_path(f"{corpus}-train")), dev_path=str(demo_path(f"{corpus}-dev")),
        max_steps=steps, eval_frequency=steps,
    )
    return train(config, None, stdout=io.StringIO()).nlp


def _evaluate_slice(nlp: nbnlp.Language, corpus: str, n: int) -> EvaluationResult:
    """Evaluate on the first n dev docs, over the gold tokens."""
    refs = list(islice(nbnlp.load_docs(demo_path(f"{corpus}-dev"), vocab=nlp.vocab), n))
    examples = [nbnlp.Example(nbnlp.Doc.from_orths(nlp.vocab, r.arrays["ORTH"], r.arrays["SPACY"]), r) for r in refs]
    scores, annotated = nlp.evaluate_examples(examples)
    return EvaluationResult(scores, annotated, sum(len(eg.predicted) for eg in annotated))


@pytest.fixture(scope="module")
def parser_nlp() -> nbnlp.Language:
    return _train(["tagger", "parser"], "ewt", 40)


@pytest.fixture(scope="module")
def parsed(parser_nlp: nbnlp.Language) -> EvaluationResult:
    return _evaluate_slice(parser_nlp, "ewt", 120)


@pytest.fixture(scope="module")
def ner_result() -> EvaluationResult:
    return evaluate(_train(["ner"], "uner", 150), demo_path("uner-dev"), gold_preproc=True)


@pytest.fixture(scope="module")
def textcat_result() -> EvaluationResult:
    return evaluate(_train(["textcat"], "sms", 300), demo_path("sms-dev"))


def _scores_table_values(markup: str) -> dict[str, str]:
    table = re.search(r'<table class="nbnlp-scores".*?</table>', markup, re.S)
    assert table, "no scores table"
    rows = re.findall(r"<tr><td[^>]*>[^<]*</td><td[^>]*>([^<]+)</td><td[^>]*>([^<]+)</td></tr>", table.group(0))
    return dict(rows)


def _per_label_rows(markup: str, key: str) -> dict[str, list[str]]:
    block = re.search(rf'<details class="nbnlp-per-label" data-key="{key}".*?</details>', markup, re.S)
    assert block, f"no per-label table {key}"
    rows = re.findall(r"<tr>((?:<td[^>]*>[^<]*</td>)+)</tr>", block.group(0))
    cells = [re.findall(r"<td[^>]*>([^<]*)</td>", row) for row in rows]
    return {c[0]: c[1:] for c in cells}


def test_scores_table_shows_the_reported_scores(parsed: EvaluationResult) -> None:
    markup = evaluation_html(parsed)
    assert markup.startswith('<div class="nbnlp-eval"') and "<script" not in markup
    shown = _scores_table_values(markup)
    for key in ("token_acc", "tag_acc", "dep_uas", "dep_las", "sents_p", "sents_r", "sents_f"):
        value = parsed.scores[key]
        assert shown[key] == f"{100 * value:.2f}", key
    assert re.fullmatch(r"[\d,]+ words/s", shown["speed"])
    assert 0 < parsed.scores["tag_acc"] < 1 and shown["tag_acc"] != "100.00"
    assert format_score("speed", 12345.6, unit=True) == "12,346 words/s" and format_score("ents_f", None) == "–"


def test_per_label_tables_list_real_labels(parsed: EvaluationResult) -> None:
    markup = evaluation_html(parsed)
    deps = _per_label_rows(markup, "dep_las_per_type")
    tags = _per_label_rows(markup, "tag_per_type")
    assert "nsubj" in deps and "det" in deps and "NN" in tags and "DT" in tags
    nsubj = parsed.scores["dep_las_per_type"]["nsubj"]
    assert deps["nsubj"][:3] == [f"{100 * nsubj[m]:.2f}" for m in "prf"]
    gold_nsubj = sum(
        1 for eg in parsed.examples for t in eg.reference if t.dep_ == "nsubj" and eg.reference.arrays["HEAD"][t.i] >= 0
    )
    assert int(deps["nsubj"][3]) == gold_nsubj > 0
    # Per-tag counts: supports add up to the gold tokens, and the recall over all tags is tag_acc.
    title, _, rows = per_label_tables(parsed)["tag_per_type"]
    n_gold = sum(int(np.count_nonzero(eg.reference.arrays["TAG"])) for eg in parsed.examples)
    assert sum(r.support for r in rows) == n_gold
    assert sum(r.r * r.support for r in rows) / n_gold == pytest.approx(parsed.scores["tag_acc"])
    nn = next(r for r in rows if r.label == "NN")
    assert tags["NN"] == [f"{100 * nn.p:.2f}", f"{100 * nn.r:.2f}", f"{100 * nn.f:.2f}", str(nn.support)]
    assert "pos_per_type" not in per_label_tables(parsed)  # the pipeline predicts no POS


def test_tag_confusion_matrix_matches_the_scores(parsed: EvaluationResult) -> None:
    labels, counts = confusion_matrix(parsed, "tag")
    n_gold = sum(int(np.count_nonzero(eg.reference.arrays["TAG"])) for eg in parsed.examples)
    assert counts.shape == (len(labels), len(labels)) and "NN" in labels
    assert counts.sum() == n_gold  # same tokens: every gold-tagged token is aligned
    assert np.trace(counts) / n_gold == pytest.approx(parsed.scores["tag_acc"])
    freq = counts.sum(axis=0) + counts.sum(axis=1)
    assert list(freq) == sorted(freq, reverse=True)  # most frequent labels first
    nn = labels.index("NN")
    gold_nn = sum(1 for eg in parsed.examples for t in eg.reference if t.tag_ == "NN")
    assert counts[nn].sum() == gold_nn


def test_tag_confusion_matrix_through_the_alignment(parser_nlp: nbnlp.Language) -> None:
    raw = evaluate(parser_nlp, demo_path("ewt-dev"))  # our tokenizer: some tokens differ from the gold ones
    assert raw.scores["token_acc"] < 1.0
    labels, counts = confusion_matrix(raw, "tag")
    aligned = sum(
        int(np.count_nonzero((eg.alignment.x2y_one_to_one >= 0) & (eg.get_aligned_ids("TAG") >= 0))) for eg in raw.examples
    )
    n_gold = sum(int(np.count_nonzero(eg.reference.arrays["TAG"])) for eg in raw.examples)
    assert counts.sum() == aligned < n_gold
    assert np.trace(counts) / n_gold == pytest.approx(raw.scores["tag_acc"])


def test_confusion_png_is_a_png_limited_to_top_labels(parsed: EvaluationResult) -> None:
    import matplotlib.pyplot as plt

    labels, counts = confusion_matrix(parsed, "dep")
    assert len(labels) > 12 and "nsubj" in labels
    small_labels, small = top_labels(labels, counts, 8)
    assert small_labels[-1] == OTHER_LABEL and len(small_labels) == 9 and small.sum() == counts.sum()
    assert small_labels[:8] == labels[:8]  # labels arrive sorted by frequency
    figures_before = plt.get_fignums()
    png = confusion_matrix_png(labels, counts, "Dependency labels", top_n=8)
    assert png.startswith(PNG_SIGNATURE) and len(png) > 2000
    assert plt.get_fignums() == figures_before  # no pyplot figure left behind


def test_entity_confusion_matrix_has_none_and_matches_per_type(ner_result: EvaluationResult) -> None:
    per_type = ner_result.scores["ents_per_type"]
    labels, counts = confusion_matrix(ner_result, "ents")
    assert labels[-1] == NONE_LABEL and counts[-1, -1] == 0
    assert {"LOC", "PER", "ORG"} <= set(labels)
    for k, label in enumerate(labels[:-1]):
        gold, pred, right = counts[k].sum(), counts[:, k].sum(), counts[k, k]
        if label in per_type:
            assert (right / gold if gold else 0.0) == pytest.approx(per_type[label]["r"]), label
            assert (right / pred if pred else 0.0) == pytest.approx(per_type[label]["p"]), label
    assert counts[:-1, -1].sum() > 0  # the briefly trained model misses entities
    gold_ents = sum(len(eg.reference.ents) for eg in ner_result.examples)
    assert counts[:-1].sum() == gold_ents
    markup = evaluation_html(ner_result)
    assert set(_per_label_rows(markup, "ents_per_type")) == set(per_type)


def test_cats_confusion_matrix_and_table(textcat_result: EvaluationResult) -> None:
    labels, counts = confusion_matrix(textcat_result, "cats")
    assert set(labels) == {"ham", "spam"}
    assert np.trace(counts) / counts.sum() == pytest.approx(textcat_result.scores["cats_accuracy"])
    rows = _per_label_rows(evaluation_html(textcat_result), "cats_f_per_type")
    n_spam = sum(1 for eg in textcat_result.examples if eg.reference.cats.get("spam", 0) >= 0.5)
    assert int(rows["spam"][3]) == n_spam == counts[labels.index("spam")].sum()
    assert available_kinds(textcat_result) == ["cats"]


def test_evaluation_view_embeds_confusion_images(parsed: EvaluationResult, ner_result: EvaluationResult, monkeypatch: pytest.MonkeyPatch) -> None:
    view = EvaluationView(parsed)
    assert view.kinds == ["tag", "dep"]
    markup = view._repr_html_()
    images = re.findall(r'<img class="nbnlp-confusion" alt="[^"]*" src="data:image/png;base64,([^"]+)"', markup)
    assert len(images) == 2 and all(base64.b64decode(data).startswith(PNG_SIGNATURE) for data in images)
    assert 'class="nbnlp-scores"' in markup and markup.count('class="nbnlp-per-label"') == 2
    assert EvaluationView(ner_result).kinds == ["ents"]
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append(obj))
    view.show()
    assert len(shown) == 1 and shown[0].data == markup


def test_confusion_matrix_rejects_unknown_kind(parsed: EvaluationResult) -> None:
    with pytest.raises(ValueError, match="unknown kind 'lemma'.*tag, pos, dep, ents, cats"):
        confusion_matrix(parsed, "lemma")


def test_evaluation_html_uses_the_theme_colours(parsed: EvaluationResult) -> None:
    """Text, muted text and borders come from JupyterLab's CSS variables (with light fallbacks), so the tables read in
    the dark theme; the CSS classes stay."""
    markup = evaluation_html(parsed)
    assert markup.startswith('<div class="nbnlp-eval"') and 'class="nbnlp-scores"' in markup
    assert "color:var(--jp-content-font-color1, #1f2937)" in markup and "color:var(--jp-content-font-color2, #6b7280)" in markup
    assert "border-bottom:1px solid var(--jp-border-color2, #e5e7eb)" in markup
    assert not re.search(r"(?<![\w-])color:#", markup)  # no fixed text colour left
