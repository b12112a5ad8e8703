"""What the cluster tests share: lobby-servers in a cluster on a private
redis-server (tests/redis_proc.py), lobby-chat as a subprocess, a raw
python3-enet client for what lobby-chat hides (tickets, REDIRECT bytes, exact
timing), ticket minting with the cluster secret, and a tiny test runner.

Every process started here is killed on the way out (lobby_log_proc.kill_all
and RedisProc's own exit paths), whatever failed.
"""
import json
import os
import re
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from lobby_log_proc import PROCS, LoggedProcess, kill_all  # noqa: E402
from redis_proc import RedisProc  # noqa: E402

import enet  # noqa: E402

TIMEOUT_S = 10
VERSION = 6
EXTRA_PROCS = []  # lobby-chat processes, killed by run_tests
BAD_EXITS = []  # servers that did not exit 0 on the SIGTERM of Cluster.close


class SkipTest(Exception):
    """A test that cannot run (its reason names the bug or the limit)."""


# -- the cluster's secret and tickets -----------------------------------------


def write_secret(directory, data=None, name="secret"):
    path = os.path.join(directory, name)
    with open(path, "wb") as f:
        f.write(os.urandom(32) if data is None else data)
    return path


def signing_key(secret_bytes):
    """The cluster key pair as the servers derive it (CLUSTER.md, PROTOCOL.md)."""
    import nacl.encoding
    import nacl.hash
    import nacl.signing
    seed = nacl.hash.blake2b(secret_bytes, digest_size=32, encoder=nacl.encoding.RawEncoder)
    return nacl.signing.SigningKey(seed)


def str8(s):
    b = s if isinstance(s, bytes) else s.encode()
    assert len(b) < 256
    return bytes([len(b)]) + b


def mint_ticket(secret_bytes, lobby, player, server_id, expires_unix_ms, kind=1, nonce=None):
    body = (bytes([1, kind]) + struct.pack("<Q", expires_unix_ms) +
            (nonce or os.urandom(16)) + str8(lobby) + str8(player) + str8(server_id))
    return body + signing_key(secret_bytes).sign(body).signature


def now_unix_ms():
    return int(time.time() * 1000)


# -- lobby-server ---------------------------------------------------------------


class Server(LoggedProcess):
    """lobby-server on 127.0.0.1 (free UDP, text and HTTP ports) in a cluster."""

    def __init__(self, server_bin, redis_url, secret, server_id, *extra, wait_up=True):
        argv = [server_bin, "--bind", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0",
                "--cluster", redis_url, "--cluster-secret-file", secret,
                "--server-id", server_id, *extra]
        super().__init__(argv, f"lobby-cluster-{server_id}-", timeout_s=TIMEOUT_S)
        self.id = server_id
        self.port = int(self.wait_for(r"listening on 127\.0\.0\.1:(\d+)"))
        self.http_port = int(self.wait_for(r"http on 127\.0\.0\.1:(\d+)"))
        self.tcp_port = int(self.wait_for(r"text chat on 127\.0\.0\.1:(\d+)"))
        if wait_up:
            self.wait_for(r"redis is up: registering as " + re.escape(server_id))

    def http(self, path, method="GET"):
        req = urllib.request.Request(f"http://127.0.0.1:{self.http_port}{path}", method=method,
                                     data=b"" if method == "POST" else None)
        try:
            with urllib.request.urlopen(req, timeout=TIMEOUT_S) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    def lobbies(self):
        return json.loads(self.http("/lobbies")[1])

    def cluster_lobby_names(self):
        return {(lob["name"], lob["server"]) for lob in self.lobbies()["cluster"]["lobbies"]}

    def local_lobby_names(self):
        return {lob["name"] for lob in self.lobbies()["lobbies"]}

    def metrics(self):
        return self.http("/metrics")[1]

    def metric(self, name, labels=""):
        """One sample of /metrics (0 when absent); labels like 'reason="used"'."""
        full = name + ("{" + labels + "}" if labels else "")
        m = re.search(r"^" + re.escape(full) + r" ([0-9.e+-]+)$", self.metrics(), re.M)
        return float(m.group(1)) if m else 0.0

    def address(self):
        return f"127.0.0.1:{self.port}"

    def stop(self):
        """SIGTERM; the exit status."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=TIMEOUT_S)


def redis_keys(redis):
    return set(redis.cli("KEYS", "lobby:*") or [])


def wait_until(cond, timeout_s, step_s=0.02):
    """cond()'s first truthy value within timeout_s, else None."""
    deadline = time.monotonic() + timeout_s
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() >= deadline:
            return None
        time.sleep(step_s)


# -- lobby-chat -------------------------------------------------------------------


