"""In a real browser: one Jupyter server (JupyterLab and Notebook 7), Debian's Chromium driven by Playwright.

Every test runs in both front ends (`frontend` is "lab" or "notebook7"): the server serves `/lab/tree/...` and
`/notebooks/...` from one root, each front end has its own folder there (runs of one never see the other's output
folders), one browser context, and one page per notebook, opened once for all the tests that look at it.

- `widgets_smoke.ipynb` (a plain ipywidgets slider) checks the harness itself: a failure there points at the
  browser stack, not at nbnlp.
- `train_evaluate_inspect.ipynb` runs with Run All Cells: the live metrics table, the evaluation, the inspector, and
  the override form (edit a field, see the diff, retrain from the form).
- `stop_interrupt_inspect.ipynb` (a 1,000 px wide page) runs with Run All: its first training is interrupted from
  the Kernel menu, which must stop the queue; the rest runs from the second training, which the live view's Stop
  button ends, the notebook going on to evaluate on a 40-token sentence and show it in the inspector, which must
  fit the page; then the views' text must be readable (WCAG contrast) in the light and the dark theme.

Screenshots go to test-artifacts/ at the repo root, named `browser-<frontend>-...png`.
"""
from __future__ import annotations

import contextlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import notebook_helpers
from notebook_helpers import (
    ARTIFACTS, FRONTENDS, THEMES_SETTINGS, browser_missing, chromium, jupyter_server, prepare_notebook, require,
)

TIMEOUT_MS = 120_000  # a fresh kernel, a tiny training run and the evaluation on 2 shared cores
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"  # the notebook on show (another tab's cells stay in the page)
NOTEBOOKS = ("widgets_smoke.ipynb", "train_evaluate_inspect.ipynb", "stop_interrupt_inspect.ipynb")
MIN_CONTRAST = 4.5  # WCAG AA for normal text


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


# ---- fixtures: one server and one Chromium for the module, a context per front end, a page per notebook ----------


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require(browser_missing())
    root = tmp_path_factory.mktemp("jupyter-root")
    for frontend in FRONTENDS:
        for name in NOTEBOOKS:
            prepare_notebook(name, root / frontend)
    with jupyter_server(root, tmp_path_factory.mktemp("jupyter-state")) as server:
        yield server


@pytest.fixture(scope="module")
def browser(server):
    with chromium() as browser:
        yield browser


@dataclass
class FrontEnd:
    name: str  # "lab" or "notebook7"
    server: object
    context: object

    def open(self, notebook: str, width: int = 1400, height: int = 1000) -> "Notebook":
        """A new page on `notebook` (this front end's copy), its kernel connected and idle."""
        page = self.context.new_page()
        page.set_viewport_size({"width": width, "height": height})
        page.set_default_timeout(TIMEOUT_MS)
        nb = Notebook(self, page, f"{self.name}/{notebook}")
        nb.load()
        return nb


@pytest.fixture(scope="module", params=FRONTENDS)
def frontend(request, server, browser):
    context = browser.new_context()
    try:
        yield FrontEnd(request.param, server, context)
    finally:
        context.close()


