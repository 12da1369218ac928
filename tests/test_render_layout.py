"""The parse renderings in a real browser: a 40-token EWT sentence fits a 1,000 px page, nothing is clipped, dark text reads.

Debian's Chromium (never a downloaded browser) opens the standalone file `write_renderings` writes and the
inspector's gold + predicted markup inside flex boxes like the ipywidgets HTML widget's; element boxes are
checked: no page-wide horizontal scroll, one scroller shared by gold and predicted, every word, tag and arc
label inside its SVG and its scroller's scrollable area, labels clear of words and of each other, and text
contrast >= 4.5 with JupyterLab's dark-theme variables set on the body (and with the light fallbacks).
"""
from __future__ import annotations

from pathlib import Path

import pytest

import nbnlp
from nbnlp.core.render import PAGE_STYLE, write_renderings
from nbnlp.data import demo_path
from nbnlp.widgets.inspector import find_errors, render_example_html
import notebook_helpers
from notebook_helpers import browser_missing, require

VIEWPORT = (1000, 800)
DARK = {  # JupyterLab 4's dark theme values
    "--jp-content-font-color1": "#fff", "--jp-content-font-color2": "rgba(255,255,255,.7)",
    "--jp-layout-color0": "#111", "--jp-layout-color1": "#212121", "--jp-border-color1": "#616161",
    "--jp-border-color2": "#424242", "--jp-content-link-color": "#64b5f6",
}

# Returns a list of problems (empty when the layout is right) for every svg.nbnlp-deps on the page.
CHECK_LAYOUT = """() => {
  const problems = [];
  const root = document.documentElement;
  if (root.scrollWidth > window.innerWidth) problems.push(`page scrolls sideways: ${root.scrollWidth} > ${window.innerWidth}`);
  const overlaps = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  for (const svg of document.querySelectorAll('svg.nbnlp-deps')) {
    const name = svg.dataset.side || 'standalone';
    const scroller = svg.closest('.nbnlp-parse-scroll');
    if (!scroller) { problems.push(`${name}: no scroller`); continue; }
    const box = svg.getBoundingClientRect(), sc = scroller.getBoundingClientRect(), vb = svg.viewBox.baseVal;
    if (sc.left < 0 || sc.right > window.innerWidth) problems.push(`${name}: scroller ${sc.left}-${sc.right} outside the page`);
    if (scroller.scrollLeft === 0 && box.left < sc.left - 0.5) problems.push(`${name}: svg starts left of its scroller`);
    if (Math.abs(box.width - vb.width) > 0.5) problems.push(`${name}: svg scaled (${box.width} px for a ${vb.width} viewBox)`);
    const areaLeft = sc.left + scroller.clientLeft - scroller.scrollLeft, areaRight = areaLeft + scroller.scrollWidth;
    const texts = [...svg.querySelectorAll('text.nbnlp-word, text.nbnlp-tag, text.nbnlp-arc-label')];
    for (const t of texts) {
      const b = t.getBoundingClientRect(), g = t.getBBox(), what = `${name} ${t.getAttribute('class')} "${t.textContent}"`;
      if (b.left < box.left || b.right > box.right || b.top < box.top || b.bottom > box.bottom)
        problems.push(`${what} outside its svg: ${[b.left, b.right, b.top, b.bottom]} vs ${[box.left, box.right, box.top, box.bottom]}`);
      if (g.x < vb.x + 2 || g.x + g.width > vb.x + vb.width - 2 || g.y < vb.y || g.y + g.height > vb.y + vb.height)
        problems.push(`${what} outside the viewBox (or its padding)`);
      if (b.left < areaLeft - 0.5 || b.right > areaRight + 0.5) problems.push(`${what} outside the scroller's scrollable area`);
    }
    const words = [...svg.querySelectorAll('text.nbnlp-word')].map(t => t.getBoundingClientRect());
    const labels = [...svg.querySelectorAll('text.nbnlp-arc-label')];
    labels.forEach((t, i) => {
      const b = t.getBoundingClientRect();
      if (words.some(w => overlaps(b, w))) problems.push(`${name} label "${t.textContent}" overlaps a word`);
      labels.slice(i + 1).forEach(u => { if (overlaps(b, u.getBoundingClientRect())) problems.push(`${name} labels "${t.textContent}" and "${u.textContent}" overlap`); });
    });
  }
  return problems;
}"""

