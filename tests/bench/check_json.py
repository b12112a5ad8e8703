#!/usr/bin/env python3
"""Checks a lobby-bench --json file against the documented schema (docs/BENCH.md),
then optional bounds: check_json.py FILE [FIELD OP VALUE ...], e.g.
chat_ack_rtt.p50_ms '>=' 80. Exits 1 with the reasons on any mismatch."""
import json
import math
import sys

MEASURES = ["chat_ack_rtt", "chat_delivery", "chat_spread", "position_latency",
            "ping_rtt", "ping_jitter", "enet_rtt", "join_time"]
MEASURE_FIELDS = ["count", "p50_ms", "p90_ms", "p99_ms", "p999_ms", "max_ms", "mean_ms"]
COUNTS = ["bots_joined", "join_failures", "chats_sent", "chats_acked", "chats_refused",
          "chats_unacked", "chat_deliveries", "chat_duplicates", "chat_out_of_order",
          "acked_chats_lost", "positions_sent", "positions_expected", "positions_received",
          "positions_merged", "position_duplicates", "position_reordered", "bytes_out",
          "bytes_in", "packets_out", "packets_in", "malformed_bots", "malformed_sent",
          "flood_chats_sent", "flood_chats_acked", "flood_refused", "misbehaving_bots_kicked",
          "reconnections", "resumes", "redirects"]
RATES = ["run_s", "position_loss_percent", "bytes_out_per_s", "bytes_in_per_s",
         "packets_out_per_s", "packets_in_per_s"]
CONFIG = ["server", "port", "bots", "lobbies", "duration_s", "move_hz", "chat_per_s",
          "ping_hz", "seed", "malformed_percent", "flooders", "flood_per_s", "reconnect",
          "bots_per_host"]
SERVER = ["pid", "cpu_s", "cpu_percent", "rss_kb", "cpu_us_per_position"]
BENCH_CPU = ["cpu_s", "cpu_percent"]
OPS = {">=": lambda a, b: a >= b, "<=": lambda a, b: a <= b, "==": lambda a, b: a == b}


def schema_errors(doc):
    errors = []
    if doc.get("schema") != "lobby-bench/1":
        errors.append("schema is not lobby-bench/1")
    errors += [f"config.{k} missing" for k in CONFIG if k not in doc.get("config", {})]
    for m in MEASURES:
        for f in MEASURE_FIELDS:
            v = doc.get(m, {}).get(f)
            if not isinstance(v, (int, float)) or not math.isfinite(v) or v < 0:
                errors.append(f"{m}.{f} missing or not a finite number >= 0")
    for k in COUNTS:
        if not isinstance(doc.get(k), int) or doc[k] < 0:
            errors.append(f"{k} missing or not a count")
    for k in RATES:
        if not isinstance(doc.get(k), (int, float)):
            errors.append(f"{k} missing or not a number")
    servers = doc.get("servers")
    if (not isinstance(servers, list) or not servers
            or not all(isinstance(x, str) and ":" in x for x in servers)):
        errors.append("servers missing or not a list of HOST:PORT strings")
    errors += cpu_errors(doc)
    if not isinstance(doc.get("passed"), bool) or not isinstance(doc.get("failures"), list):
        errors.append("passed/failures missing")
    return errors


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) and v >= 0


def cpu_errors(doc):
    """hosts and bench_cpu are always there; server is null without --server-pid."""
    errors = []
    if not isinstance(doc.get("hosts"), int) or doc["hosts"] < 1:
        errors.append("hosts missing or not a count >= 1")
    bench_cpu = doc.get("bench_cpu")
    if not isinstance(bench_cpu, dict):
        errors.append("bench_cpu missing")
    else:
        errors += [f"bench_cpu.{k} missing or not a number >= 0" for k in BENCH_CPU
                   if not is_number(bench_cpu.get(k))]
    if "server" not in doc:
        errors.append("server missing (must be null or an object)")
    elif doc["server"] is not None:
        server = doc["server"]
        if not isinstance(server, dict):
            errors.append("server is neither null nor an object")
        else:
            errors += [f"server.{k} missing or not a number >= 0" for k in SERVER
                       if not is_number(server.get(k))]
    return errors


def lookup(doc, path):
    for part in path.split("."):
        doc = doc[part]
    return doc


def main():
    with open(sys.argv[1]) as f:
        doc = json.load(f)
    errors = schema_errors(doc)
    bounds = sys.argv[2:]
    for i in range(0, len(bounds), 3):
        field, op, want = bounds[i:i + 3]
        got = lookup(doc, field)
        if not OPS[op](got, float(want)):
            errors.append(f"{field} = {got}, wanted {op} {want}")
    for e in errors:
        print(f"check_json: {sys.argv[1]}: {e}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
