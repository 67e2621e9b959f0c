"""LlamaIndex LLMs for Gloo AI (Completions v1, v2) and Gravix Layer.

Both are ``FunctionCallingLLM`` subclasses built on the framework-free core
client in ``langchain_gloo_gravix.core``: chat endpoint, tools, streaming usage,
known context windows and secret-safe serialisation work without tuning.
"""

from .llms import Gloo, GravixLayer

__all__ = ["Gloo", "GravixLayer"]
