#!/usr/bin/python3
"""How long a legit player takes to join and get a chat acknowledged while
unanswered CONNECTs arrive from many (forged) loopback addresses: the longer
variant of tests/test_attack_admission.c, for before/after figures.

usage: admission_flood.py LOBBY_SERVER [--addresses 120] [--rate 8]
                          [--duration 20] [--legacy] [--one-address | --hold-all]
                          [--requests]

--rate is CONNECTs per second per address (0: as fast as one process can).
--legacy: the server predates protocol version 5 (no cookie): the flood's
CONNECTs carry valid version-4 connect data and the legit client connects
without a cookie, which is what that server wants.

--requests: the forged flood sends cookie requests instead of CONNECTs (each
one answered with 16 bytes to the forged source).

--one-address: instead, one address (127.0.31.1, eight ports, each with its
own valid cookie on a version-5 server) sends CONNECTs as fast as it can,
and every 2 s eight ENet hosts on other addresses (127.0.32.1-8) connect:
how many of them get ENet's CONNECT event within 5 s.

--hold-all: one address (127.0.33.1) opens a connection for every peer slot
of a --max-players 4 server (21 slots) and holds them; then a client from
127.0.0.1 tries to join and chat (the reserve of slots for new addresses).

Prints one line per legit attempt (started every 2 s, each given up to 10 s)
and a summary. Uses /usr/bin/python3 for python3-enet.
"""
import argparse
import os
import socket
import struct
import sys
import tempfile
import time
from multiprocessing import Process

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests"))
import test_connect_python as lobby  # noqa: E402


def connect_datagram(connect_id, data):
    """An ENet 1.3 CONNECT for no peer yet, as ENet's own sender writes it."""
    header = struct.pack(">HH", 0x8000 | 0xFFF, 1)  # sent-time flag, peer 0xFFF
    command = struct.pack(">BBH", 0x82, 0xFF, 1)  # CONNECT | ACKNOWLEDGE, control channel
    body = struct.pack(">HBBIIIIIIIIII", 0, 0, 0, 1400, 32768, 2, 0, 0, 5000, 2, 2,
                       connect_id, data)
    return header + command + body


def flood(port, first, count, rate, until, data, requests):
    socks = []
    for i in range(first, first + count):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((f"127.0.{40 + i // 250}.{1 + i % 250}", 0))
        s.setblocking(False)
        socks.append(s)
    n = 0
    interval = 1.0 / rate if rate > 0 else 0.0
    next_round = time.monotonic()
    while time.monotonic() < until:
        for s in socks:
            n += 1
            try:
                s.sendto(lobby.cookie_request(lobby.VERSION, n) if requests
                         else connect_datagram(n, data), ("127.0.0.1", port))
            except BlockingIOError:
                pass
        if interval:
            next_round += interval
            delay = next_round - time.monotonic()
            if delay > 0:
                time.sleep(delay)


def cookied_flood(port, until, legacy):
    socks, datas = [], []
    for i in range(8):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind(("127.0.31.1", 0))
        s.settimeout(0.25)
        data = (0x4C42 << 16) | 4
        while not legacy:
            s.sendto(lobby.cookie_request(lobby.VERSION, i), ("127.0.0.1", port))
            try:
                reply = lobby.parse_cookie_reply(s.recv(64))
            except socket.timeout:
                continue
            if reply:
                data = reply[3]
                break
        s.setblocking(False)
        socks.append(s)
        datas.append(data)
    n = 0
    while time.monotonic() < until:
        for s, data in zip(socks, datas):
            n += 1
            try:
                s.sendto(connect_datagram(n, data), ("127.0.0.1", port))
            except BlockingIOError:
                pass


def others_connect(port, legacy, limit_s=5.0):
    """How many of 8 ENet hosts on other addresses get CONNECT within limit_s."""
    deadline = time.monotonic() + limit_s
    clients = []
    for i in range(8):
        c = lobby.Client(port, legacy_after_s=0 if legacy else None)
        c.host = lobby.enet.Host(lobby.enet.Address(f"127.0.32.{i + 1}".encode(), 0), 1, 2, 0, 0)
        c.host.intercept = c._intercept
        if c.connect(deadline):
            clients.append(c)
    done = set()
    while time.monotonic() < deadline and len(done) < len(clients):
        for k, c in enumerate(clients):
            ev = c.host.service(1)
            if ev.type == lobby.enet.EVENT_TYPE_CONNECT:
                done.add(k)
                ev.peer.disconnect_now(1)
    return len(done)