# [text, contrast] for every piece of text of the renderings, against the first opaque background behind it.
CONTRASTS = """() => {
  const canvas = document.createElement('canvas'); canvas.width = canvas.height = 1;
  const ctx = canvas.getContext('2d', {willReadFrequently: true});
  const rgba = colour => { ctx.clearRect(0, 0, 1, 1); ctx.fillStyle = '#f0f'; ctx.fillStyle = colour; ctx.fillRect(0, 0, 1, 1);
                           const d = ctx.getImageData(0, 0, 1, 1).data; return [d[0], d[1], d[2], d[3] / 255]; };
  const background = el => { for (let e = el; e; e = e.parentElement) { const c = rgba(getComputedStyle(e).backgroundColor);
                                if (c[3] > 0.99) return c; } return [255, 255, 255, 1]; };
  const lum = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
                     return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const out = [];
  const els = document.querySelectorAll('text.nbnlp-word, text.nbnlp-tag, text.nbnlp-arc-label, .nbnlp-error-summary, .nbnlp-ent, .nbnlp-gold > div:first-child, .nbnlp-pred > div:first-child');
  for (const el of els) {
    const style = getComputedStyle(el), bg = background(el);
    const fg = rgba(el instanceof SVGElement ? style.fill : style.color);
    const mixed = [0, 1, 2].map(k => fg[k] * fg[3] + bg[k] * (1 - fg[3]));
    const [hi, lo] = [lum(mixed), lum(bg)].sort((a, b) => b - a);
    out.push([el.textContent.slice(0, 30), (hi + 0.05) / (lo + 0.05)]);
  }
  return out;
}"""


def _long_sentence_example() -> nbnlp.Example:
    """The first EWT training sentence of >= 40 tokens as gold; predicted = gold with three heads, a label and a tag wrong."""
    vocab = nbnlp.Vocab()
    gold = next(doc for doc in nbnlp.load_docs(demo_path("ewt-train"), vocab=vocab) if len(doc) >= 40)
    pred = nbnlp.Doc.from_orths(vocab, gold.arrays["ORTH"], gold.arrays["SPACY"])
    for column in ("TAG", "POS", "HEAD", "DEP"):
        pred.arrays[column] = gold.arrays[column].copy()
    heads = pred.arrays["HEAD"]
    for i in (3, 17, 33):
        heads[i] = next(h for h in (0, len(gold) - 1, 1) if h not in (i, heads[i]))
    pred.arrays["DEP"][12] = vocab.strings.add("nmod:tmod")  # token 10 is the root: no arc
    pred.arrays["TAG"][20] = vocab.strings.add("PLANTED")
    return nbnlp.Example(pred, gold)


