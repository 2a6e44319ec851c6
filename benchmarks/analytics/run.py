"""Analytics benchmark: quiz statistics and the streamed gradebook on a synthetic cohort of
10,000 learners x 300 items (1.5 million responses) on a throwaway PostgreSQL database.

    .venv/bin/python benchmarks/analytics/run.py                # ~5 minutes on 2 cores
    .venv/bin/python benchmarks/analytics/run.py --quick        # smoke run, ~1 minute
    .venv/bin/python benchmarks/analytics/run.py --learners 2000 --items 100 --per-learner 50

It creates the database bench_analytics_<pid> (PostgreSQL at $BENCH_PG, default
postgres://postgres@127.0.0.1:5432), migrates it, generates the cohort with
``quizzes.services.synthetic.synthetic_cohort_create`` (what ``manage.py
make_synthetic_cohort`` runs; --quizzes 10 by default, so the course gradebook has
10 x learners rows; the first quiz has the responses) and runs VACUUM ANALYZE (what
autovacuum does after a bulk load). Then, each timing the median of --runs runs after one
warm-up:

(a) ``quiz_stats(quiz, attempts="first")`` against a named reference in the same run: a
    straightforward pure-Python computation of the same facility and item-rest
    discrimination from ORM rows (``reference_quiz_stats`` below); their figures must agree;
(b) ``gradebook_csv_chunks(quiz=quiz)`` fully consumed (10,000 rows), and the tracemalloc
    peak while streaming the quiz gradebook and the course gradebook
    (``gradebook_csv_chunks(course=course)``, 100,000 rows), against the reference that
    builds the whole CSV in memory from a list of rows (``reference_csv``).

It prints a markdown table and the machine (cores, Python, PostgreSQL), writes
results.json and rewrites the "## Analytics" section of docs/benchmarks.md (not with
--quick or --no-doc); then drops the database (unless --keep-db).
"""

from __future__ import annotations

import argparse
import csv
import gc
import io
import json
import math
import os
import platform
import secrets
import statistics
import sys
import textwrap
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

import psycopg

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DOC = ROOT / "docs" / "benchmarks.md"
HEADING = "## Analytics"
TARGET_STATS_SECONDS = 2.0
TARGET_GRADEBOOK_SECONDS = 5.0
# "Flat": the streamed peak at 10x the rows stays within this factor of the smaller one.
FLAT_FACTOR = 1.5
# Notes below this line of the section are written by hand and survive a re-run.
NOTES_MARKER = "<!-- analytics notes -->"


# -- the references ----------------------------------------------------------------------


def reference_quiz_stats(quiz: Any) -> dict[str, dict[str, float | None]]:
    """Facility and discrimination (item-rest correlation) per item, each learner's first
    finished attempt, the obvious way: ORM rows into dicts and lists, loops, no numpy."""
    from quizzes.models import Attempt, Response

    first: dict[int, tuple[int, int]] = {}  # learner -> (number, attempt id)
    for attempt_id, learner_id, number in Attempt.objects.filter(
        quiz=quiz, state=Attempt.State.FINISHED
    ).values_list("pk", "learner_id", "number"):
        if learner_id not in first or number < first[learner_id][0]:
            first[learner_id] = (number, attempt_id)
    selected = {attempt_id for _, attempt_id in first.values()}
    rows = [
        row
        for row in Response.objects.filter(attempt__quiz=quiz).values_list(
            "attempt_id", "item__revision__question__external_id", "fraction"
        )
        if row[0] in selected
    ]
    totals: dict[int, float] = defaultdict(float)
    for attempt_id, _, fraction in rows:
        totals[attempt_id] += fraction
    by_item: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for attempt_id, item, fraction in rows:
        by_item[item].append((fraction, totals[attempt_id] - fraction))
    result: dict[str, dict[str, float | None]] = {}
    for item, pairs in by_item.items():
        n = len(pairs)
        mean_score = sum(s for s, _ in pairs) / n
        mean_rest = sum(r for _, r in pairs) / n
        ss_score = sum((s - mean_score) ** 2 for s, _ in pairs)
        ss_rest = sum((r - mean_rest) ** 2 for _, r in pairs)
        sp = sum((s - mean_score) * (r - mean_rest) for s, r in pairs)
        denominator = math.sqrt(ss_score * ss_rest)
        result[item] = {
            "facility": mean_score,
            "discrimination": sp / denominator if denominator > 1e-12 else None,
        }
    return result


def reference_csv(**scope: Any) -> str:
    """The whole gradebook CSV built in memory: every row fetched into a list first."""
    from quizzes.analytics.gradebook import COLUMNS, csv_cell, gradebook_queryset, gradebook_row

    rows = [gradebook_row(values) for values in list(gradebook_queryset(**scope))]
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows([csv_cell(row[column]) for column in COLUMNS] for row in rows)
    return buffer.getvalue()


