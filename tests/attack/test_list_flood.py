#!/usr/bin/env python3
"""LOBBY_LIST amplification, end to end: the real server on loopback, raw
ENet clients (Debian's python3-enet) from several 127.0.X.Y addresses.

Lobbies with the largest entries the rules allow (24-byte names, 8 metadata
pairs of 16-byte keys and 32-byte values) are opened from 12 addresses; then
8 attacking addresses with 8 browsing sessions each (the most one address may
have at the list) send LIST_LOBBIES at the
lobby-request rate (10 a second per session: within every request limit) for
FLOOD_S seconds. Each attacking address must receive no more LOBBY_LIST bytes
than the documented bound (--list-burst-kb + --list-kb-per-s x seconds + one
list), a legit client from another address must still get its full list
within 2 s, and lobby_list_over_budget_total must move.

Prints the figures first (request and reply bytes per second per address),
so running it against an older lobby-server measures the "before".

Usage: test_list_flood.py LOBBY_SERVER (LIST_FLOOD_S=20 for a longer flood)
"""
import os
import re
import struct
import sys
import time
import urllib.request

import enet

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from lobby_log_proc import LoggedProcess, kill_all  # noqa: E402
from test_connect_python import cookie_request, parse_cookie_reply  # noqa: E402

SERVER_BIN = sys.argv[1]
TIMEOUT_S = 10
FLOOD_S = float(os.environ.get("LIST_FLOOD_S", "4"))  # longer: the steady rate
LIST_KB_PER_S, LIST_BURST_KB = 64, 256  # the server's defaults
MAX_LIST_BYTES = 29384  # PROTOCOL.md: the largest LOBBY_LIST
ATTACKERS = [f"127.0.9.{i}" for i in range(1, 9)]
SESSIONS_PER_ATTACKER = 8  # --max-browsing-per-address
CREATORS = [f"127.0.8.{i}" for i in range(1, 13)]
LOBBIES_PER_CREATOR = 4
LEGIT_IP = "127.0.10.1"

LIST_LOBBIES, CREATE_LOBBY, HELLO = 0x05, 0x06, 0x01
LOBBY_LIST, LOBBY_REFUSED, WELCOME, LOBBY_EXITED = 0x8F, 0x8D, 0x81, 0x8E
RATE_LIMITED = 18


def log(msg):
    print(f"test_list_flood: {msg}", flush=True)


def str8(b):
    return bytes([len(b)]) + b


def hello_browse(name):
    return bytes([HELLO]) + str8(name) + b"\x00\x00\x02"


def list_lobbies(request_id):
    return bytes([LIST_LOBBIES]) + struct.pack("<I", request_id) + b"\x00\x00\x00"


def create_lobby(n):
    name = (b"r%02d" % n + b"abcdefghijklmnopqrstuvwxyz")[:24]
    meta = bytes([8]) + b"".join(str8(b"key%d" % k + b"x" * 12) + str8(b"v" * 32)
                                 for k in range(8))
    return bytes([CREATE_LOBBY]) + str8(name) + b"\x00" + b"\x00" + b"\x00\x00" + meta


class Server(LoggedProcess):
    def __init__(self, *args):
        super().__init__([SERVER_BIN, "--bind", "127.0.0.1", "--port", "0",
                          "--http", "127.0.0.1:0", *args], "lobby-list-flood-", TIMEOUT_S)
        self.http_port = int(self.wait_for(r"http on [\d.]+:(\d+)"))
        self.port = int(self.wait_for(r"listening on [\d.]+:(\d+)"))
        self.version = int(self.wait_for(r"protocol (\d+)"))

    def metric(self, name):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http_port}/metrics", timeout=5) as r:
            body = r.read().decode()
        m = re.search(r"^" + re.escape(name) + r" (\S+)$", body, re.M)
        return float(m.group(1)) if m else None


