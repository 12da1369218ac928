"""Notebook views (HTML and ipywidgets) over nbnlp.core; `render` needs neither IPython nor a browser."""
