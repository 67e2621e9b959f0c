"""Ten short documents and, for each, a question whose answer is in it (shared by the RAG tests
of both frameworks and the demo's offline run)."""

from __future__ import annotations

DOCUMENTS = [
    "Gloo AI tokens come from the OAuth2 client-credentials grant and expire after one hour.",
    "Gravix Layer serves OpenAI-compatible chat completions under the /v1/inference prefix.",
    "Gloo Completions v2 routes each request by auto routing, by model, or by model family.",
    "The tradition parameter steers answers toward an evangelical, catholic or mainline perspective.",
    "Rate limits on Gravix Layer answer HTTP 429 with a Retry-After header in seconds.",
    "Streaming responses arrive as server-sent events, one JSON chunk per data line.",
    "Embeddings turn text into vectors so that a vector store can find similar passages.",
    "The emulator binds to 127.0.0.1 only and picks a free port when given port zero.",
    "Tool calling lets the model request a function such as get_weather with JSON arguments.",
    "Benchmarks compare our clients with ChatOpenAI and OpenAILike on a loopback stub server.",
]

QUESTIONS = [
    "How long do Gloo tokens last before they expire?",
    "Under which prefix does Gravix Layer serve chat completions?",
    "How does Completions v2 route a request?",
    "Which perspective can the tradition parameter steer answers toward?",
    "What does a rate limit answer, and which header says how long to wait?",
    "How do streaming responses arrive?",
    "What do embeddings turn text into?",
    "Which address does the emulator bind to?",
    "How does tool calling request a function like get_weather?",
    "What do the benchmarks compare our clients with?",
]
