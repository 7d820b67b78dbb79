"""One module per ``xxgk`` sub-command; each defines ``register(subparsers)`` and sets ``func`` on its parser."""
