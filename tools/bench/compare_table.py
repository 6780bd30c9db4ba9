#!/usr/bin/env python3
"""Markdown table of medians for tools/bench/compare (see docs/benchmarks.md).

    compare_table.py RESULTS.jsonl [--notes NOTES.tsv] [--order SCENARIOS] [--guarantees LIST]
                     [--other kafka-streams|baseline]

RESULTS.jsonl holds one result line per run, as the harnesses print them:
{"system":"kstreams"|"kafka-streams"|"baseline","scenario":...,"guarantee":...,"records_per_sec":...,
 "cpu_sec_per_million":...,"peak_rss_mb":...,...}. NOTES.tsv holds
"scenario<TAB>guarantee<TAB>note" lines (skipped or failed runs). Prints the table on stdout.
Ratios are kstreams / the other system (Kafka Streams, or with --other baseline a second
kstreams-bench binary): above 1 is better for records/s, below 1 is better for CPU-seconds
per million records and for peak RSS.
"""
import argparse
import json
import statistics
import sys

KS = "kafka-streams"
# Each stateless scenario and the raw librdkafka loop that is its ceiling (docs/benchmarks.md,
# "What to reach": within 10% of it).
CEILINGS = [("streamprocess", "consume"), ("streamprocesswithsink", "consumeproduce")]
CEILING_GOAL = 0.9
# The goals of every other scenario (the stateful ones) against Kafka Streams: at least this
# many times its records per CPU-second, at most this share of its peak resident memory.
STATELESS = {"consume", "consumeproduce"} | {s for pair in CEILINGS for s in pair}
CPU_GOAL = 3.0
MEMORY_GOAL = 0.25
LABELS = {KS: ("Kafka Streams", "KS"), "baseline": ("baseline", "baseline")}
METRICS = [("records_per_sec", "{:,.0f}"), ("cpu_sec_per_million", "{:.2f}"),
           ("peak_rss_mb", "{:.0f}")]
# What kstreams-bench reports of its memory at its highest resident sample (streams
# scenarios): the budgets' gauges, and what the program had allocated in all.
BUDGETS = [("memtables_mb", "memtables"), ("block_cache_mb", "block cache"),
           ("uncommitted_mb", "uncommitted writes"), ("record_cache_mb", "record cache")]


def memory_split(r):
    """The columns of the memory table for one run: resident, allocated, each budget, the
    rest of what was allocated, and what was resident but not allocated."""
    budgets = [r[k] for k, _ in BUDGETS]
    rss, heap = r["rss_at_sample_mb"], r.get("heap_mb", 0)
    if not heap:  # another malloc than jemalloc: no allocated figure
        return [rss, None] + budgets + [None, None]
    return [rss, heap] + budgets + [heap - sum(budgets), rss - heap]


def fmt(value, pattern):
    return "n/a" if value is None else pattern.format(value)


def ratio(a, b):
    if a is None or b is None or b == 0:
        return "n/a"
    return "{:.2f}x".format(a / b)


