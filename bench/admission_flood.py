#!/usr/bin/python3
"""How long a legit player takes to join and get a chat acknowledged while
unanswered CONNECTs arrive from many (forged) loopback addresses: the longer
variant of tests/test_attack_admission.c, for before/after figures.

usage: admission_flood.py LOBBY_SERVER [--addresses 120] [--rate 8]
                          [--duration 20] [--legacy]

--rate is CONNECTs per second per address (0: as fast as one process can).
--legacy: the server predates protocol version 5 (no cookie): the flood's
CONNECTs carry valid version-4 connect data and the legit client connects
without a cookie, which is what that server wants.

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


def flood(port, first, count, rate, until, data):
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
                s.sendto(connect_datagram(n, data), ("127.0.0.1", port))
            except BlockingIOError:
                pass
        if interval:
            next_round += interval
            delay = next_round - time.monotonic()
            if delay > 0:
                time.sleep(delay)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("server")
    ap.add_argument("--addresses", type=int, default=120)
    ap.add_argument("--rate", type=float, default=8)
    ap.add_argument("--duration", type=float, default=20)
    ap.add_argument("--legacy", action="store_true")
    a = ap.parse_args()
    with tempfile.NamedTemporaryFile("w", suffix=".log") as log:
        proc, port = lobby.start_server(a.server, log)
        try:
            until = time.monotonic() + a.duration
            data = (0x4C42 << 16) | 4 if a.legacy else (0x4C42 << 16) | 5
            workers = [Process(target=flood, args=(port, k, a.addresses // 2, a.rate, until, data))
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
