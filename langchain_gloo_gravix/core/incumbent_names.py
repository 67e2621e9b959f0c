"""What the constructor arguments of ``ChatOpenAI``, ``OpenAIEmbeddings``, ``OpenAILike`` and llama-index's
``OpenAIEmbedding`` do here: one table, read by the constructors (``checked_model.py``) and by the porting
guide (``docs/porting.md`` is generated from :func:`porting_markdown`; a test compares them, walks the
incumbents' own field lists when they are installed, and checks each row against the classes).

Why one module of over 450 lines: most of it is the table itself (about 150 rows, one per incumbent
argument); splitting the table from the few functions that read it would only make a reader open two files
to see what one argument does.

Each argument of an incumbent is one :class:`Row`:

- ``same``: declared here under that name (or as that alias), with the same meaning;
- ``alias``: accepted and renamed to our ``target`` field (``openai_api_key`` -> ``api_key``); giving both
  is an error;
- ``body``: not declared; moved to ``model_kwargs`` / ``additional_kwargs`` with a warning and sent as a
  request field, as the incumbent sends it;
- ``fixed``: the incumbent's switch for something that is always on here: its ``value`` is accepted (and
  dropped), any other value is refused with the note;
- ``refused``: a client-side setting we do not support: a ``ValueError`` at construction that says what to
  use instead (the note). Where one of our classes declares the name with its own meaning (``api_version``
  on the Gloo classes), that class's field wins and the note says how it differs.

An argument in no row whose name looks like a credential (``credentials.looks_like_credential``) is refused
as well, naming the argument and never its value: it must not travel as a body field or show in ``repr``,
serialisation or tracing.

Import cost: a few tuples; nothing else is imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Literal, Mapping, Optional

__all__ = ["Row", "MethodRow", "Incumbent", "INCUMBENTS", "METHODS", "apply_incumbent_names", "porting_markdown"]

Kind = Literal["same", "alias", "body", "fixed", "refused"]


@dataclass(frozen=True)
class Row:
    name: str
    kind: Kind
    #: alias: our field; same: our field when it differs from ``name`` (an alias of ours)
    target: str = ""
    note: str = ""
    #: fixed: the only value accepted
    value: Any = None


@dataclass(frozen=True)
class Incumbent:
    """An incumbent class, where it lives, which of our classes replace it, and its arguments."""

    name: str
    package: str
    module: str
    ours: tuple[str, ...]
    rows: tuple[Row, ...]
    #: "later" rows: filled in by other work (porting guide sections reserved for them)

    def row(self, name: str) -> Optional[Row]:
        for row in self.rows:
            if row.name == name:
                return row
        return None


# -- pointers shared by several rows ------------------------------------------------------------------------

_SDK_CLIENT = "an openai SDK client; this package does not use the openai SDK: pass http_client= / {async_} (httpx)"
_ORG = (
    "OpenAI organisations do not exist on Gloo or Gravix Layer; drop it (a gateway that wants the header: "
    "default_headers={'OpenAI-Organization': ...})"
)
_QUERY = (
    "query parameters are not supported (base_url takes none: they are where keys leak); use default_headers= "
    "or extra_body=, or an httpx client with params= (http_client=httpx.Client(params=...))"
)
_RESPONSES = "an OpenAI Responses API option; Gloo and Gravix Layer serve Chat Completions only: drop it"
_AZURE = "an Azure OpenAI setting; not used by Gloo or Gravix Layer: drop it (choose the model with model=)"
_SOCKETS = (
    "socket options are not a setting here: pass http_client=httpx.Client(transport=httpx.HTTPTransport("
    "socket_options=...)) (and the async twin)"
)
_TIKTOKEN = (
    "a tiktoken option of OpenAIEmbeddings' long-input splitting; the split here uses a tokenizer-free estimate "
    "(check_embedding_ctx_length=, embedding_ctx_length=): drop it"
)
_RETRY_WAITS = (
    "retry waits follow the server's Retry-After, else exponential backoff with jitter (core RetryPolicy); only "
    "max_retries is a setting: drop it"
)
_LC_FRAMEWORK = "LangChain's own (BaseChatModel)"
_LI_FRAMEWORK = "LlamaIndex's own (LLM)"
_LI_EMB_FRAMEWORK = "LlamaIndex's own (BaseEmbedding)"


def _same(name: str, note: str = "", target: str = "") -> Row:
    return Row(name, "same", target=target, note=note)


def _alias(name: str, target: str, note: str = "") -> Row:
    return Row(name, "alias", target=target, note=note)


def _body(name: str, note: str = "") -> Row:
    return Row(name, "body", note=note or "sent as a request field (via the extra-fields dict, with a warning)")


def _refused(name: str, note: str) -> Row:
    return Row(name, "refused", note=note)


def _fixed(name: str, value: Any, note: str) -> Row:
    return Row(name, "fixed", value=value, note=note)


# -- ChatOpenAI (langchain-openai 1.7) ----------------------------------------------------------------------

_CHAT_OPENAI = Incumbent(
    name="ChatOpenAI",
    package="langchain-openai",
    module="langchain_openai",
    ours=("ChatGloo", "ChatGravixLayer"),
    rows=(
        *(
            _same(n, _LC_FRAMEWORK)
            for n in (
                "name",
                "cache",
                "verbose",
                "callbacks",
                "tags",
                "metadata",
                "custom_get_token_ids",
                "rate_limiter",
                "disable_streaming",
                "output_version",
                "profile",
            )
        ),  # fmt: skip
        _refused("client", _SDK_CLIENT.format(async_="http_async_client=")),
        _refused("async_client", _SDK_CLIENT.format(async_="http_async_client=")),
        _refused("root_client", _SDK_CLIENT.format(async_="http_async_client=")),
        _refused("root_async_client", _SDK_CLIENT.format(async_="http_async_client=")),
        _same("model_name", "also model=; on Gloo v2 a model id selects routing by model"),
        _same("model", "the alias of model_name", target="model_name"),
        _same("temperature"),
        _same("model_kwargs"),
        _alias("openai_api_key", "api_key", "a str, SecretStr or a sync/async callable called per request"),
        _same("api_key", "a str, SecretStr or a sync/async callable called per request"),
        _alias("openai_api_base", "base_url"),
        _same("base_url", "Gloo: the host root; Gravix Layer: the .../v1/inference prefix"),
        _refused("openai_organization", _ORG),
        _refused("organization", _ORG),
        _alias("openai_proxy", "proxy", "chat, streams, Gloo token requests; not with http_client="),
        _alias("request_timeout", "timeout"),
        _same("timeout", "finite by default (connect 10 s, read 120 s); ChatOpenAI's default is none"),
        _same("stream_usage", "on by default here"),
        _same("max_retries", "one retry layer (the core's); retries reach callbacks as on_retry"),
        _same("presence_penalty"),
        _same("frequency_penalty"),
        _same("seed"),
        _same("logprobs"),
        _same("top_logprobs"),
        _body("logit_bias"),
        _same("streaming"),
        _same("n"),
        _same("top_p"),
        _same("max_tokens", "sent as max_tokens (ChatOpenAI sends max_completion_tokens)"),
        _same("max_completion_tokens", "a field of its own here, sent as max_completion_tokens"),
        _same("reasoning_effort"),
        _refused("reasoning", _RESPONSES + " (reasoning_effort= is the Chat Completions form)"),
        _body("verbosity"),
        _refused(
            "tiktoken_model_name",
            "token counting uses custom_get_token_ids= or tiktoken's o200k_base when installed, else an estimate: "
            "pass custom_get_token_ids=",
        ),
        _same("default_headers", "never shown, serialised or traced (pass again after load)"),
        _refused("default_query", _QUERY),
        _same("http_client"),
        _same("http_async_client"),
        _refused("http_socket_options", _SOCKETS),
        _alias("stream_chunk_timeout", "stream_idle_timeout", "sync and async streams here"),
        _same("stop"),
        _same("stop_sequences", "the alias of stop", target="stop"),
        _same("extra_body"),
        _same("include_response_headers", "credential-bearing values redacted"),
        _refused(
            "disabled_params",
            "not supported: parameters are sent only when set; pass parallel_tool_calls=False to bind_tools / "
            "with_structured_output, or leave the parameter unset",
        ),
        _refused("context_management", _RESPONSES),
        _refused("include", _RESPONSES),
        _refused("prompt_cache_options", "OpenAI prompt caching is not offered by Gloo or Gravix Layer: drop it"),
        _same("service_tier"),
        _body("store"),
        _refused("truncation", _RESPONSES),
        _refused("use_previous_response_id", _RESPONSES),
        _refused("use_responses_api", _RESPONSES),
        # an OpenAI request field (not a ChatOpenAI field) whose name the credential rule would catch
        _body("prompt_cache_key", "an OpenAI request field: sent as is (via model_kwargs, with a warning)"),
    ),
)

# -- OpenAIEmbeddings (langchain-openai 1.7) ----------------------------------------------------------------

_OPENAI_EMBEDDINGS = Incumbent(
    name="OpenAIEmbeddings",
    package="langchain-openai",
    module="langchain_openai",
    ours=("GravixLayerEmbeddings",),
    rows=(
        _refused("client", _SDK_CLIENT.format(async_="http_async_client=")),
        _refused("async_client", _SDK_CLIENT.format(async_="http_async_client=")),
        _same("model", "also model_name="),
        _same("dimensions", "sent as the request's dimensions; the answers' length is checked"),
        _refused("deployment", _AZURE),
        _refused("openai_api_version", _AZURE),
        _refused("api_version", _AZURE),
        _alias("openai_api_base", "base_url"),
        _same("base_url", "the .../v1/inference prefix"),
        _refused("openai_api_type", _AZURE),
        _alias("openai_proxy", "proxy"),
        _same("embedding_ctx_length", "the model's window in tokens; default: the catalog's"),
        _alias("openai_api_key", "api_key", "a str, SecretStr or a sync/async callable called per request"),
        _same("api_key", "a str, SecretStr or a sync/async callable called per request"),
        _refused("openai_organization", _ORG),
        _refused("organization", _ORG),
        _refused("allowed_special", _TIKTOKEN),
        _refused("disallowed_special", _TIKTOKEN),
        _same("chunk_size", "inputs per request (the alias of batch_size)", target="batch_size"),
        _same("max_retries"),
        _alias("request_timeout", "timeout"),
        _same("timeout"),
        _refused("headers", "use default_headers="),
        _refused("tiktoken_enabled", _TIKTOKEN),
        _refused("tiktoken_model_name", _TIKTOKEN),
        _fixed("show_progress_bar", False, "no progress bar here (the default False is accepted): drop it"),
        _same("model_kwargs"),
        _refused("skip_empty", "empty strings are sent as they are: filter them out before embedding"),
        _same("default_headers", "never shown or serialised"),
        _refused("default_query", _QUERY),
        _refused("retry_min_seconds", _RETRY_WAITS),
        _refused("retry_max_seconds", _RETRY_WAITS),
        _same("http_client"),
        _same("http_async_client"),
        _same(
            "check_embedding_ctx_length",
            "split inputs longer than the window and combine the pieces' vectors (a tokenizer-free estimate)",
        ),
    ),
)

# -- OpenAILike (llama-index-llms-openai-like 0.8) ----------------------------------------------------------

_OPENAI_LIKE = Incumbent(
    name="OpenAILike",
    package="llama-index-llms-openai-like",
    module="llama_index.llms.openai_like",
    ours=("Gloo", "GravixLayer"),
    rows=(
        *(
            _same(n, _LI_FRAMEWORK)
            for n in (
                "callback_manager",
                "rate_limiter",
                "system_prompt",
                "messages_to_prompt",
                "completion_to_prompt",
                "output_parser",
                "pydantic_program_mode",
                "query_wrapper_prompt",
            )
        ),  # fmt: skip
        _same("model"),
        _same("temperature", "the server's default when unset (OpenAILike sends 0.1)"),
        _same("max_tokens"),
        _same("logprobs"),
        _same("top_logprobs"),
        _same("additional_kwargs", "request fields for every call, validated by the core"),
        _same("max_retries", "one retry layer (OpenAILike stacks the SDK's under tenacity's)"),
        _same("timeout", "seconds, a (connect, read) pair or an httpx.Timeout"),
        _same("default_headers", "never shown or serialised"),
        _fixed("reuse_client", True, "clients are always reused (one per event loop); close()/aclose() end them"),
        _same("api_key", "a str, SecretStr or a sync/async callable called per request; never shown"),
        _alias("api_base", "base_url"),
        _refused(
            "api_version",
            _AZURE + ". On Gloo, api_version is Gloo's Completions API version ('v1' or 'v2')",
        ),
        _same("strict"),
        _same("reasoning_effort"),
        _refused("modalities", "audio output is not offered by Gloo or Gravix Layer: drop it"),
        _refused("audio_config", "audio output is not offered by Gloo or Gravix Layer: drop it"),
        _same("context_window", "defaults to the model catalog's, not 3900"),
        _fixed("is_chat_model", True, "always a chat model (chat completions; never /completions)"),
        _same("is_function_calling_model", "defaults to the model catalog's"),
        _refused("should_use_structured_outputs", "use structured_output_method='json_schema'"),
        _same("tokenizer", "an object with encode(), or a Hugging Face tokenizer name; sizes max_tokens when unset"),
        _same("http_client"),
        _same("async_http_client"),
        _refused("openai_client", _SDK_CLIENT.format(async_="async_http_client=")),
        _refused("async_openai_client", _SDK_CLIENT.format(async_="async_http_client=")),
    ),
)

# -- OpenAIEmbedding (llama-index-embeddings-openai) --------------------------------------------------------

_OPENAI_EMBEDDING = Incumbent(
    name="OpenAIEmbedding",
    package="llama-index-embeddings-openai",
    module="llama_index.embeddings.openai",
    ours=("GravixLayerEmbedding",),
    rows=(
        *(
            _same(n, _LI_EMB_FRAMEWORK)
            for n in ("callback_manager", "num_workers", "embeddings_cache", "rate_limiter", "embed_batch_size")
        ),
        _same("model_name", "also model="),
        _same("model", "the alias of model_name", target="model_name"),
        _refused("mode", "choose the embedding model with model_name= (there are no search/similarity modes)"),
        _same("additional_kwargs", "extra request fields (e.g. user)"),
        _same("api_key", "a str, SecretStr or a sync/async callable called per request; never shown"),
        _alias("api_base", "base_url"),
        _refused("api_version", _AZURE),
        _same("max_retries"),
        _same("timeout"),
        _same("default_headers", "never shown or serialised"),
        _fixed("reuse_client", True, "clients are always reused (one per event loop); close()/aclose() end them"),
        _same("dimensions", "sent as the request's dimensions; the answers' length is checked"),
        _refused(
            "http_client",
            "not accepted by GravixLayerEmbedding: use proxy= and default_headers= (LangChain's "
            "GravixLayerEmbeddings takes httpx clients)",
        ),
        _refused(
            "async_http_client",
            "not accepted by GravixLayerEmbedding: use proxy= and default_headers= (LangChain's "
            "GravixLayerEmbeddings takes httpx clients)",
        ),
    ),
)


@dataclass(frozen=True)
class MethodRow:
    """A method (or call-time argument) a user of the incumbent calls, and what it does here."""

    incumbent: str
    method: str
    kind: Literal["same", "differs"]
    note: str
    #: the section of the porting guide it belongs to
    topic: str = "Calls"


#: Checked by the tests (each method exists on every class of ours that replaces ``incumbent``). Topics with
#: work in progress (streaming structured output, images, embeddings chunk_size/dimensions, profiles,
#: init_chat_model) have their rows here so the guide has one place for them.
METHODS: tuple[MethodRow, ...] = (
    MethodRow("ChatOpenAI", "invoke", "same", "also ainvoke, batch, abatch (LangChain's Runnable)"),
    MethodRow("ChatOpenAI", "stream", "same", "also astream; usage on by default (stream_usage=True)"),
    MethodRow("ChatOpenAI", "bind_tools", "same", "tool_choice: auto/none/required/any/True/name/dict; strict="),
    MethodRow(
        "ChatOpenAI",
        "with_structured_output",
        "differs",
        "default method is function_calling (ChatOpenAI's is json_schema); json_schema and json_mode available; "
        "stream()/astream() yield partial objects for every method (include_raw too); a refusal raises "
        "StructuredOutputRefusalError, also while streaming",
        topic="Structured output",
    ),
    MethodRow(
        "ChatOpenAI",
        "get_num_tokens_from_messages",
        "differs",
        "exact with custom_get_token_ids or tiktoken's encoding on disk, otherwise an estimate",
    ),
    MethodRow("ChatOpenAI", "close", "differs", "closes the sync pool (aclose for the async one); ChatOpenAI has none"),
    MethodRow(
        "ChatOpenAI",
        "profile",
        "same",
        "from this package's model catalog; max_input_tokens is the window minus the largest answer "
        "(272,000 for GPT-5 ids, as ChatOpenAI's data says)",
        topic="Profiles",
    ),
    MethodRow(
        "ChatOpenAI",
        "invoke",
        "differs",
        "images in a ToolMessage are sent in a user message right after the tool results (tool messages take "
        "text only); Anthropic-style image blocks convert; an image to a route whose profile has no image "
        "input is sent with a GlooGravixWarning",
        topic="Images",
    ),
    MethodRow(
        "OpenAILike",
        "chat",
        "differs",
        "ImageBlocks in user messages and in tool results (moved to a user message after the results); "
        "images in system or assistant messages are refused by name",
        topic="Images",
    ),
    MethodRow(
        "OpenAIEmbeddings",
        "embed_documents",
        "same",
        "also aembed_documents; chunk_size= per call; inputs longer than the model's window are split and "
        "combined (check_embedding_ctx_length, embedding_ctx_length)",
        topic="Embeddings",
    ),
    MethodRow("OpenAIEmbeddings", "embed_query", "same", "also aembed_query", topic="Embeddings"),
    MethodRow("OpenAILike", "chat", "same", "also achat, stream_chat, astream_chat (always chat completions)"),
    MethodRow("OpenAILike", "complete", "same", "derived from chat (never /completions)"),
    MethodRow("OpenAILike", "chat_with_tools", "same", "also the async and streaming forms; tool_required="),
    MethodRow(
        "OpenAILike",
        "structured_predict",
        "same",
        "forced tool call, or response_format with structured_output_method='json_schema'",
        topic="Structured output",
    ),
    MethodRow(
        "OpenAILike",
        "as_structured_llm",
        "same",
        "LlamaIndex's StructuredLLM; stream_chat yields partial objects through structured_output_method, and "
        "a refusal raises RefusalError",
        topic="Structured output",
    ),
    MethodRow(
        "OpenAIEmbedding",
        "get_text_embedding_batch",
        "same",
        "also aget_text_embedding_batch; max_concurrency bounds async batches",
        topic="Embeddings",
    ),
)

INCUMBENTS: Mapping[str, Incumbent] = {
    i.name: i for i in (_CHAT_OPENAI, _OPENAI_EMBEDDINGS, _OPENAI_LIKE, _OPENAI_EMBEDDING)
}


# -- the constructors' use ----------------------------------------------------------------------------------


def apply_incumbent_names(
    values: Mapping[str, Any], incumbent: Optional[str], declared: Iterable[str], extra_field: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Constructor ``values`` with the incumbent's names applied: aliases renamed to our fields, ``fixed``
    switches checked and dropped, refused names and credential-looking unknown names raising ``ValueError``
    (naming the argument, never its value). ``declared``: our class's field names and aliases (they win).

    Returns the values left, and the ``body`` rows' arguments taken out of them (the caller moves those
    to the extra-fields dict with a warning, without the misspelling check: ``verbosity`` is no typo of
    ``verbose``). The keys of the extra-fields dict (``extra_field``) pass the credential rule too.
    """
    from .credentials import looks_like_credential
    from .options import closest_option

    table = INCUMBENTS.get(incumbent) if incumbent else None
    names = set(declared)
    out = dict(values)
    body: dict[str, Any] = {}
    extra = values.get(extra_field)
    if isinstance(extra, Mapping):
        for key in extra:
            row = table.row(key) if table is not None and isinstance(key, str) else None
            if isinstance(key, str) and looks_like_credential(key) and (row is None or row.kind != "body"):
                raise ValueError(
                    f"{extra_field} key {key!r} looks like a credential, so it is not sent in the request body (its "
                    "value is not shown): pass the key as api_key=, or a gateway's credential as default_headers="
                )
    for name in list(values):
        if name in names:
            continue
        row = table.row(name) if table is not None else None
        if row is None:
            # a misspelt option ("max_token") gets the caller's "did you mean" error instead
            if looks_like_credential(name) and closest_option(name, sorted(names)) is None:
                raise ValueError(
                    f"unknown argument {name!r} looks like a credential, so it is neither sent nor kept (its value "
                    f"is not shown): pass the key as api_key= (a str, SecretStr or a callable), or a gateway's "
                    f"credential as default_headers={{'<Header-Name>': ...}}"
                )
            continue  # an unknown option: the caller moves it to the body with a warning
        if row.kind == "alias":
            if row.target in out:
                raise ValueError(f"{name!r} is {incumbent}'s name for {row.target!r}: give one of them, not both")
            out[row.target] = out.pop(name)
        elif row.kind == "fixed":
            if values[name] != row.value:
                raise ValueError(f"{name}={values[name]!r} is not supported: {row.note}")
            del out[name]
        elif row.kind == "refused":
            raise ValueError(f"{incumbent}'s {name!r} is not supported here: {row.note}")
        elif row.kind == "body":
            body[name] = out.pop(name)
        # same: declared under another spelling of ours, left for pydantic
    return out, body


