"""Developer and operator scripts, run with `python -m scripts.<name>`. Imports core, settings and mail."""
