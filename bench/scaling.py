#!/usr/bin/env python3
"""Measures what running several lobby-servers on one Redis costs (docs/SCALING.md).

  python3 bench/scaling.py [--build build] [--out scaling-results] PART...

PART is one or more of:
  join       join time, direct (HELLO JOIN to the lobby's server B) against
             redirected (to server A, which answers REDIRECT to B): --joins
             one-bot lobby-bench runs of each, alternating, join_time of each
  chat       256 players on one server: cluster off, on, and on with Redis
             SIGSTOPped for 10 s in the middle of the run
  cpu        one server against two (bots spread over both), cluster off and
             on: position loss at 30 Hz and CPU per relayed position of each
  directory  Redis commands per second per server at rest and under lobby
             churn; LIST_LOBBIES round trip from a client of A with 100, 1,000
             and 10,000 lobbies in the directory; redis-benchmark as the ceiling

Everything runs on 127.0.0.1: a private redis-server on a free TCP port in a
temporary directory (nothing saved), servers on free ports. Each part prints
its figures as a Markdown table and writes OUT/PART.json; every lobby-bench
JSON goes to OUT/runs/. Run one part at a time on a busy machine.
"""
import argparse
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import perf_matrix  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("parts", nargs="+", choices=["join", "chat", "cpu", "directory"])
    p.add_argument("--build", default="build", help="CMake build directory (default build)")
    p.add_argument("--out", default="scaling-results", help="output directory")
    p.add_argument("--joins", type=int, default=150, help="joins of each kind (default 150)")
    p.add_argument("--duration", type=float, default=20, help="seconds per lobby-bench run")
    p.add_argument("--players", default="1000,2000", help="player counts of the cpu part")
    return p.parse_args()


# ---- Redis ------------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    """A private redis-server on 127.0.0.1 and a tiny RESP client to it."""

    def __init__(self, workdir):
        self.port = free_port()
        self.proc = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no", "--daemonize", "no", "--dir", workdir],
            stdout=open(os.path.join(workdir, "redis.log"), "w"), stderr=subprocess.STDOUT)
        deadline = time.time() + 5
        while True:
            try:
                self.sock = socket.create_connection(("127.0.0.1", self.port))
                break
            except OSError:
                if time.time() > deadline:
                    sys.exit("scaling: redis-server did not start")
                time.sleep(0.05)
        self.buf = b""
        self.lock = threading.Lock()

    def url(self):
        return f"redis://127.0.0.1:{self.port}"

    def _line(self):
        while b"\r\n" not in self.buf:
            self.buf += self.sock.recv(65536)
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind in (b"+", b"-"):
            return rest.decode()
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self.buf += self.sock.recv(65536)
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data.decode(errors="replace")
        if kind == b"*":
            return [self._reply() for _ in range(int(rest))]
        raise RuntimeError(f"bad reply {line!r}")

    def pipeline(self, commands):
        """Sends every command, then reads every reply, in one go."""
        out = bytearray()
        for cmd in commands:
            out += b"*%d\r\n" % len(cmd)
            for arg in cmd:
                a = str(arg).encode()
                out += b"$%d\r\n%s\r\n" % (len(a), a)
        with self.lock:
            self.sock.sendall(out)
            return [self._reply() for _ in commands]

    def cmd(self, *args):
        return self.pipeline([args])[0]

    def commands_processed(self):
        info = self.cmd("INFO", "stats")
        return int(re.search(r"total_commands_processed:(\d+)", info).group(1))

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


# ---- servers --------------------------------------------------------------------------


