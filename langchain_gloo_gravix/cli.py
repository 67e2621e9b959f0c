"""``python -m langchain_gloo_gravix check | chat``: credentials check and a one-shot chat.

Uses the core client only (no LangChain import), so it starts fast.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from typing import Any, Iterator, Optional

from .core import Client, GlooGravixError
from .core.auth import GlooOAuth
from .core.endpoints import (
    GLOO_V1,
    GLOO_V2,
    GLOO_V2_GROUNDED,
    GRAVIX,
    Endpoint,
    credentials_help,
    env_credentials,
    get_endpoint,
)

__all__ = ["main"]


@contextlib.contextmanager
def _target(use_emulator: bool) -> Iterator[dict[str, dict[str, Any]]]:
    """Client keyword arguments per endpoint: the live services, or an in-process emulator."""
    if not use_emulator:
        yield {}
        return
    from .emulator import Emulator

    with Emulator(port=0) as emu:
        gloo = {"base_url": emu.gloo_base_url, "client_id": Emulator.CLIENT_ID, "client_secret": Emulator.CLIENT_SECRET}
        yield {
            GLOO_V1.name: gloo,
            GLOO_V2.name: gloo,
            GLOO_V2_GROUNDED.name: gloo,
            GRAVIX.name: {"base_url": emu.gravix_base_url, "api_key": Emulator.GRAVIX_API_KEY},
        }


def _routing_params(endpoint: Endpoint, model: Optional[str]) -> dict[str, Any]:
    # the adapters' rules: v2 without a model routes automatically (Endpoint.with_default_routing); an endpoint that
    # needs a model and got none uses its example model
    if not model and endpoint.requires_model:
        model = endpoint.example_model
    return endpoint.with_default_routing({"model": model} if model else {})


def _check_one(endpoint: Endpoint, overrides: dict[str, Any], model: Optional[str]) -> Optional[bool]:
    """True if every step passed, False if one failed, None if skipped (no credentials)."""
    print(f"\n== {endpoint.name}")
    if not overrides and not env_credentials(endpoint):
        print(f"  SKIPPED  no credentials: {credentials_help(endpoint)}")
        return None
    ok = True
    with Client(endpoint, max_retries=0, **overrides) as client:
        print(f"  base URL  {client.base_url}")
        if isinstance(client.auth, GlooOAuth):
            try:
                client._sender.token()  # the token request alone, with the client's timeouts
                print("  OK       token exchange (client credentials accepted)")
            except GlooGravixError as error:
                print(f"  FAILED   token exchange: {error}")
                return False
            except Exception as error:  # connection problems are reported, not raised
                print(f"  FAILED   token exchange: cannot reach {client.base_url}: {type(error).__name__}: {error}")
                return False
        try:
            models = client.list_models()
            print(f"  OK       model list ({len(models)} models, e.g. {', '.join(m.id for m in models[:3])})")
        except GlooGravixError as error:
            print(f"  WARNING  model list: {error}")
        except Exception as error:
            print(f"  WARNING  model list: {type(error).__name__}: {error}")
        try:
            completion = client.create(
                [{"role": "user", "content": "Reply with the word: ready"}],
                max_tokens=1024,
                **_routing_params(endpoint, model),
            )
            routing = completion.routing
            extra = f"; routed by {routing.routing_mechanism}" if routing and routing.routing_mechanism else ""
            print(f"  OK       completion from {completion.model}{extra}: {completion.message.text[:60]!r}")
        except GlooGravixError as error:
            ok = False
            print(f"  FAILED   completion: {error}")
        except Exception as error:
            ok = False
            print(f"  FAILED   completion: {type(error).__name__}: {error}")
    return ok


def _check(args: argparse.Namespace) -> int:
    with _target(args.emulator) as targets:
        print("checking against " + ("the local emulator" if args.emulator else "the live services"))
        results = [_check_one(e, targets.get(e.name, {}), None) for e in (GLOO_V1, GLOO_V2, GRAVIX)]
    checked = [r for r in results if r is not None]
    if not checked:
        print("\nnothing was checked: no credentials in the environment (try --emulator)")
        return 2
    print("\nall checks passed" if all(checked) else "\nsome checks failed (see above)")
    return 0 if all(checked) else 1


def _chat(args: argparse.Namespace) -> int:
    endpoint = get_endpoint(args.endpoint)
    params = _routing_params(endpoint, args.model)
    if args.tradition:
        params["tradition"] = args.tradition
    messages = [{"role": "user", "content": args.prompt}]
    with _target(args.emulator) as targets, Client(endpoint, **targets.get(endpoint.name, {})) as client:
        try:
            if args.stream:
                stream = client.stream(messages, **params)
                for delta in stream:
                    sys.stdout.write(delta.content)
                    sys.stdout.flush()
                completion = stream.completion()
                print()
            else:
                completion = client.create(messages, **params)
                print(completion.message.text)
        except (GlooGravixError, ValueError) as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    details = [f"model={completion.model}"]
    if completion.usage:
        details.append(f"tokens in/out={completion.usage.prompt_tokens}/{completion.usage.completion_tokens}")
    if completion.routing:
        details.append(
            "routing=" + ", ".join(f"{k}={v}" for k, v in completion.routing.as_dict().items() if k != "model")
        )
    if completion.grounding is not None:
        found = completion.grounding.as_dict()
        details.append(f"sources_returned={found['sources_returned']}; citations={len(found['citations'] or [])}")
    print("[" + "; ".join(details) + "]", file=sys.stderr)
    return 0


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m langchain_gloo_gravix",
        # the module docstring is for maintainers (reST markup, import notes); --help is for users
        description="Check your Gloo AI and Gravix Layer credentials, or send one prompt. "
        "Credentials come from the environment (GLOO_CLIENT_ID/GLOO_CLIENT_SECRET or GLOO_API_KEY, "
        "GRAVIXLAYER_API_KEY); check --emulator and chat --emulator use a local emulator instead, offline.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    check = sub.add_parser("check", help="verify credentials: token exchange, model list, one tiny completion")
    check.add_argument("--emulator", action="store_true", help="check against an in-process emulator instead")
    chat = sub.add_parser("chat", help="send one prompt and print the answer")
    chat.add_argument("prompt")
    chat.add_argument("--endpoint", choices=["gloo-v2", "gloo-v1", "gloo-v2-grounded", "gravix"], default="gloo-v2")
    chat.add_argument("--model", help="model id (Gloo v2: selects the model instead of auto routing)")
    chat.add_argument("--tradition", help="Gloo v2: evangelical, catholic, mainline or not_faith_specific")
    chat.add_argument("--stream", action="store_true", help="print tokens as they arrive")
    chat.add_argument("--emulator", action="store_true", help="answer from an in-process emulator")
    args = parser.parse_args(argv)
    return _check(args) if args.command == "check" else _chat(args)
