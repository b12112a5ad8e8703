#!/usr/bin/env python3
"""lobby-server's HTTP port under attack, end to end: the real server on
loopback, attackers from several 127.0.X.Y addresses, a scraper from another.

1. Slowloris from one address: 16 connections that each send a request line
   and then a header line every half second, never finishing the headers,
   and reconnect as soon as they are closed. Every scrape of /metrics, from
   another address and from the attacker's own, must answer within 2 s, for
   longer than the header time limit; the limits' metrics must move (pushed
   out at the per-address limit; a lone slow connection closed late).
2. The same from 4 addresses with 16 connections each (64).
3. 80 from 20 addresses: more than --http-max-conns.
3. Descriptors running out: the server started with RLIMIT_NOFILE 300, and
   text-port connections from 20 addresses held open past what fits; /metrics
   must still answer, and the text port must have refused the excess itself.

Prints the figures (scrapes answered, slowest scrape) before asserting, so
running it against an older lobby-server measures the "before".

Usage: test_http_limits.py LOBBY_SERVER
Every process it starts is killed on the way out, whatever failed.
"""
import os
import re
import resource
import socket
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from lobby_log_proc import LoggedProcess, kill_all  # noqa: E402

SERVER_BIN = sys.argv[1]
TIMEOUT_S = 10
SCRAPE_LIMIT_S = 2.0  # a scrape slower than this counts as blocked
ATTACK_S = 6.0  # longer than the 5 s header limit, so its effect is seen
SCRAPER_IP = "127.0.0.1"


def log(msg):
    print(f"test_http_limits: {msg}", flush=True)


class Server(LoggedProcess):
    """lobby-server on free ports, read from its log; nofile: its RLIMIT_NOFILE."""

    def __init__(self, nofile=None):
        def limit():
            if nofile is not None:
                resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, nofile))

        super().__init__([SERVER_BIN, "--bind", "127.0.0.1", "--port", "0",
                          "--http", "127.0.0.1:0"], "lobby-http-limits-", TIMEOUT_S, limit)
        self.text_port = int(self.wait_for(r"text chat on [\d.]+:(\d+)"))
        self.http_port = int(self.wait_for(r"http on [\d.]+:(\d+)"))
        self.wait_for(r"listening on")

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=TIMEOUT_S)


def connect_from(src_ip, port, timeout=TIMEOUT_S):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.bind((src_ip, 0))
    s.connect(("127.0.0.1", port))
    return s


def scrape(port, src_ip=SCRAPER_IP, limit_s=SCRAPE_LIMIT_S):
    """GET /metrics from src_ip: (body or None, seconds taken)."""
    start = time.monotonic()
    deadline = start + limit_s
    try:
        s = connect_from(src_ip, port, timeout=limit_s)
        with s:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: lobby\r\nConnection: close\r\n\r\n")
            reply = b""
            while time.monotonic() < deadline:
                s.settimeout(max(0.01, deadline - time.monotonic()))
                chunk = s.recv(65536)
                if not chunk:
                    break
                reply += chunk
    except OSError:
        return None, time.monotonic() - start
    took = time.monotonic() - start
    if not reply.startswith(b"HTTP/1.1 200") or took > limit_s:
        return None, took
    return reply.split(b"\r\n\r\n", 1)[1].decode("utf-8", "replace"), took


def metric(body, name, **labels):
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    pattern = re.escape(name + (f"{{{want}}}" if want else "")) + r" (\S+)"
    m = re.search(r"^" + pattern + r"$", body, re.M)
    return float(m.group(1)) if m else None


class Slowloris(threading.Thread):
    """n connections from each address, each trickling one header line every
    half second and never ending its headers; a closed one is reopened at
    once (at most every 0.1 s), as an attacker would."""

    def __init__(self, port, addresses, per_address):
        super().__init__(daemon=True)
        self.port = port
        self.slots = [[ip, None, 0.0] for ip in addresses for _ in range(per_address)]
        self.stop_flag = threading.Event()
        self.opened = 0
        self.closed_by_server = 0

    def _open(self, slot, now):
        slot[2] = now
        try:
            s = connect_from(slot[0], self.port, timeout=1)
            s.sendall(b"GET /metrics HTTP/1.1\r\n")
            s.setblocking(False)
            slot[1] = s
            self.opened += 1
        except OSError:
            slot[1] = None

    def _closed(self, s):
        try:
            return s.recv(4096) == b""
        except BlockingIOError:
            return False
        except OSError:
            return True

    def run(self):
        n = 0
        while not self.stop_flag.is_set():
            now = time.monotonic()
            for slot in self.slots:
                s = slot[1]
                if s is not None and self._closed(s):
                    s.close()
                    slot[1] = s = None
                    self.closed_by_server += 1
                if s is None:
                    if now - slot[2] >= 0.1:
                        self._open(slot, now)
                    continue
                try:
                    s.send(b"X-Slow-%d: x\r\n" % n)
                except OSError:
                    pass
            n += 1
            self.stop_flag.wait(0.5)
        for slot in self.slots:
            if slot[1] is not None:
                slot[1].close()

    def stop(self):
        self.stop_flag.set()
        self.join(TIMEOUT_S)


