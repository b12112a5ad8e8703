#!/usr/bin/env python3
"""Runs lobby-server's performance matrix and writes what it measured.

  python3 bench/perf_matrix.py [--build build] [--out perf-results]

1. Idle latency: a few bots against lobby-server and against lobby-floor
   (a minimal ENet program whose PONG is a raw reliable echo).
2. Scaling: lobby-server at 16, 64, ... players in lobbies of 16, moving at
   30 Hz and chatting every 10 s; CPU from /proc/PID/stat via lobby-bench's
   --server-pid.
3. Comparison: lobby-server, lobby-floor (same packets in the same datagrams,
   nothing else) and lobby-naive-relay (a datagram per position per
   recipient, flushed at once) against the same bots, with the ratios.

Writes OUT/results.md (the tables), OUT/runs/*.json (every lobby-bench run),
OUT/machine.json, OUT/scaling.dat and OUT/performance.png (gnuplot).
Everything runs on 127.0.0.1. A full run takes about 15 minutes.
"""
import argparse
import json
import os
import platform
import re
import signal
import subprocess
import sys
import time

SERVER_LIMITS = ["--max-players", "4000", "--max-lobbies", "300", "--max-peers-per-ip", "4095",
                 "--connect-burst", "4095", "--connect-rate", "1000",
                 "--max-half-open-per-ip", "4095"]
# Every bot comes from one address: lift the per-address quotas of protocol
# 5 too, where the server has them (an older build, measured by perf_ab.py,
# does not know these flags).
QUOTA_LIMITS = ["--max-handshakes-per-address", "4095", "--max-browsing-per-address", "4095",
                "--max-lobbies-per-holder", "4000", "--lobby-share-percent", "100"]


def quota_limits(server_bin):
    """QUOTA_LIMITS when server_bin's --help names them, else none."""
    help_text = subprocess.run([server_bin, "--help"], capture_output=True, text=True).stdout
    return QUOTA_LIMITS if "--max-handshakes-per-address" in help_text else []


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default="build", help="CMake build directory (default build)")
    p.add_argument("--out", default="perf-results", help="output directory (default perf-results)")
    p.add_argument("--players", default="16,64,256,1000,2000,2000@15",
                   help="scaling runs: player counts, N@HZ to move at HZ instead of --move-hz "
                        "(default 16,64,256,1000,2000,2000@15)")
    p.add_argument("--compare-players", default="64,256",
                   help="player counts at which the three servers are compared (default 64,256; "
                        "the naive relay's datagrams swamp the bots beyond that)")
    p.add_argument("--compare-duration", type=float, default=30,
                   help="seconds per comparison run (default 30)")
    p.add_argument("--duration", type=float, default=60, help="seconds per run (default 60)")
    p.add_argument("--lobby-size", type=int, default=16, help="players per lobby (default 16)")
    p.add_argument("--move-hz", type=float, default=30, help="position updates per player per s")
    p.add_argument("--chat-per-s", type=float, default=0.1, help="chats per player per s")
    p.add_argument("--snapshot-hz", type=int, default=30, help="server snapshot tick (default 30)")
    p.add_argument("--idle-duration", type=float, default=20, help="seconds of the idle runs")
    return p.parse_args()


class Program:
    """A server program started on a free port, stopped with SIGINT."""

    def __init__(self, argv, log_path):
        self.log = open(log_path, "w+")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)
        self.port = self._wait_for_port(log_path)

    def _wait_for_port(self, log_path):
        deadline = time.time() + 10
        while time.time() < deadline:
            if self.proc.poll() is not None:
                sys.exit(f"perf_matrix: {self.proc.args[0]} exited early, see {log_path}")
            with open(log_path) as f:
                m = re.search(r"listening on 127\.0\.0\.1:(\d+)", f.read())
            if m:
                return int(m.group(1))
            time.sleep(0.05)
        sys.exit(f"perf_matrix: {self.proc.args[0]} did not say its port, see {log_path}")

    def rss_kb(self):
        with open(f"/proc/{self.proc.pid}/status") as f:
            return int(re.search(r"VmRSS:\s+(\d+)", f.read()).group(1))

    def stop(self):
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def server_argv(build, kind, snapshot_hz):
    if kind == "lobby-server":
        server_bin = f"{build}/server/lobby-server"
        return ([server_bin, "--bind", "127.0.0.1", "--port", "0", "--http", "off",
                 "--snapshot-hz", str(snapshot_hz)] + SERVER_LIMITS + quota_limits(server_bin))
    argv = [f"{build}/compare/{kind}", "--bind", "127.0.0.1", "--port", "0", "--max-peers", "4095"]
    return argv + (["--snapshot-hz", str(snapshot_hz)] if kind == "lobby-floor" else [])


