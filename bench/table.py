#!/usr/bin/env python3
"""Turns bench/loadgen's JSON lines into a Markdown table, with our ratio to each peer.

    table.py RESULTS.jsonl                     prints the table
    table.py --into FILE RESULTS.jsonl ...     also replaces what stands between
                                               <!-- bench:start --> and <!-- bench:end --> in FILE
                                               (--marker NAME: <!-- NAME:start --> ...)
"""
import argparse
import datetime
import json
import re
import sys


def fmt(v, digits=0):
    if v is None:
        return "-"
    if abs(v) >= 1e6:
        return f"{v / 1e6:.2f}M"
    if abs(v) >= 1e4:
        return f"{v / 1e3:.1f}k"
    return f"{v:.{digits}f}"


def per_connection(r):
    after, before = r.get("server_rss_kib"), r.get("server_rss_before_kib")
    if after is None or before is None or not r["clients"]:
        return "-"
    return f"{(after - before) / r['clients']:.1f} KiB"


def is_ladder(r):
    return bool(r.get("steps"))


def is_restart(r):
    return bool(r.get("resuming"))


def server(r):
    return "**ours**" if r["label"] == "chat" else r["label"]


def cpu_ratio(ours, r):
    """Our deliveries per server CPU-second over this row's, or "-" if either is unknown."""
    if ours.get("deliveries_per_cpu_sec") and r.get("deliveries_per_cpu_sec"):
        return f"{ours['deliveries_per_cpu_sec'] / r['deliveries_per_cpu_sec']:.2f}×"
    return "-"


def by_workload(rows):
    """(workload, row, our row of that workload or None) for every row, in the order
    the workloads first appear."""
    workloads = []
    for r in rows:
        if r["workload"] not in workloads:
            workloads.append(r["workload"])
    for w in workloads:
        group = [r for r in rows if r["workload"] == w]
        ours = next((r for r in group if r["label"] == "chat"), None)
        for r in group:
            yield w, r, ours


def table(rows):
    rows = [r for r in rows if r["senders"] > 0 and not is_ladder(r) and not is_restart(r)]
    out = [
        "| workload | server | deliveries/s | per server CPU-second | p50 / p99 / p99.9 ms | server RSS | lost / dup / refused / closed | ours ÷ this, per CPU-second |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for w, r, ours in by_workload(rows):
        ratio = cpu_ratio(ours, r) if ours and r is not ours else "-"
        rss = r.get("server_rss_kib")
        out.append(
            f"| {w} | {server(r)} "
            f"| {fmt(r['deliveries_per_sec'])} | {fmt(r.get('deliveries_per_cpu_sec'))} "
            f"| {r['p50_ms']:.2f} / {r['p99_ms']:.2f} / {r['p999_ms']:.2f} "
            f"| {'-' if rss is None else f'{rss / 1024:.0f} MB'} "
            f"| {r['lost']} / {r['duplicated']} / {r['refused']} / {r['dropped']} | {ratio} |"
        )
    return "\n".join(out)


def ladders(rows):
    rows = [r for r in rows if is_ladder(r)]
    if not rows:
        return ""
    out = [
        "| workload | server | highest rate with p99 ≤ 50 ms (msg/s a room) | deliveries/s | per server CPU-second | p50 / p99 ms | server RSS | steps: rate p99 ms | lost / dup / closed | ours ÷ this: rate, per CPU-second |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: |",
    ]
    for w, r, ours in by_workload(rows):
        passed = any(s["passed"] for s in r["steps"])
        rate = r["rate"] if passed else 0
        ratio = "-"
        if ours and r is not ours:
            ours_rate = ours["rate"] if any(s["passed"] for s in ours["steps"]) else 0
            rate_ratio = f"{ours_rate / rate:.2f}×" if rate else "-"
            ratio = f"{rate_ratio}, {cpu_ratio(ours, r)}"
        steps = ", ".join(
            f"{s['rate']:g}: {s['p99_ms']:.0f}{'' if s['passed'] else ' ✗'}" for s in r["steps"]
        )
        rss = r.get("server_rss_kib")
        out.append(
            f"| {w} | {server(r)} | {rate:g} "
            f"| {fmt(r['deliveries_per_sec'])} | {fmt(r.get('deliveries_per_cpu_sec'))} "
            f"| {r['p50_ms']:.2f} / {r['p99_ms']:.2f} "
            f"| {'-' if rss is None else f'{rss / 1024:.0f} MB'} | {steps} "
            f"| {r['lost']} / {r['duplicated']} / {r['dropped']} | {ratio} |"
        )
    return "\n".join(out)


def restarts(rows):
    rows = [r for r in rows if is_restart(r)]
    if not rows:
        return ""
    out = [
        "| workload | clients | connections resumed | all back within | sent | delivered of expected | lost / dup / reloads / not back | p50 / p99 / max ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        back = r.get("resumed_within_secs")
        out.append(
            f"| {r['workload']} | {r['clients']} | {r['reconnects']} "
            f"| {'-' if back is None else f'{back:.1f} s'} | {r['sent']} | {r['delivered']} of {r['expected']} "
            f"| {r['lost']} / {r['duplicated']} / {r['reloads']} / {r['dropped']} "
            f"| {r['p50_ms']:.1f} / {r['p99_ms']:.0f} / {r['max_ms']:.0f} |"
        )
    return "\n".join(out)


def connections(rows):
    rows = [r for r in rows if r["senders"] == 0]
    if not rows:
        return ""
    out = [
        "| workload | server | clients | connected and logged in | server RSS | RSS per connection |",
        "| --- | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in rows:
        rss = r.get("server_rss_kib")
        out.append(
            f"| {r['workload']} | {server(r)} | {r['clients']} "
            f"| {r['connect_secs']:.1f} s | {'-' if rss is None else f'{rss / 1024:.0f} MB'} | {per_connection(r)} |"
        )
    return "\n".join(out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("results")
    p.add_argument("--into")
    p.add_argument("--command", default="bench/run.sh")
    p.add_argument("--machine", default="")
    p.add_argument("--marker", default="bench")
    a = p.parse_args()
    rows = [json.loads(line) for line in open(a.results) if line.strip()]
    t = "\n\n".join(part for part in (table(rows), ladders(rows), restarts(rows), connections(rows)) if part)
    if not a.into:
        print(t)
        return
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    start, end = f"<!-- {a.marker}:start -->", f"<!-- {a.marker}:end -->"
    block = f"{start}\nLast run: {when}, `{a.command}`, on {a.machine}.\n\n{t}\n{end}"
    text = open(a.into).read()
    new, n = re.subn(re.escape(start) + ".*?" + re.escape(end), lambda _: block, text, flags=re.S)
    if n == 0:
        new = text.rstrip("\n") + "\n\n" + block + "\n"
    open(a.into, "w").write(new)


if __name__ == "__main__":
    sys.exit(main())