def scrape_during(server, attacks, label, seconds=ATTACK_S, scrapers=(SCRAPER_IP,)):
    """Scrapes every 0.25 s (from each scraper address in turn) for `seconds`
    while the attacks run; returns the last body. Prints the figures, then
    asserts every scrape answered."""
    for a in attacks:
        a.start()
    time.sleep(0.5)  # let the attackers take their connections first
    results = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        results.append(scrape(server.http_port, scrapers[len(results) % len(scrapers)]))
        time.sleep(0.25)
    for a in attacks:
        a.stop()
    ok = [t for body, t in results if body is not None]
    slowest = max(t for _, t in results)
    log(f"{label}: {len(ok)}/{len(results)} scrapes from {', '.join(scrapers)} answered "
        f"within {SCRAPE_LIMIT_S} s, slowest {slowest:.3f} s; attackers opened "
        f"{sum(a.opened for a in attacks)} connections, "
        f"{sum(a.closed_by_server for a in attacks)} closed by the server")
    assert len(ok) == len(results), f"{label}: {len(results) - len(ok)} scrapes blocked"
    body, _ = scrape(server.http_port)
    assert body is not None
    return body


def limits(body):
    return {"per_ip": metric(body, "lobby_http_connections_refused_total", reason="per_ip"),
            "total": metric(body, "lobby_http_connections_refused_total", reason="total"),
            "late": metric(body, "lobby_http_connections_closed_late_total"),
            "evicted": metric(body, "lobby_http_connections_evicted_total")}


def test_slowloris(server):
    # 16 from one address, scraped from another and from that one too; a
    # lone slow connection from a third address must be cut at 5 s.
    body = scrape_during(server, [Slowloris(server.http_port, ["127.0.5.1"], 16),
                                  Slowloris(server.http_port, ["127.0.5.2"], 1)],
                         "slowloris 16 connections from 1 address",
                         scrapers=(SCRAPER_IP, "127.0.5.1"))
    first = limits(body)
    log(f"  {first}")
    assert first["evicted"] is not None and first["evicted"] >= 12, first
    assert first["late"] is not None and first["late"] >= 1, first

    addresses = [f"127.0.6.{i}" for i in range(1, 5)]
    body = scrape_during(server, [Slowloris(server.http_port, addresses, 16)],
                         "slowloris 64 connections from 4 addresses")
    second = limits(body)
    log(f"  {second}")
    assert second["evicted"] - first["evicted"] >= 48, (first, second)

    # More slow connections than --http-max-conns, from 20 addresses.
    addresses = [f"127.0.11.{i}" for i in range(1, 21)]
    body = scrape_during(server, [Slowloris(server.http_port, addresses, 4)],
                         "slowloris 80 connections from 20 addresses", seconds=3.0)
    third = limits(body)
    log(f"  {third}")
    assert third["evicted"] - second["evicted"] >= 16, (second, third)
    # The attackers are gone: once the server has seen them close, only the
    # scraper's own connection is open (nothing leaks). Closes are noticed
    # within a loop pass or two, later on a loaded machine.
    deadline = time.monotonic() + 5.0
    while metric(body, "lobby_http_connections_open") > 2 and time.monotonic() < deadline:
        time.sleep(0.1)
        body, _ = scrape(server.http_port)
        assert body is not None
    assert metric(body, "lobby_http_connections_open") <= 2, body


def test_descriptors_run_out():
    nofile = 300
    server = Server(nofile=nofile)
    try:
        cut = re.search(r"text connections cut from \d+ to (\d+)", server.text())
        log(f"RLIMIT_NOFILE {nofile}: {cut.group(0) if cut else 'no cut in the log'}")
        held = []
        for x in range(1, 21):  # 20 addresses x 16 = 320 connections, more than fit
            for _ in range(16):
                try:
                    held.append(connect_from(f"127.0.7.{x}", server.text_port, timeout=1))
                except OSError:
                    pass
        time.sleep(0.5)  # the server accepts (and refuses) them
        body, took = scrape(server.http_port, limit_s=3.0)
        log(f"descriptors: {len(held)} text connections attempted; /metrics "
            f"{'answered' if body is not None else 'NOT answered'} in {took:.3f} s")
        assert body is not None, "/metrics did not answer with descriptors exhausted"
        refused = metric(body, "lobby_text_connections_refused_total", reason="total")
        open_text = metric(body, "lobby_text_connections_open")
        log(f"  text connections open {open_text}, refused at the total {refused}")
        assert cut is not None
        assert open_text == int(cut.group(1)), (open_text, cut.group(1))
        assert refused is not None and refused > 0, refused
        for s in held:
            s.close()
    finally:
        server.stop()


def main():
    try:
        server = Server()
        try:
            test_slowloris(server)
        finally:
            server.stop()
        test_descriptors_run_out()
        log("all passed")
    finally:
        kill_all()


if __name__ == "__main__":
    main()
