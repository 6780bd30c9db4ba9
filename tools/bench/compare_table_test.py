#!/usr/bin/env python3
"""Checks compare_table.py on made-up results: medians, ratios, and the raw-ceiling lines."""
import json
import os
import subprocess
import sys
import tempfile
import unittest

TABLE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "compare_table.py")
KS = "kafka-streams"


def run(results, *args):
    with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as f:
        for r in results:
            f.write(json.dumps(r) + "\n")
    try:
        out = subprocess.run([sys.executable, TABLE, f.name, *args], capture_output=True, text=True, check=True)
        return out.stdout
    finally:
        os.unlink(f.name)


def result(system, scenario, rps, cpu=1.0, rss=10, guarantee="at_least_once"):
    return {"system": system, "scenario": scenario, "guarantee": guarantee, "records_per_sec": rps,
            "cpu_sec_per_million": cpu, "peak_rss_mb": rss}


class CompareTable(unittest.TestCase):
    def test_medians_and_ratios_against_kafka_streams(self):
        out = run([result("kstreams", "streamcount", r, cpu=c) for r, c in ((100, 8), (300, 6), (200, 7))] +
                  [result("kafka-streams", "streamcount", r, cpu=c) for r, c in ((50, 40), (40, 35))])
        row = next(line for line in out.splitlines() if line.startswith("| streamcount"))
        self.assertEqual(row, "| streamcount | at_least_once | 200 | 45 | 4.44x | 7.00 | 37.50 | 0.19x "
                              "| 10 | 10 | 1.00x |")

    def test_per_cpu_second_ratios_with_each_runs_pair(self):
        out = run([result("kstreams", "streamcount", 100, cpu=c) for c in (8, 6, 7)] +
                  [result("kafka-streams", "streamcount", 50, cpu=c) for c in (40, 36, 35)] +
                  [result("kstreams", "streamcount", 100, cpu=10, guarantee="exactly_once_v2")])
        self.assertIn("| scenario | at_least_once | exactly_once_v2 |", out)
        # 36 / 7; the pairs 40/8, 36/6, 35/7; no Kafka Streams run under exactly_once_v2.
        self.assertIn("| `streamcount` | 5.14x (5.00, 6.00, 5.00) |  |", out)

    def test_stateless_scenarios_are_set_against_their_raw_ceiling(self):
        out = run([result("kstreams", "consume", 1000), result("kstreams", "streamprocess", 950),
                   result("kstreams", "consumeproduce", 1000), result("kstreams", "streamprocesswithsink", 580),
                   result("kstreams", "consume", 2000, guarantee="exactly_once_v2")])
        self.assertIn("- streamprocess / at_least_once: 0.95x of consume's records/s (within 10%)", out)
        self.assertIn("- streamprocesswithsink / at_least_once: 0.58x of consumeproduce's records/s "
                      "(short of the 0.90x goal)", out)
        self.assertNotIn("exactly_once_v2:", out)  # no streamprocess run to set against it

    def test_the_ceiling_line_gives_each_runs_pair(self):
        out = run([result("kstreams", "consume", 1000), result("kstreams", "streamprocess", 1100),
                   result("kstreams", "streamprocess", 800), result("kstreams", "consume", 2000)])
        self.assertIn("- streamprocess / at_least_once: 0.63x of consume's records/s (short of the 0.90x goal); "
                      "run by run 1.10x, 0.40x", out)

    def test_kstreams_memory_is_split_by_budget(self):
        def split(rss, heap, memtables):
            r = result("kstreams", "streamcount", 100, rss=rss)
            r.update(rss_at_sample_mb=rss, heap_mb=heap, memtables_mb=memtables, block_cache_mb=10,
                     uncommitted_mb=20, record_cache_mb=5)
            return r
        out = run([split(200, 150, 60), split(220, 170, 64), split(210, 160, 62),
                   result("kafka-streams", "streamcount", 50, rss=800)])
        self.assertIn("| streamcount | at_least_once | 210 | 160 | 62 | 10 | 20 | 5 | 63 | 50 |", out)
        # Results without the split (Kafka Streams, older harnesses) add no rows.
        self.assertNotIn("memory at its highest", run([result("kstreams", "streamcount", 100)]))

    def test_stateful_scenarios_are_judged_against_the_goals(self):
        out = run([result("kstreams", "streamcount", 100, cpu=2, rss=90), result(KS, "streamcount", 30, cpu=8, rss=400),
                   # 2.99x per CPU-second; exactly a quarter of the memory counts as met.
                   result("kstreams", "streamstreamjoin", 100, cpu=10, rss=100),
                   result(KS, "streamstreamjoin", 30, cpu=29.9, rss=400),
                   # Stateless scenarios have their own goal; a scenario without Kafka Streams runs has none.
                   result("kstreams", "streamprocess", 100, cpu=1, rss=500), result(KS, "streamprocess", 30, cpu=9, rss=400),
                   result("kstreams", "tabletablejoin", 100)])
        self.assertIn("| streamcount | at_least_once | 4.00x (met) | 0.23x (met) |", out)
        self.assertIn("| streamstreamjoin | at_least_once | 2.99x (short) | 0.25x (met) |", out)
        self.assertNotIn("| streamprocess | at_least_once | 9.00x", out)
        self.assertNotIn("| tabletablejoin | at_least_once | ", out.split("Against the goals")[1])
        self.assertIn("1 of 2 meet both; the CPU goal 1, the memory goal 2.", out)
        # Against a baseline build there are no goals to judge.
        self.assertNotIn("Against the goals", run([result("kstreams", "streamcount", 100), result("baseline", "streamcount", 100)],
                                                  "--other", "baseline"))

    def test_no_ceiling_lines_without_the_raw_loops(self):
        self.assertNotIn("raw ceiling", run([result("kstreams", "streamprocess", 950)]))


if __name__ == "__main__":
    unittest.main()