@dataclass
class Notebook:
    """A notebook open in a page of one front end, driven through the front end's own menus."""

    frontend: FrontEnd
    page: object
    path: str  # relative to the server's root
    notes: dict = field(default_factory=dict)  # what one test leaves for the next (same page)

    @property
    def server(self):
        return self.frontend.server

    def artifact(self, name: str) -> str:
        return f"browser-{self.frontend.name}-{name}"

    def load(self) -> None:
        """Open the page and wait until the front end shows the notebook with its kernel connected and idle."""
        self.page.goto(self.server.notebook_url(self.path, self.frontend.name))
        self.page.wait_for_selector(f"{PANEL} .jp-Notebook .jp-Cell")
        deadline = time.monotonic() + TIMEOUT_MS / 1000
        while self.server.kernel_state(self.path) != "idle":
            assert time.monotonic() < deadline, f"no idle kernel for {self.path} after {TIMEOUT_MS / 1000:.0f} s"
            time.sleep(0.25)
        # The notebook toolbar's execution indicator (both front ends) follows the front end's kernel connection.
        self.page.wait_for_selector(f'{PANEL} .jp-Notebook-ExecutionIndicator[data-status="idle"]')

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.page.close(run_before_unload=False)
        self.server.shutdown_sessions(self.path)  # a closed page leaves its kernel running

    # -- menus (the same JupyterLab command ids in both front ends' menu bars) --
    def menu(self, menu: str, command: str, item_text: str | None = None, submenu: str | None = None) -> None:
        page = self.page
        page.locator(".lm-MenuBar-item", has_text=re.compile(rf"^{menu}$")).click()
        if submenu:
            page.locator(".lm-Menu-item", has_text=re.compile(rf"^{submenu}$")).hover()
        item = page.locator(f'.lm-Menu li.lm-Menu-item[data-command="{command}"]:visible')
        if item_text:
            item = item.filter(has_text=re.compile(rf"^{re.escape(item_text)}$"))
        item.first.click()

    def run_all(self) -> None:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        self.menu("Run", "runmenu:run-all")
        with contextlib.suppress(PlaywrightTimeout):  # still asked (a slow start): take the notebook's own kernel
            dialog = self.page.locator(".jp-Dialog", has_text="Select Kernel")
            dialog.wait_for(timeout=2_000)
            dialog.locator(".jp-mod-accept").click()

    def run_from(self, cell) -> None:
        """Select `cell` (its prompt: command mode) and run it and all below, from the Run menu."""
        cell.locator(".jp-InputArea-prompt").click()
        self.menu("Run", "notebook:run-all-below")

    def interrupt(self) -> None:
        self.menu("Kernel", "kernelmenu:interrupt")

    def set_theme(self, theme: str) -> None:
        """Settings > Theme > `theme`, then wait until the page has it (light or dark)."""
        self.menu("Settings", "apputils:change-theme", item_text=theme, submenu="Theme")
        dark = "Dark" in theme
        self.page.wait_for_selector(f'body[data-jp-theme-name="{theme}"][data-jp-theme-light="{str(not dark).lower()}"]',
                                    state="attached")
        # ... and its stylesheet applied: the notebook's background colour is the theme's (dark or light).
        self.page.wait_for_function(
            """dark => {
                const probe = document.createElement('div');
                probe.style.background = 'var(--jp-layout-color0)';
                document.body.appendChild(probe);
                const [r, g, b] = getComputedStyle(probe).backgroundColor.match(/[\\d.]+/g).map(Number);
                probe.remove();
                return dark ? r + g + b < 200 : r + g + b > 600;
            }""",
            arg=dark,
        )

    # -- cells --
    def cell(self, text: str):
        """The code cell whose source contains `text`."""
        return self.page.locator(f"{PANEL} .jp-CodeCell", has=self.page.locator(".jp-InputArea-editor", has_text=text))

    def cell_of(self, selector: str):
        """The code cell (input and outputs) holding an element matching `selector`."""
        return self.page.locator(f"{PANEL} .jp-CodeCell", has=self.page.locator(selector))

    @staticmethod
    def prompt(cell) -> str:
        """"[3]", "[*]" or "[ ]"."""
        return cell.locator(".jp-InputArea-prompt").inner_text().strip().rstrip(":")

    def wait_settled(self, cell) -> str:
        """Wait until `cell` is neither queued nor running; return its prompt."""
        cell.locator(".jp-InputArea-prompt", has_text=re.compile(r"^\[(\d+| )\]:?$")).wait_for()
        return self.prompt(cell)

    @staticmethod
    def outputs(cell) -> str:
        return "\n".join(cell.locator(".jp-OutputArea-output").all_inner_texts())

    def all_outputs(self) -> str:
        return "\n".join(self.page.locator(f"{PANEL} .jp-OutputArea-output").all_inner_texts())

    def wait_until_all_cells_ran(self) -> None:
        """Every code cell has an execution count and the kernel is idle again."""
        self.page.wait_for_function(
            """panel => {
                const prompts = [...document.querySelectorAll(panel + ' .jp-CodeCell .jp-InputArea-prompt')];
                return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
            }""",
            arg=PANEL,
        )
        self.wait_idle()

    def wait_idle(self) -> None:
        self.page.wait_for_selector(f'{PANEL} .jp-Notebook-ExecutionIndicator[data-status="idle"]')

    def screenshot(self, name: str, element=None) -> Path:
        """The page (or just `element`, with the window made tall enough to hold it) into test-artifacts/."""
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / self.artifact(name)
        if element is None:
            self.page.screenshot(path=str(path))
        else:
            size = self.page.viewport_size
            height = int(element.bounding_box()["height"]) + 200
            self.page.set_viewport_size({"width": size["width"], "height": min(max(height, size["height"]), 4000)})
            try:
                element.scroll_into_view_if_needed()
                element.screenshot(path=str(path))
            finally:
                self.page.set_viewport_size(size)
        assert path.stat().st_size > 10_000, f"{path.name} is suspiciously small"
        return path

    @contextlib.contextmanager
    def failure_screenshot(self, name: str):
        """On any failure, keep a screenshot in test-artifacts/ and add the server log to the error."""
        shot = ARTIFACTS / self.artifact(f"{name}-failure.png")
        shot.unlink(missing_ok=True)  # an earlier run's would mislead
        try:
            yield
        except Exception as err:  # a Ctrl-C or a skip passes through untouched
            with contextlib.suppress(Exception):
                ARTIFACTS.mkdir(exist_ok=True)
                self.page.screenshot(path=str(shot))
            raise AssertionError(
                f"[{self.frontend.name}] {err}\n(screenshot: {shot})\n--- Jupyter server log ---\n{self.server.log_tail()}"
            ) from err