class Server(perf_matrix.Program):
    """lobby-server on a free port, in the cluster at redis_url when given."""

    def __init__(self, args, name, redis_url=None, secret=None, extra=()):
        server_bin = f"{args.build}/server/lobby-server"
        argv = ([server_bin, "--bind", "127.0.0.1", "--port", "0", "--http", "off",
                 "--max-lobbies", "1000", "--list-kb-per-s", "1048576",
                 "--list-burst-kb", "1048576"]
                + [a for a in perf_matrix.SERVER_LIMITS if a not in ("--max-lobbies", "300")]
                + perf_matrix.QUOTA_LIMITS + list(extra))
        if redis_url:
            argv += ["--cluster", redis_url, "--cluster-secret-file", secret, "--server-id", name]
        self.name = name
        super().__init__(argv, os.path.join(args.out, "runs", f"{name}.log"))

    def cpu_s(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log_text(self):
        with open(self.log.name) as f:
            return f.read()

    def wait_registered(self):
        deadline = time.time() + 5
        while f"registering as {self.name}" not in self.log_text():
            if time.time() > deadline:
                sys.exit(f"scaling: {self.name} did not register, see {self.log.name}")
            time.sleep(0.05)


def bench(args, servers, name, bots, lobbies, duration, move_hz=30, chat_per_s=1.0,
          ping_hz=1.0, server_pid=None, during=None):
    """One lobby-bench run; returns its JSON. during(t0) runs in a thread."""
    runs = os.path.join(args.out, "runs")
    json_path = os.path.join(runs, f"{name}.json")
    argv = [f"{args.build}/bench/lobby-bench",
            "--server", ",".join(f"127.0.0.1:{s.port}" for s in servers),
            "--bots", str(bots), "--lobbies", str(lobbies), "--duration", str(duration),
            "--move-hz", str(move_hz), "--chat-per-s", str(chat_per_s), "--ping-hz", str(ping_hz),
            "--json", json_path, "--quiet"]
    if server_pid:
        argv += ["--server-pid", str(server_pid)]
    proc = subprocess.Popen(argv, stdout=open(os.path.join(runs, f"{name}.txt"), "w"),
                            stderr=subprocess.STDOUT)
    if during:
        threading.Thread(target=during, args=(proc,), daemon=True).start()
    status = proc.wait()
    if not os.path.exists(json_path):
        sys.exit(f"scaling: lobby-bench wrote no JSON (exit {status}), see {name}.txt")
    with open(json_path) as f:
        r = json.load(f)
    r["bench_exit"] = status
    return r


# Kept open while empty, so the warm-up's lobbies are there for the run.
KEEP_LOBBIES = ["--lobby-grace-ms", "86400000"]


def warm_up(args, servers, name, lobbies):
    """Opens bench-0 .. bench-LOBBIES-1 with one bot each (round-robin over
    servers), before the measured run, so that every setup's measured bots
    join lobbies that are open (no name claims inside the window)."""
    r = bench(args, servers, name, lobbies, lobbies, 0.1, 0, 0, 0.01)
    if r["bench_exit"] != 0:
        sys.exit(f"scaling: warm-up {name} failed, see {name}.txt")
    time.sleep(1.5)  # every server's copy of the directory carries them


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]


# ---- parts ------------------------------------------------------------------------------


def part_join(args, redis, secret):
    keep = ["--lobby-grace-ms", "86400000"]
    a = Server(args, "join-a", redis.url(), secret, keep)
    b = Server(args, "join-b", redis.url(), secret, keep)
    a.wait_registered()
    b.wait_registered()
    # bench-0 opens on B (a bot's HELLO JOIN creates it) and stays open empty.
    bench(args, [b], "join-create", 1, 1, 0.1, 0, 0, 0.01)
    time.sleep(1.5)  # A's copy of the directory carries bench-0
    times = {"direct": [], "redirected": []}
    for i in range(args.joins):
        for kind, server in (("direct", b), ("redirected", a)):
            r = bench(args, [server], f"join-{kind}-{i}", 1, 1, 0.1, 0, 0, 0.01)
            want = 1 if kind == "redirected" else 0
            if r["join_time"]["count"] != 1 or r["redirects"] != want:
                sys.exit(f"scaling: join {kind} {i}: {r['join_time']['count']} joins, "
                         f"{r['redirects']} redirects")
            times[kind].append(r["join_time"]["p50_ms"])
    a.stop()
    b.stop()
    res = {k: {"n": len(v), "p50_ms": pct(v, 50), "p99_ms": pct(v, 99), "max_ms": max(v)}
           for k, v in times.items()}
    d, rd = res["direct"], res["redirected"]
    print(f"| join | n | p50 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|\n"
          f"| direct (B) | {d['n']} | {d['p50_ms']:.2f} | {d['p99_ms']:.2f} | {d['max_ms']:.2f} |\n"
          f"| redirected (A to B) | {rd['n']} | {rd['p50_ms']:.2f} | {rd['p99_ms']:.2f} | "
          f"{rd['max_ms']:.2f} |\n| ratio | | {rd['p50_ms'] / d['p50_ms']:.2f} | "
          f"{rd['p99_ms'] / d['p99_ms']:.2f} | |")
    return res