def one_address(a, port):
    until = time.monotonic() + a.duration
    flooder = Process(target=cookied_flood, args=(port, until, a.legacy))
    flooder.start()
    time.sleep(1)
    results = []
    while time.monotonic() + 5 < until:
        t0 = time.monotonic()
        results.append(others_connect(port, a.legacy))
        print(f"{results[-1]} of 8 other addresses connected within 5 s")
        time.sleep(max(0.0, 2 - (time.monotonic() - t0)))
    flooder.join()
    print(f"summary: one address flooding CONNECTs for {a.duration:.0f} s: "
          f"{sum(results)} of {8 * len(results)} connects from other addresses succeeded")


def hold_all(a, port):
    """Connections that browse the lobby list (HELLO mode 2), so nothing
    times them out."""
    slots = 21  # --max-players 4: 4 + 4 / 4 + 16
    holder = lobby.enet.Host(lobby.enet.Address(b"127.0.33.1", 0), slots, 2, 0, 0)
    c = lobby.Client(port)
    c.host = holder
    holder.intercept = c._intercept
    reply = None if a.legacy else c.get_cookie(time.monotonic() + 2)
    data = (0x4C42 << 16) | 4 if reply is None else reply[3]
    for _ in range(slots):
        holder.connect(c.addr, 2, data)
    held = 0
    for _ in range(300):
        ev = holder.service(5)
        if ev.type == lobby.enet.EVENT_TYPE_CONNECT:
            browse = b"\x01" + lobby.str8(f"holder{held}") + b"\x00\x00\x02"
            ev.peer.send(0, lobby.enet.Packet(browse, lobby.enet.PACKET_FLAG_RELIABLE))
            held += 1
    t0 = time.monotonic()
    took = None
    while took is None and time.monotonic() - t0 < 20:
        took = lobby.join_and_chat(port, "newcomer", limit_s=2,
                                   legacy_after_s=0 if a.legacy else None)
        for _ in range(20):
            holder.service(1)  # keep the holders answering
    waited = time.monotonic() - t0
    print(f"summary: one address holds {held} of {slots} slots (browsing); a new address "
          f"{'got no chat ack within 20 s' if took is None else f'joined and chatted after {waited:.1f} s'}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("server")
    ap.add_argument("--addresses", type=int, default=120)
    ap.add_argument("--rate", type=float, default=8)
    ap.add_argument("--duration", type=float, default=20)
    ap.add_argument("--legacy", action="store_true")
    ap.add_argument("--one-address", action="store_true")
    ap.add_argument("--hold-all", action="store_true")
    ap.add_argument("--requests", action="store_true")
    a = ap.parse_args()
    with tempfile.NamedTemporaryFile("w", suffix=".log") as log:
        proc, port = lobby.start_server(a.server, log, ["--max-players", "4"] if a.hold_all else [])
        try:
            if a.hold_all:
                hold_all(a, port)
                return
            if a.one_address:
                one_address(a, port)
                return
            until = time.monotonic() + a.duration
            data = (0x4C42 << 16) | 4 if a.legacy else (0x4C42 << 16) | 5
            workers = [Process(target=flood, args=(port, k, a.addresses // 2, a.rate, until, data,
                                                 a.requests))
                       for k in (0, a.addresses // 2)]
            for w in workers:
                w.start()
            results = []
            time.sleep(2)
            while time.monotonic() + 2 < until:
                t0 = time.monotonic()
                took = lobby.join_and_chat(port, f"legit{len(results)}", limit_s=10,
                                           legacy_after_s=0 if a.legacy else None)
                results.append(took)
                print(f"attempt at +{t0 - (until - a.duration):.1f} s: "
                      f"{'no ack within 10 s' if took is None else f'{took * 1000:.0f} ms'}")
                time.sleep(max(0.0, 2 - (time.monotonic() - t0)))
            for w in workers:
                w.join()
            ok = sorted(t for t in results if t is not None)
            median = f"{ok[len(ok) // 2] * 1000:.0f} ms" if ok else "-"
            print(f"summary: {a.addresses} addresses at {a.rate or 'max'} CONNECT/s each for "
                  f"{a.duration:.0f} s: {len(ok)}/{len(results)} legit joins acked within 10 s, "
                  f"median {median}")
        finally:
            proc.terminate()
            proc.wait(5)


if __name__ == "__main__":
    main()
