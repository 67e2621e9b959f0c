"""Side-by-side benchmark: our clients vs. the incumbents vs. the floors, in one run.

    python benchmarks/run.py            # full run (< ~6 min on 2 cores)
    python benchmarks/run.py --quick    # smoke run (< ~60 s)

All traffic goes to a loopback stub (stub_server.py) running in its own process
on CPU 1 while this process runs on CPU 0.  Targets are measured interleaved:
every repetition visits every target (in a rotated order), so slow drifts of the
machine hit all targets alike.  The report (Markdown tables with ratios and the
targets checklist) goes to stdout and to benchmarks/results/latest.{md,json};
progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import platform
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
# The figures of the run before the issue-16 speed work (commit 2059dc1, full run), quoted beside
# the two speed targets so each report shows where they stood.  Extracted once from that
# commit's latest.json; never rewritten by a run.
PREVIOUS = RESULTS / "previous.json"
# The package may not be installed into the venv: benchmark the source tree.
for p in (str(ROOT), str(HERE)):
    if p not in sys.path:
        sys.path.insert(0, p)

import targets as T  # noqa: E402
from stub_server import StubServer, pin_to_cpu  # noqa: E402

CLIENT_CPU, SERVER_CPU = 0, 1
CONCURRENCY = 64

# Async batches are time-bounded, not count-bounded: the slowest targets run
# ~100 calls/s at concurrency 64 and the floors ~10,000, so a fixed count would
# either starve the fast ones of samples or blow the time budget on the slow ones.
FULL = dict(
    seq_reps=5,
    seq_calls=200,
    async_reps=3,
    async_s=1.5,
    stream_reps=3,
    chunks=10_000,
    import_reps=5,
    rss_s=1.0,
    rss_subset=False,
    ceiling_s=2.0,
    embed_reps=3,
    embed_texts=T.EMBED_TEXTS,
)
QUICK = dict(
    seq_reps=2,
    seq_calls=40,
    async_reps=1,
    async_s=0.5,
    stream_reps=2,
    chunks=2_000,
    import_reps=1,
    rss_s=0.4,
    rss_subset=True,
    ceiling_s=0.7,
    embed_reps=1,
    embed_texts=T.EMBED_TEXTS,
)
# In --quick, peak RSS is measured for one target per family only (each needs a
# fresh interpreter, and the imports alone take most of a second).
RSS_QUICK_SUBSET = {"raw-gravix", "chatopenai", "openailike", "core-gravix", "chatgravix", "li-gravix"}

MODES = ("call", "acall", "stream", "astream")
# Async batches start their 64 workers 2 ms apart (a 128 ms ramp) and count only
# the window after the ramp.  Why: httpx/httpcore 1.0's pool spends O(pool size^2)
# per request on bookkeeping when it holds many idle connections.  64 workers
# started in the same tick open 64 connections, and every httpx-based client
# then runs at ~100 calls/s whatever its own cost, for as long as the idle
# connections live (5 s for openai's client, longer for others); started a
# little apart, the pool settles at the ~15 connections a CPU-bound client can
# actually use, and the figure reflects each client's own per-call cost.
RAMP_S = 0.128
T0 = time.perf_counter()


def log(msg: str) -> None:
    print(f"[{time.perf_counter() - T0:6.1f}s] {msg}", file=sys.stderr, flush=True)


def reason(e: BaseException) -> str:
    text = " ".join(str(e).split())
    return f"{type(e).__name__}: {text[:140]}" if text else type(e).__name__


def subprocess_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return env


def proc_status_kib(*fields: str) -> dict[str, int]:
    out: dict[str, int] = {}
    with open("/proc/self/status") as f:
        for line in f:
            name = line.split(":", 1)[0]
            if name in fields:
                out[name] = int(line.split()[1])
    return out


def reset_peak_rss() -> bool:
    """Reset VmHWM (Linux >= 4.0) so the peak covers only the phase that follows."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def machine_cpu() -> dict[str, float]:
    """Busy and steal CPU-seconds of the whole machine so far, from /proc/stat."""
    try:
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:9]]
    except (OSError, ValueError):
        return {}
    tick = os.sysconf("SC_CLK_TCK")
    user, nice, system, idle, iowait, irq, softirq, steal = v
    return {"busy_s": (user + nice + system + irq + softirq) / tick, "steal_s": steal / tick}


def own_cpu_s() -> float:
    import resource

    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        ru = resource.getrusage(who)
        total += ru.ru_utime + ru.ru_stime
    return total


def percentile(sorted_vals: list[float], q: float) -> float:
    """Nearest-rank percentile; no interpolation so p99 is an observed latency."""
    k = max(0, math.ceil(q / 100 * len(sorted_vals)) - 1)
    return sorted_vals[k]


# ----------------------------------------------------------------------- harness


class Stats:
    """Reads the stub's counters and CPU time over a dedicated control connection."""

    def __init__(self, url: str) -> None:
        import httpx

        self._c = httpx.Client(base_url=url, timeout=10)

    def __call__(self) -> dict[str, Any]:
        return self._c.get("/__stats").json()

    @staticmethod
    def delta(a: dict[str, Any], b: dict[str, Any], wall_s: float) -> dict[str, Any]:
        reqs = sum(b[k] - a[k] for k in ("chat", "token", "other"))
        return {
            "requests": reqs,
            "chat": b["chat"] - a["chat"],
            "token": b["token"] - a["token"],
            "stub_cpu_pct": 100.0 * (b["cpu_s"] - a["cpu_s"]) / wall_s if wall_s > 0 else 0.0,
        }

    def close(self) -> None:
        self._c.close()


async def run_concurrent(
    acall: Callable[[], Any], concurrency: int, total: int = 0, seconds: float = 0.0, ramp_s: float = 0.0
) -> tuple[int, float, int]:
    """Keep up to ``concurrency`` calls in flight until ``total`` calls were
    started or the measuring window closes.

    Worker i starts after ``i * ramp_s / concurrency`` seconds.  The window is
    the ``seconds`` after the ramp; only calls that complete inside it count,
    so the result is the rate at full concurrency.  Returns (calls counted,
    seconds counted, calls completed in all).
    """
    pc = time.perf_counter
    left = total if total else -1
    counted = completed = 0
    errors: list[BaseException] = []
    t0 = pc()
    window_start = t0 + ramp_s
    deadline = window_start + seconds if seconds else math.inf

    async def worker(i: int) -> None:
        nonlocal left, counted, completed
        if ramp_s:
            await asyncio.sleep(i * ramp_s / concurrency)
        while left != 0 and not errors and pc() < deadline:
            left -= 1
            try:
                await acall()
            except Exception as e:  # stop the whole batch on the first failure
                errors.append(e)
                return
            completed += 1
            if window_start <= pc() <= deadline:
                counted += 1

    await asyncio.gather(*(worker(i) for i in range(concurrency)))
    span = seconds if seconds else pc() - window_start
    if errors:
        raise errors[0]
    return counted, span, completed


def time_stream_sync(t: T.Target, n: int) -> dict[str, Any]:
    pc = time.perf_counter
    count, first = 0, 0.0
    t0 = pc()
    for piece in t.stream(n):
        if piece:
            count += 1
            if count == 1:
                first = pc()
    dt = pc() - t0
    return {"total_s": dt, "ttfc_s": first - t0, "content_chunks": count}


