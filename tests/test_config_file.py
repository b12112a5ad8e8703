#!/usr/bin/env python3
"""lobby-server's config file (--config), --print-config and --log-format
json, on the real lobby-server process.

Checks: a server started with only --config listens where the file says
(UDP port, text TCP port, HTTP address) and logs JSON there, one object per
line that Python's json module reads, a player's and a lobby's name with
quotes and backslashes included; flags override the file before and after
--config; --print-config read back with --config prints the same again, and
never shows a password or a secret file's contents; each kind of error in a
file gives exactly one line "lobby-server: FILE:LINE: reason" and exit 2 (1
for a file that cannot be read); the example config (server/lobby-server.conf)
names every key --print-config prints, loads as it is, and, every key
uncommented, still loads and gives the defaults --print-config prints.

Usage: test_config_file.py LOBBY_SERVER EXAMPLE_CONF
Every process it starts is killed on the way out, whatever failed.
"""
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lobby_log_proc import LoggedProcess, kill_all  # noqa: E402

SERVER_BIN, EXAMPLE = sys.argv[1], sys.argv[2]
TIMEOUT_S = 10
FAILURES = []
TMP = tempfile.TemporaryDirectory(prefix="lobby-config-test-")
KEY_LINE = re.compile(r"^(# )?([a-z0-9-]+) = (.*)$")


def log(msg):
    print(f"test_config_file: {msg}", flush=True)


def check(cond, what):
    if cond:
        log(f"ok   {what}")
    else:
        log(f"FAIL {what}")
        FAILURES.append(what)


def write(name, text):
    path = os.path.join(TMP.name, name)
    with open(path, "wb") as f:
        f.write(text.encode() if isinstance(text, str) else text)
    return path


def run(*args):
    """(exit status, stdout, stderr) of a lobby-server that must not start
    serving (--print-config, or an error)."""
    p = subprocess.run([SERVER_BIN, *args], capture_output=True, text=True, timeout=TIMEOUT_S)
    return p.returncode, p.stdout, p.stderr


def settings(printed):
    """{key: value} of the keys --print-config sets, and the set of all the
    keys it names (those commented out included)."""
    values, names = {}, []
    for line in printed.splitlines():
        m = KEY_LINE.match(line)
        if m:
            names.append(m.group(2))
            if not m.group(1):
                values[m.group(2)] = m.group(3)
    return values, names


def free_port(kind):
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def text_client(port, lines):
    """Sends lines to the text port and reads until it closes (after /quit)."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT_S) as s:
        s.sendall("".join(line + "\n" for line in lines).encode())
        got = b""
        while True:
            chunk = s.recv(4096)
            if not chunk:
                return got.decode(errors="replace")
            got += chunk


def test_serves_where_the_file_says():
    udp, tcp, http = free_port(socket.SOCK_DGRAM), free_port(socket.SOCK_STREAM), \
        free_port(socket.SOCK_STREAM)
    conf = write("serve.conf", f"""# a server configured by its file alone