# ---- the harness and the main notebook ------------------------------------------------------------------------------


@pytest.mark.parametrize("frontend", ["lab"], indirect=True)  # the harness itself: Notebook 7 is checked by the rest
def test_harness_renders_a_plain_widget(frontend) -> None:
    nb = frontend.open("widgets_smoke.ipynb")
    try:
        with nb.failure_screenshot("smoke"):
            nb.run_all()
            slider = nb.page.locator(f"{PANEL} .jp-OutputArea-output .widget-slider")
            slider.wait_for(state="visible")
            assert nb.page.locator(".widget-readout").first.inner_text().strip() == "7"
            nb.page.locator(".smoke-html").wait_for(state="visible")
            nb.wait_until_all_cells_ran()
            nb.screenshot("smoke.png")
    finally:
        nb.close()


def test_notebook_trains_and_the_form_shows_the_override(frontend) -> None:
    nb = frontend.open("train_evaluate_inspect.ipynb")
    page = nb.page
    try:
        with nb.failure_screenshot("nbnlp"):
            nb.run_all()

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
            nb.wait_until_all_cells_ran()
            texts = nb.all_outputs()
            assert "Traceback" not in texts and "UsageError" not in texts, texts[-2000:]
            nb.screenshot("training.png", element=nb.cell_of("table.nbnlp-metrics"))
            nb.screenshot("inspector.png", element=nb.cell_of(".widget-vbox.nbnlp-inspector"))

            # The override form under the config summary: change max_steps, the diff shows the override.
            form = page.locator(f"{PANEL} .nbnlp-config-form")
            form.wait_for(state="visible")
            diff = form.locator(".nbnlp-config-diff")
            assert "No overrides" in diff.inner_text()
            field_ = form.locator(".widget-text", has=page.locator("label", has_text=re.compile(r"^training\.max_steps$")))
            box = field_.locator("input")
            box.scroll_into_view_if_needed()
            box.fill("20")
            box.press("Enter")
            lines = diff.locator("pre.nbnlp-diff-lines")
            lines.wait_for(state="visible")
            assert lines.inner_text().strip() == "--training.max_steps 20"
            assert "1 override" in diff.inner_text()
            assert "nbnlp-modified" in (field_.get_attribute("class") or "").split()
            nb.screenshot("config-form.png", element=nb.cell_of(".nbnlp-config-form"))

            # Retrain from the form: the Train button runs the edited config; its live view appears in the form's
            # output area and updates in place there until it says Finished, with one row per evaluation (20 / 4).
            # (In JupyterLab only: the same widget and kernel path in Notebook 7 costs CI time and shows nothing new.)
            if frontend.name != "lab":
                return
            form.locator(".nbnlp-train-button").click()
            retrained = form.locator('.nbnlp-form-output .nbnlp-status[data-status="finished"]')
            retrained.wait_for(state="visible", timeout=180_000)
            rows = form.locator(".nbnlp-form-output table.nbnlp-metrics tr.nbnlp-row")
            assert rows.count() == 5, rows.count()
            assert form.locator(".nbnlp-form-output .nbnlp-status").count() == 1  # updated in place, not appended
            nb.screenshot("form-retrain.png", element=nb.cell_of(".nbnlp-config-form"))
    finally:
        nb.close()


