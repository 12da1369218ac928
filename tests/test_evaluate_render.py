"""`nbnlp evaluate` and the HTML renderers for entities and parses."""
from __future__ import annotations

import html
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import nbnlp
from nbnlp.core.commands.evaluate import evaluate
from nbnlp.core.commands.init_config import demo_config
from nbnlp.data import demo_path
from nbnlp.core.render import render_dependencies, render_entities, render_page


@pytest.fixture(scope="module")
def tagger_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("model")
    nbnlp.train(demo_config(), out, overrides={"training.max_steps": 40, "training.eval_frequency": 20}, stdout=open("/dev/null", "w"))
    return out / "model-best"


def parsed_doc() -> nbnlp.Doc:
    vocab = nbnlp.Vocab()
    words = ["Alice", "met", "<Bob>", "in", "Paris", "."]
    return nbnlp.Doc(
        vocab, words, [True, True, True, True, False, False],
        heads=[1, 1, 1, 4, 1, 1], deps=["nsubj", "root", "obj", "case", "obl", "punct"],
        tags=["NNP", "VBD", "NNP", "IN", "NNP", "."], ents=["U-PER", "O", "U-PER", "O", "U-LOC", "O"],
    )


def test_render_entities_marks_and_escapes() -> None:
    markup = render_entities(parsed_doc())
    assert markup.count('class="nbnlp-ent"') == 3
    assert 'data-label="LOC"' in markup and "&lt;Bob&gt;" in markup and "<Bob>" not in markup
    assert markup.count("color:#1f2937") == 6  # pastel marks keep dark text (mark and label) in a dark theme too
    plain = re.sub(r"<span[^>]*>[^<]*</span>", "", markup)
    assert re.sub(r"<[^>]+>", "", plain).replace("&lt;", "<").replace("&gt;", ">") == parsed_doc().text


def test_render_dependencies_draws_every_arc() -> None:
    svg = render_dependencies(parsed_doc())
    assert svg.count('<path class="nbnlp-arc"') == 5  # every token but the root has an arc
    assert svg.count('<text class="nbnlp-arc-label"') == 5 and svg.count('<text class="nbnlp-word"') == 6
    for label in ("nsubj", "obj", "case", "obl", "punct"):
        assert f">{label}</text>" in svg
    assert ">root</text>" not in svg and "&lt;Bob&gt;" in svg
    # Its own scroller (the only one); colours from the theme's CSS variables, words in the text colour.
    assert svg.startswith('<div class="nbnlp-parse nbnlp-parse-scroll"') and svg.count("overflow-x:auto") == 1
    assert 'fill="currentColor"' in svg and "var(--jp-content-link-color" in svg and "#4b5563" not in svg


def _texts(svg: str) -> list[tuple[str, float, float, int, str]]:
    """(class, x, y, font size, text) of each <text> in `svg`."""
    found = re.findall(r'<text class="([^"]+)" x="([\d.]+)" y="([\d.]+)" text-anchor="middle" font-size="(\d+)"[^>]*>([^<]*)</text>', svg)
    return [(c, float(x), float(y), int(size), html.unescape(t)) for c, x, y, size, t in found]


def test_dependency_svg_contains_every_label_and_stays_compact() -> None:
    """A 40-token corpus sentence: the viewBox holds every word, tag and label (by a generous width estimate), labels
    on one level never meet, labels sit above the words, and the arcs' height stays small (nesting, not length)."""
    from nbnlp.core.render_deps import text_width

    doc = next(d for d in nbnlp.load_docs(demo_path("ewt-train"), vocab=nbnlp.Vocab()) if len(d) >= 40)
    svg = render_dependencies(doc)
    width, height = map(float, re.search(r'viewBox="0 0 (\d+) (\d+)"', svg).groups())
    assert re.search(rf'width="{width:.0f}" height="{height:.0f}"', svg)  # drawn at its natural size, never scaled
    texts = _texts(svg)
    assert sum(c == "nbnlp-word" for c, *_ in texts) == len(doc) and sum(c == "nbnlp-arc-label" for c, *_ in texts) == len(doc) - 1
    for cls, x, y, size, text in texts:
        half = text_width(text, size) / 2
        assert 0 < x - half and x + half < width and size < y < height - 3, (cls, text)
    word_top = min(y for c, _, y, size, _ in texts if c == "nbnlp-word") - 13
    labels = [(y, x - text_width(t, s) / 2, x + text_width(t, s) / 2) for c, x, y, s, t in texts if c == "nbnlp-arc-label"]
    assert all(y + 4 < word_top for y, _, _ in labels)
    for k, (y, left, right) in enumerate(labels):
        assert not any(y == y2 and left < r2 and l2 < right for y2, l2, r2 in labels[k + 1 :])
    assert height < 300 and width < 65 * len(doc)  # 90 px a word before: 3,620 px for this sentence