class Chat:
    """lobby-chat with stdin a pipe and stdout read line by line."""

    def __init__(self, chat_bin, server, name, *args):
        self.proc = subprocess.Popen([chat_bin, "--server", server.address(), "--name", name, *args],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.STDOUT, text=True, bufsize=1)
        EXTRA_PROCS.append(self.proc)
        self.lines = []
        self.lock = threading.Lock()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            with self.lock:
                self.lines.append(line.rstrip("\n"))

    def text(self):
        with self.lock:
            return "\n".join(self.lines)

    def wait_line(self, pattern, timeout_s=TIMEOUT_S):
        """The first match of pattern in the output so far (or within timeout_s)."""
        m = wait_until(lambda: re.search(pattern, self.text(), re.M), timeout_s)
        if not m:
            raise AssertionError(f"lobby-chat never printed /{pattern}/; it printed:\n{self.text()}")
        return m

    def send(self, line):
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def close(self):
        """End of input: it waits for its acknowledgements and leaves."""
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            return self.proc.wait(timeout=TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()


# -- a raw ENet client (docs/PROTOCOL.md) ------------------------------------------


def cookie_request(nonce):
    return b"LBYQ" + struct.pack(">HHI", VERSION, 0, nonce) + bytes(52)


def hello(name, lobby="", mode=0, password="", ticket=None):
    msg = b"\x01" + str8(name) + str8(lobby) + str8(password) + bytes([mode])
    if ticket is not None:
        msg += b"\x00" + str8(ticket)  # no identity, then the ticket
    return msg


def create_lobby(name, capacity=0, password=""):
    return b"\x06" + str8(name) + bytes([capacity]) + str8(password) + struct.pack("<H", 0) + b"\x00"


def join_lobby(name, password=""):
    return b"\x07" + str8(name) + str8(password)


def chat_msg(msg_id, text):
    b = text.encode()
    return b"\x02" + struct.pack("<IH", msg_id, len(b)) + b


def list_lobbies(request_id):
    return b"\x05" + struct.pack("<I", request_id) + str8("") + b"\x00\x00"


class _Cursor:
    def __init__(self, data, pos=1):
        self.data, self.pos = data, pos

    def u8(self):
        self.pos += 1
        return self.data[self.pos - 1]

    def u16(self):
        self.pos += 2
        return struct.unpack_from("<H", self.data, self.pos - 2)[0]

    def u32(self):
        self.pos += 4
        return struct.unpack_from("<I", self.data, self.pos - 4)[0]

    def raw(self, n):
        self.pos += n
        return self.data[self.pos - n:self.pos]

    def str8(self):
        return self.raw(self.u8())

    def str16(self):
        return self.raw(self.u16())


def parse_redirect(data):
    c = _Cursor(data)
    r = {"request": c.u8(), "lobby": c.str8().decode(), "host": c.str8().decode(),
         "port": c.u16(), "server_id": c.str8().decode(), "ticket": c.str8(),
         "text": c.str16().decode()}
    return r


def parse_lobby_list(data):
    """[(name, players, capacity, owner)] of a LOBBY_LIST."""
    c = _Cursor(data)
    c.u32()
    c.u16()
    out = []
    for _ in range(c.u8()):
        name, players, capacity, _flags, _state = c.str8().decode(), c.u8(), c.u8(), c.u8(), c.u8()
        owner = c.str8().decode()
        c.u16()
        c.u16()
        for _ in range(c.u8()):
            c.str8()
            c.str8()
        out.append((name, players, capacity, owner))
    return out


REJECT, WELCOME, CHAT_ACK, CHAT_RELAY = 0x80, 0x81, 0x84, 0x86
LOBBY_REFUSED, LOBBY_EXITED, LOBBY_LIST, REDIRECT = 0x8D, 0x8E, 0x8F, 0x97


class Raw:
    """One connection to a lobby-server: the cookie, ENet's CONNECT, then
    messages. Received packets go to self.inbox as (monotonic time, bytes)."""

    def __init__(self, port, host=b"127.0.0.1"):
        self.addr = enet.Address(host, port)
        self.host = enet.Host(None, 1, 2, 0, 0)
        self.nonce = int.from_bytes(os.urandom(4), "big")
        self.cookie = None
        self.host.intercept = self._intercept
        self.peer = None
        self.connected = False
        self.disconnected = False
        self.inbox = []

    def _intercept(self, address, data):
        data = bytes(data)
        if len(data) != 16 or data[:4] != b"LBYC":
            return 0
        _ver, status, nonce, cookie = struct.unpack(">HHII", data[4:])
        if nonce == self.nonce and self.cookie is None and status == 0:
            self.cookie = cookie
        return 1

    def pump(self, ms=0):
        ev = self.host.service(ms)
        while ev.type != enet.EVENT_TYPE_NONE:
            if ev.type == enet.EVENT_TYPE_CONNECT:
                self.connected = True
            elif ev.type == enet.EVENT_TYPE_RECEIVE:
                self.inbox.append((time.monotonic(), bytes(ev.packet.data)))
            elif ev.type == enet.EVENT_TYPE_DISCONNECT:
                self.disconnected = True
            ev = self.host.service(0)

    def connect(self, timeout_s=5):
        deadline = time.monotonic() + timeout_s
        next_send = 0.0
        while self.cookie is None:
            assert time.monotonic() < deadline, "no connect cookie from the server"
            if time.monotonic() >= next_send:
                self.host.socket.send(self.addr, cookie_request(self.nonce))
                next_send = time.monotonic() + 0.25
            self.host.service(5)
        self.peer = self.host.connect(self.addr, 2, self.cookie)
        while not self.connected:
            assert time.monotonic() < deadline, "ENet CONNECT unanswered"
            self.pump(5)
        return self

    def send(self, data):
        self.peer.send(0, enet.Packet(data, enet.PACKET_FLAG_RELIABLE))
        self.host.flush()

    def wait(self, types, timeout_s=5):
        """The first unread packet whose type is in types (removed from the inbox)."""
        deadline = time.monotonic() + timeout_s
        while True:
            for i, (_t, data) in enumerate(self.inbox):
                if data[0] in types:
                    del self.inbox[i]
                    return data
            if time.monotonic() >= deadline or self.disconnected and not self.inbox:
                return None
            self.pump(5)

    def close(self):
        if self.peer is not None and not self.disconnected:
            self.peer.disconnect(10)
            self.host.flush()
            deadline = time.monotonic() + 0.5
            while not self.disconnected and time.monotonic() < deadline:
                self.pump(5)


def raw_hello(server, name, lobby="", mode=0, ticket=None):
    """A Raw client connected to server and its first answer to HELLO."""
    c = Raw(server.port).connect()
    c.send(hello(name, lobby, mode, ticket=ticket))
    return c, c.wait({REJECT, WELCOME, REDIRECT, LOBBY_EXITED, LOBBY_REFUSED})


def percentile(values, p):
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


# -- the runner ----------------------------------------------------------------------


class Cluster:
    """A redis-server and a secret in one temporary directory, servers on them."""

    def __init__(self, server_bin):
        self.server_bin = server_bin
        self.tmp = tempfile.TemporaryDirectory(prefix="lobby-cluster-")
        self.secret_bytes = os.urandom(32)
        self.secret = write_secret(self.tmp.name, self.secret_bytes)
        self.redis = RedisProc()
        self.servers = []

    def server(self, server_id, *extra, wait_up=True, url=None):
        s = Server(self.server_bin, url or self.redis.url(), self.secret, server_id, *extra,
                   wait_up=wait_up)
        self.servers.append(s)
        return s

    def wait_mesh(self, timeout_s=3):
        """Until every server has heard from every other one."""
        n = len(self.servers) - 1
        ok = wait_until(lambda: all(s.metric("lobby_cluster_servers_seen") == n
                                    for s in self.servers), timeout_s)
        assert ok, f"the servers did not all see each other within {timeout_s} s"

    def close(self):
        """SIGTERM to every server still running (a sanitizer's report at exit
        fails the test through BAD_EXITS), then Redis and the directory."""
        for s in self.servers:
            if s.proc.poll() is None:
                s.proc.send_signal(signal.SIGTERM)
                try:
                    rc = s.proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    s.proc.kill()
                    rc = s.proc.wait()
                if rc != 0:
                    BAD_EXITS.append(f"server {s.id} exited {rc} on SIGTERM:\n{s.text()[-3000:]}")
        self.redis.stop()
        self.tmp.cleanup()


def run_tests(name, tests):
    """Runs each test function in turn; exit status 1 when any failed."""
    failed, skipped = [], []
    only = os.environ.get("CLUSTER_TEST")  # a substring of the test names to run
    tests = [fn for fn in tests if not only or only in fn.__name__]
    for fn in tests:
        start = time.monotonic()
        try:
            BAD_EXITS.clear()
            fn()
            assert not BAD_EXITS, "\n".join(BAD_EXITS)
            print(f"{name}: ok   {fn.__name__} ({time.monotonic() - start:.1f} s)", flush=True)
        except SkipTest as e:
            skipped.append(fn.__name__)
            print(f"{name}: SKIP {fn.__name__}: {e}", flush=True)
        except Exception:  # noqa: BLE001 (one failed test must not hide the others)
            failed.append(fn.__name__)
            print(f"{name}: FAIL {fn.__name__} ({time.monotonic() - start:.1f} s)", flush=True)
            traceback.print_exc()
        finally:
            kill_all(EXTRA_PROCS)
            EXTRA_PROCS.clear()
            PROCS.clear()
    print(f"{name}: {len(tests) - len(failed) - len(skipped)} passed, {len(failed)} failed "
          f"{failed}, {len(skipped)} skipped {skipped}", flush=True)
    sys.exit(1 if failed else 0)


def tcp_lines(port, send, wait_s=1.0):
    """The lines a text-port client gets for the lines it sends."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S) as s:
        s.sendall(send.encode())
        s.shutdown(socket.SHUT_WR)
        out = b""
        deadline = time.monotonic() + wait_s + TIMEOUT_S
        while time.monotonic() < deadline:
            chunk = s.recv(4096)
            if not chunk:
                break
            out += chunk
        return out.decode(errors="replace").splitlines()
