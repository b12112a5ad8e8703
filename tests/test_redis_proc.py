#!/usr/bin/env python3
"""tests/redis_proc.py, the Python tests' private redis-server: it starts,
answers over the unix socket and TCP, requires its password, freezes and
thaws, restarts empty on the same socket and port, and leaves no process
and no directory behind, an exception included."""
import os
import socket
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from redis_proc import RedisError, RedisProc  # noqa: E402


def gone(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    # a zombie is reaped by its parent (us) already; anything else is alive
    return False


def tcp_ping(port):
    with socket.create_connection(("127.0.0.1", port), timeout=2) as s:
        s.sendall(b"*1\r\n$4\r\nPING\r\n")
        return s.recv(64)


def main():
    with RedisProc(tcp=True, password="pw") as r:
        pid, d, port = r.pid, r.dir, r.port
        assert r.url().startswith("unix:") and os.path.exists(r.sock_path)
        assert r.tcp_url(db=2) == "redis://:pw@127.0.0.1:%d/2" % port
        assert tcp_ping(port).startswith(b"-NOAUTH"), "requirepass is not set"
        assert r.cli("SET", "k", "v", db=1) == "OK"
        assert r.cli("GET", "k", db=1) == "v" and r.cli("GET", "k") is None
        assert r.cli("INCR", "n") == 1 and r.cli("MGET", "n", "x") == ["1", None]
        try:
            r.cli("NOSUCHCOMMAND")
            raise AssertionError("an error reply must raise")
        except RedisError as e:
            assert "unknown command" in str(e)

        r.pause()
        t0 = time.monotonic()
        try:
            r.cli("PING", timeout=0.3)
            raise AssertionError("a paused server answered")
        except OSError:
            pass
        assert time.monotonic() - t0 < 2
        r.resume()
        assert r.cli("PING") == "PONG"

        r.kill()
        assert gone(pid)
        r.restart()
        assert r.port == port and r.cli("GET", "k", db=1) is None, "not restarted empty"
        assert tcp_ping(port).startswith(b"-NOAUTH")
        pid2 = r.pid
    assert gone(pid2) and not os.path.exists(d), "left behind after the with block"

    try:
        with RedisProc() as r:
            pid3, d3 = r.pid, r.dir
            r.pause()  # stopped, and then an exception: still cleaned up
            raise KeyError("boom")
    except KeyError:
        pass
    assert gone(pid3) and not os.path.exists(d3)
    print("redis_proc: ok")


if __name__ == "__main__":
    main()
