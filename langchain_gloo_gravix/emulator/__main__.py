"""``python -m langchain_gloo_gravix.emulator [--port 8787]``: serve until Ctrl-C."""

from __future__ import annotations

import argparse
import threading

from .emulator import Emulator


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m langchain_gloo_gravix.emulator",
        description="Local emulator of Gloo AI and Gravix Layer chat completions.",
    )
    parser.add_argument("--port", type=int, default=8787, help="port on 127.0.0.1 (0 = any free port)")
    parser.add_argument("--token-lifetime", type=int, default=3600, help="OAuth token lifetime in seconds")
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    parser.add_argument(
        "--publisher",
        action="append",
        default=[],
        metavar="NAME=PATH",
        help='serve the JSON-lines file PATH (one {"text", "title"?, "url"?, "id"?} per line) as '
        "rag_publisher NAME on the grounded route; repeatable",
    )
    parser.add_argument(
        "--fail",
        action="append",
        default=[],
        metavar="SPEC",
        help="make the next chat requests fail, in order, to test retry code: e.g. --fail 429,503 "
        "(statuses 4xx/5xx, 429:SECONDS for Retry-After, slow:SECONDS, cut, stream_error); repeatable",
    )
    args = parser.parse_args(argv)

    emu = Emulator(port=args.port, token_lifetime=args.token_lifetime)
    for spec in args.publisher:
        name, sep, path = spec.partition("=")
        if not sep or not name.strip() or not path.strip():
            parser.error(f"--publisher needs NAME=PATH, got {spec!r}")
        try:
            count = emu.register_publisher(name.strip(), path.strip())
        except (OSError, ValueError) as exc:
            parser.error(f"--publisher {spec}: {exc}")
        print(f"Publisher {name.strip()!r}: {count} documents from {path.strip()}")
    specs = [spec for value in args.fail for spec in value.split(",") if spec.strip()]
    try:
        emu.fail_next(*specs)
    except ValueError as exc:
        parser.error(str(exc))
    emu.log_requests = not args.quiet
    emu.start()
    print(f"Emulator listening on {emu.base_url}")
    print(f"  Gloo base URL:    {emu.gloo_base_url}   (token: POST /oauth2/token)")
    print(f"  Gravix base URL:  {emu.gravix_base_url}")
    print(f"  Grounded route:   POST /ai/v2/chat/completions/grounded   (publishers: {', '.join(emu.publishers)})")
    print("Credentials:")
    print(f"  Gloo client id / secret: {Emulator.CLIENT_ID} / {Emulator.CLIENT_SECRET}")
    print(f"  Gloo API key:            {Emulator.GLOO_API_KEY}")
    print(f"  Gravix API key:          {Emulator.GRAVIX_API_KEY}")
    print("Use it from a shell with:")
    print(f"  export GLOO_BASE_URL={emu.gloo_base_url}")
    print(f"  export GLOO_CLIENT_ID={Emulator.CLIENT_ID}")
    print(f"  export GLOO_CLIENT_SECRET={Emulator.CLIENT_SECRET}")
    print(f"  export GRAVIXLAYER_BASE_URL={emu.gravix_base_url}")
    print(f"  export GRAVIXLAYER_API_KEY={Emulator.GRAVIX_API_KEY}")
    if specs:
        print(f"The next {len(specs)} chat request(s) fail: {', '.join(specs)}")
    print(
        f'More failures at run time: curl -X POST {emu.base_url}/_emulator/faults -d \'{{"faults": ["429", "503"]}}\''
    )
    print("Press Ctrl-C to stop.", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()
        print("Emulator stopped.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