# -- the porting guide --------------------------------------------------------------------------------------

_KIND_TEXT = {
    "same": "same",
    "alias": "alias",
    "body": "request field",
    "fixed": "accepted",
    "refused": "**refused**",
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _what(row: Row) -> str:
    if row.kind == "alias":
        return f"renamed to `{row.target}`" + (f"; {row.note}" if row.note else "")
    if row.kind == "same" and row.target:
        return f"`{row.target}`" + (f" ({row.note})" if row.note else "")
    if row.kind == "fixed":
        return f"only `{row.name}={row.value!r}`: {row.note}"
    return row.note


def porting_markdown() -> str:
    """The generated part of ``docs/porting.md``: one table per incumbent."""
    parts: list[str] = []
    for incumbent in INCUMBENTS.values():
        ours = " / ".join(f"`{o}`" for o in incumbent.ours)
        parts.append(f"### `{incumbent.name}` ({incumbent.package}) -> {ours}\n")
        parts.append("| Argument | Here | What it does / what to use instead |")
        parts.append("|---|---|---|")
        for row in incumbent.rows:
            parts.append(f"| `{row.name}` | {_KIND_TEXT[row.kind]} | {_cell(_what(row))} |")
        parts.append("")
    parts.append("### Methods\n")
    parts.append("| Topic | Class | Method | Here | Notes |")
    parts.append("|---|---|---|---|---|")
    for method in sorted(METHODS, key=lambda m: m.topic):
        parts.append(
            f"| {method.topic} | `{method.incumbent}` | `{method.method}` | {method.kind} | {_cell(method.note)} |"
        )
    parts.append("")
    return "\n".join(parts)


BEGIN = "<!-- BEGIN GENERATED from core/incumbent_names.py: do not edit by hand -->"
END = "<!-- END GENERATED -->"


def with_generated_section(document: str) -> str:
    """``document`` (the porting guide) with its generated section replaced by :func:`porting_markdown`."""
    head, sep, rest = document.partition(BEGIN)
    if not sep or END not in rest:
        raise ValueError(f"the document has no {BEGIN!r} ... {END!r} section")
    tail = rest.partition(END)[2]
    return f"{head}{BEGIN}\n\n{porting_markdown()}\n{END}{tail}"


if __name__ == "__main__":  # pragma: no cover - python -m langchain_gloo_gravix.core.incumbent_names [--write FILE]
    import sys

    if len(sys.argv) == 3 and sys.argv[1] == "--write":
        with open(sys.argv[2], encoding="utf-8") as f:
            text = with_generated_section(f.read())
        with open(sys.argv[2], "w", encoding="utf-8") as f:
            f.write(text)
    else:
        print(porting_markdown())
