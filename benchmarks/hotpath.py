"""Deterministic hot-path counts: Python function calls per call / per chunk, by owner.

    python benchmarks/hotpath.py                 # every target, 200 calls + one 2,000-chunk stream each
    python benchmarks/hotpath.py --only chatgloo-v2 --top 25

Wall-clock figures on a shared machine drift with everyone else's load; the number of
Python function calls a call makes does not.  This runs each target against the same
loopback stub as run.py under cProfile and prints, per sync call and per streamed
chunk, how many function calls were made in total and how many of them were in our
package, in httpx/httpcore, in the framework (langchain-core / llama-index) and
elsewhere.  ``--top N`` lists the N functions of ours with the most calls per unit,
which is where to look first.  Nothing here is timed.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import pstats
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

import targets as T  # noqa: E402
from stub_server import StubServer  # noqa: E402

OWNERS = (
    ("ours", ("langchain_gloo_gravix", "llama_index_ext")),
    ("httpx", ("httpx", "httpcore", "h11", "anyio", "sniffio")),
    ("framework", ("langchain_core", "llama_index", "pydantic", "langsmith")),
)


def owner(filename: str) -> str:
    for name, parts in OWNERS:
        if any(f"/{p}/" in filename for p in parts):
            return name
    return "other"


def profile(fn, units: int) -> tuple[dict[str, float], list[tuple[float, str]]]:
    prof = cProfile.Profile()
    prof.enable()
    fn()
    prof.disable()
    st = pstats.Stats(prof)
    by: dict[str, float] = {"total": 0.0}
    ours: list[tuple[float, str]] = []
    for (filename, line, name), (_cc, nc, *_rest) in st.stats.items():  # type: ignore[attr-defined]
        per = nc / units
        by["total"] += per
        o = owner(filename)
        by[o] = by.get(o, 0.0) + per
        if o == "ours":
            short = filename.split("/langchain_gloo_gravix/")[-1].split("/llama_index_ext/")[-1]
            ours.append((per, f"{short}:{line} {name}"))
    ours.sort(reverse=True)
    return by, ours


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", default="")
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--chunks", type=int, default=2000)
    ap.add_argument("--top", type=int, default=0)
    ap.add_argument("--modes", default="call,stream,astream")
    args = ap.parse_args(argv)
    only = {k for k in args.only.split(",") if k}
    modes = args.modes.split(",")
    loop = asyncio.new_event_loop()
    with StubServer(cpu=1) as server:
        for t in T.build_targets():
            if only and t.key not in only:
                continue
            t.setup(server.url)
            loop.run_until_complete(t.asetup(server.url))
            for _ in range(5):  # warm: token fetch, pools, lazy imports
                t.call()
                list(t.stream(5))

            async def drain(n: int, t: T.Target = t) -> None:
                async for _ in t.astream(n):
                    pass

            loop.run_until_complete(drain(5))
            runs = {
                "call": (lambda t=t: [t.call() for _ in range(args.calls)], args.calls, "per call"),
                "stream": (lambda t=t: list(t.stream(args.chunks)), args.chunks, "per chunk (sync)"),
                "astream": (lambda: loop.run_until_complete(drain(args.chunks)), args.chunks, "per chunk (async)"),
            }
            for mode in modes:
                fn, units, what = runs[mode]
                by, top = profile(fn, units)
                parts = ", ".join(f"{k} {by.get(k, 0):.1f}" for k, _ in OWNERS) + f", other {by.get('other', 0):.1f}"
                print(f"{t.key:12s} {what:18s} total {by['total']:7.1f}  ({parts})")
                for per, name in top[: args.top]:
                    print(f"    {per:7.2f}  {name}")
            t.close()
            loop.run_until_complete(t.aclose())
    loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
