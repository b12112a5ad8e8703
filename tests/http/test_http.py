#!/usr/bin/env python3
"""lobby-server's HTTP side end to end: the real server on loopback (UDP port 0,
HTTP port 0), real lobby-chat clients chatting, and plain HTTP requests.

Checks that /metrics parses with the Prometheus text parser from Debian's
python3-prometheus-client, that its counters move as clients chat, that
/lobbies lists the lobbies and members the clients made, that /healthz answers,
that bad requests get a 4xx while the game goes on, how --http is parsed and
what happens when its port is taken, and that SIGTERM stops the server cleanly
(with /healthz saying 503 while it shuts down).

Usage: test_http.py LOBBY_SERVER LOBBY_CHAT
Every process it starts is killed on the way out, whatever failed.
"""
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from lobby_log_proc import LoggedProcess  # noqa: E402

try:
    from prometheus_client.parser import text_string_to_metric_families
except ImportError:
    sys.exit("test_http: needs python3-prometheus-client (apt-get install python3-prometheus-client)")

SERVER_BIN, CHAT_BIN = sys.argv[1], sys.argv[2]
TIMEOUT_S = 10
PROCS = []  # everything started, killed in main's finally


def log(msg):
    print(f"test_http: {msg}", flush=True)


class Server(LoggedProcess):
    """lobby-server with stderr in a temporary file; ports read from its log."""

    def __init__(self, *args, wait_http=True):
        super().__init__([SERVER_BIN, "--bind", "127.0.0.1", "--port", "0", *args],
                         "lobby-http-test-", TIMEOUT_S)
        PROCS.append(self.proc)
        self.port = int(self.wait_for(r"listening on 127\.0\.0\.1:(\d+)"))
        self.http_port = int(self.wait_for(r"http on 127\.0\.0\.1:(\d+)")) if wait_http else None

    def url(self, path):
        return f"http://127.0.0.1:{self.http_port}{path}"

    def stop(self):
        """SIGTERM; returns the exit status and the seconds it took."""
        start = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        status = self.proc.wait(timeout=TIMEOUT_S)
        return status, time.monotonic() - start


def get(url, method="GET", data=None, headers=None):
    """(status, headers, body) without raising on 4xx/5xx."""
    req = urllib.request.Request(url, method=method, data=data, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=TIMEOUT_S) as r:
            return r.status, r.headers, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.headers, e.read()


