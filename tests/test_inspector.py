"""The example inspector on pipelines trained briefly on the demo corpus: error counts, filters, browsing, markup."""
from __future__ import annotations

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
from nbnlp.widgets.inspector import ExampleInspector, count_errors, find_errors, render_example_html

N_DOCS = 60


def _train(pipeline: list[str], corpus: str, steps: int) -> nbnlp.Language:
    config = init_config(
        pipeline=pipeline, train_path=str(demo_path(f"{corpus}-train")), dev_path=str(demo_path(f"{corpus}-dev")),
        max_steps=steps, eval_frequency=steps,
    )
    return train(config, None, stdout=io.StringIO()).nlp


def _copy_gold(eg: nbnlp.Example) -> None:
    """Make the prediction of a same-tokens example perfect (tags and parse)."""
    for column in ("TAG", "HEAD", "DEP"):
        eg.predicted.arrays[column] = eg.reference.arrays[column].copy()


@pytest.fixture(scope="module")
def parser_nlp() -> nbnlp.Language:
    return _train(["tagger", "parser"], "ewt", 40)


@pytest.fixture(scope="module")
def parsed(parser_nlp: nbnlp.Language) -> EvaluationResult:
    """A dev slice over the gold tokens, where every third prediction is replaced by the gold annotation."""
    refs = list(islice(nbnlp.load_docs(demo_path("ewt-dev"), vocab=parser_nlp.vocab), N_DOCS))
    examples = [nbnlp.Example(nbnlp.Doc.from_orths(parser_nlp.vocab, r.arrays["ORTH"], r.arrays["SPACY"]), r) for r in refs]
    scores, annotated = parser_nlp.evaluate_examples(examples)
    for eg in annotated[::3]:
        _copy_gold(eg)
    return EvaluationResult(scores, annotated, sum(len(eg.predicted) for eg in annotated))


@pytest.fixture(scope="module")
def ner_result() -> EvaluationResult:
    return evaluate(_train(["ner"], "uner", 150), demo_path("uner-dev"))


def test_count_errors_agrees_with_the_scorer(parser_nlp: nbnlp.Language) -> None:
    raw = evaluate(parser_nlp, demo_path("ewt-dev"))  # our tokenizer: some tokens differ from the gold ones
    n_gold = sum(int(np.count_nonzero(eg.reference.arrays["TAG"])) for eg in raw.examples)
    found = [find_errors(eg) for eg in raw.examples]
    wrong_aligned = sum(len(e.tags) for e in found)
    unaligned = sum(
        int(np.count_nonzero((eg.alignment.y2x_one_to_one < 0) & (eg.reference.arrays["TAG"] != 0))) for eg in raw.examples
    )
    assert unaligned > 0  # the tokenizations differ somewhere
    assert (wrong_aligned + unaligned) / n_gold == pytest.approx(1 - raw.scores["tag_acc"])
    assert sum(len(e.misaligned_y) for e in found) >= unaligned
    for eg, e in zip(raw.examples, found):
        one = eg.alignment.x2y_one_to_one
        assert all(one[i] >= 0 for i in e.tags | e.arcs)  # only aligned tokens are compared
        assert count_errors(eg) == len(e.tags) + len(e.arcs) + len(e.misaligned_y) == e.total
    # Misaligned tokens are marked on both sides.
    k = next(i for i, e in enumerate(found) if e.misaligned_x)
    markup = render_example_html(raw.examples[k])
    gold_side, pred_side = markup.split('class="nbnlp-pred"')
    for side in (gold_side, pred_side):
        assert re.search(r'<text class="nbnlp-word nbnlp-misaligned"', side)


def test_errors_only_keeps_exactly_the_examples_with_errors(parsed: EvaluationResult) -> None:
    counts = [count_errors(eg) for eg in parsed.examples]
    assert counts[::3] == [0] * len(counts[::3])  # the gold copies
    with_errors = [i for i, c in enumerate(counts) if c > 0]
    assert 0 < len(with_errors) < len(counts)
    inspector = ExampleInspector(parsed, errors_only=True)
    assert inspector.visible_indices == with_errors and inspector.error_counts == counts
    inspector.set_view(errors_only=False)
    assert inspector.visible_indices == list(range(len(counts)))


