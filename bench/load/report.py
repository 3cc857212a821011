"""Locust's CSV statistics read back, the request rate at which p95 crosses the bound, and the
"Load test" section of docs/benchmarks.md."""

import csv
from pathlib import Path

P95_BOUND_MS = 500


def stats(prefix: Path) -> dict[str, dict]:
    """Per page name (and "Aggregated"): requests, failures, requests/s, p50, p95, p99 (ms)."""
    rows = {}
    with open(f"{prefix}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            rows[row["Name"]] = {
                "method": row["Type"], "requests": int(row["Request Count"]), "failures": int(row["Failure Count"]),
                "rps": float(row["Requests/s"]), "p50": _ms(row["50%"]), "p95": _ms(row["95%"]),
                "p99": _ms(row["99%"]),
            }
    return rows


def _ms(value: str) -> int | None:
    return None if value in ("", "N/A") else round(float(value))


def failures(prefix: Path) -> list[dict]:
    path = Path(f"{prefix}_failures.csv")
    if not path.exists():
        return []
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def crossing(steps: list[dict], bound: int = P95_BOUND_MS) -> dict:
    """Where the aggregate p95 first exceeds ``bound``: the request rate interpolated linearly
    between the last step under it and the first over it (``below``: crossed before the first
    step; ``above``: never crossed)."""
    previous = None
    for step in steps:
        if step["p95"] is not None and step["p95"] > bound:
            if previous is None:
                return {"rps": round(step["rps"], 1), "users": step["users"], "kind": "below"}
            share = (bound - previous["p95"]) / (step["p95"] - previous["p95"])
            return {"rps": round(previous["rps"] + share * (step["rps"] - previous["rps"]), 1),
                    "users": step["users"], "kind": "between", "from": previous["users"]}
        previous = step
    last = steps[-1] if steps else {"rps": 0.0, "users": 0}
    return {"rps": round(last["rps"], 1), "users": last["users"], "kind": "above"}


def crossing_sentence(cross: dict) -> str:
    if cross["kind"] == "below":
        return (f"p95 was over {P95_BOUND_MS} ms already at the first step ({cross['users']} users, "
                f"{cross['rps']} requests/s): it crosses below that rate.")
    if cross["kind"] == "above":
        return (f"p95 stayed under {P95_BOUND_MS} ms up to the last step ({cross['users']} users, "
                f"{cross['rps']} requests/s).")
    return (f"p95 crosses {P95_BOUND_MS} ms at about **{cross['rps']} requests/s** (interpolated between "
            f"{cross['from']} and {cross['users']} users).")


def page_table(rows: dict[str, dict]) -> list[str]:
    lines = ["| page | method | requests | failures | p50 ms | p95 ms | p99 ms | requests/s |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for name in sorted(n for n in rows if n != "Aggregated"):
        r = rows[name]
        lines.append(f"| {name} | {r['method']} | {r['requests']} | {r['failures']} | {r['p50']} | {r['p95']} | "
                     f"{r['p99']} | {r['rps']:.2f} |")
    r = rows["Aggregated"]
    lines.append(f"| **all** | | {r['requests']} | {r['failures']} | {r['p50']} | {r['p95']} | {r['p99']} | "
                 f"{r['rps']:.2f} |")
    return lines


def ramp_table(steps: list[dict]) -> list[str]:
    lines = ["| users | requests/s | p50 ms | p95 ms | p99 ms | failures | load average (1 min) at its end |",
             "|---:|---:|---:|---:|---:|---:|---:|"]
    lines += [f"| {s['users']} | {s['rps']:.1f} | {s['p50']} | {s['p95']} | {s['p99']} | {s['failures']} | "
              f"{s['load']:.2f} |" for s in steps]
    return lines