def raw(port, request):
    """Sends raw bytes over TCP; returns the status code of the reply (0: none)."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S) as s:
        s.sendall(request)
        reply = b""
        try:
            while b"\r\n" not in reply:
                chunk = s.recv(4096)
                if not chunk:
                    break
                reply += chunk
        except ConnectionResetError:
            pass
    status_line = reply.split(b"\r\n")[0].split(b" ")
    return int(status_line[1]) if len(status_line) > 1 and status_line[1].isdigit() else 0


def scrape(server):
    """Parses /metrics: ({sample name + sorted labels: value}, {family: type})."""
    status, headers, body = get(server.url("/metrics"))
    assert status == 200, status
    assert headers["Content-Type"].startswith("text/plain; version=0.0.4"), headers["Content-Type"]
    samples, types = {}, {}
    for fam in text_string_to_metric_families(body.decode("utf-8")):
        types[fam.name] = fam.type
        for s in fam.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples, types


def value(samples, name, **labels):
    key = (name, tuple(sorted(labels.items())))
    assert key in samples, f"no sample {name}{labels}"
    return samples[key]


class Chat:
    """An interactive lobby-chat that stays joined until its stdin closes."""

    def __init__(self, port, name, lobby):
        self.proc = subprocess.Popen(
            [CHAT_BIN, "--server", f"127.0.0.1:{port}", "--name", name, "--lobby", lobby],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        PROCS.append(self.proc)
        self.expect("* joined lobby")

    def expect(self, prefix):
        deadline = time.monotonic() + TIMEOUT_S
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline().decode("utf-8", "replace")
            if not line:
                raise AssertionError(f"lobby-chat ended: {self.proc.stderr.read()!r}")
            if line.startswith(prefix):
                return line
        raise AssertionError(f"lobby-chat never printed {prefix!r}")

    def say(self, text):
        self.proc.stdin.write(text.encode("utf-8") + b"\n")
        self.proc.stdin.flush()
        return self.expect("ack ")


EXPECTED_TYPES = {
    "lobby_build_info": "gauge", "lobby_uptime_seconds": "gauge",
    "lobby_players_connected": "gauge", "lobby_sessions_open": "gauge",
    "lobby_lobbies_open": "gauge", "lobby_chats_accepted": "counter",
    "lobby_chats_refused": "counter", "lobby_messages_in": "counter",
    "lobby_messages_out": "counter", "lobby_messages_in_bytes": "counter",
    "lobby_messages_out_bytes": "counter", "lobby_udp_in_bytes": "counter",
    "lobby_udp_out_bytes": "counter", "lobby_rejects": "counter", "lobby_leaves": "counter",
    "lobby_malformed_messages": "counter", "lobby_dropped_datagrams": "counter",
    "lobby_rate_limited": "counter", "lobby_enet_service_errors": "counter",
    "lobby_kicks": "counter", "lobby_peer_rtt_seconds": "histogram",
    "lobby_tick_duration_seconds": "histogram", "lobby_snapshots": "counter",
    "lobby_position_relays": "counter",
}


def check_metrics_before_and_after_chat(server):
    before, types = scrape(server)
    for name, typ in EXPECTED_TYPES.items():
        assert types.get(name) == typ, f"{name}: type {types.get(name)}, expected {typ}"
    assert "unknown" not in types.values(), [n for n, t in types.items() if t == "unknown"]
    assert value(before, "lobby_chats_accepted_total") == 0
    assert value(before, "lobby_build_info", version=value_label(before, "lobby_build_info")) == 1

    alice = Chat(server.port, 'q"uo\\te', "main")  # a name JSON must escape
    carol = Chat(server.port, "zo\u00eb", "friday")
    alice.say("hello from alice")
    carol.say("hello from carol")
    bob = subprocess.run([CHAT_BIN, "--server", f"127.0.0.1:{server.port}", "--name", "bob",
                          "--say", "hi alice"], capture_output=True, timeout=TIMEOUT_S)
    assert bob.returncode == 0, bob.stderr
    alice.expect("bob: hi alice")
    time.sleep(1.2)  # the transport samples round trips once a second

    after, _ = scrape(server)
    assert value(after, "lobby_chats_accepted_total") == 3
    assert value(after, "lobby_messages_in_total", type="chat") == 3
    assert value(after, "lobby_messages_in_total", type="hello") == 3
    assert value(after, "lobby_messages_out_total", type="chat_ack") == 3
    assert value(after, "lobby_messages_out_total", type="chat_relay") >= 1  # bob's to alice
    assert value(after, "lobby_messages_in_bytes_total", type="chat") > 3 * len("hi alice")
    assert value(after, "lobby_joins_total") == 3
    assert value(after, "lobby_leaves_total", reason="quit") == 1  # bob
    assert value(after, "lobby_players_connected") == 2
    assert value(after, "lobby_lobbies_open") == 2
    assert value(after, "lobby_sessions_open") == 2
    assert value(after, "lobby_udp_in_bytes_total") > value(before, "lobby_udp_in_bytes_total")
    assert value(after, "lobby_udp_out_bytes_total") > value(before, "lobby_udp_out_bytes_total")
    assert value(after, "lobby_peer_rtt_seconds_count") == 2
    assert value(after, "lobby_peer_rtt_seconds_bucket", le="+Inf") == 2
    assert value(after, "lobby_tick_duration_seconds_count") > 0
    assert value(after, "lobby_uptime_seconds") > value(before, "lobby_uptime_seconds")
    assert value(after, "lobby_chats_refused_total", reason="rate_limited") == 0
    check_cumulative(after, "lobby_tick_duration_seconds")
    log("metrics: parsed, counters moved with the chat")
    return alice, carol


def check_text_metrics(server):
    """A plain-text TCP client's message shows in the text port's families."""
    before, types = scrape(server)
    assert types.get("lobby_text_messages") == "counter", types.get("lobby_text_messages")
    tcp_port = int(server.wait_for(r"text chat on 127\.0\.0\.1:(\d+)"))
    with socket.create_connection(("127.0.0.1", tcp_port), timeout=TIMEOUT_S) as s:
        s.sendall(b"from a text client\n")
        assert s.recv(64).startswith(b"ok "), "no ok line from the text port"
    after, _ = scrape(server)
    assert value(after, "lobby_text_connections_total") == \
        value(before, "lobby_text_connections_total") + 1
    assert value(after, "lobby_text_messages_total", result="accepted") == \
        value(before, "lobby_text_messages_total", result="accepted") + 1
    assert value(after, "lobby_chats_accepted_total") == \
        value(before, "lobby_chats_accepted_total") + 1
    assert value(after, "lobby_text_bytes_total", direction="in") >= len("from a text client\n")
    log("metrics: the text port's counters moved with a text client's message")


def value_label(samples, name):
    return next(dict(labels)["version"] for (n, labels) in samples if n == name)


def check_cumulative(samples, name):
    buckets = sorted(((float(dict(l)["le"]), v) for (n, l), v in samples.items()
                      if n == name + "_bucket"))
    counts = [v for _, v in buckets]
    assert counts == sorted(counts), f"{name} buckets not cumulative: {buckets}"
    assert counts[-1] == value(samples, name + "_count")


def check_lobbies(server):
    status, headers, body = get(server.url("/lobbies"))
    assert status == 200 and headers["Content-Type"] == "application/json", (status, headers)
    doc = json.loads(body)
    by_name = {l["name"]: l for l in doc["lobbies"]}
    assert sorted(by_name) == ["friday", "main"], by_name
    main, friday = by_name["main"], by_name["friday"]
    assert main["players"] == 1 and main["capacity"] == 8, main
    assert friday["players"] == 1 and friday["capacity"] == 8, friday
    # main belongs to the server: nobody owns it, whoever came first
    assert main["server_owned"] is True and main["owner"] is None and main["owner_id"] == 0, main
    assert friday["server_owned"] is False and friday["owner"] == "zo\u00eb", friday
    [alice], [carol] = main["members"], friday["members"]
    assert alice["name"] == 'q"uo\\te' and carol["name"] == "zo\u00eb", (alice, carol)
    for m in (alice, carol):
        assert isinstance(m["id"], int) and m["id"] > 0, m
        assert isinstance(m["rtt_ms"], int) and 0 <= m["rtt_ms"] < 1000, m
        assert m["reconnecting"] is False, m
    log("lobbies: JSON matches the clients' lobbies")


def check_health_and_bad_requests(server):
    status, _, body = get(server.url("/healthz"))
    assert (status, body) == (200, b"ok\n"), (status, body)
    status, _, body = get(server.url("/metrics"), method="HEAD")
    assert status == 200 and body == b"", (status, body)
    status, headers, _ = get(server.url("/metrics"), method="POST", data=b"x=1")
    assert status == 405 and headers["Allow"] == "GET, HEAD", (status, headers)
    assert get(server.url("/lobbies"), method="DELETE")[0] == 405
    assert get(server.url("/nope"))[0] == 404
    assert get(server.url("/metrics/"))[0] == 404
    assert raw(server.http_port, b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
               b"\r\nhello") == 413
    for garbage in (b"hello world\r\n\r\n", b"GET /metrics garbage\r\nHost: x\r\n\r\n",
                    b"GET /metrics\r\n\r\n", b"GET /metrics HTTP/1.1\r\n\r\n",  # no Host
                    b"GET /metrics HTTP/1.1\r\nHost: x\r\nno colon\r\n\r\n",
                    b"GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n"):
        assert raw(server.http_port, garbage) == 400, garbage
    # A request line of one word: libmicrohttpd 0.9.75 hangs up without a reply.
    start = time.monotonic()
    assert raw(server.http_port, b"garbage\r\n\r\n") == 0
    assert time.monotonic() - start < 2
    big = b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 100000 + b"\r\n\r\n"
    try:
        code = raw(server.http_port, big)
        assert 400 <= code < 500 or code == 0, code
    except (BrokenPipeError, ConnectionResetError):
        pass  # closed on us mid-send: refused too
    # Clients that say nothing, or send binary (a TLS hello), wait for the
    # idle timeout; they must not hold the loop meanwhile.
    with socket.create_connection(("127.0.0.1", server.http_port), timeout=TIMEOUT_S), \
            socket.create_connection(("127.0.0.1", server.http_port), timeout=TIMEOUT_S) as tls:
        tls.sendall(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
        assert get(server.url("/healthz"))[0] == 200
    assert server.proc.poll() is None, "the server died"
    log("healthz 200; POST/DELETE 405, unknown path 404, body 413, malformed requests 400")


def check_flag_errors():
    for bad in ("nope", "127.0.0.1", "127.0.0.1:", "localhost:80", "1.2.3.4:65536",
                "127.0.0.1:-1", "[::1]:80"):
        r = subprocess.run([SERVER_BIN, "--bind", "127.0.0.1", "--port", "0", "--http", bad],
                           capture_output=True, timeout=TIMEOUT_S)
        assert r.returncode == 2 and b"--http" in r.stderr, (bad, r.returncode, r.stderr)
    holder = socket.socket()
    holder.bind(("127.0.0.1", 0))
    holder.listen()
    busy = holder.getsockname()[1]
    try:
        r = subprocess.run([SERVER_BIN, "--bind", "127.0.0.1", "--port", "0", "--http",
                            f"127.0.0.1:{busy}"], capture_output=True, timeout=TIMEOUT_S)
        assert r.returncode == 1 and f"--http 127.0.0.1:{busy}".encode() in r.stderr, r
        off = Server("--http", "off", wait_http=False)
        assert "http on" not in off.text(), off.text()
        assert off.stop()[0] == 0
    finally:
        holder.close()
    log("bad --http values exit 2; a taken explicit --http port exits 1; --http off serves none")


def check_default_port_taken():
    """The default 127.0.0.1:7780 taken: a warning, and the game goes on."""
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        holder.bind(("127.0.0.1", 7780))
        holder.listen()
    except OSError:
        pass  # someone else holds it, which serves as well
    try:
        server = Server(wait_http=False)
        if "http on 127.0.0.1:7780" in server.text():
            log("default port taken: SKIPPED (7780 was free after all)")
            server.stop()
            return
        server.wait_for(r"metrics are off: cannot serve HTTP on 127\.0\.0\.1:7780")
        r = subprocess.run([CHAT_BIN, "--server", f"127.0.0.1:{server.port}", "--name", "dan",
                            "--say", "still here"], capture_output=True, timeout=TIMEOUT_S)
        assert r.returncode == 0, r.stderr
        assert server.stop()[0] == 0
    finally:
        holder.close()
    log("default port taken: warned, kept serving the game")


def check_shutdown(server, alice, carol):
    """SIGTERM: /healthz says 503 while peers are being let go, then exit 0.
    carol is frozen so the server waits its whole grace for her."""
    carol.proc.send_signal(signal.SIGSTOP)
    server.proc.send_signal(signal.SIGTERM)
    seen, start = set(), time.monotonic()
    while server.proc.poll() is None and time.monotonic() - start < 2:
        try:
            seen.add(get(server.url("/healthz"))[0])
        except (urllib.error.URLError, ConnectionError):
            break
        time.sleep(0.02)
    status = server.proc.wait(timeout=TIMEOUT_S)
    carol.proc.send_signal(signal.SIGCONT)
    assert status == 0, f"exit status {status}"
    assert time.monotonic() - start < 2, "took more than 2 s"
    assert 503 in seen, f"/healthz during shutdown answered {seen}"
    log(f"SIGTERM: /healthz {sorted(seen)}, exit 0")


def main():
    try:
        server = Server("--http", "127.0.0.1:0", "--lobby-capacity", "8")
        check_health_and_bad_requests(server)
        alice, carol = check_metrics_before_and_after_chat(server)
        check_lobbies(server)
        check_text_metrics(server)
        check_health_and_bad_requests(server)  # again, with players in
        check_shutdown(server, alice, carol)
        check_flag_errors()
        check_default_port_taken()
    finally:
        for p in PROCS:
            if p.poll() is None:
                p.kill()
                p.wait()
    log("PASS")


if __name__ == "__main__":
    main()