# -- measuring ---------------------------------------------------------------------------


def timed(function: Callable[[], Any], runs: int) -> tuple[float, list[float], Any]:
    """Median seconds of ``runs`` calls after one warm-up call (and every run's time)."""
    result = function()
    times = []
    for _ in range(runs):
        began = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - began)
    return statistics.median(times), times, result


def consume(chunks: Iterable[bytes]) -> tuple[int, int]:
    """Bytes and lines of a stream, keeping nothing."""
    size = lines = 0
    for chunk in chunks:
        size += len(chunk)
        lines += chunk.count(b"\n")
    return size, lines


def stream_csv(chunks: Callable[..., Iterable[bytes]], scope: dict[str, Any]) -> tuple[int, int]:
    return consume(chunks(**scope))


def peak_bytes(function: Callable[[], Any]) -> tuple[int, Any]:
    """tracemalloc's peak of Python allocations during the call, above what was live."""
    gc.collect()
    tracemalloc.start()
    tracemalloc.reset_peak()
    base = tracemalloc.get_traced_memory()[0]
    result = function()
    peak = tracemalloc.get_traced_memory()[1] - base
    tracemalloc.stop()
    return peak, result


def agreement(
    ours: dict[str, Any], reference: dict[str, dict[str, float | None]]
) -> dict[str, Any]:
    """Largest differences between quiz_stats's items and the reference's."""
    items = {entry["external_id"]: entry for entry in ours["items"]}
    facility, discrimination = 0.0, 0.0
    for item, figures in reference.items():
        entry = items[item]
        facility = max(facility, abs(entry["facility"] - (figures["facility"] or 0.0)))
        if entry["discrimination_index"] is not None and figures["discrimination"] is not None:
            discrimination = max(
                discrimination, abs(entry["discrimination_index"] - figures["discrimination"])
            )
    return {
        "items": len(reference),
        "items_ours": len(items),
        "max_facility_difference": facility,
        "max_discrimination_difference": discrimination,
    }