def test_search_filters_by_text(parsed: EvaluationResult) -> None:
    inspector = ExampleInspector(parsed.examples)
    inspector.set_view(query="THE")
    expected = [i for i, eg in enumerate(parsed.examples) if "the" in eg.text.lower()]
    assert inspector.visible_indices == expected and 0 < len(expected) < N_DOCS
    inspector.set_view(errors_only=True)
    assert inspector.visible_indices == [i for i in expected if count_errors(parsed.examples[i])]
    inspector.set_view(query="no such text anywhere")
    assert inspector.visible_indices == [] and inspector.current_index is None
    assert inspector.position_text == "0 of 0" and "No examples match" in inspector.render_current()


def test_next_and_prev_move_and_clamp(parsed: EvaluationResult) -> None:
    inspector = ExampleInspector(parsed, errors_only=True)
    n = len(inspector.visible_indices)
    assert inspector.position_text == f"1 of {n}"
    inspector.prev()
    assert inspector.position == 0
    inspector.next()
    inspector.next()
    assert inspector.position_text == f"3 of {n}" and inspector.current_index == inspector.visible_indices[2]
    inspector.go(10_000)
    assert inspector.position == n - 1
    inspector.next()
    assert inspector.position_text == f"{n} of {n}"
    inspector.prev()
    assert inspector.position == n - 2


def test_sort_puts_most_errors_first(parsed: EvaluationResult) -> None:
    inspector = ExampleInspector(parsed)
    inspector.next()
    inspector.set_view(sort="errors")
    order = inspector.visible_indices
    counts = [inspector.error_counts[i] for i in order]
    assert sorted(order) == list(range(N_DOCS)) and counts == sorted(counts, reverse=True)
    assert counts[0] == max(inspector.error_counts) > counts[-1] == 0
    ties = [i for i in order if inspector.error_counts[i] == 0]
    assert ties == sorted(ties)  # document order among equals
    assert inspector.position == 0 and inspector.current_index == order[0]
    with pytest.raises(ValueError, match="unknown sort 'random'"):
        inspector.set_view(sort="random")


def test_rendered_html_marks_a_planted_tag_and_arc_error(parsed: EvaluationResult) -> None:
    eg = next(eg for eg in parsed.examples[::3] if len(eg) >= 5).copy()  # a gold copy: no errors
    assert count_errors(eg) == 0 and "nbnlp-wrong" not in render_example_html(eg)
    k = 1
    gold_tag = eg.reference[k].tag_
    eg.predicted.arrays["TAG"][k] = eg.predicted.vocab.strings.add("PLANTED")
    assert count_errors(eg) == 1
    markup = render_example_html(eg, title="planted")
    gold_side, pred_side = markup.split('class="nbnlp-pred"')
    assert re.search(r'<text class="nbnlp-tag nbnlp-wrong"[^>]*>PLANTED</text>', pred_side)
    assert re.search(rf'<text class="nbnlp-tag nbnlp-wrong"[^>]*>{re.escape(gold_tag)}</text>', gold_side)
    assert 'data-errors="1"' in markup and "1 error: 1 tag" in markup
    # A wrong head: the arc into that token turns red on both sides.
    heads = eg.predicted.arrays["HEAD"]
    j = next(i for i in range(len(heads)) if heads[i] != i)
    heads[j] = next(h for h in range(len(heads)) if h not in (j, heads[j]))
    assert count_errors(eg) == 2
    markup = render_example_html(eg)
    gold_side, pred_side = markup.split('class="nbnlp-pred"')
    assert len(re.findall(r'<path class="nbnlp-arc nbnlp-wrong" data-dep="{j}"'.format(j=j), pred_side)) == 1
    assert len(re.findall(r'<path class="nbnlp-arc nbnlp-wrong" data-dep="{j}"'.format(j=j), gold_side)) == 1
    assert len(re.findall(r'<text class="nbnlp-arc-label nbnlp-wrong"', markup)) == 2