class Address:
    """One ENet host bound to one loopback address, with n sessions that say
    HELLO BROWSE as they connect. The only place that connects: a change to
    the handshake goes here."""

    def __init__(self, server, ip, n):
        self.host = enet.Host(enet.Address(ip.encode(), 0), n, 2, 0, 0)
        self.ip = ip
        self.browsing = []  # peers at the lobby list
        self.list_bytes = self.list_count = self.refused = self.sent_bytes = 0
        self.last_list = None
        server_addr = enet.Address(b"127.0.0.1", server.port)
        cookie = self.fetch_cookie(server_addr, server.version)
        for _ in range(n):  # one cookie: every session shares the host's ip:port
            self.host.connect(server_addr, 2, cookie)
        self.names = 0

    def fetch_cookie(self, server_addr, version):
        """PROTOCOL.md's connect cookie, asked for every 250 ms."""
        nonce = int.from_bytes(os.urandom(4), "big")
        replies = []

        def intercept(_address, data):
            reply = parse_cookie_reply(bytes(data))
            if reply is None:
                return 0
            if reply[2] == nonce and reply[1] == 0:
                replies.append(reply[3])
            return 1

        self.host.intercept = intercept
        deadline = time.monotonic() + TIMEOUT_S
        while not replies and time.monotonic() < deadline:
            self.host.socket.send(server_addr, cookie_request(version, nonce))
            for _ in range(50):
                self.host.service(5)
                if replies:
                    break
        if not replies:
            raise RuntimeError(f"{self.ip}: no connect cookie within {TIMEOUT_S} s")
        return replies[0]

    def send(self, peer, data):
        peer.send(0, enet.Packet(data, enet.PACKET_FLAG_RELIABLE))
        self.sent_bytes += len(data)

    def pump(self, timeout_ms=0, on_browsing=None):
        ev = self.host.service(timeout_ms)
        while ev is not None and ev.type != enet.EVENT_TYPE_NONE:
            if ev.type == enet.EVENT_TYPE_CONNECT:
                self.names += 1
                self.send(ev.peer, hello_browse(b"%s-%d" % (self.ip.encode(), self.names)))
            elif ev.type == enet.EVENT_TYPE_RECEIVE:
                data = ev.packet.data
                if data[0] == LOBBY_EXITED:
                    self.browsing.append(ev.peer)
                    if on_browsing:
                        on_browsing(self, ev.peer)
                elif data[0] == LOBBY_LIST:
                    self.list_bytes += len(data)
                    self.list_count += 1
                    self.last_list = data
                elif data[0] == LOBBY_REFUSED and data[2] == RATE_LIMITED:
                    self.refused += 1
            ev = self.host.check_events()


def pump_all(addresses, seconds, until=None, **kw):
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        for a in addresses:
            a.pump(**kw)
        if until and until():
            return True
        time.sleep(0.002)
    return until() if until else True


def open_lobbies(server):
    created = [0]

    def create(addr, peer):
        addr.send(peer, create_lobby(created[0]))
        created[0] += 1

    creators = [Address(server, ip, LOBBIES_PER_CREATOR) for ip in CREATORS]
    want = len(CREATORS) * LOBBIES_PER_CREATOR
    pump_all(creators, TIMEOUT_S, until=lambda: created[0] >= want, on_browsing=create)
    pump_all(creators, 0.5)  # the creates are answered
    return creators


def legit_list(server):
    legit = Address(server, LEGIT_IP, 1)
    assert pump_all([legit], TIMEOUT_S, until=lambda: legit.browsing), "legit client not browsing"
    start = time.monotonic()
    legit.send(legit.browsing[0], list_lobbies(7))
    got = pump_all([legit], 2.0, until=lambda: legit.last_list is not None)
    took = time.monotonic() - start
    total = struct.unpack_from("<H", legit.last_list, 5)[0] if got else 0
    return got, took, total, legit


def main():
    server = Server()
    try:
        creators = open_lobbies(server)
        got, took, total, _ = legit_list(server)
        log(f"{total} lobbies listed before the flood, one list is {len(_.last_list or b'')} bytes")
        assert got and total >= 24, (got, total)

        attackers = [Address(server, ip, SESSIONS_PER_ATTACKER) for ip in ATTACKERS]
        everyone = creators + attackers
        pump_all(everyone, TIMEOUT_S,
                 until=lambda: all(len(a.browsing) == SESSIONS_PER_ATTACKER for a in attackers))
        assert all(len(a.browsing) == SESSIONS_PER_ATTACKER for a in attackers)
        # Each session at 10 requests a second, its lobby-request rate.
        start = time.monotonic()
        next_round, rid = start, 0
        while time.monotonic() - start < FLOOD_S:
            if time.monotonic() >= next_round:
                for a in attackers:
                    for p in a.browsing:
                        rid += 1
                        a.send(p, list_lobbies(rid))
                next_round += 0.1
            for a in everyone:
                a.pump()
        pump_all(everyone, 0.3)  # replies already sent still arrive
        elapsed = time.monotonic() - start
        flood_got, flood_took, _, _ = legit_list(server)

        bound = LIST_BURST_KB * 1024 + LIST_KB_PER_S * 1024 * elapsed + MAX_LIST_BYTES
        for a in attackers:
            log(f"{a.ip}: sent {a.sent_bytes / elapsed / 1024:.1f} kB/s of requests, got "
                f"{a.list_bytes / elapsed / 1024:.1f} kB/s of LOBBY_LIST ({a.list_count} lists, "
                f"{a.refused} refused RATE_LIMITED); bound {bound / elapsed / 1024:.1f} kB/s "
                f"over {elapsed:.1f} s")
        log(f"legit client's list during the flood: "
            f"{'in %.3f s' % flood_took if flood_got else 'NOT received'}")
        over_budget = server.metric("lobby_list_over_budget_total")
        log(f"lobby_list_over_budget_total {over_budget}")
        for a in attackers:
            assert a.list_bytes <= bound, (a.ip, a.list_bytes, bound)
            assert a.refused > 0, a.ip
        assert flood_got, "the legit client got no list during the flood"
        assert over_budget is not None and over_budget > 0, over_budget
        log("all passed")
    finally:
        kill_all()


if __name__ == "__main__":
    main()