async def time_stream_async(t: T.Target, n: int) -> dict[str, Any]:
    pc = time.perf_counter
    count, first = 0, 0.0
    t0 = pc()
    async for piece in t.astream(n):
        if piece:
            count += 1
            if count == 1:
                first = pc()
    dt = pc() - t0
    return {"total_s": dt, "ttfc_s": first - t0, "content_chunks": count}


class Bench:
    def __init__(self, url: str, cfg: dict[str, Any], only: set[str] | None) -> None:
        self.url = url
        self.cfg = cfg
        self.loop = asyncio.new_event_loop()
        self.stats = Stats(url)
        self.targets = [t for t in T.build_targets() if not only or t.key in only]
        self.embed_targets = [t for t in T.build_embedding_targets() if not only or t.key in only]
        self.na: dict[str, dict[str, str]] = {t.key: {} for t in self.targets + self.embed_targets}
        self.res: dict[str, dict[str, Any]] = {t.key: {} for t in self.targets + self.embed_targets}

    # -- setup -----------------------------------------------------------------
    def setup(self) -> None:
        for t in self.targets:
            na = self.na[t.key]
            try:
                t.setup(self.url)
            except BaseException as e:  # noqa: BLE001 - includes ImportError from unfinished modules
                if isinstance(e, KeyboardInterrupt):
                    raise
                for m in MODES:
                    na[m] = reason(e)
                log(f"setup {t.key}: n/a ({reason(e)})")
                continue
            try:
                self.loop.run_until_complete(t.asetup(self.url))
            except Exception as e:
                na["acall"] = na["astream"] = reason(e)
            # Warm-up doubles as a functional check: a mode that fails here is n/a.
            # Only a few async calls: a full concurrency-64 burst here would leave
            # 64 idle connections in httpx pools, whose per-request cost grows with
            # pool size, and skew the streaming phase that runs before the async one.
            try:
                for _ in range(10):
                    t.call()
            except Exception as e:
                na["call"] = reason(e)
            if "acall" not in na:
                try:
                    self.loop.run_until_complete(run_concurrent(t.acall, 2, total=4))
                except Exception as e:
                    na["acall"] = reason(e)
            for mode, fn in (
                ("stream", lambda: time_stream_sync(t, 50)),
                ("astream", lambda: self.loop.run_until_complete(time_stream_async(t, 50))),
            ):
                if mode in na:
                    continue
                try:
                    r = fn()
                    if r["content_chunks"] != 50:
                        raise RuntimeError(f"got {r['content_chunks']} content chunks for 50 sent")
                except Exception as e:
                    na[mode] = reason(e)
            bad = ", ".join(f"{m}: {na[m]}" for m in MODES if m in na)
            log(f"setup {t.key}: ok" + (f" (n/a {bad})" if bad else ""))
        # Everything loaded so far (all libraries of all targets) moves to the
        # permanent GC generation: otherwise each target's automatic full
        # collections would also walk every other library's objects, a cost no
        # single-library application pays, and the gc.collect() calls between
        # timed blocks would take ~100 ms each.
        gc.collect()
        gc.freeze()

    def close(self) -> None:
        for t in self.targets:
            try:
                t.close()
            except Exception:
                pass
            try:
                self.loop.run_until_complete(t.aclose())
            except Exception:
                pass
        self.stats.close()
        self.loop.close()

    def _order(self, rep: int) -> list[T.Target]:
        if not self.targets:  # --only with embedding targets alone
            return []
        k = rep % len(self.targets)
        return self.targets[k:] + self.targets[:k]

    def _fail(self, t: T.Target, mode: str, e: BaseException) -> None:
        self.na[t.key][mode] = reason(e)
        log(f"{t.key} {mode}: n/a ({reason(e)})")

    # -- phases ----------------------------------------------------------------
    def sequential(self) -> None:
        calls = self.cfg["seq_calls"]
        lat: dict[str, list[float]] = {t.key: [] for t in self.targets}
        counts: dict[str, dict[str, int]] = {t.key: {"calls": 0, "requests": 0, "token": 0} for t in self.targets}
        for rep in range(self.cfg["seq_reps"]):
            for t in self._order(rep):
                if "call" in self.na[t.key]:
                    continue
                gc.collect()
                pc = time.perf_counter_ns
                samples = []
                s0 = self.stats()
                w0 = time.perf_counter()
                try:
                    for _ in range(calls):
                        a = pc()
                        t.call()
                        samples.append(pc() - a)
                except Exception as e:
                    self._fail(t, "call", e)
                    continue
                d = Stats.delta(s0, self.stats(), time.perf_counter() - w0)
                lat[t.key].extend(s / 1000 for s in samples)
                c = counts[t.key]
                c["calls"] += calls
                c["requests"] += d["requests"]
                c["token"] += d["token"]
            log(f"sequential rep {rep + 1}/{self.cfg['seq_reps']} done")
        for t in self.targets:
            v = sorted(lat[t.key])
            if not v or "call" in self.na[t.key]:
                continue
            c = counts[t.key]
            self.res[t.key]["seq"] = {
                "median_us": statistics.median(v),
                "p99_us": percentile(v, 99),
                "mean_us": statistics.fmean(v),
                "samples": len(v),
                "calls": c["calls"],
                "requests": c["requests"],
                "token_requests": c["token"],
                "expected_requests": c["calls"] * t.requests_per_call,
            }

    def concurrent(self) -> None:
        reps: dict[str, list[dict[str, Any]]] = {t.key: [] for t in self.targets}
        for rep in range(self.cfg["async_reps"]):
            for t in self._order(rep):
                if "acall" in self.na[t.key]:
                    continue
                gc.collect()
                s0 = self.stats()
                w0 = time.perf_counter()
                try:
                    # Ramped start: see RAMP_S.
                    done, span, completed = self.loop.run_until_complete(
                        run_concurrent(t.acall, CONCURRENCY, seconds=self.cfg["async_s"], ramp_s=RAMP_S)
                    )
                except Exception as e:
                    self._fail(t, "acall", e)
                    continue
                d = Stats.delta(s0, self.stats(), time.perf_counter() - w0)
                reps[t.key].append(
                    {"calls_per_s": done / span, "calls_in_window": done, "window_s": span, "calls": completed, **d}
                )
            log(f"async rep {rep + 1}/{self.cfg['async_reps']} done")
        for t in self.targets:
            r = reps[t.key]
            if not r or "acall" in self.na[t.key]:
                continue
            self.res[t.key]["async"] = {
                "calls_per_s": statistics.median(x["calls_per_s"] for x in r),
                "stub_cpu_pct": max(x["stub_cpu_pct"] for x in r),
                "reps": r,
                "requests": sum(x["requests"] for x in r),
                "expected_requests": sum(x["calls"] for x in r) * t.requests_per_call,
            }

    def streaming(self) -> None:
        n = self.cfg["chunks"]
        reps: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for rep in range(self.cfg["stream_reps"]):
            for t in self._order(rep):
                for mode in ("stream", "astream"):
                    if mode in self.na[t.key]:
                        continue
                    gc.collect()
                    s0 = self.stats()
                    try:
                        if mode == "stream":
                            r = time_stream_sync(t, n)
                        else:
                            r = self.loop.run_until_complete(time_stream_async(t, n))
                    except Exception as e:
                        self._fail(t, mode, e)
                        continue
                    r.update(Stats.delta(s0, self.stats(), r["total_s"]))
                    reps.setdefault((t.key, mode), []).append(r)
            log(f"streaming rep {rep + 1}/{self.cfg['stream_reps']} done")
        t_by_key = {t.key: t for t in self.targets}
        for (key, mode), r in reps.items():
            if mode in self.na[key]:
                continue
            got = {x["content_chunks"] for x in r}
            self.res[key][mode] = {
                # Rate is chunks the stub sent per second of wall time, request included.
                "chunks_per_s": statistics.median(n / x["total_s"] for x in r),
                "ttfc_us": statistics.median(x["ttfc_s"] for x in r) * 1e6,
                "stub_cpu_pct": max(x["stub_cpu_pct"] for x in r),
                "chunks": n,
                "content_chunks_seen": sorted(got),
                "streams": len(r),
                "requests": sum(x["requests"] for x in r),
                "expected_requests": len(r) * t_by_key[key].requests_per_call,
                "reps": r,
            }

    def embeddings(self) -> None:
        """texts/s for ``embed_texts`` short texts per call, sync and async, interleaved over targets."""
        n = self.cfg["embed_texts"]
        texts = T.embed_texts(n)
        for t in self.embed_targets:
            na = self.na[t.key]
            try:
                t.setup(self.url)
                # Warm-up doubles as a functional check: every vector back, all of one size.
                for mode, run in (
                    ("embed", lambda: t.embed(texts[:300])),
                    ("aembed", lambda: self.loop.run_until_complete(t.aembed(texts[:300]))),
                ):
                    vectors = run()
                    if len(vectors) != 300 or len({len(v) for v in vectors}) != 1:
                        raise RuntimeError(f"{mode}: got {len(vectors)} vectors for 300 texts")
            except Exception as e:  # noqa: BLE001 - an unfinished module makes its row n/a
                na["embed"] = na["aembed"] = reason(e)
                log(f"setup {t.key}: n/a ({reason(e)})")
                continue
            log(f"setup {t.key}: ok")
        reps: dict[tuple[str, str], list[dict[str, Any]]] = {}
        for rep in range(self.cfg["embed_reps"]):
            k = rep % max(1, len(self.embed_targets))
            for t in self.embed_targets[k:] + self.embed_targets[:k]:
                for mode in ("embed", "aembed"):
                    if mode in self.na[t.key]:
                        continue
                    gc.collect()
                    s0 = self.stats()
                    w0 = time.perf_counter()
                    try:
                        vectors = t.embed(texts) if mode == "embed" else self.loop.run_until_complete(t.aembed(texts))
                        wall = time.perf_counter() - w0
                        if len(vectors) != n:
                            raise RuntimeError(f"got {len(vectors)} vectors for {n} texts")
                    except Exception as e:
                        self._fail(t, mode, e)  # type: ignore[arg-type]
                        continue
                    s1 = self.stats()
                    reps.setdefault((t.key, mode), []).append(
                        {
                            "texts_per_s": n / wall,
                            "wall_s": wall,
                            "requests": s1["embeddings"] - s0["embeddings"],
                            "stub_cpu_pct": 100.0 * (s1["cpu_s"] - s0["cpu_s"]) / wall,
                        }
                    )
            log(f"embeddings rep {rep + 1}/{self.cfg['embed_reps']} done")
        for (key, mode), r in reps.items():
            if mode in self.na[key]:
                continue
            self.res[key][mode] = {
                "texts_per_s": statistics.median(x["texts_per_s"] for x in r),
                "texts": n,
                "requests_per_call": r[0]["requests"],
                "stub_cpu_pct": max(x["stub_cpu_pct"] for x in r),
                "reps": r,
            }
        for t in self.embed_targets:
            try:
                t.close()
                self.loop.run_until_complete(t.aclose())
            except Exception:
                pass