bind = 127.0.0.1
port = {udp}
tcp-port = {tcp}   ; the text port
http = 127.0.0.1:{http}
log-format = json
log-level = debug
max-players = 8
snapshot-full = yes
""")
    srv = LoggedProcess([SERVER_BIN, "--config", conf], "lobby-config-test-", timeout_s=TIMEOUT_S)
    check(int(srv.wait_for(r'"msg":"listening on 127\.0\.0\.1:(\d+) \(udp\)')) == udp,
          f"listens on the file's UDP port {udp}")
    check(int(srv.wait_for(r'"msg":"text chat on 127\.0\.0\.1:(\d+) \(tcp\)')) == tcp,
          f"text chat on the file's TCP port {tcp}")
    check(int(srv.wait_for(r'"msg":"http on 127\.0\.0\.1:(\d+)')) == http,
          f"HTTP on the file's address 127.0.0.1:{http}")
    check("max 8 players" in srv.text(), "max-players from the file")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.bind(("127.0.0.1", udp))
            taken = False
        except OSError:
            taken = True
    check(taken, "the UDP port is really bound")
    with urllib.request.urlopen(f"http://127.0.0.1:{http}/healthz", timeout=TIMEOUT_S) as r:
        check(r.status == 200, "GET /healthz answers on the file's HTTP address")
    name, chat = 'a"b\\c', 'say "hi" \\ caf\u00e9 \\n'
    replies = text_client(tcp, [f"/name {name}", "/join friday", chat, "/quit"])
    check("joined friday" in replies, f"a text client joins on the file's TCP port ({replies!r})")
    srv.wait_for(r'"msg":"chat lobby=friday')
    srv.proc.send_signal(signal.SIGTERM)
    srv.proc.wait(timeout=TIMEOUT_S)
    lines = srv.text().splitlines()
    objects = []
    for line in lines:
        try:
            objects.append(json.loads(line))
        except ValueError:
            check(False, f"a log line is JSON: {line!r}")
    check(len(objects) == len(lines) and len(lines) >= 5, f"all {len(lines)} log lines are JSON")
    check(all(set(o) == {"time", "level", "tag", "msg"} for o in objects),
          "each line has time, level, tag and msg, nothing else")
    check(all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", o["time"]) for o in objects),
          "times are UTC with milliseconds")
    check(any(o["level"] == "debug" for o in objects), "log-level = debug from the file")
    chats = [o["msg"] for o in objects if o["msg"].startswith("chat lobby=friday")]
    check(any(f"text={name} " in m and m.endswith(": " + chat) for m in chats),
          f"a name and a chat line with quotes, backslashes and UTF-8 come back exactly: {chats}")


def test_flags_override_the_file():
    conf = write("override.conf", "port = 7001\nchat-rate = 0.5\nhttp = off\n")
    for argv in (["--config", conf, "--port", "7002"], ["--port", "7002", "--config", conf]):
        rc, out, err = run(*argv, "--print-config")
        values, _ = settings(out)
        check(rc == 0 and values.get("port") == "7002",
              f"{' '.join(argv)}: the flag wins ({values.get('port')}, {err.strip()})")
        check(values.get("chat-rate") == "0.5" and values.get("http") == "off",
              "the file's other keys still apply")
    rc, out, err = run("--config", conf, "--port", "70000")
    check(rc == 2 and err == "lobby-server: --port must be a whole number from 0 to 65535, got "
          "'70000' (try --help)\n", f"a bad flag is refused as before ({err!r})")


def test_print_config_round_trip():
    secret = write("secret", "TOPSECRET-0123456789abcdef\n")
    password = write("password", "PASSWORD-IN-A-FILE\n")
    conf = write("full.conf", f"""bind = 127.0.0.1