# ---- a 40-token sentence, the Stop button, an interrupt, the themes: one run of stop_interrupt_inspect.ipynb -------
# The tests take the one page in turn, in this file's order; each waits only for the cells it looks at, so a missing
# feature fails its own test, and a training that does not stop is ended from the Kernel menu for the next.

SHORT_TRAINING = "--output training/short"
EVALUATE = "%nlp_evaluate train_result long40.conllu"
INSPECT = "%nlp_inspect eval_result"
STOPPED_TRAINING = "--output training/stopped"
STOP_MARKER = 'print("MARKER after the stopped training:"'
INTERRUPTED_TRAINING = "--output training/interrupted"
INTERRUPT_MARKER = 'print("MARKER after the interrupted training")'


@pytest.fixture(scope="module")
def polish(frontend, server):
    """stop_interrupt_inspect.ipynb on a 1,000 px wide page, started with Run All."""
    nb = frontend.open("stop_interrupt_inspect.ipynb", width=1000, height=900)
    try:
        with nb.failure_screenshot("polish-start"):
            nb.run_all()
        yield nb
    finally:
        nb.close()
        server.write_setting(THEMES_SETTINGS, {"theme": "JupyterLab Light"})  # whatever a failed test left


# Every word and arc label of each rendering inside its SVG and inside what its scrollers can show; the page never
# wider than the window; gold and predicted both started within the window.
INSPECTOR_FIT_JS = """([panel, cellSelector]) => {
    const problems = [];
    const fmt = r => `[${Math.round(r.left)}..${Math.round(r.right)} x ${Math.round(r.top)}..${Math.round(r.bottom)}]`;
    const cell = document.querySelector(cellSelector) ;
    const scroller = document.scrollingElement;
    if (scroller.scrollWidth > window.innerWidth)
        problems.push(`the page scrolls sideways: ${scroller.scrollWidth} px wide in a ${window.innerWidth} px window`);
    const parses = [...cell.querySelectorAll('.nbnlp-parse')];
    const sides = parses.map(p => p.getAttribute('data-side'));
    for (const side of ['gold', 'predicted'])
        if (!sides.includes(side)) problems.push(`no .nbnlp-parse[data-side="${side}"] (found: ${JSON.stringify(sides)})`);
    const notebook = document.querySelector(panel + ' .jp-WindowedPanel-outer') || document.querySelector(panel + ' .jp-Notebook');
    if (notebook && notebook.scrollWidth > notebook.clientWidth + 1)
        problems.push(`the notebook scrolls sideways: ${notebook.scrollWidth} px of content in ${notebook.clientWidth} px`);
    const area = cell.querySelector('.jp-OutputArea').getBoundingClientRect();
    const view = {left: Math.max(0, area.left), right: Math.min(window.innerWidth, area.right)};
    let counts = {words: 0, labels: 0};
    for (const parse of parses) {
        const side = parse.getAttribute('data-side');
        const r = parse.getBoundingClientRect();
        // "Visible without scrolling": the rendering starts inside the output area and the window, and shows at
        // least 200 px (or all of itself) there.
        const shown = Math.min(r.right, view.right) - Math.max(r.left, view.left);
        if (r.left < view.left - 1 || r.left > view.right - 50 || shown < Math.min(200, r.width) - 1)
            problems.push(`${side}: ${fmt(r)} is not in view within the output area ${fmt(area)}`);
        const words = [...parse.querySelectorAll('text.nbnlp-word')];
        const labels = [...parse.querySelectorAll('text.nbnlp-arc-label')];
        counts.words += words.length; counts.labels += labels.length;
        if (words.length < 35) problems.push(`${side}: ${words.length} text.nbnlp-word elements for a 40-token sentence`);
        if (labels.length < 20) problems.push(`${side}: ${labels.length} text.nbnlp-arc-label elements`);
        for (const el of [...words, ...labels]) {
            const box = el.getBoundingClientRect();
            const what = `${side} ${el.classList.contains('nbnlp-word') ? 'word' : 'arc label'} "${el.textContent}" ${fmt(box)}`;
            const svg = el.ownerSVGElement.getBoundingClientRect();
            if (box.left < svg.left - 0.5 || box.right > svg.right + 0.5 || box.top < svg.top - 0.5 || box.bottom > svg.bottom + 0.5)
                problems.push(`${what} sticks out of its SVG ${fmt(svg)}`);
            // Every clipping ancestor up to the output area must show the box: a scroller anywhere in its scrollable
            // extent (then, above it, what needs showing is the scroller itself), a hidden/clip box in its own.
            let need = {left: box.left, right: box.right, top: box.top, bottom: box.bottom};
            for (let node = el.ownerSVGElement.parentElement; node && !node.classList.contains('jp-OutputArea'); node = node.parentElement) {
                const style = getComputedStyle(node);
                const ox = style.overflowX, oy = style.overflowY;
                if (ox === 'visible' && oy === 'visible') continue;
                const nr = node.getBoundingClientRect();
                const client = {left: nr.left + node.clientLeft, top: nr.top + node.clientTop};
                client.right = client.left + node.clientWidth; client.bottom = client.top + node.clientHeight;
                const scrollX = ox === 'auto' || ox === 'scroll', scrollY = oy === 'auto' || oy === 'scroll';
                const shows = {
                    left: scrollX ? client.left - node.scrollLeft : client.left,
                    right: scrollX ? client.left - node.scrollLeft + node.scrollWidth : client.right,
                    top: scrollY ? client.top - node.scrollTop : client.top,
                    bottom: scrollY ? client.top - node.scrollTop + node.scrollHeight : client.bottom,
                };
                const clipX = ox !== 'visible', clipY = oy !== 'visible';
                if ((clipX && (need.left < shows.left - 0.5 || need.right > shows.right + 0.5)) ||
                    (clipY && (need.top < shows.top - 0.5 || need.bottom > shows.bottom + 0.5))) {
                    problems.push(`${what} is clipped by ${node.tagName.toLowerCase()}.${[...node.classList].join('.')} (shows ${fmt(shows)})`);
                    break;
                }
                if (scrollX) { need.left = client.left; need.right = client.right; }
                if (scrollY) { need.top = client.top; need.bottom = client.bottom; }
            }
        }
    }
    return {problems, counts, sides, scrollers: cell.querySelectorAll('.nbnlp-parse-scroll').length};
}"""


