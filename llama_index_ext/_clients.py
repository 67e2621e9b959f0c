"""Lazily built core clients, reused across calls: the core's cache (langchain_gloo_gravix.core.client_cache),
shared with the LangChain models. Kept as a module so that existing imports go on working."""

from __future__ import annotations

from langchain_gloo_gravix.core.client_cache import ClientCache, settings_key

__all__ = ["ClientCache", "settings_key"]
