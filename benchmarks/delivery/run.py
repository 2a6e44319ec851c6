"""Learner-loop benchmark: start, next, answer under concurrent clients against gunicorn
(2 sync workers, config.wsgi, DEBUG=0) on a throwaway PostgreSQL database, with /healthz
in the same run as the ceiling.

    .venv/bin/python benchmarks/delivery/run.py                # ~3 minutes on 2 cores
    .venv/bin/python benchmarks/delivery/run.py --profile      # + py-spy on one worker

It creates the database bench_delivery_<pid> (PostgreSQL at $BENCH_PG, default
postgres://postgres@127.0.0.1:5432), migrates it, loads the demo data (`manage.py
load_demo`: the valvuloplasty bank and its adaptive quiz), seeds learners and a synthetic
30,000-item bank with an adaptive quiz of the same settings (seed.py), starts gunicorn,
runs each scenario (warm-up, then a measured window) with --clients threads, rewrites the
"## Learner loop" section of docs/benchmarks.md and writes results.json; then stops
gunicorn and drops the database. Every simulated learner loops: start an attempt (POST
/quizzes/{id}/attempts/), GET next, POST an answer (a random option; the right shape for
every type), until the stopping rule ends the attempt, then starts the next one.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import os
import platform
import random
import secrets
import signal
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
PY_SPY = ROOT / ".venv" / "bin" / "py-spy"
DOC = ROOT / "docs" / "benchmarks.md"
HEADING = "## Learner loop"
KINDS = ("start", "next", "answer")


# -- the load generator ------------------------------------------------------------------


class Client(threading.Thread):
    """One simulated learner (or a /healthz poller) on its own HTTP connection."""

    def __init__(self, port: int, token: str | None, quiz_id: int | None, stop: threading.Event):
        super().__init__(daemon=True)
        self.port, self.token, self.quiz_id, self.stop = port, token, quiz_id, stop
        self.samples: list[tuple[str, float, float, int]] = []  # kind, start, end, status
        self.rng = random.Random(token or "healthz")
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def request(self, kind: str, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Host": "127.0.0.1"}
        if self.token:
            headers["Authorization"] = f"Token {self.token}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        began = time.perf_counter()
        try:
            self.connection.request(method, path, body=payload, headers=headers)
            response = self.connection.getresponse()
            data = response.read()
            status = response.status
            if response.getheader("Connection", "").lower() == "close":
                self.connection.close()
        except (OSError, http.client.HTTPException):
            self.connection.close()
            status, data = 599, b""
        self.samples.append((kind, began, time.perf_counter(), status))
        try:
            return status, json.loads(data) if data else None
        except ValueError:
            return status, None

    def answer_for(self, item: dict[str, Any]) -> dict[str, Any]:
        kind, rng = item["type"], self.rng
        if kind == "single":
            return {"option": rng.choice(item["options"])["id"]}
        if kind == "multiple":
            options = [o["id"] for o in item["options"]]
            return {"options": rng.sample(options, rng.randint(1, len(options)))}
        if kind == "true_false":
            return {"value": rng.random() < 0.5}
        if kind == "short_answer":
            return {"text": rng.choice(["commissurotomy", "balloon", "I do not know"])}
        if kind == "numerical":
            return {"value": round(rng.uniform(0.5, 3.0), 2)}
        if kind == "matching":
            choices = [c["id"] for c in item["choices"]]
            rng.shuffle(choices)
            return {"pairs": {s["id"]: c for s, c in zip(item["stems"], choices, strict=False)}}
        steps = [s["id"] for s in item["steps"]]
        rng.shuffle(steps)
        return {"order": steps}

    def run(self) -> None:
        if self.quiz_id is None:
            while not self.stop.is_set():
                self.request("healthz", "GET", "/healthz")
            return
        attempt_id = None
        while not self.stop.is_set():
            if attempt_id is None:
                status, body = self.request(
                    "start", "POST", f"/api/v1/quizzes/{self.quiz_id}/attempts/"
                )
                if status not in (200, 201):
                    time.sleep(0.05)
                    continue
                attempt_id = body["id"]
            status, body = self.request("next", "GET", f"/api/v1/attempts/{attempt_id}/next/")
            if status != 200 or body.get("item") is None:
                attempt_id = None
                continue
            item = body["item"]
            status, body = self.request(
                "answer",
                "POST",
                f"/api/v1/attempts/{attempt_id}/responses/",
                {"item": item["id"], "answer": self.answer_for(item), "key": uuid.uuid4().hex},
            )
            if status != 201 or body.get("finished"):
                attempt_id = None


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def scenario(
    port: int, clients: int, warmup: float, duration: float, tokens: list[str], quiz_id: int | None
) -> dict[str, Any]:
    stop = threading.Event()
    threads = [
        Client(port, tokens[i % len(tokens)] if quiz_id else None, quiz_id, stop)
        for i in range(clients)
    ]
    for thread in threads:
        thread.start()
    time.sleep(warmup)
    window_start = time.perf_counter()
    time.sleep(duration)
    window_end = time.perf_counter()
    stop.set()
    for thread in threads:
        thread.join(60)
    samples = [s for t in threads for s in t.samples if s[1] >= window_start and s[2] <= window_end]
    by_kind: dict[str, list[float]] = collections.defaultdict(list)
    errors: collections.Counter[str] = collections.Counter()
    for kind, began, ended, status in samples:
        by_kind[kind].append((ended - began) * 1000)
        if status >= 400:
            errors[f"{kind} {status}"] += 1
    every = [ms for values in by_kind.values() for ms in values]
    return {
        "requests": len(samples),
        "rps": len(samples) / (window_end - window_start),
        "p50_ms": percentile(every, 0.50),
        "p99_ms": percentile(every, 0.99),
        "kinds": {
            kind: {
                "count": len(values),
                "p50_ms": percentile(values, 0.50),
                "p99_ms": percentile(values, 0.99),
            }
            for kind, values in sorted(by_kind.items())
        },
        "errors": dict(errors),
        # The machine's 1-minute load average at the end of the window: on shared
        # machines other work competes for the same cores (compare with os.cpu_count()).
        "load_average": os.getloadavg()[0],
    }


# -- setup and teardown --------------------------------------------------------------------


def run(command: list[str], env: dict[str, str], capture: bool = False) -> str:
    result = subprocess.run(
        command, cwd=ROOT, env=env, check=True, text=True, capture_output=capture
    )
    return result.stdout if capture else ""


def wait_ready(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit("gunicorn did not come up")


def profile_worker(
    port: int, pid: int, seconds: float, tokens: list[str], quiz_id: int, clients: int
) -> str:
    """py-spy on one worker while the loop runs; the functions of ours, Django, DRF and
    psycopg that hold the most samples (inclusive), as text."""
    raw = HERE / "profile.raw.txt"
    spy = subprocess.Popen(
        [str(PY_SPY), "record", "-p", str(pid), "-d", str(int(seconds)), "-r", "200",
         "--format", "raw", "-o", str(raw), "--nonblocking"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    scenario(port, clients, 1.0, seconds + 1, tokens, quiz_id)
    spy.wait(30)
    inclusive: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        total += int(count)
        seen = set()
        for frame in stack.split(";"):
            name = frame.split(" (")[0]
            where = frame.split(" (")[-1]
            if any(k in where for k in ("quizzes/", "rest_framework/", "django/", "psycopg")):
                key = f"{name} ({where.split('site-packages/')[-1].split(':')[0]})"
                if key not in seen:
                    seen.add(key)
                    inclusive[key] += int(count)
    lines = [f"{100 * n / total:5.1f}%  {key}" for key, n in inclusive.most_common(40)]
    text = f"py-spy, one worker, {seconds:.0f} s, {total} samples (inclusive share)\n" + "\n".join(
        lines
    )
    (HERE / "profile.txt").write_text(text + "\n")
    raw.unlink(missing_ok=True)
    return text


# -- the report ------------------------------------------------------------------------------


def section(results: dict[str, Any], args: argparse.Namespace) -> str:
    healthz = results["scenarios"]["healthz"]
    small = results["scenarios"]["valvuloplasty"]
    large = results["scenarios"]["synthetic"]
    ratio = small["rps"] / healthz["rps"]
    worst_p99 = max(small["p99_ms"], large["p99_ms"])
    spread = abs(large["rps"] - small["rps"]) / small["rps"]
    met = {True: "met", False: "**missed**"}
    rows = []
    for name, label in (
        ("healthz", "`GET /healthz` (ceiling: no database)"),
        ("valvuloplasty", f"loop, valvuloplasty bank ({results['plan']['valvuloplasty']} items)"),
        ("synthetic", f"loop, synthetic bank ({results['plan']['synthetic']:,} items)"),
    ):
        s = results["scenarios"][name]
        kinds = s["kinds"]
        detail = ", ".join(
            f"{kind} {kinds[kind]['p50_ms']:.1f}/{kinds[kind]['p99_ms']:.1f}"
            for kind in KINDS
            if kind in kinds
        )
        rows.append(
            f"| {label} | {s['rps']:.0f} | {s['p50_ms']:.1f} | {s['p99_ms']:.1f} | "
            f"{detail or '-'} | {sum(s['errors'].values())} | "
            f"{s.get('load_average', 0):.1f} |"
        )
    table = [
        f"| scenario ({args.clients} clients) | requests/s | p50 ms | p99 ms "
        "| p50/p99 ms per request | errors | load avg |",
        "|---|---:|---:|---:|---|---:|---:|",
        *rows,
    ]
    targets = [
        "| target | measured | |",
        "|---|---|---|",
        f"| loop throughput >= 30% of /healthz | {100 * ratio:.0f}% ({small['rps']:.0f} / "
        f"{healthz['rps']:.0f} requests/s) | {met[ratio >= 0.30]} |",
        f"| p99 <= 100 ms at {args.clients} clients | {worst_p99:.1f} ms (worst of the two "
        f"banks) | {met[worst_p99 <= 100]} |",
        f"| 30,000-item bank within 10% of the small one | {100 * spread:.1f}% apart "
        f"({large['rps']:.0f} vs {small['rps']:.0f} requests/s) | {met[spread <= 0.10]} |",
    ]
    return f"""{HEADING}