# --------------------------------------------------------------- stub ceiling


async def _ceiling(host: str, port: int, seconds: float, chunks: int, stats: Stats) -> dict[str, Any]:
    """Drive the stub with bare asyncio sockets: far cheaper per request than any
    HTTP client, so this shows how much headroom the stub has."""
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]}).encode()
    req = (
        b"POST /v1/inference/chat/completions HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(body)
    ) + body
    count = 0
    stop = False

    async def conn() -> None:
        nonlocal count
        r, w = await asyncio.open_connection(host, port)
        try:
            while not stop:
                w.write(req)
                head = await r.readuntil(b"\r\n\r\n")
                i = head.lower().find(b"content-length:")
                await r.readexactly(int(head[i + 15 : head.find(b"\r\n", i)]))
                count += 1
        finally:
            w.close()

    tasks = [asyncio.ensure_future(conn()) for _ in range(CONCURRENCY)]
    await asyncio.sleep(0.2)  # let every connection get going before counting
    c0, s0, t0 = count, stats(), time.perf_counter()
    await asyncio.sleep(seconds)
    c1, s1, t1 = count, stats(), time.perf_counter()
    stop = True
    await asyncio.gather(*tasks, return_exceptions=True)
    n_req = c1 - c0
    cpu = s1["cpu_s"] - s0["cpu_s"]
    out: dict[str, Any] = {
        "connections": CONCURRENCY,
        "requests_per_s": n_req / (t1 - t0),
        "stub_cpu_pct": 100 * cpu / (t1 - t0),
        "stub_cpu_us_per_request": 1e6 * cpu / max(n_req, 1),
    }

    sbody = json.dumps(
        {"model": "m", "stream": True, "messages": [{"role": "user", "content": f"hi chunks:{chunks}"}]}
    ).encode()
    sreq = (
        b"POST /v1/inference/chat/completions HTTP/1.1\r\nHost: bench\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n" % len(sbody)
    ) + sbody
    r, w = await asyncio.open_connection(host, port)
    best = 0.0
    cpu_per_chunk = []
    for _ in range(4):
        s0, t0 = stats(), time.perf_counter()
        w.write(sreq)
        tail = b""
        while True:
            data = await r.read(1 << 18)
            if not data:
                raise RuntimeError("stub closed the stream early")
            tail = (tail + data)[-5:]
            if tail == b"0\r\n\r\n":  # end of the chunked body
                break
        dt = time.perf_counter() - t0
        s1 = stats()
        best = max(best, chunks / dt)
        cpu_per_chunk.append(1e6 * (s1["cpu_s"] - s0["cpu_s"]) / chunks)
    w.close()
    out.update(stream_chunks=chunks, stream_chunks_per_s=best, stub_cpu_us_per_chunk=min(cpu_per_chunk))
    return out


# --------------------------------------------------------------- subprocess phases


IMPORT_SNIPPET = """\
import time
t = time.perf_counter()
{stmt}
t = time.perf_counter() - t
import json
st = {{}}
for line in open('/proc/self/status'):
    k = line.split(':', 1)[0]
    if k in ('VmRSS', 'VmHWM'):
        st[k] = int(line.split()[1])
print(json.dumps({{'s': t, 'rss_kib': st['VmRSS'], 'hwm_kib': st['VmHWM']}}))
"""