def run_bench(args, kind, players, duration, name, move_hz=None, chat_per_s=None, ping_hz=1):
    """One lobby-bench run against a fresh server; returns its JSON plus our own figures."""
    runs = os.path.join(args.out, "runs")
    server = Program(server_argv(args.build, kind, args.snapshot_hz),
                     os.path.join(runs, f"{name}.log"))
    idle_rss = server.rss_kb()
    json_path = os.path.join(runs, f"{name}.json")
    lobbies = -(-players // args.lobby_size)  # ceiling: a lobby holds at most lobby_size
    argv = [f"{args.build}/bench/lobby-bench", "--server", f"127.0.0.1:{server.port}",
            "--bots", str(players), "--lobbies", str(lobbies), "--duration", str(duration),
            "--move-hz", str(args.move_hz if move_hz is None else move_hz),
            "--chat-per-s", str(args.chat_per_s if chat_per_s is None else chat_per_s),
            "--ping-hz", str(ping_hz), "--server-pid", str(server.proc.pid),
            "--json", json_path, "--quiet"]
    print(f"perf_matrix: {name}: {kind}, {players} players in {lobbies} lobbies", flush=True)
    status = subprocess.run(argv, stdout=open(os.path.join(runs, f"{name}.txt"), "w"),
                            stderr=subprocess.STDOUT).returncode
    server.stop()
    if not os.path.exists(json_path):
        sys.exit(f"perf_matrix: lobby-bench wrote no JSON (exit {status}), see {name}.txt")
    with open(json_path) as f:
        result = json.load(f)
    result["matrix"] = {"kind": kind, "players": players, "lobbies": lobbies,
                        "bench_exit": status, "idle_rss_kb": idle_rss}
    with open(json_path, "w") as f:
        json.dump(result, f, indent=2)
    return result


def machine_facts():
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        m = re.search(r"model name\s*:\s*(.*)", f.read())
        cpu = m.group(1) if m else cpu
    enet = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "libenet7"],
                          capture_output=True, text=True).stdout or "?"
    return {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "cpu": cpu,
            "cores": os.cpu_count(), "kernel": platform.release(), "enet": enet,
            "python": platform.python_version()}


def pct(r, measure, p):
    return r[measure][f"p{p}_ms"]


def cost(r):
    return r["server"]["cpu_us_per_position"]


def scaling_row(r):
    n = r["matrix"]["players"]
    rss_per_player = (r["server"]["rss_kb"] - r["matrix"]["idle_rss_kb"]) / n
    return (f"| {n} | {r['config']['move_hz']:g} | {r['server']['cpu_percent']:.1f} | {cost(r):.3f} | "
            f"{r['positions_received'] / r['run_s']:,.0f} | "
            f"{r['packets_out_per_s']:,.0f} | {r['packets_in_per_s']:,.0f} | "
            f"{rss_per_player:.1f} | {pct(r, 'chat_ack_rtt', 50):.2f} / "
            f"{pct(r, 'chat_ack_rtt', 99):.2f} | {pct(r, 'position_latency', 50):.2f} / "
            f"{pct(r, 'position_latency', 99):.2f} | {r['position_loss_percent']:.3f} | "
            f"{r['acked_chats_lost']} | {r['bench_cpu']['cpu_percent']:.1f} |")


SCALING_HEAD = (
    "| players | move Hz | server CPU % of a core | CPU µs per relayed position | positions relayed/s | "
    "datagrams/s to server | datagrams/s from server | RSS kB per player | "
    "chat ack p50 / p99 ms | position latency p50 / p99 ms | position loss % | "
    "acked chats lost | lobby-bench CPU % |\n"
    "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")


def compare_rows(n, by_kind):
    ours = cost(by_kind["lobby-server"])
    floor = cost(by_kind["lobby-floor"])
    naive = cost(by_kind["lobby-naive-relay"])
    lines = [f"\n**{n} players** (lobby-server / floor = {ours / floor:.2f}x, "
             f"naive relay / lobby-server = {naive / ours:.1f}x)\n",
             "| program | CPU % | CPU µs per relayed position | datagrams/s from server | "
             "position loss % | position latency p50 / p99 ms |",
             "|---|---:|---:|---:|---:|---:|"]
    for kind in ("lobby-floor", "lobby-server", "lobby-naive-relay"):
        r = by_kind[kind]
        lines.append(f"| {kind} | {r['server']['cpu_percent']:.1f} | {cost(r):.3f} | "
                     f"{r['packets_in_per_s']:,.0f} | {r['position_loss_percent']:.2f} | "
                     f"{pct(r, 'position_latency', 50):.2f} / "
                     f"{pct(r, 'position_latency', 99):.2f} |")
    return lines, {"players": n, "server_over_floor": ours / floor, "naive_over_server": naive / ours}


