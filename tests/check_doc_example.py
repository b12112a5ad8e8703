#!/usr/bin/env python3
"""docs/CLIENT-API.md's example program stays true.

Usage: check_doc_example.py DOC CC INCLUDE_DIR SHARED_LIB LOBBY_SERVER WORKDIR [CFLAG...]

Takes the ```c block with main() under "## A complete example", compiles it
with -Wall -Wextra -Werror against the public header alone, links it with
the shared library, then runs it for two seconds against a real lobby-server
on a free loopback port: it must join `main` and exit 0. Exits 1 saying
which step failed (DOC:LINE for a missing block). The CFLAGs go to the
compiler and linker: -fsanitize=... when the library was built with it."""
import os
import re
import signal
import subprocess
import sys
import time


def extract(doc):
    text = open(doc, encoding="utf-8").read()
    at = text.find("\n## A complete example")
    if at < 0:
        sys.exit(f"{doc}:1: no '## A complete example' section")
    m = re.search(r"\n```c\n(.*?)\n```", text[at:], re.S)
    if m is None or "int main(" not in m.group(1):
        line = text[:at].count("\n") + 2
        sys.exit(f"{doc}:{line}: no ```c block with main() in the example section")
    return m.group(1) + "\n"


def start_server(server, workdir):
    log_path = os.path.join(workdir, "server.log")
    log = open(log_path, "w")
    args = [server, "--bind", "127.0.0.1", "--port", "0", "--http", "off", "--tcp-port", "0"]
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        m = re.search(r"listening on 127\.0\.0\.1:(\d+)", open(log_path).read())
        if m:
            return proc, int(m.group(1))
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    proc.kill()
    sys.exit(f"{server}: did not start listening (log: {log_path})")


def main():
    if len(sys.argv) < 7:
        sys.exit(__doc__)
    doc, cc, include, shared, server, workdir = sys.argv[1:7]
    flags = sys.argv[7:]
    os.makedirs(workdir, exist_ok=True)
    src = os.path.join(workdir, "hello-lobby.c")
    exe = os.path.join(workdir, "hello-lobby")
    open(src, "w").write(extract(doc))
    build = [cc, "-std=c17", "-Wall", "-Wextra", "-Werror", *flags, "-I", include, src, shared,
             "-Wl,-rpath," + os.path.dirname(os.path.abspath(shared)), "-o", exe]
    if subprocess.run(build).returncode != 0:
        sys.exit(f"{doc}: the example does not compile: {' '.join(build)}")
    proc, port = start_server(server, workdir)
    try:
        run = subprocess.run([exe, "127.0.0.1", str(port), "docbot", "2"],
                             capture_output=True, text=True, timeout=20)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=10)
    print(run.stdout, end="")
    print(run.stderr, end="", file=sys.stderr)
    if run.returncode != 0 or "joined main as #" not in run.stdout:
        sys.exit(f"{doc}: the example ran with status {run.returncode} without joining main")
    print("check_doc_example: the example compiles, joins and leaves")
    return 0


if __name__ == "__main__":
    sys.exit(main())