def measure_imports(reps: int) -> dict[str, Any]:
    """Import cost in fresh interpreters; the child inherits CPU 0 pinning."""
    env = subprocess_env()
    rows = {
        k: {"label": label, "stmt": stmt, "ref": ref, "inc": inc, "runs": []} for k, label, stmt, ref, inc in T.IMPORTS
    }

    def once(key: str) -> None:
        row = rows[key]
        if row.get("na"):
            return
        p = subprocess.run(
            [sys.executable, "-c", IMPORT_SNIPPET.format(stmt=row["stmt"])],
            capture_output=True,
            text=True,
            env=env,
            cwd=str(ROOT),
            timeout=120,
        )
        if p.returncode != 0:
            last = (p.stderr.strip().splitlines() or ["failed"])[-1]
            row["na"] = last[:160]
            return
        row["runs"].append(json.loads(p.stdout.strip().splitlines()[-1]))

    # Compile our source tree's .pyc files first, as installing a wheel does: the
    # venv's packages were compiled at install time, and with PYTHONDONTWRITEBYTECODE
    # set (as on this machine) every timed run would otherwise recompile ours.
    warm_env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "langchain_gloo_gravix", "llama_index_ext"],
        capture_output=True,
        env=warm_env,
        cwd=str(ROOT),
        timeout=300,
    )
    for rep in range(reps):
        keys = list(rows)
        k = rep % len(keys)
        for key in keys[k:] + keys[:k]:
            once(key)
        log(f"imports rep {rep + 1}/{reps} done")
    for row in rows.values():
        if row["runs"]:
            row["time_ms"] = statistics.median(r["s"] for r in row["runs"]) * 1e3
            row["rss_mib"] = statistics.median(r["rss_kib"] for r in row["runs"]) / 1024
    return rows


def measure_peak_rss(url: str, keys: list[str], seconds: float, chunks: int) -> dict[str, Any]:
    """Peak RSS of the async phase, one fresh process per target so that no other
    library's memory is counted."""
    out: dict[str, Any] = {}
    for key in keys:
        cmd = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--rss-worker",
            key,
            "--url",
            url,
            "--seconds",
            str(seconds),
            "--chunks",
            str(chunks),
        ]
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, env=subprocess_env(), cwd=str(ROOT), timeout=180)
            lines = p.stdout.strip().splitlines()
            if p.returncode != 0 or not lines:
                raise RuntimeError((p.stderr.strip().splitlines() or ["worker failed"])[-1])
            out[key] = json.loads(lines[-1])
        except Exception as e:
            out[key] = {"na": reason(e)}
    return out


def rss_worker(key: str, url: str, seconds: float, chunks: int) -> None:
    t = T.get_target(key)
    loop = asyncio.new_event_loop()
    result: dict[str, Any] = {}
    try:
        t.setup(url)
        loop.run_until_complete(t.asetup(url))
        loop.run_until_complete(t.acall())  # lazy init (token, pools) before the baseline
        before = proc_status_kib("VmRSS")["VmRSS"]
        result["hwm_reset"] = reset_peak_rss()
        _, _, result["calls"] = loop.run_until_complete(
            run_concurrent(t.acall, CONCURRENCY, seconds=seconds, ramp_s=RAMP_S)
        )
        try:
            loop.run_until_complete(time_stream_async(t, chunks))
            result["stream_included"] = True
        except Exception as e:  # a target without async streaming still has a call figure
            result["stream_included"] = False
            result["stream_na"] = reason(e)
        st = proc_status_kib("VmRSS", "VmHWM")
        result.update(
            rss_before_mib=before / 1024,
            peak_mib=st["VmHWM"] / 1024,
            growth_mib=(st["VmHWM"] - before) / 1024,
            rss_after_mib=st["VmRSS"] / 1024,
        )
    finally:
        try:
            loop.run_until_complete(t.aclose())
        except Exception:
            pass
        loop.close()
    print(json.dumps(result))


# ------------------------------------------------------------------------ report


def fmt(v: float | None, digits: int = 0) -> str:
    if v is None:
        return "n/a"
    return f"{v:,.{digits}f}"


def ratio(a: float | None, b: float | None) -> str:
    if a is None or b is None or b == 0:
        return "—"
    return f"{a / b:.2f}×"


INCUMBENT = {"lc": "chatopenai", "lc-floor": "chatopenai", "li": "openailike", "li-floor": "openailike"}


def raw_key(t: T.Target) -> str:
    return f"raw-{t.route or 'gravix'}"


def incumbent_key(t: T.Target) -> str | None:
    if t.family == "core":
        return raw_key(t)
    return INCUMBENT.get(t.family)


