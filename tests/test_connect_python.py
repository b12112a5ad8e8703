#!/usr/bin/python3
"""A third-party client written from docs/PROTOCOL.md alone (python3-enet):
the connect cookie exchange, the CONNECT with the cookie as its data, HELLO,
WELCOME, one CHAT and its CHAT_ACK against the real lobby-server. Also the
version mismatch answer. bench/admission_flood.py reuses join_and_chat().

usage: test_connect_python.py LOBBY_SERVER    (exit 0 when every check passes)
"""
import os
import re
import struct
import subprocess
import sys
import tempfile
import time

import enet

VERSION = 6
COOKIE_RESEND_S = 0.25


def cookie_request(version, nonce):
    """64 bytes: "LBYQ", u16 BE version, u16 zero, u32 BE nonce, 52 zeros."""
    return b"LBYQ" + struct.pack(">HHI", version, 0, nonce) + bytes(52)


def parse_cookie_reply(data):
    """(version, status, nonce, cookie) of a 16-byte "LBYC" datagram, or None."""
    if len(data) != 16 or data[:4] != b"LBYC":
        return None
    return struct.unpack(">HHII", data[4:])


def str8(s):
    b = s.encode()
    return bytes([len(b)]) + b


def hello_join(name, lobby=""):
    return b"\x01" + str8(name) + str8(lobby) + str8("") + b"\x00"


def chat(msg_id, text):
    b = text.encode()
    return b"\x02" + struct.pack("<IH", msg_id, len(b)) + b


class Client:
    """One connection: the cookie first, then ENet's CONNECT carrying it."""

    def __init__(self, port, version=VERSION, legacy_after_s=None):
        self.addr = enet.Address(b"127.0.0.1", port)
        self.host = enet.Host(None, 1, 2, 0, 0)
        self.nonce = int.from_bytes(os.urandom(4), "big")
        self.version = version
        self.reply = None
        self.host.intercept = self._intercept
        self.peer = None
        # Only for measuring servers older than version 5 (no cookie).
        self.legacy_after_s = legacy_after_s

    def _intercept(self, address, data):
        data = bytes(data)
        reply = parse_cookie_reply(data)
        if reply is None:
            return 0  # ENet's own datagram
        if reply[2] == self.nonce and self.reply is None:
            self.reply = reply
        return 1  # swallowed: not for ENet

    def get_cookie(self, deadline):
        """Asks every 250 ms until a reply with our nonce; None at the deadline."""
        start = time.monotonic()
        next_send = 0.0
        while self.reply is None and time.monotonic() < deadline:
            now = time.monotonic()
            if self.legacy_after_s is not None and now - start > self.legacy_after_s:
                return None
            if now >= next_send:
                self.host.socket.send(self.addr, cookie_request(self.version, self.nonce))
                next_send = now + COOKIE_RESEND_S
            self.host.service(5)
        return self.reply

    def connect(self, deadline):
        reply = self.get_cookie(deadline)
        if reply is None and self.legacy_after_s is not None:
            data = (0x4C42 << 16) | 4  # version 4 connect data
        elif reply is None:
            return False
        elif reply[1] != 0:
            raise RuntimeError(f"server speaks protocol version {reply[0]}, "
                               f"client version {self.version}")
        else:
            data = reply[3]
        self.peer = self.host.connect(self.addr, 2, data)
        return True

    def events(self, deadline):
        while time.monotonic() < deadline:
            ev = self.host.service(5)
            if ev.type != enet.EVENT_TYPE_NONE:
                yield ev


def join_and_chat(port, name, limit_s=5.0, legacy_after_s=None):
    """Seconds until a CHAT_ACK, or None after limit_s."""
    start = time.monotonic()
    deadline = start + limit_s
    c = Client(port, legacy_after_s=legacy_after_s)
    if not c.connect(deadline):
        return None
    for ev in c.events(deadline):
        if ev.type == enet.EVENT_TYPE_CONNECT:
            ev.peer.send(0, enet.Packet(hello_join(name), enet.PACKET_FLAG_RELIABLE))
        elif ev.type == enet.EVENT_TYPE_RECEIVE:
            data = ev.packet.data
            if data[0] == 0x81:  # WELCOME
                ev.peer.send(0, enet.Packet(chat(7, "hi"), enet.PACKET_FLAG_RELIABLE))
            elif data[0] == 0x84 and struct.unpack("<I", data[1:5])[0] == 7:  # CHAT_ACK
                c.peer.disconnect(1)
                c.host.flush()
                return time.monotonic() - start
        elif ev.type == enet.EVENT_TYPE_DISCONNECT:
            return None
    return None


def start_server(server_bin, log, extra=()):
    proc = subprocess.Popen([server_bin, "--bind", "127.0.0.1", "--port", "0",
                             "--http", "127.0.0.1:0", *extra], stderr=log)
    for _ in range(500):
        time.sleep(0.01)
        with open(log.name) as f:
            m = re.search(r"listening on 127\.0\.0\.1:(\d+)", f.read())
        if m:
            return proc, int(m.group(1))
    proc.kill()
    sys.exit("server did not start")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    with tempfile.NamedTemporaryFile("w", suffix=".log") as log:
        proc, port = start_server(sys.argv[1], log)
        try:
            took = join_and_chat(port, "pyclient")
            assert took is not None, "no CHAT_ACK within 5 s"
            print(f"# joined and chatted in {took * 1000:.0f} ms")
            c = Client(port, version=VERSION + 1)
            reply = c.get_cookie(time.monotonic() + 2)
            assert reply is not None and reply[1] == 1 and reply[0] == VERSION, reply
            assert reply[3] == 0, reply
            # A CONNECT without a cookie is never answered.
            c = Client(port)
            c.peer = c.host.connect(c.addr, 2, (0x4C42 << 16) | VERSION)
            assert not any(ev.type == enet.EVENT_TYPE_CONNECT
                           for ev in c.events(time.monotonic() + 1.0))
        finally:
            proc.terminate()
            proc.wait(5)
    print("test_connect_python: ok")


if __name__ == "__main__":
    main()