def test_inspector_fits_a_40_token_sentence(polish) -> None:
    """At a 1,000 px wide page the inspector shows gold and predicted of a 40-token sentence without the page
    scrolling sideways, and no word or arc label is clipped (element boxes, through the renderer's CSS hooks)."""
    nb = polish
    cell = nb.cell(INSPECT)
    with nb.failure_screenshot("inspector-fit"):
        inspector = cell.locator(".widget-vbox.nbnlp-inspector")
        inspector.wait_for(state="visible")
        assert inspector.get_by_text("1 of 1").is_visible()
        for source in (SHORT_TRAINING, EVALUATE, INSPECT):
            text = nb.outputs(nb.cell(source))
            assert "Traceback" not in text and "UsageError" not in text, f"{source}: {text[-2000:]}"
        assert nb.page.viewport_size["width"] == 1000
        cell.scroll_into_view_if_needed()
        nb.screenshot("inspector-40-tokens.png", element=cell)
        cell.evaluate("el => el.setAttribute('data-nbnlp-test', 'inspect')")
        report = nb.page.evaluate(INSPECTOR_FIT_JS, [PANEL, f'{PANEL} .jp-CodeCell[data-nbnlp-test="inspect"]'])
        problems = report["problems"]
        assert not problems, f"{len(problems)} problem(s) ({report['counts']}):\n" + "\n".join(problems[:25])