class Report:
    def __init__(
        self,
        bench: Bench,
        imports: dict[str, Any] | None,
        rss: dict[str, Any] | None,
        ceiling: dict[str, Any] | None,
        meta: dict[str, Any],
    ) -> None:
        self.b, self.imports, self.rss, self.ceiling, self.meta = bench, imports, rss, ceiling, meta
        self.lines: list[str] = []
        self.checks: list[dict[str, Any]] = []

    def val(self, key: str | None, fig: str, field: str) -> float | None:
        if key is None or key not in self.b.res:
            return None
        return self.b.res[key].get(fig, {}).get(field)

    def na_reason(self, t: T.Target, mode: str) -> str:
        return self.b.na[t.key].get(mode, "not measured")

    def table(self, header: list[str], rows: list[list[str]], align: str = "") -> None:
        """Markdown table; ``align`` has one l/r per column (default: text first, numbers after)."""
        align = align or "l" + "r" * (len(header) - 1)
        self.lines.append("| " + " | ".join(header) + " |")
        self.lines.append("|" + "|".join("---" if a == "l" else "---:" for a in align) + "|")
        for r in rows:
            self.lines.append("| " + " | ".join(r) + " |")
        self.lines.append("")

    def h(self, text: str) -> None:
        self.lines += [text, ""]

    def build(self) -> str:
        m = self.meta
        self.h("# Benchmark: langchain-gloo-gravix vs incumbents vs floors")
        self.lines += [
            f"- mode: {'quick' if m['quick'] else 'full'}; Python {m['python']}; {m['cpus']} CPUs; "
            f"client pinned to CPU {CLIENT_CPU}: {m['client_pinned']}, stub pinned to CPU {SERVER_CPU}: "
            f"{m['server_pinned']}",
            "- versions: " + ", ".join(f"{k} {v}" for k, v in m["versions"].items()),
            self.machine_line(),
            f"- config: {json.dumps(m['config'])}",
            "- ratios are this row's value divided by the reference's value (raw httpx on the same route; "
            "incumbent = ChatOpenAI for LangChain rows, OpenAILike for LlamaIndex rows, raw httpx for the core). "
            "For µs and ms lower is better, for /s higher is better.",
            "",
        ]
        self.stub_section()
        self.seq_section()
        self.async_section()
        self.stream_section("stream", "Streaming, sync (`stream` / `stream_chat`)")
        self.stream_section("astream", "Streaming, async (`astream` / `astream_chat`)")
        self.embeddings_section()
        self.import_section()
        self.rss_section()
        self.speed_section()
        self.checklist_section()
        self.requests_section()
        self.lines.append(f"_total run time: {m['duration_s']:.0f} s_")
        return "\n".join(self.lines) + "\n"

    def machine_line(self) -> str:
        mc = self.meta.get("machine")
        if not mc:
            return "- machine load: not measured"
        noisy = (
            " (noisy: other work shared the CPUs, compare ratios rather than absolutes)"
            if mc["others_cpu_pct_of_one_core"] > 10 or mc["steal_pct_of_one_core"] > 5
            else ""
        )
        return (
            f"- machine load during the run: other processes used {mc['others_cpu_pct_of_one_core']:.0f}% of one "
            f"CPU on average, hypervisor steal {mc['steal_pct_of_one_core']:.0f}%, load average "
            f"{mc['loadavg_start']:.2f} → {mc['loadavg_end']:.2f}{noisy}"
        )

    def stub_section(self) -> None:
        c = self.ceiling
        self.h("## Stub server ceiling (bare asyncio sockets, no HTTP client)")
        if not c:
            self.lines += ["not measured", ""]
            return
        if "na" in c:
            self.lines += [f"n/a ({c['na']})", ""]
            return
        cap_req = 1e6 / c["stub_cpu_us_per_request"] if c["stub_cpu_us_per_request"] else None
        cap_chunk = 1e6 / c["stub_cpu_us_per_chunk"] if c["stub_cpu_us_per_chunk"] else None
        self.table(
            ["load", "measured", "stub CPU", "stub capacity (1 core, from CPU cost)"],
            [
                [
                    f"non-streaming, {c['connections']} keep-alive connections",
                    f"{fmt(c['requests_per_s'])} req/s",
                    f"{c['stub_cpu_pct']:.0f}% ({c['stub_cpu_us_per_request']:.1f} µs/req)",
                    f"≈ {fmt(cap_req)} req/s",
                ],
                [
                    f"one {c['stream_chunks']:,}-chunk SSE stream",
                    f"{fmt(c['stream_chunks_per_s'])} chunks/s",
                    f"{c['stub_cpu_us_per_chunk']:.3f} µs/chunk",
                    f"≈ {fmt(cap_chunk)} chunks/s",
                ],
            ],
        )
        self.lines += [
            "The stub's CPU % is also shown next to each async/streaming figure below; "
            "well under 100% means the stub was not the bottleneck.",
            "",
        ]

    def _rows(self, mode: str, cells: Callable[[T.Target], list[str]], ncols: int) -> list[list[str]]:
        rows = []
        for t in self.b.targets:
            if mode in self.b.na[t.key] or not self.b.res[t.key].get(self._fig(mode)):
                rows.append([t.label, f"n/a ({self.na_reason(t, mode)})"] + [""] * (ncols - 2))
            else:
                rows.append([t.label] + cells(t))
        return rows

    @staticmethod
    def _fig(mode: str) -> str:
        return {"call": "seq", "acall": "async", "stream": "stream", "astream": "astream"}[mode]

    def seq_section(self) -> None:
        self.h("## Sequential non-streaming call (sync `invoke` / `chat` / `create`)")

        def cells(t: T.Target) -> list[str]:
            s = self.b.res[t.key]["seq"]
            return [
                fmt(s["median_us"]),
                fmt(s["p99_us"]),
                ratio(s["median_us"], self.val(raw_key(t), "seq", "median_us")),
                ratio(s["median_us"], self.val(incumbent_key(t), "seq", "median_us")),
                f"{s['requests']}/{s['calls']}",
            ]

        hdr = ["target", "median µs/call", "p99 µs", "vs raw httpx", "vs incumbent", "requests/calls"]
        self.table(hdr, self._rows("call", cells, len(hdr)))

    def async_section(self) -> None:
        self.h(f"## Async throughput, concurrency {CONCURRENCY} (`ainvoke` / `achat` / `create`)")

        def cells(t: T.Target) -> list[str]:
            s = self.b.res[t.key]["async"]
            return [
                fmt(s["calls_per_s"]),
                ratio(s["calls_per_s"], self.val(raw_key(t), "async", "calls_per_s")),
                ratio(s["calls_per_s"], self.val(incumbent_key(t), "async", "calls_per_s")),
                f"{s['stub_cpu_pct']:.0f}%",
            ]

        hdr = ["target", "calls/s", "vs raw httpx", "vs incumbent", "stub CPU (max)"]
        self.table(hdr, self._rows("acall", cells, len(hdr)))

    def stream_section(self, mode: str, title: str) -> None:
        self.h(f"## {title}: one {self.b.cfg['chunks']:,}-chunk stream")

        def cells(t: T.Target) -> list[str]:
            s = self.b.res[t.key][mode]
            inc = incumbent_key(t)
            seen = s["content_chunks_seen"]
            note = "" if seen == [s["chunks"]] else f" ⚠ saw {seen} content chunks"
            return [
                fmt(s["chunks_per_s"]) + note,
                ratio(s["chunks_per_s"], self.val(raw_key(t), mode, "chunks_per_s")),
                ratio(s["chunks_per_s"], self.val(inc, mode, "chunks_per_s")),
                fmt(s["ttfc_us"]),
                ratio(s["ttfc_us"], self.val(inc, mode, "ttfc_us")),
                f"{s['stub_cpu_pct']:.0f}%",
            ]

        hdr = ["target", "chunks/s", "vs raw httpx", "vs incumbent", "TTFC µs", "TTFC vs incumbent", "stub CPU (max)"]
        self.table(hdr, self._rows(mode, cells, len(hdr)))

    def embeddings_section(self) -> None:
        n = self.b.cfg.get("embed_texts", T.EMBED_TEXTS)
        self.h(f"## Embeddings: {n:,} short texts per call (each library's default batch size)")
        if not self.b.embed_targets or not any(self.b.res[t.key] or self.b.na[t.key] for t in self.b.embed_targets):
            self.lines += ["not measured", ""]
            return
        rows = []
        for t in self.b.embed_targets:
            inc = T.EMBED_INCUMBENT.get(t.family)
            cells = [t.label]
            for mode in ("embed", "aembed"):
                own = self.val(t.key, mode, "texts_per_s")
                if own is None:
                    cells += [f"n/a ({self.b.na[t.key].get(mode, 'not measured')})", "", ""]
                    continue
                r = self.b.res[t.key][mode]
                cells += [
                    fmt(own),
                    ratio(own, self.val(inc, mode, "texts_per_s")) if inc else "—",
                    f"{r['requests_per_call']} req, stub {r['stub_cpu_pct']:.0f}%",
                ]
            rows.append(cells)
        self.table(
            [
                "target",
                "sync texts/s",
                "vs incumbent",
                "sync requests",
                "async texts/s",
                "vs incumbent",
                "async requests",
            ],
            rows,
        )

    def import_section(self) -> None:
        self.h("## Import cost (fresh interpreter, median)")
        if not self.imports:
            self.lines += ["not measured", ""]
            return
        rows = []
        for r in self.imports.values():
            if "time_ms" not in r:
                rows.append([r["label"], f"n/a ({r.get('na', 'not measured')})", "", "", "", f"`{r['stmt']}`"])
                continue
            ref = self.imports.get(r["ref"] or "", {})
            inc = self.imports.get(r["inc"] or "", {})
            vs_ref = (
                (
                    f"{ratio(r['time_ms'], ref.get('time_ms'))} time, "
                    f"{r['rss_mib'] - ref['rss_mib']:+.1f} MiB vs {r['ref']}"
                )
                if "time_ms" in ref
                else "—"
            )
            vs_inc = (
                (f"{ratio(r['time_ms'], inc.get('time_ms'))} time, {r['rss_mib'] - inc['rss_mib']:+.1f} MiB")
                if "time_ms" in inc
                else "—"
            )
            rows.append([r["label"], fmt(r["time_ms"], 1), fmt(r["rss_mib"], 1), vs_ref, vs_inc, f"`{r['stmt']}`"])
        self.table(["import", "ms", "RSS MiB", "vs framework alone", "vs incumbent", "statement"], rows, align="lrrrrl")

    def rss_section(self) -> None:
        self.h(
            f"## Peak RSS during the async phase (fresh process per target: "
            f"{self.b.cfg['rss_s']:g} s of calls at concurrency {CONCURRENCY} + one "
            f"{self.b.cfg['chunks']:,}-chunk async stream)"
        )
        if not self.rss:
            self.lines += ["not measured", ""]
            return
        rows = []
        for t in self.b.targets:
            r = self.rss.get(t.key)
            if not r or "na" in r:
                rows.append([t.label, f"n/a ({(r or {}).get('na', 'not measured')})", "", "", "", ""])
                continue
            raw = self.rss.get(raw_key(t), {})
            inc = self.rss.get(incumbent_key(t) or "", {})
            rows.append(
                [
                    t.label + ("" if r.get("stream_included") else " (calls only)"),
                    fmt(r["peak_mib"], 1),
                    f"{r['growth_mib']:+.1f}",
                    f"{r['peak_mib'] - raw['peak_mib']:+.1f} MiB" if "peak_mib" in raw else "—",
                    f"{r['peak_mib'] - inc['peak_mib']:+.1f} MiB" if "peak_mib" in inc and inc is not r else "—",
                    "yes" if r.get("hwm_reset") else "no (peak includes import)",
                ]
            )
        self.table(
            [
                "target",
                "peak RSS MiB",
                "growth during phase MiB",
                "vs raw httpx",
                "vs incumbent",
                "peak reset before phase",
            ],
            rows,
        )

    # -- checklist -------------------------------------------------------------
    def check(
        self,
        goal: str,
        t: T.Target | str,
        value: float | None,
        ok: Callable[[float], bool],
        shown: str,
        why_na: str = "",
    ) -> None:
        label = t if isinstance(t, str) else t.label
        if value is None:
            status, shown = "n/a", why_na or "missing figure"
        else:
            status = "MET" if ok(value) else "NOT MET"
        self.checks.append({"goal": goal, "target": label, "status": status, "measured": shown})

    def _na_why(self, keys: list[tuple[str | None, str]]) -> str:
        for key, mode in keys:
            if key and key in self.b.na and mode in self.b.na[key]:
                return f"{key}: {self.b.na[key][mode]}"
        return "missing figure"

    # -- issue 16 speed targets ------------------------------------------------
    # (a) per-call overhead: median sequential µs/call minus (raw httpx on the same route + the
    #     framework floor for framework classes, 0 for the core) <= +100 µs, every class of ours;
    # (b) LangChain streaming: chunks/s >= 0.9 x the additive floor, whose time per chunk is raw
    #     httpx's per-chunk time (same route, same mode) plus the LangChain floor's, i.e. floor
    #     rate = 1 / (1/raw + 1/lc_floor); sync and async, every LangChain class of ours.
    OVERHEAD_LIMIT_US = 100.0
    STREAM_FLOOR_SHARE = 0.9

    @staticmethod
    def _framework_floor_key(t: T.Target) -> str | None:
        return {"lc": "lc-floor", "li": "li-floor"}.get(t.family)

    @classmethod
    def overhead_us(cls, t: T.Target, get: Callable[[str, str, str], float | None]) -> float | None:
        """µs per sequential call above raw httpx (+ the framework floor), from ``get(key, fig, field)``."""
        own, raw = get(t.key, "seq", "median_us"), get(raw_key(t), "seq", "median_us")
        fk = cls._framework_floor_key(t)
        floor = get(fk, "seq", "median_us") if fk else 0.0
        if own is None or raw is None or floor is None:
            return None
        return own - raw - floor

    @staticmethod
    def stream_share(
        t: T.Target, mode: str, get: Callable[[str, str, str], float | None]
    ) -> tuple[float, float] | None:
        """(own chunks/s ÷ additive-floor chunks/s, additive-floor chunks/s) for a LangChain class."""
        own, raw = get(t.key, mode, "chunks_per_s"), get(raw_key(t), mode, "chunks_per_s")
        lc = get("lc-floor", mode, "chunks_per_s")
        if not own or not raw or not lc:
            return None
        floor_rate = 1.0 / (1.0 / raw + 1.0 / lc)
        return own / floor_rate, floor_rate

    def previous(self) -> dict[str, Any]:
        if not hasattr(self, "_previous"):
            try:
                self._previous: dict[str, Any] = json.loads(PREVIOUS.read_text())
            except (OSError, ValueError):
                self._previous = {}
        return self._previous

    def prev_val(self, key: str | None, fig: str, field: str) -> float | None:
        row = self.previous().get("targets", {}).get(key or "", {})
        name = {"seq": "seq_median_us", "stream": "stream_chunks_per_s", "astream": "astream_chunks_per_s"}[fig]
        return row.get(name)

    def speed_section(self) -> None:
        prev = self.previous()
        where = f"commit {prev.get('commit', '?')}, {prev.get('mode', '?')} run of {prev.get('started', '?')}"
        self.h("## Speed targets (issue 16), this run beside the previous one")
        self.lines += [
            f"Previous figures: `benchmarks/results/previous.json` ({where}), same formulas.",
            "",
        ]
        rows = []
        for t in self.b.targets:
            if not t.ours:
                continue
            now, before = self.overhead_us(t, self.val), self.overhead_us(t, self.prev_val)
            fk = self._framework_floor_key(t)
            ref = f"raw httpx ({t.route})" + (f" + {fk}" if fk else "")
            rows.append(
                [
                    t.label,
                    ref,
                    f"{now:+,.0f} µs" if now is not None else "n/a",
                    f"{before:+,.0f} µs" if before is not None else "n/a",
                    f"≤ +{self.OVERHEAD_LIMIT_US:.0f} µs",
                ]
            )
        self.table(["per-call overhead", "over", "this run", "previous", "target"], rows, align="llrrr")
        rows = []
        for t in self.b.targets:
            if not (t.ours and t.family == "lc"):
                continue
            for mode in ("stream", "astream"):
                now, before = self.stream_share(t, mode, self.val), self.stream_share(t, mode, self.prev_val)
                own, old = self.val(t.key, mode, "chunks_per_s"), self.prev_val(t.key, mode, "chunks_per_s")
                rows.append(
                    [
                        f"{t.label} ({mode})",
                        f"{now[0]:.2f}× ({fmt(own)} vs {fmt(now[1])} chunks/s)" if now else "n/a",
                        f"{before[0]:.2f}× ({fmt(old)} vs {fmt(before[1])} chunks/s)" if before else "n/a",
                        f"≥ {self.STREAM_FLOOR_SHARE}×",
                    ]
                )
        self.table(["LangChain streaming vs additive floor", "this run", "previous", "target"], rows, align="lrrr")

    def speed_checks(self) -> None:
        for t in self.b.targets:
            if not t.ours:
                continue
            v, before = self.overhead_us(t, self.val), self.overhead_us(t, self.prev_val)
            fk = self._framework_floor_key(t)
            own, raw = self.val(t.key, "seq", "median_us"), self.val(raw_key(t), "seq", "median_us")
            floor = self.val(fk, "seq", "median_us") if fk else None
            parts = f"{fmt(own)} − {fmt(raw)}" + (f" − {fmt(floor)}" if fk else "")
            prev_txt = f"; previous {before:+,.0f} µs" if before is not None else ""
            self.check(
                f"Per-call overhead ≤ +{self.OVERHEAD_LIMIT_US:.0f} µs over raw httpx"
                + (" + framework floor" if fk else ""),
                t,
                v,
                lambda x: x <= self.OVERHEAD_LIMIT_US,
                f"{v:+,.0f} µs ({parts}){prev_txt}" if v is not None else "",
                self._na_why([(t.key, "call"), (raw_key(t), "call"), (fk, "call")]),
            )
        for t in self.b.targets:
            if not (t.ours and t.family == "lc"):
                continue
            for mode in ("stream", "astream"):
                now, before = self.stream_share(t, mode, self.val), self.stream_share(t, mode, self.prev_val)
                prev_txt = f"; previous {before[0]:.2f}×" if before else ""
                self.check(
                    f"LangChain streaming ({mode}) ≥ {self.STREAM_FLOOR_SHARE}× additive floor (raw httpx + lc-floor)",
                    t,
                    now[0] if now else None,
                    lambda x: x >= self.STREAM_FLOOR_SHARE,
                    (
                        f"{now[0]:.2f}× ({fmt(self.val(t.key, mode, 'chunks_per_s'))} vs floor {fmt(now[1])} chunks/s)"
                        f"{prev_txt}"
                    )
                    if now
                    else "",
                    self._na_why([(t.key, mode), (raw_key(t), mode), ("lc-floor", mode)]),
                )

    def checklist_section(self) -> None:
        self.speed_checks()
        ours = [t for t in self.b.targets if t.ours]
        for t in ours:
            if t.family == "lc":
                own = self.val(t.key, "seq", "median_us")
                raw = self.val(raw_key(t), "seq", "median_us")
                floor = self.val("lc-floor", "seq", "median_us")
                v = own / (raw + floor) if None not in (own, raw, floor) else None
                self.check(
                    "LangChain per call ≤ 1.25 × (raw httpx + framework floor)",
                    t,
                    v,
                    lambda x: x <= 1.25,
                    f"{v:.2f}× ({fmt(own)} µs vs {fmt(raw)} + {fmt(floor)})" if v else "",
                    self._na_why([(t.key, "call"), (raw_key(t), "call"), ("lc-floor", "call")]),
                )
            if t.family == "li":
                own, inc = self.val(t.key, "seq", "median_us"), self.val("openailike", "seq", "median_us")
                v = inc / own if None not in (own, inc) else None
                self.check(
                    "LlamaIndex per call ≥ 2.3× faster than OpenAILike",
                    t,
                    v,
                    lambda x: x >= 2.3,
                    f"{v:.2f}× faster ({fmt(own)} vs {fmt(inc)} µs)" if v else "",
                    self._na_why([(t.key, "call"), ("openailike", "call")]),
                )
        for t in ours:
            if t.family not in ("lc", "li"):
                continue
            inc = incumbent_key(t)
            need = 2.5 if t.family == "lc" else 2.0
            for mode in ("stream", "astream"):
                own, ref = self.val(t.key, mode, "chunks_per_s"), self.val(inc, mode, "chunks_per_s")
                v = own / ref if None not in (own, ref) else None
                self.check(
                    f"Streaming ({mode}) ≥ {need}× {inc} chunks/s",
                    t,
                    v,
                    lambda x, n=need: x >= n,
                    f"{v:.2f}× ({fmt(own)} vs {fmt(ref)})" if v else "",
                    self._na_why([(t.key, mode), (inc, mode)]),
                )
                own, ref = self.val(t.key, mode, "ttfc_us"), self.val(inc, mode, "ttfc_us")
                v = own / ref if None not in (own, ref) else None
                self.check(
                    f"TTFC ({mode}) no worse than {inc}",
                    t,
                    v,
                    lambda x: x <= 1.0,
                    f"{v:.2f}× ({fmt(own)} vs {fmt(ref)} µs)" if v else "",
                    self._na_why([(t.key, mode), (inc, mode)]),
                )
        for t in ours:
            if t.family not in ("lc", "li"):
                continue
            inc = incumbent_key(t)
            own, ref = self.val(t.key, "async", "calls_per_s"), self.val(inc, "async", "calls_per_s")
            v = own / ref if None not in (own, ref) else None
            self.check(
                f"Async c={CONCURRENCY} ≥ 2× {inc} calls/s",
                t,
                v,
                lambda x: x >= 2.0,
                f"{v:.2f}× ({fmt(own)} vs {fmt(ref)})" if v else "",
                self._na_why([(t.key, "acall"), (inc, "acall")]),
            )
        for t in ours:
            if t.family != "core":
                continue
            own, raw = self.val(t.key, "seq", "median_us"), self.val(raw_key(t), "seq", "median_us")
            v = own / raw if None not in (own, raw) else None
            self.check(
                "Core per call within 1.3× raw httpx",
                t,
                v,
                lambda x: x <= 1.3,
                f"{v:.2f}× ({fmt(own)} vs {fmt(raw)} µs)" if v else "",
                self._na_why([(t.key, "call"), (raw_key(t), "call")]),
            )
            for mode in ("stream", "astream"):
                own, raw = self.val(t.key, mode, "chunks_per_s"), self.val(raw_key(t), mode, "chunks_per_s")
                v = raw / own if None not in (own, raw) else None
                self.check(
                    f"Core streamed chunks ({mode}) within 1.5× raw httpx",
                    t,
                    v,
                    lambda x: x <= 1.5,
                    f"raw/core {v:.2f}× (raw {fmt(raw)}, core {fmt(own)} chunks/s)" if v else "",
                    self._na_why([(t.key, mode), (raw_key(t), mode)]),
                )
        for t in self.b.embed_targets:
            if not t.ours:
                continue
            inc = T.EMBED_INCUMBENT[t.family]
            for mode in ("embed", "aembed"):
                own, ref = self.val(t.key, mode, "texts_per_s"), self.val(inc, mode, "texts_per_s")
                v = own / ref if None not in (own, ref) else None
                self.check(
                    f"Embeddings ({mode}) ≥ 2× {inc} texts/s",
                    t,
                    v,
                    lambda x: x >= 2.0,
                    f"{v:.2f}× ({fmt(own)} vs {fmt(ref)})" if v else "",
                    self._na_why([(t.key, mode), (inc, mode)]),
                )
        imp = self.imports or {}
        for key in ("lc-emb", "li-emb"):
            r = imp.get(key)
            if not r:
                continue
            ref = imp.get(r["ref"], {})
            ok = "time_ms" in r and "time_ms" in ref
            why = r.get("na") or ref.get("na") or "not measured"
            v = r["time_ms"] / ref["time_ms"] if ok else None
            self.check(
                f"Import time no heavier than our chat models ({r['ref']}, +10% noise)",
                r["label"],
                v,
                lambda x: x <= 1.10,
                f"{v:.2f}× ({r['time_ms']:.0f} vs {ref['time_ms']:.0f} ms)" if ok else "",
                why,
            )
            d = r["rss_mib"] - ref["rss_mib"] if ok else None
            self.check(
                f"Import RSS no heavier than our chat models ({r['ref']}, +1 MiB noise)",
                r["label"],
                d,
                lambda x: x <= 1.0,
                f"{d:+.1f} MiB ({r['rss_mib']:.1f} vs {ref['rss_mib']:.1f})" if ok else "",
                why,
            )
        for key in ("lc", "li"):
            r = imp.get(key)
            if not r:
                continue
            ref = imp.get(r["ref"], {})
            ok = "time_ms" in r and "time_ms" in ref
            why = r.get("na") or ref.get("na") or "not measured"
            v = r["time_ms"] / ref["time_ms"] if ok else None
            self.check(
                f"Import time within 10% of {r['ref']} alone",
                r["label"],
                v,
                lambda x: x <= 1.10,
                f"{v:.2f}× ({r['time_ms']:.0f} vs {ref['time_ms']:.0f} ms)" if ok else "",
                why,
            )
            d = r["rss_mib"] - ref["rss_mib"] if ok else None
            self.check(
                f"Import RSS within 10 MiB of {r['ref']} alone",
                r["label"],
                d,
                lambda x: x <= 10.0,
                f"{d:+.1f} MiB ({r['rss_mib']:.1f} vs {ref['rss_mib']:.1f})" if ok else "",
                why,
            )
        self.h("## Targets checklist")
        self.table(
            ["goal", "target", "status", "measured"],
            [[c["goal"], c["target"], c["status"], c["measured"]] for c in self.checks],
            align="llll",
        )
        tally = {s: sum(c["status"] == s for c in self.checks) for s in ("MET", "NOT MET", "n/a")}
        self.lines += [f"MET {tally['MET']}, NOT MET {tally['NOT MET']}, n/a {tally['n/a']}", ""]

    def requests_section(self) -> None:
        self.h("## Requests seen by the stub")
        bad = []
        seen = False
        for t in self.b.targets:
            for fig, what in (
                ("seq", "sequential"),
                ("async", "async"),
                ("stream", "sync streams"),
                ("astream", "async streams"),
            ):
                s = self.b.res[t.key].get(fig)
                if not s:
                    continue
                seen = seen or fig == "seq"
                if s["requests"] != s["expected_requests"]:
                    bad.append(f"{t.label} ({what}): {s['requests']} requests for {s['expected_requests']} expected")
        self.one_per_call = (not bad) if seen else None
        verdict = {True: "yes", False: "no", None: "n/a (no sequential figures)"}[self.one_per_call]
        self.lines.append(f"one request per call: {verdict}")
        self.lines += [f"- {b}" for b in bad] + [""]