def idle_section(args):
    """Chat ack through lobby-server against a raw reliable echo (lobby-floor's PONG)."""
    common = dict(players=2, duration=args.idle_duration, move_hz=0, chat_per_s=2, ping_hz=20)
    ours = run_bench(args, "lobby-server", name="idle-lobby-server", **common)
    floor = run_bench(args, "lobby-floor", name="idle-lobby-floor", **common)
    ack = pct(ours, "chat_ack_rtt", 50)
    echo = pct(floor, "ping_rtt", 50)
    lines = ["| measure (2 players, idle) | p50 ms | p99 ms |", "|---|---:|---:|",
             f"| lobby-server chat acknowledgement | {ack:.3f} | {pct(ours, 'chat_ack_rtt', 99):.3f} |",
             f"| lobby-server ping (reliable) | {pct(ours, 'ping_rtt', 50):.3f} | "
             f"{pct(ours, 'ping_rtt', 99):.3f} |",
             f"| lobby-floor ping: raw ENet reliable echo | {echo:.3f} | "
             f"{pct(floor, 'ping_rtt', 99):.3f} |",
             f"\nchat acknowledgement p50 / raw echo p50 = **{ack / echo:.2f}x**"]
    return lines, {"chat_ack_p50_ms": ack, "echo_p50_ms": echo, "ratio": ack / echo}


def write_plot(args, scaling):
    dat = os.path.join(args.out, "scaling.dat")
    with open(dat, "w") as f:
        f.write("# players cpu_us_per_position chat_ack_p50 chat_ack_p99 pos_p50 pos_p99\n")
        for r in scaling:
            if r["config"]["move_hz"] != args.move_hz:
                continue  # the plot is one curve at --move-hz
            f.write(f"{r['matrix']['players']} {cost(r)} {pct(r, 'chat_ack_rtt', 50)} "
                    f"{pct(r, 'chat_ack_rtt', 99)} {pct(r, 'position_latency', 50)} "
                    f"{pct(r, 'position_latency', 99)}\n")
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "perf-plot.gp")
    png = os.path.join(args.out, "performance.png")
    subprocess.run(["gnuplot", "-e", f"datafile='{dat}'; outfile='{png}'", script], check=True)


def main():
    args = parse_args()
    os.makedirs(os.path.join(args.out, "runs"), exist_ok=True)
    facts = machine_facts()
    with open(os.path.join(args.out, "machine.json"), "w") as f:
        json.dump(facts, f, indent=2)
    md = [f"# lobby-server performance matrix ({facts['date']})\n",
          f"Machine: {facts['cores']} cores, {facts['cpu']}, Linux {facts['kernel']}, "
          f"ENet {facts['enet']}. Server and bots on one host over loopback. Players move at "
          f"{args.move_hz:g} Hz and chat {args.chat_per_s:g}/s, lobbies of {args.lobby_size}, "
          f"snapshot tick {args.snapshot_hz} Hz, {args.duration:g} s per run.\n",
          "## Idle latency\n"]
    lines, idle = idle_section(args)
    md += lines + ["\n## Scaling (lobby-server)\n", SCALING_HEAD]
    scaling = []
    for spec in args.players.split(","):
        n, _, hz = spec.partition("@")
        n, hz = int(n), float(hz) if hz else args.move_hz
        r = run_bench(args, "lobby-server", n, args.duration, f"scale-{n}-{hz:g}hz", move_hz=hz)
        scaling.append(r)
        md.append(scaling_row(r))
    md.append("\n## Against the floor and the naive relay\n")
    ratios = []
    for n in [int(x) for x in args.compare_players.split(",")]:
        by_kind = {}
        for kind in ("lobby-floor", "lobby-server", "lobby-naive-relay"):
            by_kind[kind] = run_bench(args, kind, n, args.compare_duration,
                                      f"compare-{n}-{kind}")
        lines, ratio = compare_rows(n, by_kind)
        md += lines
        ratios.append(ratio)
    with open(os.path.join(args.out, "results.md"), "w") as f:
        f.write("\n".join(md) + "\n")
    with open(os.path.join(args.out, "summary.json"), "w") as f:
        json.dump({"machine": facts, "idle": idle, "ratios": ratios}, f, indent=2)
    write_plot(args, scaling)
    print("\n".join(md))
    print(f"\nperf_matrix: wrote {args.out}/results.md, runs/*.json and performance.png")


if __name__ == "__main__":
    main()