def goal_lines(keys, runs, median):
    """Prints, for each stateful scenario and guarantee with runs of both systems, whether its
    medians meet the CPU and the memory goal, and how many meet each."""
    rows, cpu_met, memory_met, both = [], 0, 0, 0
    for key in keys:
        per = runs.get(key, {})
        mine, theirs = per.get("kstreams", []), per.get(KS, [])
        if key[0] in STATELESS:
            continue
        my_cpu, their_cpu = median(mine, "cpu_sec_per_million"), median(theirs, "cpu_sec_per_million")
        my_rss, their_rss = median(mine, "peak_rss_mb"), median(theirs, "peak_rss_mb")
        if not (my_cpu and their_cpu and my_rss and their_rss):
            continue
        # Judged as printed, so that a 0.25x is never "short" of 0.25.
        per_cpu, memory = round(their_cpu / my_cpu, 2), round(my_rss / their_rss, 2)
        cpu_ok, memory_ok = per_cpu >= CPU_GOAL, memory <= MEMORY_GOAL
        cpu_met += cpu_ok
        memory_met += memory_ok
        both += cpu_ok and memory_ok
        rows.append("| %s | %s | %.2fx (%s) | %.2fx (%s) |" % (
            key[0], key[1], per_cpu, "met" if cpu_ok else "short", memory, "met" if memory_ok else "short"))
    if not rows:
        return
    print()
    print("Against the goals of the stateful scenarios (docs/benchmarks.md): at least %gx Kafka Streams' "
          "records per CPU-second, at most %gx its peak memory (medians):" % (CPU_GOAL, MEMORY_GOAL))
    print()
    print("| scenario | guarantee | per CPU-second | peak memory |")
    print("| --- | --- | --- | --- |")
    print("\n".join(rows))
    print()
    print("%d of %d meet both; the CPU goal %d, the memory goal %d." % (both, len(rows), cpu_met, memory_met))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--notes")
    ap.add_argument("--order", default="", help="comma-separated scenario order")
    ap.add_argument("--guarantees", default="", help="comma-separated guarantee order")
    ap.add_argument("--other", default=KS, choices=sorted(LABELS), help="the system kstreams is compared with")
    args = ap.parse_args()
    other = args.other
    long_name, short_name = LABELS[other]

    runs = {}  # (scenario, guarantee) -> system -> list of results
    bad = 0
    with open(args.results) as f:
        for n, line in enumerate(f, 1):
            line = line.strip()
            if not line:
                continue
            try:
                r = json.loads(line)
                key = (r["scenario"], r["guarantee"])
                system = r["system"] if r["system"] in LABELS else "kstreams"
            except (ValueError, KeyError, TypeError) as e:
                print("compare_table: line %d ignored: %s" % (n, e), file=sys.stderr)
                bad += 1
                continue
            runs.setdefault(key, {}).setdefault(system, []).append(r)

    notes = {}
    if args.notes:
        with open(args.notes) as f:
            for line in f:
                parts = line.rstrip("\n").split("\t", 2)
                if len(parts) == 3:
                    notes.setdefault((parts[0], parts[1]), []).append(parts[2])

    order = [s for s in args.order.split(",") if s]
    gorder = [g for g in args.guarantees.split(",") if g]

    def sort_key(k):
        s, g = k
        return (order.index(s) if s in order else len(order), s,
                gorder.index(g) if g in gorder else len(gorder), g)

    keys = sorted(set(runs) | set(notes), key=sort_key)

    def median(rs, metric):
        vals = [r[metric] for r in rs if isinstance(r.get(metric), (int, float))]
        return statistics.median(vals) if vals else None

    print("| scenario | guarantee | kstreams rec/s | %s rec/s | ratio "
          "| kstreams CPU-s/M | %s CPU-s/M | ratio "
          "| kstreams peak RSS MiB | %s peak RSS MiB | ratio |" % (long_name, short_name, short_name))
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    footnotes = []
    for key in keys:
        per = runs.get(key, {})
        mine, theirs = per.get("kstreams", []), per.get(other, [])
        cells = [key[0], key[1]]
        if not mine and not theirs:
            cells += ["skipped"] * 2 + [""] * 7
        else:
            for metric, pattern in METRICS:
                a, b = median(mine, metric), median(theirs, metric)
                cells += [fmt(a, pattern), fmt(b, pattern), ratio(a, b)]
        n = len(footnotes)
        for note in notes.get(key, []):
            footnotes.append("%s / %s: %s" % (key[0], key[1], note))
        if len(footnotes) > n:
            cells[0] += " (%s)" % ",".join(str(i + 1) for i in range(n, len(footnotes)))
        print("| " + " | ".join(cells) + " |")

    counts = sorted({(len(v.get("kstreams", [])), len(v.get(other, []))) for v in runs.values()})
    print()
    print("Medians over runs (kstreams, %s): %s. Ratios are kstreams / %s: "
          "above 1 is better for rec/s, below 1 is better for CPU-s/M and peak RSS."
          % (long_name, ", ".join("%d and %d" % c for c in counts), long_name) if counts else "No results.")
    # Per CPU-second, the measure against Kafka Streams: the ratio of the medians, and
    # each run's pair (run i of both systems ran back to back), which shows how far one set
    # can move.
    guarantees = list(dict.fromkeys(g for _, g in keys))  # in the table's order
    if other == KS:
        rows = []
        for scenario in dict.fromkeys(s for s, _ in keys):
            cells = []
            for g in guarantees:
                per = runs.get((scenario, g), {})
                mine, theirs = per.get("kstreams", []), per.get(other, [])
                a, b = median(mine, "cpu_sec_per_million"), median(theirs, "cpu_sec_per_million")
                if a is None or b is None or a == 0:
                    cells.append("")
                    continue
                cell = "%.2fx" % (b / a)
                if len(mine) > 1 and len(mine) == len(theirs):
                    cell += " (%s)" % ", ".join("%.2f" % (y["cpu_sec_per_million"] / x["cpu_sec_per_million"])
                                                for x, y in zip(mine, theirs))
                cells.append(cell)
            if any(cells):
                rows.append("| `%s` | %s |" % (scenario, " | ".join(cells)))
        if rows:
            print()
            print("Per CPU-second (%s' CPU-s per million / kstreams'), medians and run by run:" % long_name)
            print()
            print("| scenario | " + " | ".join(guarantees) + " |")
            print("| --- |" + " --- |" * len(guarantees))
            print("\n".join(rows))
    ceiling_lines = []
    for scenario, ceiling in CEILINGS:
        for g in guarantees:
            mine = runs.get((scenario, g), {}).get("kstreams", [])
            loop = runs.get((ceiling, g), {}).get("kstreams", [])
            a, b = median(mine, "records_per_sec"), median(loop, "records_per_sec")
            if a is None or not b:
                continue
            share = round(a / b, 2)  # judged as printed
            line = "- %s / %s: %.2fx of %s's records/s (%s)" % (
                scenario, g, share, ceiling, "within %.0f%%" % ((1 - CEILING_GOAL) * 100) if share >= CEILING_GOAL else "short of the %.2fx goal" % CEILING_GOAL)
            # The two take turns within each run, so their i-th results ran seconds apart:
            # ratios of such pairs move less with the machine than the medians' ratio.
            if len(mine) > 1 and len(mine) == len(loop):
                line += "; run by run " + ", ".join(
                    "%.2fx" % (x["records_per_sec"] / y["records_per_sec"]) for x, y in zip(mine, loop))
            ceiling_lines.append(line)
    if ceiling_lines:
        print()
        print("kstreams against its raw ceiling, same run (medians):")
        print()
        print("\n".join(ceiling_lines))
    if other == KS:
        goal_lines(keys, runs, median)
    split_rows = []
    for key in keys:
        mine = [r for r in runs.get(key, {}).get("kstreams", [])
                if all(isinstance(r.get(k), (int, float)) for k in ["rss_at_sample_mb"] + [b for b, _ in BUDGETS])]
        if not mine:
            continue
        columns = zip(*(memory_split(r) for r in mine))
        cells = []
        for values in columns:
            known = [v for v in values if v is not None]
            cells.append(fmt(statistics.median(known) if known else None, "{:.0f}"))
        split_rows.append("| %s | %s | %s |" % (key[0], key[1], " | ".join(cells)))
    if split_rows:
        print()
        print("kstreams' memory at its highest resident sample (MiB, medians over runs): the budgets "
              "(configuration.md, \"Less memory for more CPU\"), the rest of what it had allocated "
              "(librdkafka's buffers, the program's), and what was resident but not allocated "
              "(free pages the allocator keeps, code, stacks):")
        print()
        print("| scenario | guarantee | resident | allocated | " + " | ".join(name for _, name in BUDGETS) +
              " | other allocated | not allocated |")
        print("| --- | --- |" + " ---: |" * (4 + len(BUDGETS)))
        print("\n".join(split_rows))
    if other == "baseline":
        # Run i of each system ran back to back, so the i-th results of the two form a pair:
        # a change shows in most pairs, a run-to-run swing in few.
        print()
        for key in keys:
            per = runs.get(key, {})
            mine, theirs = per.get("kstreams", []), per.get(other, [])
            if not mine or len(mine) != len(theirs):  # a failed run would shift the pairs
                continue
            lower = sum(1 for a, b in zip(mine, theirs) if a["cpu_sec_per_million"] < b["cpu_sec_per_million"])
            print("- %s / %s: kstreams took less CPU than the baseline in %d of %d runs."
                  % (key[0], key[1], lower, len(mine)))
    if footnotes:
        print()
        for i, note in enumerate(footnotes, 1):
            print("%d. %s" % (i, note))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