def chat_row(label, r):
    return (f"| {label} | {r['chat_ack_rtt']['p50_ms']:.2f} | {r['chat_ack_rtt']['p99_ms']:.2f} | "
            f"{r['position_latency']['p50_ms']:.2f} | {r['position_latency']['p99_ms']:.2f} | "
            f"{r['position_loss_percent']:.3f} | {r['chats_acked']} | {r['acked_chats_lost']} | "
            f"{r['server']['cpu_percent']:.1f} |")


def part_chat(args, redis, secret):
    res = {}
    rows = []
    for mode in ("off", "on", "stopped"):
        s = Server(args, f"chat-{mode}", None if mode == "off" else redis.url(), secret,
                   KEEP_LOBBIES)
        if mode != "off":
            s.wait_registered()
        warm_up(args, [s], f"chat-{mode}-warm", 16)
        pause = None
        if mode == "stopped":
            # The bots join in about a second; stop Redis 5 s into the run for 10 s.
            def pause(proc, pid=redis.proc.pid):
                time.sleep(6)
                if proc.poll() is None:
                    os.kill(pid, signal.SIGSTOP)
                    time.sleep(10)
                    os.kill(pid, signal.SIGCONT)
        r = bench(args, [s], f"chat-{mode}", 256, 16, args.duration, server_pid=s.proc.pid,
                  during=pause)
        os.kill(redis.proc.pid, signal.SIGCONT)
        s.stop()
        res[mode] = r
        rows.append(chat_row({"off": "cluster off", "on": "cluster on",
                              "stopped": "cluster on, Redis stopped 10 s"}[mode], r))
    print("| 256 players, 16 lobbies, 30 Hz, 1 chat/s | chat ack p50 ms | chat ack p99 ms | "
          "position p50 ms | position p99 ms | position loss % | chats acked | acked lost | "
          "server CPU % |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(rows))
    return {k: {m: v[m] for m in ("chat_ack_rtt", "position_latency", "position_loss_percent",
                                  "chats_acked", "acked_chats_lost", "server")}
            for k, v in res.items()}


def part_cpu(args, redis, secret):
    res = []
    print("| setup | players | servers | position loss % | positions relayed/s | "
          "CPU % per server | CPU µs per relayed position (all servers) | position p99 ms | "
          "redirects |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in [int(x) for x in args.players.split(",")]:
        for label, count, cluster in (("one server", 1, False), ("one server, cluster on", 1, True),
                                      ("two servers, cluster on", 2, True)):
            lobbies = -(-n // 16)
            servers = [Server(args, f"cpu-{n}-{count}{'c' if cluster else ''}-{i}",
                              redis.url() if cluster else None, secret, KEEP_LOBBIES)
                       for i in range(count)]
            for s in servers:
                if cluster:
                    s.wait_registered()
            warm_up(args, servers, f"cpu-{n}-{count}{'c' if cluster else ''}-warm", lobbies)
            before = [s.cpu_s() for s in servers]
            t0 = time.time()
            r = bench(args, servers, f"cpu-{n}-{count}{'c' if cluster else ''}", n, lobbies,
                      args.duration, chat_per_s=0.1)
            wall = time.time() - t0
            cpu = [s.cpu_s() - b0 for s, b0 in zip(servers, before)]
            for s in servers:
                s.stop()
            # CPU over the whole bench process (joins and leaves too), per
            # position relayed in the measured window: a slight overestimate
            # compared with --server-pid's window, the same for every setup.
            us_per_pos = sum(cpu) * 1e6 / max(1, r["positions_received"])
            row = {"setup": label, "players": n, "servers": count,
                   "loss_percent": r["position_loss_percent"],
                   "relayed_per_s": r["positions_received"] / r["run_s"],
                   "cpu_percent_each": [100 * c / wall for c in cpu],
                   "cpu_us_per_position": us_per_pos,
                   "position_p99_ms": r["position_latency"]["p99_ms"],
                   "redirects": r["redirects"], "bench_exit": r["bench_exit"]}
            res.append(row)
            print(f"| {label} | {n} | {count} | {row['loss_percent']:.3f} | "
                  f"{row['relayed_per_s']:,.0f} | "
                  f"{' + '.join(f'{c:.0f}' for c in row['cpu_percent_each'])} | "
                  f"{us_per_pos:.3f} | {row['position_p99_ms']:.1f} | {r['redirects']} |",
                  flush=True)
    return res


# ---- directory --------------------------------------------------------------------------


def rate(redis, seconds):
    c0 = redis.commands_processed()
    time.sleep(seconds)
    # Our own INFO call is one command: leave it out.
    return (redis.commands_processed() - c0 - 1) / seconds


def churn(args, server, stop):
    """Opens and closes lobbies on server through lobby-chat until stop is set."""
    n = 0
    while not stop.is_set():
        subprocess.run([f"{args.build}/chat/lobby-chat", "--server", f"127.0.0.1:{server.port}",
                        "--name", f"churn{n % 50}", "--browse", "--timeout", "3"],
                       input=f"/create churn-{n}\n/leave\n", capture_output=True, text=True)
        n += 1
    return n


class Filler:
    """Fake servers' entries and lobby lines written into Redis in the
    documented format, refreshed every second (their TTL is 2.5 s)."""

    def __init__(self, redis, lobbies, per_server=100):
        self.redis = redis
        self.servers = [f"fake-{i}" for i in range(-(-lobbies // per_server))]
        self.stop_ev = threading.Event()
        cmds = []
        left = lobbies
        for sid in self.servers:
            k = min(per_server, left)
            left -= k
            cmds.append(["SADD", "lobby:servers", sid])
            cmds.append(["HSET", f"lobby:server:{sid}", "id", sid, "udp", "127.0.0.2:9",
                         "text", "", "players", k, "lobbies", k, "free", 0, "proto", 6,
                         "draining", 0, "gen", 1])
            fields = []
            for j in range(k):
                name = f"{sid}-l{j}"
                fields += [name, f"{name}\t1\t16\t0\t1\towner{j}\t20\t0"]
            cmds.append(["HSET", f"lobby:server:{sid}:lobbies"] + fields)
        self.redis.pipeline(cmds)
        self._refresh()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    def _refresh(self):
        cmds = []
        for sid in self.servers:
            cmds.append(["PEXPIRE", f"lobby:server:{sid}", 2500])
            cmds.append(["PEXPIRE", f"lobby:server:{sid}:lobbies", 2500])
        self.redis.pipeline(cmds)

    def _loop(self):
        while not self.stop_ev.wait(1.0):
            self._refresh()

    def ops_per_s(self):
        return 2 * len(self.servers)

    def stop(self):
        self.stop_ev.set()
        self.thread.join()
        cmds = [["DEL", f"lobby:server:{sid}", f"lobby:server:{sid}:lobbies"]
                for sid in self.servers]
        cmds += [["SREM", "lobby:servers"] + self.servers]
        self.redis.pipeline(cmds)


def list_latency(args, server, expect, rounds=30):
    """LIST_LOBBIES round trips from one lobby-chat at server's lobby list:
    from writing '/list' to the '* lobbies: N of M' line."""
    chat = subprocess.Popen([f"{args.build}/chat/lobby-chat", "--server",
                             f"127.0.0.1:{server.port}", "--name", "lister", "--browse"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
    assert chat.stdout.readline().startswith("* at the lobby list")
    times = []
    shown = total = None
    for _ in range(rounds):
        time.sleep(0.15)  # the server answers at most 10 lobby requests a second
        t0 = time.perf_counter()
        chat.stdin.write("/list\n")
        chat.stdin.flush()
        while True:
            line = chat.stdout.readline()
            if not line or "refused" in line:
                sys.exit(f"scaling: lobby-chat: {line.strip() or 'ended'}")
            m = re.match(r"\* lobbies: (\d+) of (\d+)", line)
            if m:
                times.append((time.perf_counter() - t0) * 1000)
                shown, total = int(m.group(1)), int(m.group(2))
                break
        # Drain the listing's lines before the next round trip.
        for _ in range(shown):
            chat.stdout.readline()
    chat.stdin.close()
    chat.wait()
    if total < expect:
        sys.exit(f"scaling: the list shows {total} lobbies, expected at least {expect}")
    return {"p50_ms": statistics.median(times), "p99_ms": pct(times, 99), "shown": shown,
            "total": total}


def redis_benchmark(redis):
    out = subprocess.run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(redis.port), "-q",
                          "-n", "200000", "-P", "16", "-t", "set,get,hset,sadd"],
                         capture_output=True, text=True).stdout
    out1 = subprocess.run(["redis-benchmark", "-h", "127.0.0.1", "-p", str(redis.port), "-q",
                           "-n", "100000", "-t", "get"], capture_output=True, text=True).stdout
    found = {}
    for line in out.replace("\r", "\n").splitlines():
        m = re.match(r"(\w+): ([\d.]+) requests per second", line.strip())
        if m:
            found[f"{m.group(1)} -P 16"] = float(m.group(2))
    for line in out1.replace("\r", "\n").splitlines():
        m = re.match(r"(\w+): ([\d.]+) requests per second", line.strip())
        if m:
            found[f"{m.group(1)} -P 1"] = float(m.group(2))
    return found


def part_directory(args, redis, secret):
    res = {}
    grace = ["--lobby-grace-ms", "0"]
    a = Server(args, "dir-a", redis.url(), secret, grace)
    a.wait_registered()
    time.sleep(2)
    res["one_server_at_rest"] = rate(redis, 10)
    b = Server(args, "dir-b", redis.url(), secret, grace)
    b.wait_registered()
    time.sleep(2)
    res["two_servers_at_rest"] = rate(redis, 10)
    stop = threading.Event()
    box = {}
    t = threading.Thread(target=lambda: box.update(n=churn(args, a, stop)), daemon=True)
    t0 = time.time()
    t.start()
    time.sleep(2)
    res["two_servers_churn_on_a"] = rate(redis, 10)
    stop.set()
    t.join()
    res["churn_lobbies_per_s"] = box["n"] / (time.time() - t0)
    time.sleep(3)
    for n in (100, 1000, 10000):
        fill = Filler(redis, n)
        time.sleep(2)  # A reads the fake servers' lists
        ops = rate(redis, 5) - fill.ops_per_s()
        lat = list_latency(args, a, n)
        res[f"list_{n}"] = dict(lat, redis_ops_per_s=ops)
        fill.stop()
        time.sleep(3)
    a.stop()
    b.stop()
    res["redis_benchmark"] = redis_benchmark(redis)
    per = res["two_servers_at_rest"] / 2
    print(f"| Redis commands/s | value |\n|---|---:|\n"
          f"| one server at rest | {res['one_server_at_rest']:.1f} |\n"
          f"| two servers at rest | {res['two_servers_at_rest']:.1f} ({per:.1f} per server) |\n"
          f"| two servers, {res['churn_lobbies_per_s']:.1f} lobbies/s opened and closed on A | "
          f"{res['two_servers_churn_on_a']:.1f} |")
    print("\n| lobbies in the directory | LIST_LOBBIES p50 ms | p99 ms | entries in the answer "
          "| Redis commands/s (servers, filler left out) |\n|---:|---:|---:|---:|---:|")
    for n in (100, 1000, 10000):
        r = res[f"list_{n}"]
        print(f"| {n:,} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['shown']} of {r['total']} | "
              f"{r['redis_ops_per_s']:.1f} |")
    print("\n| redis-benchmark | requests/s |\n|---|---:|")
    for k, v in res["redis_benchmark"].items():
        print(f"| {k} | {v:,.0f} |")
    return res


def main():
    args = parse_args()
    os.makedirs(os.path.join(args.out, "runs"), exist_ok=True)
    work = tempfile.mkdtemp(prefix="lobby-scaling-")
    secret = os.path.join(work, "secret")
    with open(secret, "wb") as f:
        f.write(os.urandom(32))
    redis = Redis(work)
    try:
        for part in args.parts:
            print(f"\n## {part}\n", flush=True)
            res = globals()[f"part_{part}"](args, redis, secret)
            with open(os.path.join(args.out, f"{part}.json"), "w") as f:
                json.dump(res, f, indent=2)
    finally:
        os.kill(redis.proc.pid, signal.SIGCONT)
        redis.stop()


if __name__ == "__main__":
    main()
