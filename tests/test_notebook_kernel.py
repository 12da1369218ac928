"""End to end in a real kernel: the test notebooks run cell by cell under nbclient, their outputs checked.

`train_evaluate_inspect.ipynb` trains a tiny tagger (12 steps, an evaluation every 4) on the demo corpus, then
evaluates and inspects it; `bad_input.ipynb` gives the magics bad input, each of which must end in one short
UsageError while the kernel keeps running.
"""
from __future__ import annotations

import ast
import re

import pytest

from notebook_helpers import (
    cell_by_tag, describe_errors, error_outputs, execute_notebook, html_of, missing_modules, parse_table,
    prepare_notebook, require, stream_text, widget_views,
)

@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """The end-to-end notebook, executed once; (notebook, its folder)."""
    require(missing_modules("nbclient", "nbformat", "ipykernel"))
    path = prepare_notebook("train_evaluate_inspect.ipynb", tmp_path_factory.mktemp("kernel"))
    nb, _ = execute_notebook(path)
    return nb, path.parent


def test_notebook_runs_without_errors(trained) -> None:
    nb, _ = trained
    errors = describe_errors(nb)
    assert not errors, f"error outputs:\n{errors}"
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.execution_count is not None, f"cell not run: {cell.source[:60]!r}"
            stderr = stream_text(cell)
            assert "Traceback" not in stderr and "Error" not in stderr, f"{cell.source[:40]!r} wrote:\n{stderr}"


def test_metrics_table_has_score_columns_and_one_row_per_evaluation(trained) -> None:
    nb, _ = trained
    html = html_of(cell_by_tag(nb, "train"))
    table = parse_table(html, "nbnlp-metrics")
    assert table is not None, f"no <table class='nbnlp-metrics'> in the training output:\n{html[:500]}"
    headers, rows = table
    assert headers[:2] == ["E", "#"]
    assert {"LOSS TAGGER", "TAG_ACC", "SCORE"} <= set(headers) and "LOSS TOK2VEC" not in headers, headers
    # max_steps = 12, eval_frequency = 4: evaluations at steps 4, 8 and 12, in order.
    assert [int(cells[headers.index("#")]) for _, cells in rows] == [4, 8, 12]
    assert all(len(cells) == len(headers) for _, cells in rows)
    tag_acc = [float(cells[headers.index("TAG_ACC")]) for _, cells in rows]
    assert all(0 < acc <= 100 for acc in tag_acc), tag_acc
    best = [i for i, (classes, _) in enumerate(rows) if "nbnlp-best" in classes.split()]
    assert best == [tag_acc.index(max(tag_acc))], (best, tag_acc)  # score = tag_acc alone here
    assert re.search(r'class="nbnlp-status" data-status="finished"[^>]*>(<span[^>]*>[^<]*</span>)?\s*Finished', html), \
        "the status line does not say Finished"
    assert re.search(r'<img class="nbnlp-curves"[^>]*src="data:image/png;base64,[A-Za-z0-9+/]{200,}', html)


def test_training_result_matches_the_table_and_is_saved(trained) -> None:
    nb, folder = trained
    summary = cell_by_tag(nb, "summary").outputs[0]["data"]["text/plain"]
    n_evals, best_score, eval_keys = ast.literal_eval(summary)
    headers, rows = parse_table(html_of(cell_by_tag(nb, "train")), "nbnlp-metrics")
    assert n_evals == len(rows) == 3
    best_row = next(cells for classes, cells in rows if "nbnlp-best" in classes)
    assert float(best_row[headers.index("SCORE")]) == pytest.approx(100 * best_score, abs=0.006)  # shown as a percentage
    assert {"tag_acc", "token_acc"} <= set(eval_keys)
    for name in ("model-best", "model-last"):
        assert (folder / "training" / "tiny" / name / "config.cfg").is_file(), f"{name} not saved"


def test_config_cell_shows_summary_and_override_form(trained) -> None:
    nb, _ = trained
    cell = cell_by_tag(nb, "config")
    html = html_of(cell)
    assert "nbnlp-config-cell" in html and "<code>cfg</code>" in html
    assert "tok2vec, tagger" in html
    assert widget_views(cell), "the %%nlp_config cell displayed no override form widget"
    # The widget state nbclient saved with the notebook: one field per setting, the diff saying nothing changed.
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    descriptions = {m["state"].get("description") for m in state.values()}
    assert {"training.max_steps", "training.eval_frequency", "training.optimizer.learn_rate"} <= descriptions
    max_steps = [m["state"]["value"] for m in state.values() if m["state"].get("description") == "training.max_steps"]
    assert max_steps == [12]
    assert any("No overrides" in str(m["state"].get("value", "")) for m in state.values())


def test_evaluation_view_lists_scores(trained) -> None:
    nb, _ = trained
    html = html_of(cell_by_tag(nb, "evaluate"))
    table = parse_table(html, "nbnlp-scores")
    assert table is not None, f"no scores table in the evaluation output:\n{html[:500]}"
    keys = {cells[1]: cells[2] for _, cells in table[1]}
    assert 0 < float(keys["tag_acc"]) <= 100 and float(keys["token_acc"]) > 90, keys
    assert 'data-key="tag_per_type"' in html  # per-label table for the tagger


def test_inspector_shows_examples_with_errors(trained) -> None:
    nb, _ = trained
    cell = cell_by_tag(nb, "inspect")
    assert widget_views(cell), "%nlp_inspect displayed no widget"
    html = html_of(cell)  # the static fallback shown where widgets do not render
    assert 'class="nbnlp-inspector"' in html and "200 examples" in html and "(errors only)" in html
    shown = [int(n) for n in re.findall(r'class="nbnlp-example" data-errors="(\d+)"', html)]
    assert shown and all(n > 0 for n in shown), shown  # --errors-only: every example shown has errors
    assert 'class="nbnlp-gold"' in html and 'class="nbnlp-pred"' in html


def test_bad_input_gives_one_short_usage_error_each(tmp_path) -> None:
    require(missing_modules("nbclient", "nbformat", "ipykernel"))
    nb, replies = execute_notebook(prepare_notebook("bad_input.ipynb", tmp_path))
    expected = {
        "unknown-config": "no config variable or file named 'no_such_config'",
        "misspelled-override": "did you mean 'training.max_steps'",
        "unknown-option": "unrecognized arguments: --no-such-option",
        "bad-config": "components.tagger.factory",
        "unknown-pipeline": "no_such_pipeline",
    }
    for tag, message in expected.items():
        cell = cell_by_tag(nb, tag)
        reply = replies[cell.id]
        assert reply["status"] == "error" and reply["ename"] == "UsageError", (tag, reply.get("ename"), reply.get("evalue"))
        assert not error_outputs(cell), f"{tag}: a traceback was shown: {describe_errors(nb)}"
        stderr = stream_text(cell)
        assert stderr.startswith("UsageError: ") and message in stderr, (tag, stderr)
        assert "Traceback" not in stderr and "SystemExit" not in stderr and len(stderr.splitlines()) <= 6, stderr
    assert stream_text(cell_by_tag(nb, "after"), "stdout") == "still running\n"
