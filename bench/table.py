#!/usr/bin/env python3
"""Turns bench/loadgen's JSON lines into a Markdown table, with our ratio to each peer.

    table.py RESULTS.jsonl                     prints the table
    table.py --into FILE RESULTS.jsonl ...     also replaces what stands between
                                               <!-- bench:start --> and <!-- bench:end --> in FILE
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


def table(rows):
    rows = [r for r in rows if r["senders"] > 0]
    out = [
        "| workload | server | deliveries/s | per server CPU-second | p50 / p99 / p99.9 ms | server RSS | lost / dup / refused / closed | ours ÷ this, per CPU-second |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    workloads = []
    for r in rows:
        if r["workload"] not in workloads:
            workloads.append(r["workload"])
    for w in workloads:
        group = [r for r in rows if r["workload"] == w]
        ours = next((r for r in group if r["label"] == "chat"), None)
        for r in group:
            ratio = "-"
            if ours and r is not ours and ours.get("deliveries_per_cpu_sec") and r.get("deliveries_per_cpu_sec"):
                ratio = f"{ours['deliveries_per_cpu_sec'] / r['deliveries_per_cpu_sec']:.2f}×"
            rss = r.get("server_rss_kib")
            out.append(
                f"| {w} | {'**ours**' if r['label'] == 'chat' else r['label']} "
                f"| {fmt(r['deliveries_per_sec'])} | {fmt(r.get('deliveries_per_cpu_sec'))} "
                f"| {r['p50_ms']:.2f} / {r['p99_ms']:.2f} / {r['p999_ms']:.2f} "
                f"| {'-' if rss is None else f'{rss / 1024:.0f} MB'} "
                f"| {r['lost']} / {r['duplicated']} / {r['refused']} / {r['dropped']} | {ratio} |"
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
            f"| {r['workload']} | {'**ours**' if r['label'] == 'chat' else r['label']} | {r['clients']} "
            f"| {r['connect_secs']:.1f} s | {'-' if rss is None else f'{rss / 1024:.0f} MB'} | {per_connection(r)} |"
        )
    return "\n".join(out)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("results")
    p.add_argument("--into")
    p.add_argument("--command", default="bench/run.sh")
    p.add_argument("--machine", default="")
    a = p.parse_args()
    rows = [json.loads(line) for line in open(a.results) if line.strip()]
    t = table(rows)
    c = connections(rows)
    if c:
        t = t + "\n\n" + c
    if not a.into:
        print(t)
        return
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    block = (
        "<!-- bench:start -->\n"
        f"Last full run: {when}, `{a.command}`, on {a.machine}.\n\n{t}\n"
        "<!-- bench:end -->"
    )
    text = open(a.into).read()
    new, n = re.subn(r"<!-- bench:start -->.*?<!-- bench:end -->", lambda _: block, text, flags=re.S)
    if n == 0:
        new = text.rstrip("\n") + "\n\n" + block + "\n"
    open(a.into, "w").write(new)


if __name__ == "__main__":
    sys.exit(main())
