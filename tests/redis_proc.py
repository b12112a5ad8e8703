"""A private redis-server for one Python test, never the system's.

    with RedisProc(tcp=True, password="pw") as r:
        r.url()                  # "unix:/tmp/lobby-redis-.../redis.sock"
        r.tcp_url(db=1)          # "redis://:pw@127.0.0.1:PORT/1"
        r.cli("SET", "k", "v")   # synchronous command: str, int, None, list,
                                 # or RedisError for an error reply
        r.pause(); r.resume()    # SIGSTOP / SIGCONT
        r.kill(); r.restart()    # SIGKILL; start empty on the same socket and port

It listens on DIR/redis.sock in its own temporary directory (and, with
tcp=True, on a free port of 127.0.0.1), with no persistence. It is stopped
on every exit path: the context manager's exit (exception included), an
atexit hook, and PR_SET_PDEATHSIG (SIGKILL) in the child for deaths that
skip both. Speaks RESP itself: no Python Redis module is needed.
"""
import atexit
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

_PR_SET_PDEATHSIG = 1


class RedisError(Exception):
    """An error reply (the text Redis sent, e.g. "NOAUTH Authentication required.")."""


def _die_with_parent():
    libc = ctypes.CDLL(None, use_errno=True)
    libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _encode(args):
    out = [b"*%d\r\n" % len(args)]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


class _Reader:
    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def _line(self):
        while b"\r\n" not in self.buf:
            self._more()
        line, self.buf = self.buf.split(b"\r\n", 1)
        return line

    def _more(self):
        chunk = self.sock.recv(65536)
        if not chunk:
            raise ConnectionError("redis closed the connection")
        self.buf += chunk

    def reply(self):
        line = self._line()
        kind, rest = line[:1], line[1:]
        if kind == b"+":
            return rest.decode()
        if kind == b"-":
            raise RedisError(rest.decode())
        if kind == b":":
            return int(rest)
        if kind == b"$":
            n = int(rest)
            if n < 0:
                return None
            while len(self.buf) < n + 2:
                self._more()
            data, self.buf = self.buf[:n], self.buf[n + 2:]
            return data.decode(errors="surrogateescape")
        if kind == b"*":
            n = int(rest)
            return None if n < 0 else [self.reply() for _ in range(n)]
        raise ConnectionError("bad RESP line %r" % line)


class RedisProc:
    def __init__(self, tcp=False, password=None, binary="redis-server"):
        self.want_tcp, self.password, self.binary = tcp, password, binary
        self.dir = tempfile.mkdtemp(prefix="lobby-redis-")
        self.sock_path = os.path.join(self.dir, "redis.sock")
        self.port = 0
        self.proc = None
        atexit.register(self.stop)
        try:
            self._start_first()
        except BaseException:
            self.stop()
            raise

    # -- lifecycle ---------------------------------------------------------

    def _start_first(self):
        for _ in range(5):  # a lost race for the free port shows as an early exit
            self.port = _free_port() if self.want_tcp else 0
            if self._start_once():
                return
        raise RuntimeError("redis-server did not start; see %s/redis.log" % self.dir)

    def _start_once(self):
        args = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1",
                "--unixsocket", self.sock_path, "--unixsocketperm", "700",
                "--save", "", "--appendonly", "no", "--daemonize", "no",
                "--dir", self.dir, "--logfile", ""]
        if self.password:
            args += ["--requirepass", self.password]
        log = open(os.path.join(self.dir, "redis.log"), "ab")
        try:
            self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, preexec_fn=_die_with_parent)
        finally:
            log.close()
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.proc = None
                return False
            try:
                if self.cli("PING", timeout=0.5) == "PONG":
                    return True
            except (OSError, ConnectionError, RedisError):
                pass
            time.sleep(0.01)
        self._terminate()
        return False

    def _terminate(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.send_signal(signal.SIGCONT)  # a paused server must see the SIGTERM
            try:
                self.proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def stop(self):
        """Stops the server (SIGTERM, 3 s, SIGKILL) and removes its directory. Idempotent."""
        self._terminate()
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    def pause(self):
        self.proc.send_signal(signal.SIGSTOP)

    def resume(self):
        self.proc.send_signal(signal.SIGCONT)

    def kill(self):
        """SIGKILL: connections reset, nothing saved; the directory stays."""
        self.proc.kill()
        self.proc.wait()
        self.proc = None

    def restart(self):
        """An empty server on the same socket path and port."""
        self._terminate()
        for _ in range(20):
            if self._start_once():
                return
            time.sleep(0.05)
        raise RuntimeError("redis-server did not restart; see %s/redis.log" % self.dir)

    @property
    def pid(self):
        return self.proc.pid if self.proc is not None else None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
        return False

    # -- addresses and commands ---------------------------------------------

    def url(self):
        return "unix:" + self.sock_path

    def tcp_url(self, db=0, with_password=True):
        auth = ":%s@" % self.password if (with_password and self.password) else ""
        return "redis://%s127.0.0.1:%d/%d" % (auth, self.port, db)

    def cli(self, *args, db=0, timeout=2.0):
        """One command over the unix socket (AUTH and SELECT first as needed)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(self.sock_path)
            reader = _Reader(s)
            if self.password:
                s.sendall(_encode(["AUTH", self.password]))
                reader.reply()
            if db:
                s.sendall(_encode(["SELECT", db]))
                reader.reply()
            s.sendall(_encode(list(args)))
            return reader.reply()
