#!/usr/bin/python3
"""Merges the JSON of two benchmark runs (before, after) and optionally the Dask harness into markdown.

Usage: before_after_table.py BEFORE.json AFTER.json [DASK.json] [--before-label L] [--after-label L]

Prints a table (row, before, after, gain, floors, Dask, Ray), the floors of each run, the million-task
row's memory, and the issue's targets checked against these figures. A missing or failed run or row
shows as a dash, with its error, rather than stopping the table.
"""
import argparse
import json
import sys

# The targets: a row's after-figure at least this much (rates) or at most (seconds).
TARGETS_AT_LEAST = {"single_client_tasks_async": 300_000, "1_1_actor_calls_async": 400_000}
SYNC_ROWS = ["single_client_tasks_sync", "1_1_actor_calls_sync"]
# The raw Orleans sync call on the route Granary takes (straight to the worker, see EngineFloorRows.cs).
ENGINE_SYNC = "engine_floor_grain_calls_sync_direct"
SCALE_SECONDS = 6.0
SCALE_CLIENT_MIB = 882


def load(path):
    if not path:
        return None
    try:
        with open(path, encoding="utf-8") as f:
            text = f.read().strip()
        return json.loads(text.splitlines()[-1]) if text else None
    except (OSError, ValueError) as error:
        print(f"note: {path}: {error}", file=sys.stderr)
        return None


def fmt(value, unit=""):
    if value is None:
        return "–"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:.2f}"
    return f"{text} {unit}".strip()


def figure(run, name):
    row = (run or {}).get("rows", {}).get(name)
    if row is None:
        return None, None
    return row.get("granary"), row.get("error")


def gain(unit, before, after):
    """How many times better after is: more per second, or fewer seconds."""
    if before is None or after is None or before == 0 or after == 0:
        return None
    return before / after if unit == "s" else after / before


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("dask", nargs="?")
    parser.add_argument("--before-label", default="before")
    parser.add_argument("--after-label", default="after")
    args = parser.parse_args()
    before, after, dask = load(args.before), load(args.after), load(args.dask)

    names = []
    for run in (after, before):
        for name in (run or {}).get("rows", {}):
            if name not in names:
                names.append(name)
    dask_rows = (dask or {}).get("rows", {})

    out = []
    out.append(f"| row | {args.before_label} | {args.after_label} | gain | vs floor (after) | Dask | Ray 2.37 (published) |")
    out.append("| --- | ---: | ---: | ---: | --- | ---: | ---: |")
    for name in names:
        meta = (after or {}).get("rows", {}).get(name) or (before or {}).get("rows", {}).get(name) or {}
        unit = meta.get("unit", "")
        b, b_error = figure(before, name)
        a, a_error = figure(after, name)
        g = gain(unit, b, a)
        floors = []
        row = (after or {}).get("rows", {}).get(name) or {}
        if a is not None and row.get("floor"):
            floors.append(f"{'memcpy' if unit == 'GB/s' else 'loopback'} {a / row['floor']:.2f}")
        if a is not None and row.get("engineFloor"):
            floors.append(f"Orleans {a / row['engineFloor']:.2f}")
        d = dask_rows.get(name, {}).get("median")
        ray = meta.get("ray")
        cells = [
            name,
            "failed" if b_error else ("absent" if b is None and before else fmt(b, unit)),
            "failed" if a_error else fmt(a, unit),
            "–" if g is None else f"{g:.2f}×",
            ", ".join(floors) or "",
            fmt(d, unit),
            fmt(ray, unit),
        ]
        out.append("| " + " | ".join(cells) + " |")

    out.append("")
    out.append("gain: after/before for rates, before/after for seconds (above 1 is better). "
               "'absent': the row does not exist in that build (engine-floor rows before the Orleans engine).")
    for label, run in ((args.before_label, before), (args.after_label, after)):
        if run is None:
            out.append(f"- {label}: no result (see its log)")
            continue
        f = run.get("floors", {})
        out.append(f"- {label} floors: loopback {fmt(f.get('loopback_round_trips_per_s'))} round trips/s, "
                   f"memcpy {fmt(f.get('memcpy_gb_per_s'))} GB/s (fresh memory {fmt(f.get('memcpy_fresh_gb_per_s'))} GB/s), "
                   f"loopback TCP {fmt(f.get('loopback_tcp_gb_per_s'))} GB/s")
        for name, row in run.get("rows", {}).items():
            if "memory" in row:
                m = row["memory"]
                silos = ", ".join(f"{v} MiB" for v in (m.get("silo_peak_rss_mib") or {}).values())
                out.append(f"- {label} {name}: client peak {m.get('client_peak_rss_mib')} MiB resident "
                           f"({m.get('client_peak_rss_source')}; {m.get('client_rss_at_start_mib')} MiB at its start), "
                           f"managed heap peak {m.get('client_peak_managed_heap_mib')} MiB, submitted in "
                           f"{m.get('submit_seconds', 0):.2f} s; silos {silos or '–'}")
        for name, row in run.get("rows", {}).items():
            if row.get("error"):
                out.append(f"- {label} {name} failed: {row['error']}")
    if dask:
        out.append(f"- Dask {dask.get('versions', {}).get('distributed')}: {dask.get('workers')}")

    out.append("")
    out.append("Targets (issue), checked on the after run:")
    out.extend(check_targets(before, after))
    print("\n".join(out))


def check_targets(before, after):
    lines = []
    if after is None:
        return ["- no after run"]
    rows = after.get("rows", {})
    regressions = []
    for name, row in rows.items():
        unit = row.get("unit")
        b, _ = figure(before, name)
        g = gain(unit, b, row.get("granary"))
        if g is not None and g < 1:
            regressions.append(f"{name} ({g:.2f}×)")
    lines.append("- no row below its before-figure: " + ("yes" if not regressions else "no: " + ", ".join(regressions)))
    for name, least in TARGETS_AT_LEAST.items():
        value = rows.get(name, {}).get("granary")
        lines.append(f"- {name} ≥ {least:,}/s: {fmt(value)} → {'yes' if value and value >= least else 'no'}")
    engine = rows.get(ENGINE_SYNC, {}).get("granary")
    for name in SYNC_ROWS:
        value = rows.get(name, {}).get("granary")
        ratio = value / engine if value and engine else None
        lines.append(f"- {name} ≥ 0.8 of the raw Orleans sync call: "
                     f"{'–' if ratio is None else f'{ratio:.2f}'} → {'yes' if ratio and ratio >= 0.8 else 'no'}")
    scale = rows.get("scale_1m_tasks_seconds")
    if scale is None:
        lines.append("- 1,000,000 tasks: not in this run (quick runs do 50k)")
    else:
        seconds = scale.get("granary")
        mib = (scale.get("memory") or {}).get("client_peak_rss_mib")
        ok = seconds is not None and seconds <= SCALE_SECONDS and mib is not None and mib < SCALE_CLIENT_MIB
        lines.append(f"- 1,000,000 tasks ≤ {SCALE_SECONDS:g} s with client below {SCALE_CLIENT_MIB} MiB: "
                     f"{fmt(seconds, 's')}, {mib} MiB → {'yes' if ok else 'no'}")
    return lines


if __name__ == "__main__":
    main()