def test_render_page_is_self_contained() -> None:
    page = render_page([parsed_doc(), parsed_doc()], title="t")
    assert page.startswith("<!DOCTYPE html>") and page.count('class="nbnlp-doc"') == 2
    assert "background:var(--jp-layout-color0, #fff)" in page  # readable standalone, themed inside JupyterLab
    assert "<script" not in page and "http" not in page.replace("http://www.w3.org/2000/svg", "")


def test_evaluate_function_scores_and_annotates(tagger_model: Path) -> None:
    result = evaluate(tagger_model, demo_path("ewt-dev"), gold_preproc=True)
    assert 0.3 < result.scores["tag_acc"] <= 1.0 and result.scores["token_acc"] == 1.0
    assert len(result.predicted) == 200 and all(t.tag_ for t in result.predicted[0])
    raw = evaluate(tagger_model, demo_path("ewt-dev"))
    assert 0.9 < raw.scores["token_acc"] < 1.0  # our tokenizer, scored through the alignment


def test_evaluate_cli_writes_json_and_table(tagger_model: Path, tmp_path: Path) -> None:
    out = tmp_path / "scores.json"
    proc = subprocess.run(
        [sys.executable, "-m", "nbnlp", "evaluate", str(tagger_model), str(demo_path("ewt-dev")), "--output", str(out),
         "--gold-preproc", "--displacy-path", str(tmp_path / "html")],
        capture_output=True, text=True,
    )
    assert proc.returncode == 0, proc.stderr
    scores = json.loads(out.read_text())
    assert set(scores) >= {"token_acc", "tag_acc", "speed"} and 0 < scores["tag_acc"] <= 1
    assert re.search(r"TAG\s+\d+\.\d\d", proc.stdout)
    assert "Nothing to render" in proc.stdout


def test_evaluate_cli_bad_model(tmp_path: Path) -> None:
    proc = subprocess.run([sys.executable, "-m", "nbnlp", "evaluate", str(tmp_path), str(demo_path("ewt-dev"))], capture_output=True, text=True)
    assert proc.returncode == 1 and "is not an nbnlp pipeline" in proc.stderr and "Traceback" not in proc.stderr


def test_evaluate_cli_renders_parses_and_entities(tmp_path: Path) -> None:
    from nbnlp.core.commands.init_config import init_config

    quiet = open("/dev/null", "w")
    steps = {"training.max_steps": 30, "training.eval_frequency": 30}
    ner = nbnlp.train(
        init_config(pipeline=["ner"], train_path=str(demo_path("uner-train")), dev_path=str(demo_path("uner-dev"))),
        tmp_path / "ner", overrides=steps, stdout=quiet,
    )
    parser = nbnlp.train(
        init_config(pipeline=["parser"], train_path=str(demo_path("ewt-train")), dev_path=str(demo_path("ewt-dev"))),
        tmp_path / "parser", overrides=steps, stdout=quiet,
    )
    assert ner.model_best and parser.model_best
    for model, data, page in (("ner", "uner-dev", "entities.html"), ("parser", "ewt-dev", "parses.html")):
        html_dir = tmp_path / f"html-{model}"
        proc = subprocess.run(
            [sys.executable, "-m", "nbnlp", "evaluate", str(tmp_path / model / "model-best"), str(demo_path(data)),
             "--displacy-path", str(html_dir), "--displacy-limit", "5", "--output", str(tmp_path / f"{model}.json")],
            capture_output=True, text=True,
        )
        assert proc.returncode == 0, proc.stderr
        markup = (html_dir / page).read_text()
        assert markup.count('class="nbnlp-doc"') == 5
        scores = json.loads((tmp_path / f"{model}.json").read_text())
        if model == "ner":
            assert "ents_f" in scores and "ents_per_type" in scores and "NER F" in proc.stdout
        else:
            assert markup.count("<path") > 20 and 0 <= scores["dep_las"] <= scores["dep_uas"] <= 1
            assert "dep_las_per_type" in proc.stdout


def test_evaluate_cli_prints_per_label_tables_and_confusion(tagger_model: Path, capsys: pytest.CaptureFixture) -> None:
    from nbnlp.cli import main

    assert main(["evaluate", str(tagger_model), str(demo_path("ewt-dev")), "--gold-preproc", "--per-label"]) == 0
    out = capsys.readouterr().out
    assert "Fine-grained tags" in out and "SUPPORT" in out and "Tags (rows gold, columns predicted)" in out
    row = next(line.split() for line in out.splitlines() if line.split()[:1] == ["NN"])
    assert all(re.fullmatch(r"\d+\.\d\d", cell) for cell in row[1:4]) and row[4].isdigit()


def test_write_renderings_writes_one_page_per_layer(tmp_path: Path) -> None:
    from nbnlp.core.render import write_renderings

    written = write_renderings([parsed_doc()], tmp_path / "html", title="t")
    assert [p.name for p in written] == ["parses.html", "entities.html"]
    assert write_renderings([nbnlp.Doc(nbnlp.Vocab(), ["a"])], tmp_path / "none") == []
