"""In a real browser: JupyterLab on loopback, Debian's Chromium driven by Playwright, the test notebooks run in it.

`widgets_smoke.ipynb` (a plain ipywidgets slider) checks the harness itself, so a failure there points at the
browser stack rather than at nbnlp. The nbnlp test runs `train_evaluate_inspect.ipynb` with Run All Cells, waits for
the live metrics table and the override form, edits a field and waits for the override to show in the form's diff.
Screenshots go to the test's tmp_path and to test-artifacts/ at the repo root.
"""
from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest

import notebook_helpers
from notebook_helpers import ARTIFACTS, browser_missing, chromium_page, lab_server, prepare_notebook, require, save_artifact

TIMEOUT_MS = 120_000  # a fresh kernel, a tiny training run and the evaluation on 2 shared cores
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook on show (another tab's cells stay in the page)


def test_missing_tools_skip_or_fail_as_ci_asks(monkeypatch) -> None:
    """Without NBNLP_REQUIRE_BROWSER=1 a missing tool skips with its reason; with it (.ci/run), it fails."""
    monkeypatch.setattr(notebook_helpers, "CHROMIUM", Path("/nonexistent/chromium"))
    reason = notebook_helpers.browser_missing()
    assert reason and "/nonexistent/chromium not found" in reason and "apt-get install" in reason
    monkeypatch.delenv("NBNLP_REQUIRE_BROWSER", raising=False)
    with pytest.raises(pytest.skip.Exception, match="chromium not found"):
        require(reason)
    monkeypatch.setenv("NBNLP_REQUIRE_BROWSER", "1")
    with pytest.raises(pytest.fail.Exception, match="NBNLP_REQUIRE_BROWSER=1 but .*chromium not found"):
        require(reason)
    require(None)  # nothing missing: no skip, no failure


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    require(browser_missing())
    root = tmp_path_factory.mktemp("lab-root")
    for name in ("widgets_smoke.ipynb", "train_evaluate_inspect.ipynb"):
        prepare_notebook(name, root)
    with lab_server(root, tmp_path_factory.mktemp("lab-state")) as server:
        yield server


@pytest.fixture
def page(lab, tmp_path):
    with chromium_page(tmp_path / "chromium-profile") as page:
        page.set_default_timeout(TIMEOUT_MS)
        yield page


@contextlib.contextmanager
def screenshot_on_failure(page, lab, tmp_path, name: str):
    """On any failure, keep a screenshot (tmp_path and test-artifacts/) and add the server log to the error."""
    (ARTIFACTS / f"{name}-failure.png").unlink(missing_ok=True)  # an earlier run's would mislead
    try:
        yield
    except Exception as err:  # a Ctrl-C or a skip passes through untouched
        shot = tmp_path / f"{name}-failure.png"
        with contextlib.suppress(Exception):
            page.screenshot(path=str(shot))
            save_artifact(shot, shot.name)
        raise AssertionError(f"{err}\n(screenshot: {shot})\n--- JupyterLab log ---\n{lab.log_tail()}") from err


def run_all_cells(page, lab, notebook: str) -> None:
    """Open `notebook` in JupyterLab and run it with Run > Run All Cells once its kernel is connected and idle."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.goto(lab.notebook_url(notebook))
    page.wait_for_selector(f"{PANEL} .jp-Notebook .jp-Cell")
    # The status bar names the kernel and its state only once the session has a kernel; before that, running
    # cells would open the "Select Kernel" dialog.
    page.locator(".jp-StatusBar-Widget", has_text=re.compile(r"\| Idle")).wait_for()
    page.get_by_role("menuitem", name="Run", exact=True).click()
    page.locator('li[data-command="runmenu:run-all"]').click()
    with contextlib.suppress(PlaywrightTimeout):  # still asked (a slow start): take the notebook's own kernel
        dialog = page.locator(".jp-Dialog", has_text="Select Kernel")
        dialog.wait_for(timeout=2_000)
        dialog.locator(".jp-mod-accept").click()


def wait_until_all_cells_ran(page) -> None:
    """Every code cell has an execution count and the kernel is idle again."""
    page.wait_for_function(
        """panel => {
            const prompts = [...document.querySelectorAll(panel + ' .jp-CodeCell .jp-InputArea-prompt')];
            return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
        }""",
        arg=PANEL,
    )
    page.wait_for_selector(f'{PANEL} .jp-Notebook-ExecutionIndicator[data-status="idle"]')


def output_texts(page) -> str:
    return "\n".join(page.locator(f"{PANEL} .jp-OutputArea-output").all_inner_texts())


def screenshot(page, tmp_path, name: str, element=None) -> None:
    """The page (or just `element`, with the window made tall enough to hold it) to tmp_path and test-artifacts/."""
    path = tmp_path / name
    if element is None:
        page.screenshot(path=str(path))
    else:
        height = int(element.bounding_box()["height"]) + 200
        page.set_viewport_size({"width": page.viewport_size["width"], "height": min(max(height, 1000), 4000)})
        element.scroll_into_view_if_needed()
        element.screenshot(path=str(path))
    assert path.stat().st_size > 10_000, f"{name} is suspiciously small"
    save_artifact(path, name)


def test_harness_renders_a_plain_widget(page, lab, tmp_path) -> None:
    with screenshot_on_failure(page, lab, tmp_path, "browser-smoke"):
        run_all_cells(page, lab, "widgets_smoke.ipynb")
        slider = page.locator(f"{PANEL} .jp-OutputArea-output .widget-slider")
        slider.wait_for(state="visible")
        assert page.locator(".widget-readout").first.inner_text().strip() == "7"
        page.locator(".smoke-html").wait_for(state="visible")
        wait_until_all_cells_ran(page)
        screenshot(page, tmp_path, "browser-smoke.png")


def test_notebook_trains_and_the_form_shows_the_override(page, lab, tmp_path) -> None:
    with screenshot_on_failure(page, lab, tmp_path, "browser-nbnlp"):
        run_all_cells(page, lab, "train_evaluate_inspect.ipynb")

        # The live training view: one row per evaluation (12 steps, one every 4), score columns, Finished.
        page.locator(f'{PANEL} .nbnlp-status[data-status="finished"]').wait_for(state="visible")
        table = page.locator(f"{PANEL} table.nbnlp-metrics")
        headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
        assert {"TAG_ACC", "SCORE", "LOSS TAGGER"} <= set(headers), headers
        assert table.locator("tr.nbnlp-row").count() == 3
        assert table.locator("tr.nbnlp-best").count() == 1
        assert page.locator(f"{PANEL} img.nbnlp-curves").evaluate("img => img.complete && img.naturalWidth > 100")

        # The rest of the notebook ran: the evaluation's scores and the inspector widget, which pages on click.
        page.locator(f"{PANEL} .nbnlp-eval table.nbnlp-scores").wait_for(state="visible")
        inspector = page.locator(f"{PANEL} .widget-vbox.nbnlp-inspector")
        inspector.wait_for(state="visible")
        assert inspector.get_by_text("1 of 200").is_visible()
        inspector.get_by_role("button", name="Next ▶").click()
        inspector.get_by_text("2 of 200").wait_for()
        wait_until_all_cells_ran(page)
        texts = output_texts(page)
        assert "Traceback" not in texts and "UsageError" not in texts, texts[-2000:]
        screenshot(page, tmp_path, "browser-training.png", element=cell_of(page, "table.nbnlp-metrics"))
        screenshot(page, tmp_path, "browser-inspector.png", element=cell_of(page, ".widget-vbox.nbnlp-inspector"))

        # The override form under the config summary: change max_steps, the diff shows the override.
        form = page.locator(f"{PANEL} .nbnlp-config-form")
        form.wait_for(state="visible")
        diff = form.locator(".nbnlp-config-diff")
        assert "No overrides" in diff.inner_text()
        field = form.locator(".widget-text", has=page.locator("label", has_text=re.compile(r"^training\.max_steps$")))
        box = field.locator("input")
        box.scroll_into_view_if_needed()
        box.fill("40")
        box.press("Enter")
        lines = diff.locator("pre.nbnlp-diff-lines")
        lines.wait_for(state="visible")
        assert lines.inner_text().strip() == "--training.max_steps 40"
        assert "1 override" in diff.inner_text()
        assert "nbnlp-modified" in (field.get_attribute("class") or "").split()
        screenshot(page, tmp_path, "browser-config-form.png", element=cell_of(page, ".nbnlp-config-form"))

        # Retrain from the form: the Train button runs the edited config; its live view appears in the form's
        # output area and updates in place there until it says Finished, with one row per evaluation (40 / 4).
        form.locator(".nbnlp-train-button").click()
        retrained = form.locator('.nbnlp-form-output .nbnlp-status[data-status="finished"]')
        retrained.wait_for(state="visible", timeout=180_000)
        rows = form.locator(".nbnlp-form-output table.nbnlp-metrics tr.nbnlp-row")
        assert rows.count() == 10, rows.count()
        assert form.locator(".nbnlp-form-output .nbnlp-status").count() == 1  # updated in place, not appended
        screenshot(page, tmp_path, "browser-form-retrain.png", element=cell_of(page, ".nbnlp-config-form"))


def cell_of(page, selector: str):
    """The notebook cell (input and outputs) holding an element matching `selector`."""
    return page.locator(f"{PANEL} .jp-CodeCell", has=page.locator(selector))