def test_entity_errors_match_the_scorer(ner_result: EvaluationResult) -> None:
    found = [find_errors(eg) for eg in ner_result.examples]
    n_gold = sum(len(eg.reference.ents) for eg in ner_result.examples)
    missed = sum(len(e.missed) for e in found)
    assert missed / n_gold == pytest.approx(1 - ner_result.scores["ents_r"])
    inspector = ExampleInspector(ner_result, errors_only=True)
    assert 0 < len(inspector.visible_indices) < len(ner_result.examples)  # sentences without entities are right
    k = next(i for i, e in enumerate(found) if e.spurious)
    markup = render_example_html(ner_result.examples[k])
    pred_side = markup.split('class="nbnlp-pred"')[1]
    spurious = next(iter(found[k].spurious))
    text = ner_result.examples[k].text[spurious[0] : spurious[1]]
    assert re.search(rf'<mark class="nbnlp-ent nbnlp-wrong" data-label="{spurious[2]}"[^>]*>{re.escape(text)}<', pred_side)


def test_widget_controls_drive_the_state(parsed: EvaluationResult) -> None:
    inspector = ExampleInspector(parsed)
    box = inspector.widget
    assert "nbnlp-inspector" in box._dom_classes
    c = inspector._controls
    assert c["position"].value == f"1 of {N_DOCS}" and c["prev"].disabled and not c["next"].disabled
    c["next"].click()
    assert inspector.position == 1 and c["position"].value == f"2 of {N_DOCS}"
    assert c["body"].value == inspector.render_current() and 'class="nbnlp-example"' in c["body"].value
    c["errors_only"].value = True
    assert inspector.errors_only and inspector.visible_indices == [i for i, n in enumerate(inspector.error_counts) if n]
    c["sort"].value = "errors"
    assert inspector.sort == "errors" and inspector.current_index == inspector.visible_indices[0]
    c["search"].value = "no such text anywhere"
    assert c["position"].value == "0 of 0" and c["next"].disabled
    inspector.set_view(query="", errors_only=False)  # code changes show in the controls too
    assert c["search"].value == "" and c["errors_only"].value is False


def test_static_fallback_and_display_bundle(parsed: EvaluationResult, monkeypatch: pytest.MonkeyPatch) -> None:
    inspector = ExampleInspector(parsed, errors_only=True, static_limit=3)
    static = inspector._repr_html_()
    assert static.startswith('<div class="nbnlp-inspector"') and static.count('class="nbnlp-example"') == 3
    assert "<script" not in static
    shown = []
    monkeypatch.setattr("IPython.display.display", lambda obj, **kw: shown.append((obj, kw)))
    inspector._ipython_display_()
    bundle, kwargs = shown[0]
    assert kwargs == {"raw": True} and bundle["text/html"] == static
    assert bundle["application/vnd.jupyter.widget-view+json"]["model_id"] == inspector.widget.model_id


def test_gold_above_predicted_in_one_shared_scroller(parsed: EvaluationResult) -> None:
    eg = next(eg for eg in parsed.examples if count_errors(eg) and len(eg) >= 12)
    markup = render_example_html(eg)
    # One horizontal scroller holds both sides, gold first (above), each side's parse marked with data-side.
    assert markup.count("nbnlp-parse-scroll") == 1 and markup.count("overflow-x:auto") == 1
    scroller = markup.index("nbnlp-parse-scroll")
    gold, pred = markup.index('class="nbnlp-gold" data-side="gold"'), markup.index('class="nbnlp-pred" data-side="predicted"')
    assert scroller < gold < pred
    assert markup.index('<div class="nbnlp-parse" data-side="gold">') < pred < markup.index('<div class="nbnlp-parse" data-side="predicted">')
    # Same tokens on both sides: the same columns, so a word's gold and predicted arcs line up.
    svgs = re.findall(r'<svg [^>]*data-side="(\w+)" width="(\d+)"', markup)
    assert [s[0] for s in svgs] == ["gold", "predicted"] and svgs[0][1] == svgs[1][1]
    gold_svg, pred_svg = markup.split('data-side="predicted" width=')
    xs = [re.findall(r'<text class="nbnlp-word[^"]*" x="([\d.]+)"', part) for part in (gold_svg, pred_svg)]
    assert xs[0] == xs[1] and len(xs[0]) == len(eg.predicted)
    # Theme-aware colours, no fixed text colour: words follow the page's text colour.
    assert "var(--jp-content-font-color1, #1f2937)" in markup and 'fill="currentColor"' in markup
