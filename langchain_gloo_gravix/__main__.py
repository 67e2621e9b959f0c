"""``python -m langchain_gloo_gravix check`` / ``chat "..."`` (see cli.py)."""

from .cli import main

raise SystemExit(main())