def test_stop_button_ends_training_and_the_notebook_goes_on(polish) -> None:
    """The live view's Stop button ends the 2,000-step training after the step under way: the view says stopped, the
    result is bound (the next cell prints it), and Run All goes on, with no traceback."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    nb = polish
    training, marker = nb.cell(STOPPED_TRAINING), nb.cell(STOP_MARKER)
    with nb.failure_screenshot("stop"):
        training.locator("tr.nbnlp-row").first.wait_for(state="visible")
        button = training.locator(".nbnlp-stop-button")
        try:
            button.wait_for(state="visible", timeout=15_000)
        except PlaywrightTimeout:
            interrupt_instead(nb, training, marker)
            raise AssertionError("no .nbnlp-stop-button in the live training view (interrupted it instead)") from None
        nb.screenshot("stop-button.png", element=training)
        button.click()
        try:
            training.locator('.nbnlp-status[data-status="stopped"]').wait_for(state="visible", timeout=45_000)
        except PlaywrightTimeout:
            state = training.locator(".nbnlp-status").first.get_attribute("data-status")
            label = button.inner_text() if button.count() else "(gone)"
            interrupt_instead(nb, training, marker)
            raise AssertionError(f"45 s after the click on Stop the view's status is {state!r} (the button says "
                                 f"{label!r}); interrupted it instead") from None
        assert nb.wait_settled(training) != "[ ]"
        marker.locator(".jp-OutputArea-output", has_text="MARKER").wait_for(state="visible", timeout=60_000)
        marker_text = nb.outputs(marker)
        match = re.search(r"MARKER after the stopped training: stopped (\d+) steps, not interrupted", marker_text)
        assert match and int(match.group(1)) < 2000, marker_text
        for cell in (training, marker):
            text = nb.outputs(cell)
            assert "Traceback" not in text and "UsageError" not in text, text[-2000:]
        nb.screenshot("stopped.png", element=training)


def test_interrupt_during_run_all_stops_the_queue(polish) -> None:
    """Kernel > Interrupt Kernel while the last training runs: the cell ends as interrupted with one short line (no
    traceback), its view says Interrupted, and the rest of the Run All queue (one cell) does not run."""
    nb = polish
    training, marker = nb.cell(INTERRUPTED_TRAINING), nb.cell(INTERRUPT_MARKER)
    with nb.failure_screenshot("interrupt"):
        ensure_started(nb, training)
        training.locator("tr.nbnlp-row").first.wait_for(state="visible", timeout=90_000)
        nb.interrupt()
        training.locator('.nbnlp-status[data-status="interrupted"]').wait_for(state="visible", timeout=60_000)
        nb.wait_settled(training)
        marker_prompt = nb.wait_settled(marker)
        outputs = training.locator(".jp-OutputArea-output").all_inner_texts()
        nb.screenshot("interrupted.png", element=training)
        text = "\n".join(outputs)
        assert "Traceback" not in text and "KeyboardInterrupt" not in text, text[-2000:]
        last = outputs[-1].strip() if outputs else ""
        assert "interrupted" in last.lower() and "\n" not in last and len(last) <= 200, (
            f"the training cell should end with one short line saying it was interrupted; it ends with {last!r}")
        assert marker_prompt == "[ ]" and "MARKER" not in nb.outputs(marker), (
            f"the cell after the interrupted training ran ({marker_prompt}): Run All went on past the interrupt")


def interrupt_instead(nb: Notebook, training, after) -> None:
    """End a training the Stop button did not end, from the Kernel menu, and make sure the cells after it run."""
    nb.interrupt()
    nb.wait_settled(training)
    nb.wait_settled(after)
    ensure_started(nb, after)


def ensure_started(nb: Notebook, cell) -> None:
    """Make sure `cell` runs (or ran): when an interrupt stopped the queue before it, run it and all below."""
    if nb.prompt(cell) == "[ ]":
        nb.run_from(cell)
        cell.locator(".jp-InputArea-prompt", has_text=re.compile(r"^\[(\*|\d+)\]")).wait_for()


# WCAG 2 contrast between each element's computed colour and the background it is drawn on: the element's and its
# ancestors' background colours composited from the first opaque one down (the page's own if none is).
CONTRAST_JS = """([root, selectors]) => {
    const parse = c => {
        let m = c.match(/^rgba?\\(([^)]+)\\)$/);
        if (m) { const p = m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; }
        m = c.match(/^color\\(srgb ([^)]+)\\)$/);
        if (m) { const p = m[1].split(/[\\s\\/]+/).filter(Boolean).map(Number); return [p[0] * 255, p[1] * 255, p[2] * 255, p.length > 3 ? p[3] : 1]; }
        return null;
    };
    const over = (top, under) => [0, 1, 2].map(i => top[3] * top[i] + (1 - top[3]) * under[i]).concat([1]);
    const background = el => {
        const layers = [];
        for (let node = el; node; node = node.parentElement) {
            const c = parse(getComputedStyle(node).backgroundColor);
            if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
        }
        let bg = [255, 255, 255, 1];
        for (const layer of layers.reverse()) bg = over(layer, bg);
        return bg;
    };
    const lum = c => {
        const [r, g, b] = c.slice(0, 3).map(v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
        return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const out = [];
    for (const selector of selectors) {
        for (const el of document.querySelectorAll(root + ' ' + selector)) {
            const text = el.innerText.trim();
            if (!text || !el.getClientRects().length) continue;
            const bg = background(el);
            const raw = parse(getComputedStyle(el).color);
            const fg = raw ? over(raw, bg) : null;
            const ratio = fg ? (Math.max(lum(fg), lum(bg)) + 0.05) / (Math.min(lum(fg), lum(bg)) + 0.05) : 0;
            out.push({selector, text: text.slice(0, 30), color: getComputedStyle(el).color,
                      background: `rgb(${bg.slice(0, 3).map(Math.round).join(', ')})`, ratio: Math.round(ratio * 100) / 100});
        }
    }
    return out;
}"""
CONTRAST_SELECTORS = [
    ".nbnlp-status", ".nbnlp-progress-text", "table.nbnlp-metrics th", "table.nbnlp-metrics td",
    "table.nbnlp-scores th", "table.nbnlp-scores td",
]


def contrast_problems(nb: Notebook, theme: str) -> list[str]:
    measured = nb.page.evaluate(CONTRAST_JS, [PANEL, CONTRAST_SELECTORS])
    found = {m["selector"] for m in measured}
    problems = [f"{theme}: nothing matches {s}" for s in CONTRAST_SELECTORS if s not in found]
    seen = set()
    for m in measured:
        if m["ratio"] < MIN_CONTRAST:
            key = (m["selector"], m["color"], m["background"])
            if key not in seen:  # one line per selector and colour pair
                seen.add(key)
                problems.append(f"{theme}: {m['selector']} {m['text']!r}: {m['color']} on {m['background']} = {m['ratio']}:1")
    return problems


def test_views_are_readable_in_the_light_and_dark_themes(polish) -> None:
    """The training views' status, progress text and metrics table and the evaluation's scores have WCAG AA contrast
    (>= 4.5:1) with the background they are drawn on, in JupyterLab Light and in JupyterLab Dark (switched from the
    Settings menu); screenshots of the stopped training's view and of the evaluation in the dark theme."""
    nb = polish
    with nb.failure_screenshot("themes"):
        nb.cell(EVALUATE).locator("table.nbnlp-scores").wait_for(state="visible")
        problems = contrast_problems(nb, "JupyterLab Light")
        nb.screenshot("light-evaluation.png", element=nb.cell(EVALUATE))
        nb.set_theme("JupyterLab Dark")
        try:
            problems += contrast_problems(nb, "JupyterLab Dark")
            stopped = nb.cell(STOPPED_TRAINING)
            training = stopped if stopped.locator("table.nbnlp-metrics").count() else nb.cell(SHORT_TRAINING)
            nb.screenshot("dark-training.png", element=training)
            nb.screenshot("dark-evaluation.png", element=nb.cell(EVALUATE))
            nb.screenshot("dark-inspector.png", element=nb.cell(INSPECT))
        finally:
            nb.set_theme("JupyterLab Light")
        assert not problems, "text below 4.5:1 contrast:\n" + "\n".join(problems[:30])
