"""Notebook views over nbnlp.core, each a plain function or class of its data (the magics only display them).

- `render`: entities and dependency arcs as self-contained HTML/SVG (no IPython, no browser needed)
- `training_view`: the live training view (HTML through a display handle, or tqdm in a terminal)
- `pretrain_view`: the live view of pretraining epochs
- `config_view` / `config_form`: a config's summary and its ipywidgets override form
- `evaluation`: scores, per-label tables and confusion matrices
- `inspector`: the example browser, gold vs predicted
- `debug_report`: debug-data's report with collapsible sections
"""
