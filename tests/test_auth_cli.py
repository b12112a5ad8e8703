#!/usr/bin/env python3
"""Optional identity end to end: the real lobby-token makes a key pair and
mints tokens, the real lobby-server runs with --auth-key-file, real lobby-chat
clients (and lobby-client, headless) present them (--token FILE), and a raw
TCP socket tries the text port.

Checks: a valid token joins and gets its chat acknowledged; no token, an
expired one, a tampered one, one for another name, one for another lobby and
one signed by another key are each refused with the documented REJECT text;
the text port refuses chat with one error line; a server without the flag
stays open; lobby-token's usage errors exit 2 and its key-file errors 1; the
server refuses to start (exit 1, one clear line) on a missing or malformed
key file.

Usage: test_auth_cli.py LOBBY_SERVER LOBBY_CHAT LOBBY_TOKEN [LOBBY_CLIENT]
Every process it starts is killed on the way out, whatever failed.
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lobby_log_proc import LoggedProcess, kill_all  # noqa: E402

SERVER_BIN, CHAT_BIN, TOKEN_BIN = sys.argv[1], sys.argv[2], sys.argv[3]
CLIENT_BIN = sys.argv[4] if len(sys.argv) > 4 else None  # lobby-client, optional
TIMEOUT_S = 10
FAILURES = []


def log(msg):
    print(f"test_auth_cli: {msg}", flush=True)


def check(cond, what):
    if cond:
        log(f"ok   {what}")
    else:
        log(f"FAIL {what}")
        FAILURES.append(what)


class Server(LoggedProcess):
    """lobby-server on 127.0.0.1, free UDP and TCP ports, its log in a file."""

    def __init__(self, *args):
        super().__init__(
            [SERVER_BIN, "--bind", "127.0.0.1", "--port", "0", "--http", "127.0.0.1:0", *args],
            "lobby-auth-test-", timeout_s=TIMEOUT_S)
        self.tcp_port = int(self.wait_for(r"text chat on 127\.0\.0\.1:(\d+)"))
        self.http_port = int(self.wait_for(r"http on 127\.0\.0\.1:(\d+)"))
        self.port = int(self.wait_for(r"listening on 127\.0\.0\.1:(\d+)"))

    def metric(self, name, reason):
        """One counter of /metrics, by its reason label (0 when absent)."""
        url = f"http://127.0.0.1:{self.http_port}/metrics"
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as r:
            text = r.read().decode()
        m = re.search(rf'^{name}{{reason="{reason}"}} (\d+)', text, re.M)
        return int(m.group(1)) if m else 0

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=TIMEOUT_S)


def run(argv, stdin=None):
    """(exit status, stdout, stderr) of a program that must end in TIMEOUT_S."""
    p = subprocess.run(argv, input=stdin, capture_output=True, text=True, timeout=TIMEOUT_S)
    return p.returncode, p.stdout, p.stderr


def token(*args):
    return run([TOKEN_BIN, *args])


def chat(server, *args, stdin=None):
    return run([CHAT_BIN, "--server", f"127.0.0.1:{server.port}", "--timeout", "3", *args],
               stdin=stdin)


def write(path, text):
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    return path


def mint(d, sk, out, *args):
    rc, tok, err = token("mint", "--secret-key", sk, *args)
    assert rc == 0 and re.fullmatch(r"[0-9a-f]+\n", tok), (rc, tok, err)
    return write(os.path.join(d, out), tok)


def test_lobby_token(d):
    sk, pk = os.path.join(d, "backend.sk"), os.path.join(d, "server.pk")
    rc, out, err = token("keygen", "--secret-key", sk, "--public-key", pk)
    check(rc == 0 and out == "" and err == "", "keygen exits 0 silently")
    check(re.fullmatch(r"[0-9a-f]{128}\n", open(sk).read()) is not None, "secret key: 128 hex digits")
    check(re.fullmatch(r"[0-9a-f]{64}\n", open(pk).read()) is not None, "public key: 64 hex digits")
    check(os.stat(sk).st_mode & 0o077 == 0, "secret key file readable by its owner only")
    rc, _, err = token("keygen", "--secret-key", sk, "--public-key", os.path.join(d, "x.pk"))
    check(rc == 1 and "never overwrites" in err, f"keygen refuses to overwrite a key: {err.strip()}")
    for argv, what in [
        ([], "no command"),
        (["sign"], "unknown command"),
        (["mint", "--secret-key", sk, "--name", "alice"], "mint without --player-id"),
        (["mint", "--secret-key", sk, "--player-id", "x", "--name", "a"], "bad --player-id"),
        (["mint", "--secret-key", sk, "--player-id", "1", "--name", "a" * 25], "name too long"),
        (["mint", "--secret-key", sk, "--player-id", "1", "--name", "a", "--ttl", "0"], "--ttl 0"),
        (["mint", "--secret-key", sk, "--player-id", "1", "--name", "a", "--bogus"], "unknown flag"),
        (["keygen", "--secret-key", sk], "keygen without --public-key"),
    ]:
        rc, out, err = token(*argv)
        check(rc == 2 and out == "" and err.count("\n") == 1 and "lobby-token:" in err,
              f"lobby-token {what}: exit 2, one line: {err.strip()}")
    bad = write(os.path.join(d, "bad.sk"), "not hex\n")
    rc, _, err = token("mint", "--secret-key", bad, "--player-id", "1", "--name", "a")
    check(rc == 1 and "not a secret key" in err, f"mint with a malformed key: exit 1: {err.strip()}")
    rc, _, err = token("mint", "--secret-key", os.path.join(d, "none"), "--player-id", "1",
                       "--name", "a")
    check(rc == 1 and "cannot read it" in err, f"mint with a missing key: exit 1: {err.strip()}")
    rc, out, _ = token("--help")
    check(rc == 0 and "keygen" in out and "Exit status" in out, "lobby-token --help")
    return sk, pk


def test_server_start(d, pk):
    for path, text, what in [
        (os.path.join(d, "missing.pk"), None, "cannot read it"),
        (os.path.join(d, "short.pk"), "abcd\n", "not a public key"),
        (os.path.join(d, "junk.pk"), "z" * 64 + "\n", "not a public key"),
    ]:
        if text is not None:
            write(path, text)
        rc, _, err = run([SERVER_BIN, "--port", "0", "--http", "off", "--auth-key-file", path])
        check(rc == 1 and what in err and err.count("\n") == 1,
              f"server refuses to start on a bad key file: exit 1: {err.strip()}")


def rejected(result, text):
    rc, _, err = result
    return rc == 1 and text in err


def test_players(d, sk, pk):
    srv = Server("--auth-key-file", pk)
    alice = mint(d, sk, "alice.tok", "--player-id", "42", "--name", "alice", "--ttl", "60")
    rc, out, err = chat(srv, "--token", alice, "--say", "hello with a token")
    check(rc == 0 and out.startswith("ack id=1 seq=1 lobby=main"),
          f"valid token (name from the token): chat acknowledged: {out.strip()} {err.strip()}")
    check(re.search(r"identity uid=42 name=alice", srv.text()) is not None, "server logs the uid")
    rc, out, _ = chat(srv, "--token", alice, "--name", "alice", "--say", "again")
    check(rc == 0 and out.startswith("ack"), "valid token with the same --name: acknowledged")

    r = chat(srv, "--name", "alice", "--say", "no token")
    check(rejected(r, "needs an identity token"), f"no token: REJECT AUTH_REQUIRED: {r[2].strip()}")
    old = mint(d, sk, "old.tok", "--player-id", "42", "--name", "alice", "--expires-at", "1000")
    r = chat(srv, "--token", old, "--say", "x")
    check(rejected(r, "identity token expired"), f"expired: REJECT AUTH_EXPIRED: {r[2].strip()}")
    tok = open(alice).read().strip()
    flipped = tok[:-2] + ("00" if tok[-2:] != "00" else "01")
    tampered = write(os.path.join(d, "tampered.tok"), flipped + "\n")
    r = chat(srv, "--token", tampered, "--say", "x")
    check(rejected(r, "signature does not verify"), f"tampered: AUTH_INVALID: {r[2].strip()}")
    renamed = tok[:2 + 32 + 2] + "6d616c6c6f7279"[:10] + tok[2 + 32 + 2 + 10:]  # alice -> mallo
    forged = write(os.path.join(d, "forged.tok"), renamed + "\n")
    r = chat(srv, "--token", forged, "--say", "x")
    check(rejected(r, "signature does not verify"), f"renamed in the token: AUTH_INVALID: {r[2].strip()}")
    r = chat(srv, "--token", alice, "--name", "bob", "--say", "x")
    check(rejected(r, "identity token is for name 'alice', not 'bob'"),
          f"another name: AUTH_INVALID: {r[2].strip()}")
    other_sk, other_pk = os.path.join(d, "other.sk"), os.path.join(d, "other.pk")
    token("keygen", "--secret-key", other_sk, "--public-key", other_pk)
    stranger = mint(d, other_sk, "stranger.tok", "--player-id", "42", "--name", "alice")
    r = chat(srv, "--token", stranger, "--say", "x")
    check(rejected(r, "signature does not verify"), f"another key: AUTH_INVALID: {r[2].strip()}")
    junk = write(os.path.join(d, "junk.tok"), "0102\n")
    r = chat(srv, "--token", junk, "--say", "x")
    check(rejected(r, "identity token invalid: token is cut short"),
          f"malformed: AUTH_INVALID: {r[2].strip()}")

    for reason, n in [("auth_required", 1), ("auth_expired", 1), ("auth_invalid", 5)]:
        got = srv.metric("lobby_rejects_total", reason)
        check(got == n, f'lobby_rejects_total{{reason="{reason}"}} is {got}, want {n}')

    carol = mint(d, sk, "carol.tok", "--player-id", "7", "--name", "carol", "--lobby", "finals")
    r = chat(srv, "--token", carol, "--lobby", "main", "--say", "x")
    check(rejected(r, "does not let you into lobby 'main'"),
          f"another lobby: REJECT AUTH_WRONG_LOBBY: {r[2].strip()}")
    rc, out, err = chat(srv, "--token", carol, "--lobby", "finals", "--say", "in the finals")
    check(rc == 0 and "lobby=finals" in out, f"its own lobby: acknowledged: {out.strip()} {err.strip()}")
    rc, out, err = chat(srv, "--token", carol, "--lobby", "finals", stdin="/join main\n")
    check("refused join: your identity token does not let you into lobby 'main'" in out,
          f"/join to another lobby: LOBBY_REFUSED AUTH_WRONG_LOBBY: {out.strip()[-90:]}")
    check(srv.metric("lobby_rejects_total", "auth_wrong_lobby") == 1
          and srv.metric("lobby_lobby_refusals_total", "auth_wrong_lobby") == 1,
          "the wrong-lobby REJECT and LOBBY_REFUSED are counted")

    if CLIENT_BIN:
        alice_joins = r"join lobby=main player=alice id=\d+ peer"
        before = len(re.findall(alice_joins, srv.text()))
        shot = os.path.join(d, "window.bmp")
        env = dict(os.environ, SDL_VIDEODRIVER="dummy", SDL_AUDIODRIVER="dummy")
        p = subprocess.run([CLIENT_BIN, "--server", f"127.0.0.1:{srv.port}", "--name", "alice",
                            "--lobby", "main", "--token", alice, "--screenshot", shot,
                            "--frames", "90"], env=env, capture_output=True, text=True,
                           timeout=TIMEOUT_S)
        joins = len(re.findall(alice_joins, srv.text())) - before
        check(p.returncode == 0 and joins == 1,
              f"lobby-client --token joins: exit {p.returncode}, joined {joins} time(s)")

    with socket.create_connection(("127.0.0.1", srv.tcp_port), timeout=TIMEOUT_S) as s:
        s.sendall(b"hello from the text port\n")
        data = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    line = data.decode(errors="replace").strip()
    check("identity token" in line and line.count("\n") == 0,
          f"text port: one error line, then closed: {line}")
    srv.stop()


def doc_example():
    """The Python minting example of docs/PROTOCOL.md, as written there."""
    doc = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "docs", "PROTOCOL.md")
    text = open(doc, encoding="utf-8").read()
    section = text[text.index("## Identity tokens"):]
    return re.search(r"```python\n(.*?)```", section, re.S).group(1)


def test_python_example(d, sk, pk):
    """A token minted by the documented Python example joins: the doc is the contract."""
    try:
        import nacl.signing  # noqa: F401  (Debian: python3-nacl)
    except ImportError:
        log("skip the Python example: no python3-nacl for this python3")
        return
    code = doc_example()
    check(len(code.strip().splitlines()) <= 20, "the Python example is at most 20 lines")
    script = write(os.path.join(d, "mint.py"), code)
    rc, tok, err = run([sys.executable, script, sk, "77", "erin", "", "60"])
    check(rc == 0 and re.fullmatch(r"[0-9a-f]+\n", tok) is not None, f"mint.py runs: {err.strip()}")
    rc, ref, _ = token("mint", "--secret-key", sk, "--player-id", "77", "--name", "erin", "--ttl", "60")
    check(len(tok) == len(ref), "mint.py's token has lobby-token's length")
    path = write(os.path.join(d, "erin.tok"), tok)
    srv = Server("--auth-key-file", pk)
    rc, out, err = chat(srv, "--token", path, "--say", "minted in Python")
    check(rc == 0 and out.startswith("ack"), f"a Python-minted token joins: {out.strip()} {err.strip()}")
    srv.stop()


def test_open_server():
    srv = Server()
    rc, out, _ = chat(srv, "--name", "dave", "--say", "no token needed")
    check(rc == 0 and out.startswith("ack"), "without --auth-key-file: open as before")
    srv.stop()


def main():
    with tempfile.TemporaryDirectory(prefix="lobby-auth-") as d:
        try:
            sk, pk = test_lobby_token(d)
            test_server_start(d, pk)
            test_players(d, sk, pk)
            test_python_example(d, sk, pk)
            test_open_server()
        finally:
            kill_all()
    if FAILURES:
        log(f"{len(FAILURES)} check(s) failed")
        return 1
    log("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