def _widget_like(markup: str) -> str:
    """`markup` nested as the ipywidgets VBox > HTML widget > content flex boxes nest it in JupyterLab."""
    return (
        '<div style="display:flex;flex-direction:column">'
        '<div style="display:flex;flex-direction:row;align-items:baseline">'
        f'<div style="align-self:stretch;flex-grow:1;flex-shrink:1;line-height:28px">{markup}</div></div></div>'
    )


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory):
    require(browser_missing())
    size = {"width": VIEWPORT[0], "height": VIEWPORT[1]}
    if not hasattr(notebook_helpers, "chromium"):  # the older harness: one page per browser
        with notebook_helpers.chromium_page(tmp_path_factory.mktemp("chromium-profile"), viewport=VIEWPORT) as page:
            yield page
        return
    with notebook_helpers.chromium() as browser:
        context = browser.new_context(viewport=size)
        try:
            yield context.new_page()
        finally:
            context.close()


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The standalone file `write_renderings` writes for the sentence, and a page of its inspector markup."""
    folder = tmp_path_factory.mktemp("renderings")
    eg = _long_sentence_example()
    assert len(eg.reference) >= 40 and find_errors(eg).total == 5
    (parses,) = [p for p in write_renderings([eg.reference], folder, title="t") if p.name == "parses.html"]
    inspector = folder / "inspector.html"
    inspector.write_text(
        f'<!DOCTYPE html><html><head><meta charset="utf-8"><style>{PAGE_STYLE}</style></head>'
        f"<body>{_widget_like(render_example_html(eg, title='#1'))}</body></html>",
        encoding="utf8",
    )
    return {"standalone": parses, "inspector": inspector}


def _open(page, path: Path) -> None:
    page.goto(path.as_uri())
    page.wait_for_load_state("load")


def test_standalone_parse_fits_and_nothing_is_clipped(page, pages: dict[str, Path]) -> None:
    _open(page, pages["standalone"])
    assert page.locator("svg.nbnlp-deps").count() == 1
    assert page.locator("text.nbnlp-word").count() >= 40 and page.locator("text.nbnlp-arc-label").count() >= 39
    assert page.evaluate(CHECK_LAYOUT) == []
    scroller = page.locator(".nbnlp-parse.nbnlp-parse-scroll")
    assert scroller.evaluate("s => s.scrollWidth > s.clientWidth")  # a 40-token parse is wider than the page: it scrolls
    scroller.evaluate("s => { s.scrollLeft = s.scrollWidth; }")
    assert page.evaluate(CHECK_LAYOUT) == []


def test_inspector_gold_above_predicted_in_one_scroller(page, pages: dict[str, Path]) -> None:
    _open(page, pages["inspector"])
    assert page.evaluate(CHECK_LAYOUT) == []
    gold, pred = page.locator('svg.nbnlp-deps[data-side="gold"]'), page.locator('svg.nbnlp-deps[data-side="predicted"]')
    assert gold.count() == pred.count() == 1
    assert page.locator(".nbnlp-parse-scroll").count() == 1  # one scroller, shared: no nested scrolling
    assert page.evaluate("""() => { const g = document.querySelector('svg[data-side="gold"]'), p = document.querySelector('svg[data-side="predicted"]');
                                    return g.closest('.nbnlp-parse-scroll') === p.closest('.nbnlp-parse-scroll'); }""")
    g, p = gold.bounding_box(), pred.bounding_box()
    assert g["y"] + g["height"] <= p["y"] and abs(g["x"] - p["x"]) < 1  # gold above predicted, same columns
    for box in (g, p):  # both start on screen
        assert 0 <= box["x"] < VIEWPORT[0] and 0 <= box["y"] < VIEWPORT[1]
    gold_x = page.locator('svg[data-side="gold"] text.nbnlp-word').evaluate_all("ts => ts.map(t => t.getAttribute('x'))")
    pred_x = page.locator('svg[data-side="predicted"] text.nbnlp-word').evaluate_all("ts => ts.map(t => t.getAttribute('x'))")
    assert gold_x == pred_x and len(gold_x) >= 40  # the same tokens: a word's gold and predicted arcs line up
    assert page.locator('svg[data-side="predicted"] path.nbnlp-arc.nbnlp-wrong').count() == 4
    assert page.locator('svg[data-side="predicted"] text.nbnlp-tag.nbnlp-wrong').text_content() == "PLANTED"
    # Scrolled to the far end, everything still fits and the side labels stay in view (sticky).
    scroller = page.locator(".nbnlp-parse-scroll")
    scroller.evaluate("s => { s.scrollLeft = s.scrollWidth; }")
    assert scroller.evaluate("s => s.scrollLeft") > 0
    assert page.evaluate(CHECK_LAYOUT) == []
    area = scroller.bounding_box()
    for side in (".nbnlp-gold", ".nbnlp-pred"):
        label = page.locator(f"{side} > div").first.bounding_box()
        assert area["x"] <= label["x"] and label["x"] + label["width"] <= area["x"] + area["width"], side


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_text_contrast(page, pages: dict[str, Path], theme: str) -> None:
    for name in ("standalone", "inspector"):
        _open(page, pages[name])
        if theme == "dark":
            page.evaluate("vars => { for (const [k, v] of Object.entries(vars)) document.body.style.setProperty(k, v); }", DARK)
            assert page.evaluate("() => getComputedStyle(document.body).backgroundColor") == "rgb(17, 17, 17)"
        contrasts = page.evaluate(CONTRASTS)
        assert len(contrasts) > 80
        low = [(text, round(c, 2)) for text, c in contrasts if c < 4.5]
        assert low == [], f"{name} ({theme}): text below contrast 4.5: {low[:10]}"