port = 0
snapshot-full = on
chat-rate = 0.25
http = off
tcp-port = 0
log-level = warn
log-format = json
list-kb-per-s = 3
tcp-max-out-total-mb = 2
cluster = redis://user:s3cret-pw@127.0.0.1:6390/2
cluster-password-file = {password}
cluster-secret-file = {secret}
public-address = game.example:7000
server-id = one
placement = least-loaded
""")
    rc, first, err = run("--config", conf, "--print-config")
    check(rc == 0 and err == "", f"--print-config exits 0 ({rc}, {err.strip()})")
    again = write("again.conf", first)
    rc, second, err = run("--config", again, "--print-config")
    check(rc == 0 and second == first, "--print-config read back prints the same")
    values, names = settings(first)
    check(values.get("snapshot-full") == "on" and values.get("chat-rate") == "0.25"
          and values.get("placement") == "least-loaded" and values.get("tcp-port") == "0",
          "the file's values are printed")
    check("s3cret-pw" not in first and "TOPSECRET" not in first and "PASSWORD-IN" not in first,
          "no password or secret in the output")
    check(values.get("cluster-secret-file") == secret, "secret files as their paths")
    rc, defaults, _ = run("--print-config")
    _, default_names = settings(defaults)
    check(names == default_names and len(names) > 50, f"every key, always in one order ({len(names)})")
    rc, helptext, _ = run("--help")
    missing = [k for k in names if f"--{k} " not in helptext and f"--{k}\n" not in helptext]
    check(not missing, f"every key is a flag in --help (missing: {missing})")


ERRORS = [  # (file content, line, reason)
    ("port = 7777\nprot = 1\n", 2, "unknown key 'prot'"),
    ("port = 70000\n", 1, "port must be a whole number from 0 to 65535, got '70000'"),
    ("# c\nport = 1\nport = 2\n", 3, "duplicate key 'port' (first set on line 2)"),
    ("port = 1\nport 7777\n", 2, "expected 'key = value' (or a ';' or '#' comment)"),
    ("[lobby-server]\nport = 1\n", 1,
     "sections are not used: write every key at the top level, without [section] lines"),
    ("port = 1\n  http = off\n", 2, "a key must start at the beginning of its line (an indented "
     "line would continue the value above)"),
    ("snapshot-full = maybe\n", 1,
     "snapshot-full must be on or off (true/false, yes/no, 1/0), got 'maybe'"),
    ("bind =\n", 1, "bind needs a value, got an empty one"),
    ("help = on\n", 1, "'help' is not a key: --config, --print-config, --help and --version are "
     "for the command line only"),
    ("log-format = xml\n", 1, "log-format must be text or json, got 'xml'"),
    ("http = localhost\n", 1, "http must be ADDR:PORT (an IPv4 address such as 127.0.0.1 and a "
     "port from 0 to 65535) or 'off', got 'localhost'"),
    ("cluster = tcp://x\n", 1, "cluster is not a Redis URL this server can use: expected "
     "redis://[USER:PASSWORD@]HOST:PORT[/DB] or unix:PATH"),
    ("\n" + "bind = " + "a" * 300 + "\n", 2, "line longer than 198 bytes"),
    (b"port = 1\nbi\0nd = x\n", 2, "a NUL byte in the line"),
]


def test_errors():
    for i, (content, line, reason) in enumerate(ERRORS):
        path = write(f"bad{i}.conf", content)
        for extra in ([], ["--print-config"]):
            rc, out, err = run("--config", path, *extra)
            want = f"lobby-server: {path}:{line}: {reason}\n"
            check(rc == 2 and err == want and out == "",
                  f"exit 2 and one line: {want.strip()!r}" + ("" if rc == 2 and err == want
                                                              else f" (got {rc}, {err!r})"))
    missing = os.path.join(TMP.name, "missing.conf")
    rc, _, err = run("--config", missing)
    check(rc == 1 and err == f"lobby-server: --config {missing}: cannot read it: No such file or "
          "directory\n", f"a missing file: exit 1, one line ({rc}, {err!r})")
    rc, _, err = run("--config", TMP.name)
    check(rc == 1 and err == f"lobby-server: --config {TMP.name}: cannot read it: Is a "
          "directory\n", f"a directory: exit 1, one line ({rc}, {err!r})")
    rc, _, err = run("--log-format", "xml")
    check(rc == 2 and "--log-format must be text or json, got 'xml'" in err,
          f"--log-format refuses what the key refuses ({err.strip()})")


def test_example_config():
    with open(EXAMPLE, encoding="utf-8") as f:
        example = f.read()
    rc, defaults, _ = run("--print-config")
    default_values, names = settings(defaults)
    commented = {}
    for line in example.splitlines():
        m = KEY_LINE.match(line)
        if m and m.group(1):
            commented[m.group(2)] = m.group(3)
    missing = [k for k in names if k not in commented]
    check(not missing, f"the example names every key (missing: {missing})")
    extra = [k for k in commented if k not in names]
    check(not extra, f"the example names no other key (extra: {extra})")
    rc, out, err = run("--config", EXAMPLE, "--print-config")
    check(rc == 0 and out == defaults, f"the example loads as it is ({rc}, {err.strip()})")
    uncommented = write("example-uncommented.conf",
                        re.sub(r"(?m)^# ([a-z0-9-]+ = )", r"\1", example))
    rc, out, err = run("--config", uncommented, "--print-config")
    check(rc == 0, f"every key uncommented, it loads ({rc}, {err.strip()})")
    values, _ = settings(out)
    wrong = {k: (commented[k], v) for k, v in default_values.items() if commented.get(k) != v}
    check(not wrong, f"the example's defaults are the real ones (wrong: {wrong})")


def main():
    try:
        test_serves_where_the_file_says()
        test_flags_override_the_file()
        test_print_config_round_trip()
        test_errors()
        test_example_config()
    finally:
        kill_all()
    if FAILURES:
        log(f"{len(FAILURES)} checks failed: {FAILURES}")
        return 1
    log("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