The learner's loop over HTTP: every simulated learner starts an attempt of an adaptive quiz,
then loops `GET /api/v1/attempts/{{id}}/next/` and `POST .../responses/` (a random answer of
the right shape) until the stopping rule ends the attempt, and starts the next one.
{args.clients} concurrent clients (threads of one Python process, one HTTP connection each),
{args.warmup:.0f} s warm-up then a {args.duration:.0f} s measured window per row, against gunicorn
(2 sync workers, `config.wsgi`, `DEBUG=0`) on PostgreSQL {results["postgres"]} with the Redis
cache, all on the same {results["cpus"]}-core machine ({results["machine"]}; the load generator
and PostgreSQL share those cores with the workers). Reproduce:

```sh
.venv/bin/python benchmarks/delivery/run.py          # --profile adds a py-spy profile
```

{chr(10).join(table)}

Targets (docs/DESIGN.md quality bars, delivery issue):

{chr(10).join(targets)}

Where the time goes (profiles of one worker and of the loop in-process): see "Performance"
in [docs/delivery.md](delivery.md); `--profile` writes `benchmarks/delivery/profile.txt`.

Measured {results["date"]}; raw figures in `benchmarks/delivery/results.json`.
"""


def write_section(text: str) -> None:
    """Replace (or append) this section only: other sections belong to other benchmarks."""
    current = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    start = current.find(HEADING + "\n")
    if start == -1:
        updated = current.rstrip("\n") + "\n\n" + text
    else:
        end = current.find("\n## ", start + len(HEADING))
        rest = current[end + 1 :] if end != -1 else ""
        updated = current[:start] + text + ("\n" + rest if rest else "")
    DOC.write_text(updated.rstrip("\n") + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--duration", type=float, default=20.0)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the section from results.json"
    )
    args = parser.parse_args()
    if args.report_only:
        stored = json.loads((HERE / "results.json").read_text())
        args.clients, args.warmup, args.duration = (
            stored["clients"],
            stored["warmup"],
            stored["duration"],
        )
        write_section(section(stored, args))
        return

    server = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    database = f"bench_delivery_{os.getpid()}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
        postgres = admin.execute("SHOW server_version").fetchone()[0].split()[0]  # type: ignore[index]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": f"{server}/{database}",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(40),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_SSL_REDIRECT": "0",
        "DEMO_PASSWORD": secrets.token_urlsafe(12),
        "REDIS_URL": os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/0"),
        "CACHE_KEY_PREFIX": database,
        "LOG_LEVEL": "WARNING",
    }
    gunicorn = None
    try:
        print(f"setting up {database} ...", flush=True)
        run([str(PYTHON), "manage.py", "migrate", "--noinput", "-v", "0"], env)
        run([str(PYTHON), "manage.py", "load_demo", "--no-cohort"], env, capture=True)
        began = time.monotonic()
        plan = json.loads(run([str(PYTHON), str(HERE / "seed.py")], env, capture=True))
        print(f"seeded in {time.monotonic() - began:.0f} s", flush=True)
        gunicorn = subprocess.Popen(
            [str(GUNICORN), "config.wsgi", "--workers", "2", "--bind", f"127.0.0.1:{args.port}",
             "--log-level", "warning"],
            cwd=ROOT, env=env,
        )  # fmt: skip
        wait_ready(args.port)
        tokens, quizzes = plan["tokens"], plan["quizzes"]
        # One short untimed pass per quiz: each worker loads the engine bank once per
        # content version (from Redis or the database), as after any deploy.
        for quiz in quizzes.values():
            scenario(args.port, 4, 0.0, 3.0, tokens, quiz["id"])
        results: dict[str, Any] = {
            "date": time.strftime("%Y-%m-%d"),
            "postgres": postgres,
            "cpus": os.cpu_count(),
            "machine": f"{platform.machine()}, Python {platform.python_version()}",
            "plan": {name: quiz["items"] for name, quiz in quizzes.items()},
            "settings": plan["settings"],
            "clients": args.clients,
            "warmup": args.warmup,
            "duration": args.duration,
            "scenarios": {},
        }
        for name, quiz_id in (
            ("healthz", None),
            ("valvuloplasty", quizzes["valvuloplasty"]["id"]),
            ("synthetic", quizzes["synthetic"]["id"]),
        ):
            print(f"{name} ...", flush=True)
            outcome = scenario(args.port, args.clients, args.warmup, args.duration, tokens, quiz_id)
            results["scenarios"][name] = outcome
            print(json.dumps(outcome, indent=1), flush=True)
        if args.profile:
            worker = subprocess.run(
                ["pgrep", "-P", str(gunicorn.pid)], capture_output=True, text=True, check=True
            ).stdout.split()[0]
            print(
                profile_worker(
                    args.port, int(worker), 15, tokens, quizzes["valvuloplasty"]["id"], args.clients
                )
            )
        (HERE / "results.json").write_text(json.dumps(results, indent=1) + "\n")
        text = section(results, args)
        print(text)
        if not args.no_doc:
            write_section(text)
    finally:
        if gunicorn is not None:
            gunicorn.send_signal(signal.SIGTERM)
            gunicorn.wait(30)
        if not args.keep_db:
            with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