def measure(args: argparse.Namespace, postgres: str) -> dict[str, Any]:
    import django
    from django.core.management import call_command
    from django.db import connection

    django.setup()
    from quizzes.analytics.gradebook import gradebook_csv_chunks
    from quizzes.analytics.quiz_stats import quiz_stats
    from quizzes.models import Attempt
    from quizzes.services.synthetic import synthetic_cohort_create

    call_command("migrate", verbosity=0, interactive=False)
    print("generating the cohort ...", flush=True)
    began = time.perf_counter()
    cohort = synthetic_cohort_create(
        learners=args.learners,
        items=args.items,
        per_learner=args.per_learner,
        seed=args.seed,
        quizzes=args.quizzes,
        slug="bench",
    )
    generation = time.perf_counter() - began
    print(f"  {cohort.responses:,} responses in {generation:.1f} s", flush=True)
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    vacuum = time.perf_counter() - began
    quiz, course = cohort.quizzes[0], cohort.course
    results: dict[str, Any] = {
        "date": time.strftime("%Y-%m-%d"),
        "postgres": postgres,
        "cpus": os.cpu_count(),
        "machine": f"{platform.machine()}, Python {platform.python_version()}",
        "load_average_start": os.getloadavg()[0],
        "args": {k: getattr(args, k) for k in ("learners", "items", "per_learner", "seed",
                                               "quizzes", "runs")},
        "cohort": {
            "learners": cohort.learners,
            "attempts": cohort.attempts,
            "responses": cohort.responses,
            "grades": cohort.grades,
            "outbox": cohort.outbox,
        },
        "first_quiz_attempts": Attempt.objects.filter(quiz=cohort.quizzes[0]).count(),
        "generation_seconds": generation,
        "vacuum_analyze_seconds": vacuum,
    }  # fmt: skip

    print("quiz statistics ...", flush=True)
    ours_median, ours_times, ours = timed(lambda: quiz_stats(quiz, attempts="first"), args.runs)
    ref_median, ref_times, reference = timed(lambda: reference_quiz_stats(quiz), args.runs)
    results["quiz_stats"] = {
        "median_s": ours_median,
        "runs_s": ours_times,
        "reference_median_s": ref_median,
        "reference_runs_s": ref_times,
        "ratio": ours_median / ref_median,
        "attempts": ours["quiz"].get("attempts"),
        "agreement": agreement(ours, reference),
    }
    print(json.dumps(results["quiz_stats"], indent=1, default=str), flush=True)

    print("gradebook ...", flush=True)
    quiz_median, quiz_times, (quiz_bytes, quiz_lines) = timed(
        lambda: consume(gradebook_csv_chunks(quiz=quiz)), args.runs
    )
    course_median, course_times, (course_bytes, course_lines) = timed(
        lambda: consume(gradebook_csv_chunks(course=course)), max(1, args.runs // 2)
    )
    ref_quiz_median, ref_quiz_times, _ = timed(lambda: reference_csv(quiz=quiz), args.runs)
    memory: dict[str, Any] = {}
    for name, scope in (("quiz", {"quiz": quiz}), ("course", {"course": course})):
        streamed, (size, lines) = peak_bytes(partial(stream_csv, gradebook_csv_chunks, scope))
        whole, text = peak_bytes(partial(reference_csv, **scope))
        memory[name] = {
            "rows": lines - 1,
            "csv_bytes": size,
            "streamed_peak_bytes": streamed,
            "reference_peak_bytes": whole,
            "same_csv": len(text.encode()) == size,
        }
    results["gradebook"] = {
        "quiz_median_s": quiz_median,
        "quiz_runs_s": quiz_times,
        "quiz_rows": quiz_lines - 1,
        "quiz_bytes": quiz_bytes,
        "course_median_s": course_median,
        "course_runs_s": course_times,
        "course_rows": course_lines - 1,
        "course_bytes": course_bytes,
        "reference_quiz_median_s": ref_quiz_median,
        "reference_quiz_runs_s": ref_quiz_times,
        "memory": memory,
    }
    print(json.dumps(results["gradebook"], indent=1), flush=True)
    results["load_average_end"] = os.getloadavg()[0]
    return results


# -- the report --------------------------------------------------------------------------


def mib(value: float) -> str:
    return f"{value / 2**20:.1f} MiB"


def section(results: dict[str, Any]) -> str:
    met = {True: "met", False: "**missed**"}
    cohort, args = results["cohort"], results["args"]
    stats, book = results["quiz_stats"], results["gradebook"]
    memory = book["memory"]
    growth = memory["course"]["streamed_peak_bytes"] / max(1, memory["quiz"]["streamed_peak_bytes"])
    reference_growth = memory["course"]["reference_peak_bytes"] / max(
        1, memory["quiz"]["reference_peak_bytes"]
    )
    agree = stats["agreement"]
    runs = args["runs"]
    table = [
        "| measurement | ours | reference | ratio | target | |",
        "|---|---:|---:|---:|---|---|",
        f'| `quiz_stats(quiz, attempts="first")`, {cohort["learners"]:,} attempts x '
        f"{args['per_learner']} items (s, median of {runs}) | {stats['median_s']:.3f} | "
        f"{stats['reference_median_s']:.3f} | {stats['ratio']:.3f} | <= {TARGET_STATS_SECONDS:g} s "
        f"| {met[stats['median_s'] <= TARGET_STATS_SECONDS]} |",
        f"| `gradebook_csv_chunks(quiz=quiz)` consumed, {book['quiz_rows']:,} rows (s, median "
        f"of {runs}) | {book['quiz_median_s']:.3f} | {book['reference_quiz_median_s']:.3f} | "
        f"{book['quiz_median_s'] / book['reference_quiz_median_s']:.3f} | "
        f"<= {TARGET_GRADEBOOK_SECONDS:g} s "
        f"| {met[book['quiz_median_s'] <= TARGET_GRADEBOOK_SECONDS]} |",
        f"| `gradebook_csv_chunks(course=course)` consumed, {book['course_rows']:,} rows (s, "
        f"median of {max(1, runs // 2)}) | {book['course_median_s']:.3f} | - | - | reported | - |",
        f"| memory peak, quiz gradebook ({memory['quiz']['rows']:,} rows; reference: whole CSV "
        f"from a list) | {mib(memory['quiz']['streamed_peak_bytes'])} | "
        f"{mib(memory['quiz']['reference_peak_bytes'])} | "
        f"{memory['quiz']['streamed_peak_bytes'] / memory['quiz']['reference_peak_bytes']:.3f} "
        "| reported | - |",
        f"| memory peak, course gradebook ({memory['course']['rows']:,} rows) | "
        f"{mib(memory['course']['streamed_peak_bytes'])} | "
        f"{mib(memory['course']['reference_peak_bytes'])} | "
        f"{memory['course']['streamed_peak_bytes'] / memory['course']['reference_peak_bytes']:.3f}"
        " | reported | - |",
        f"| memory growth, {memory['course']['rows'] // max(1, memory['quiz']['rows'])}x the rows "
        f"(course peak / quiz peak) | {growth:.2f}x | {reference_growth:.2f}x | - | flat "
        f"(<= {FLAT_FACTOR:g}x) | {met[growth <= FLAT_FACTOR]} |",
        f"| generation: `synthetic_cohort_create`, {cohort['responses']:,} responses, "
        f"{args['quizzes']} quizzes (s) | {results['generation_seconds']:.1f} | - | - | "
        "reported | - |",
    ]
    missed = [
        row.split(" | ")[0].lstrip("| ").split(" (s")[0] for row in table[2:] if "**missed**" in row
    ]
    prose = (
        "Quiz statistics and the streamed gradebook on a synthetic cohort "
        "(`quizzes.services.synthetic.synthetic_cohort_create`, what `manage.py "
        f"make_synthetic_cohort` runs): {cohort['learners']:,} learners, a {args['items']}-item "
        f"bank, a blueprint quiz drawing {args['per_learner']} items per attempt, one finished "
        "attempt per learner and a second one for ~5% of them "
        f"({results['first_quiz_attempts']:,} attempts, {cohort['responses']:,} responses "
        f"simulated from a 2PL, seed {args['seed']}), and {args['quizzes']} quizzes in the "
        "course (the others with grades and scored attempts only) for a "
        f"{cohort['grades']:,}-row course gradebook. PostgreSQL {results['postgres']} on the "
        f"same {results['cpus']}-core machine ({results['machine']}), in one process, after "
        "VACUUM ANALYZE. Times are medians after one warm-up. References in the same run "
        "(`benchmarks/analytics/run.py`): for the statistics, a straightforward pure-Python "
        "computation of the same facility and item-rest discrimination from ORM rows "
        f"(`reference_quiz_stats`; the two agree within {agree['max_facility_difference']:.1e} "
        f"in facility and {agree['max_discrimination_difference']:.1e} in discrimination over "
        f"{agree['items']} items: quiz_stats rounds to 4 places); for the gradebook, the whole "
        "CSV built in memory from a list of rows (`reference_csv`). Memory is tracemalloc's "
        "peak of Python allocations while the CSV is produced and consumed. "
        "Ratio = ours / reference (lower is better)."
    )
    footer = (
        f"Load average {results['load_average_start']:.1f} at the start and "
        f"{results['load_average_end']:.1f} at the end: the machine's other work competes for "
        f"the same {results['cpus']} cores. Measured {results['date']}; raw figures in "
        "`benchmarks/analytics/results.json`."
    )
    return f"""{HEADING}

{textwrap.fill(prose, 92)}

```sh
.venv/bin/python benchmarks/analytics/run.py       # --quick: a small smoke run
```

{chr(10).join(table)}

Targets missed in this run: {", ".join(missed) if missed else "none"}.

{textwrap.fill(footer, 92)}
"""


def write_section(text: str) -> None:
    """Replace (or append) this section only: other sections belong to other benchmarks.
    Hand-written notes after NOTES_MARKER in the section are kept."""
    current = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    start = current.find(HEADING + "\n")
    if start == -1:
        updated = current.rstrip("\n") + "\n\n" + text
    else:
        end = current.find("\n## ", start + len(HEADING))
        old = current[start : end + 1] if end != -1 else current[start:]
        rest = current[end + 1 :] if end != -1 else ""
        notes = old.find(NOTES_MARKER)
        if notes != -1:
            text = text.rstrip("\n") + "\n\n" + old[notes:].rstrip("\n") + "\n"
        updated = current[:start] + text + ("\n" + rest if rest else "")
    DOC.write_text(updated.rstrip("\n") + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=10_000)
    parser.add_argument("--items", type=int, default=300)
    parser.add_argument("--per-learner", type=int, default=150)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--quizzes", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="small smoke run (no doc update)")
    parser.add_argument("--no-doc", action="store_true", help="do not rewrite docs/benchmarks.md")
    parser.add_argument("--keep-db", action="store_true")
    parser.add_argument(
        "--report-only", action="store_true", help="rewrite the section from results.json"
    )
    args = parser.parse_args()
    if args.report_only:
        write_section(section(json.loads((HERE / "results.json").read_text())))
        return
    if args.quick:
        args.learners, args.items, args.per_learner = 300, 40, 20
        args.quizzes, args.runs, args.no_doc = 3, 3, True

    server = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
    database = f"bench_analytics_{os.getpid()}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
        postgres = admin.execute("SHOW server_version").fetchone()[0].split()[0]  # type: ignore[index]
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": f"{server}/{database}",
            # DEBUG off: Django would otherwise keep every query in memory (and in the peaks).
            "DEBUG": "0",
            "SECRET_KEY": secrets.token_urlsafe(40),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "SECURE_SSL_REDIRECT": "0",
            "LOG_LEVEL": "WARNING",
        }
    )
    os.environ.pop("REDIS_URL", None)
    sys.path.insert(0, str(ROOT))
    try:
        print(f"setting up {database} ...", flush=True)
        results = measure(args, postgres)
        if not args.quick:
            (HERE / "results.json").write_text(json.dumps(results, indent=1) + "\n")
        text = section(results)
        print(text)
        if not args.no_doc:
            write_section(text)
    finally:
        from django.db import connections

        connections.close_all()
        if not args.keep_db:
            with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


if __name__ == "__main__":
    main()