# -------------------------------------------------------------------------- main


def versions() -> dict[str, str]:
    from importlib import metadata

    out = {}
    for dist in (
        "httpx",
        "langchain-core",
        "langchain-openai",
        "openai",
        "llama-index-core",
        "llama-index-llms-openai-like",
        "llama-index-embeddings-openai",
        "langchain-gloo-gravix",
    ):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = "source tree" if dist == "langchain-gloo-gravix" else "not installed"
    return out


def write_results(md: str, data: dict[str, Any]) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    for name, text in (("latest.md", md), ("latest.json", json.dumps(data, indent=2, default=str))):
        tmp = RESULTS / (name + ".tmp")  # write-then-rename: never leave a half-written report
        tmp.write_text(text)
        os.replace(tmp, RESULTS / name)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Benchmark our clients against the incumbents and the floors.")
    ap.add_argument("--quick", action="store_true", help="fewer repetitions and a 2,000-chunk stream (< ~60 s)")
    ap.add_argument("--only", default="", help="comma-separated target keys (default: all)")
    ap.add_argument("--skip", default="", help="comma-separated phases to skip: ceiling,imports,rss,embeddings")
    ap.add_argument("--no-write", action="store_true", help="do not overwrite benchmarks/results/latest.*")
    ap.add_argument(
        "--events-per-chunk",
        type=int,
        default=1,
        help="SSE events the stub packs into one HTTP chunk (default 1, as real servers send)",
    )
    ap.add_argument("--rss-worker", help=argparse.SUPPRESS)
    ap.add_argument("--url", help=argparse.SUPPRESS)
    ap.add_argument("--seconds", type=float, default=0.0, help=argparse.SUPPRESS)
    ap.add_argument("--chunks", type=int, default=0, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)

    if args.rss_worker:
        rss_worker(args.rss_worker, args.url, args.seconds, args.chunks)
        return 0

    # SIGTERM should unwind through the finally below so the stub is stopped.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    cfg = dict(QUICK if args.quick else FULL)
    cfg["events_per_http_chunk"] = max(1, args.events_per_chunk)
    only = {k.strip() for k in args.only.split(",") if k.strip()} or None
    skip = {k.strip() for k in args.skip.split(",") if k.strip()}
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    client_pinned = pin_to_cpu(CLIENT_CPU)
    meta: dict[str, Any] = {
        "quick": args.quick,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": cpus,
        "client_pinned": client_pinned,
        "server_pinned": False,
        "config": cfg,
        "versions": versions(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    server = StubServer(cpu=SERVER_CPU, events_per_chunk=cfg["events_per_http_chunk"])
    bench: Bench | None = None
    cpu0, wall0 = machine_cpu(), time.perf_counter()
    load0 = os.getloadavg()
    try:
        server.start()
        log(f"stub at {server.url}")
        bench = Bench(server.url, cfg, only)
        meta["server_pinned"] = bench.stats().get("affinity") == [SERVER_CPU]
        ceiling = None
        if "ceiling" not in skip:
            try:
                ceiling = bench.loop.run_until_complete(
                    _ceiling("127.0.0.1", server.port, cfg["ceiling_s"], cfg["chunks"], bench.stats)
                )
            except Exception as e:
                ceiling = {"na": reason(e)}
            log("stub ceiling measured")
        bench.setup()
        # Streaming before async: see the warm-up note in Bench.setup.
        bench.sequential()
        bench.streaming()
        bench.concurrent()
        if "embeddings" not in skip:
            bench.embeddings()
        bench.close()
        keys = [
            t.key
            for t in bench.targets
            if "acall" not in bench.na[t.key] and (not cfg["rss_subset"] or t.key in RSS_QUICK_SUBSET)
        ]
        rss = None
        if "rss" not in skip:
            rss = measure_peak_rss(server.url, keys, cfg["rss_s"], cfg["chunks"])
            for t in bench.targets:
                if t.key not in rss:
                    why = bench.na[t.key].get("acall") or "skipped in --quick"
                    rss[t.key] = {"na": why}
            log("peak RSS measured")
        imports = None if "imports" in skip else measure_imports(cfg["import_reps"])
        meta["duration_s"] = time.perf_counter() - T0
        # How much CPU other processes took while we ran: the figures are only as
        # quiet as the machine was.
        end_stats = Stats(server.url)
        stub_cpu = end_stats()["cpu_s"]
        end_stats.close()
        cpu1, wall = machine_cpu(), time.perf_counter() - wall0
        if cpu0 and cpu1:
            others = (cpu1["busy_s"] - cpu0["busy_s"]) - own_cpu_s() - stub_cpu
            meta["machine"] = {
                "others_cpu_pct_of_one_core": max(0.0, 100 * others / wall),
                "steal_pct_of_one_core": 100 * (cpu1["steal_s"] - cpu0["steal_s"]) / wall,
                "loadavg_start": load0[0],
                "loadavg_end": os.getloadavg()[0],
            }
        report = Report(bench, imports, rss, ceiling, meta)
        md = report.build()
        print(md)
        data = {
            "meta": meta,
            "stub_ceiling": ceiling,
            "checklist": report.checks,
            "one_request_per_call": report.one_per_call,
            "imports": imports,
            "peak_rss": rss,
            "targets": {
                t.key: {
                    "label": t.label,
                    "family": t.family,
                    "route": t.route,
                    "ours": t.ours,
                    "na": bench.na[t.key],
                    **bench.res[t.key],
                }
                for t in bench.targets
            },
            "embeddings": {
                t.key: {"label": t.label, "family": t.family, "ours": t.ours, "na": bench.na[t.key], **bench.res[t.key]}
                for t in bench.embed_targets
            },
        }
        if not args.no_write:
            write_results(md, data)
            log(f"wrote {RESULTS / 'latest.md'} and latest.json")
        return 0
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
