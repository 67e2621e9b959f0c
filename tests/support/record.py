"""``make record``: re-record every cassette.

Against the local emulator by default. Against the live services when Gloo
credentials (GLOO_CLIENT_ID + GLOO_CLIENT_SECRET, or GLOO_AI_* , or GLOO_API_KEY)
and GRAVIXLAYER_API_KEY are in the environment. Secrets are scrubbed before
anything is written (tests/support/cassette_format.py), and the secret scan in
tests/security/test_cassettes.py runs afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.support.backend import RECORDED_WITH


def main() -> int:
    env = dict(os.environ)
    gloo_oauth = bool(
        (env.get("GLOO_CLIENT_ID") or env.get("GLOO_AI_CLIENT_ID"))
        and (env.get("GLOO_CLIENT_SECRET") or env.get("GLOO_AI_CLIENT_SECRET"))
    )
    gloo_key = bool(env.get("GLOO_API_KEY"))
    live = (gloo_oauth or gloo_key) and bool(env.get("GRAVIXLAYER_API_KEY"))
    env["LGG_RECORD"] = "live" if live else "emulator"
    print(f"recording cassettes against the {'live services' if live else 'local emulator'}")
    args = [sys.executable, "-m", "pytest", "-m", "vcr", "-q", "-p", "no:randomly"]
    if live:
        args.append("--force-enable-socket")  # the suite blocks the network by default
    code = subprocess.call([sys.executable, "-m", "tests.support.published"], env=env)  # documented examples
    code = code or subprocess.call(args + ["--deselect", "tests/replay/test_published_cassettes.py"], env=env)
    if code == 0:
        auth = "api_key" if live and gloo_key and not gloo_oauth else "oauth"
        RECORDED_WITH.write_text(json.dumps({"target": env["LGG_RECORD"], "gloo_auth": auth}, indent=2) + "\n")
        code = subprocess.call(
            [sys.executable, "-m", "pytest", "-q", "tests/security/test_cassettes.py"],
            env={k: v for k, v in env.items() if k != "LGG_RECORD"},
        )
    return code


if __name__ == "__main__":
    raise SystemExit(main())
