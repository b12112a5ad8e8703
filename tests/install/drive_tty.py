#!/usr/bin/env python3
"""The example game in a terminal, as a player uses it: on a pseudo-terminal,
four presses of 'd' move its '@' four map cells to the right, Enter + text
+ Enter sends a chat line (shown as "you: ..."; the caller checks that
another player got it), the other player in the lobby (kim, headless) is
drawn on the map as 'k', and 'q' quits with exit status 0.

usage: drive_tty.py LOBBY_EXAMPLE PORT"""
import os
import pty
import re
import select
import sys
import time


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    pid, fd = pty.fork()
    if pid == 0:
        os.execv(sys.argv[1], [sys.argv[1], "--host", "127.0.0.1", "--port", sys.argv[2],
                               "--name", "zed", "--lobby", "tty"])
    screen = b""

    def pump(seconds):
        nonlocal screen
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    screen += os.read(fd, 65536)
                except OSError:
                    return

    pump(1.0)
    for keys, wait in ((b"dddd", 0.5), (b"\r", 0.2), (b"hello there", 0.2), (b"\r", 1.0), (b"q", 1.0)):
        os.write(fd, keys)
        pump(wait)
    _, status = os.waitpid(pid, 0)
    text = re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"\n", screen).decode(errors="replace")
    columns = {line.index("@") for line in text.split("\n") if re.fullmatch(r" [.@]{60}", line) and "@" in line}
    problems = []
    if not columns or max(columns) - min(columns) != 4:
        problems.append(f"'@' seen at columns {sorted(columns)}, not 4 apart")
    if " you: hello there" not in text.split("\n"):
        problems.append("the typed chat line is not on screen")
    if not any(re.fullmatch(r" [.@k]{60}", line) and "k" in line for line in text.split("\n")):
        problems.append("the other player, kim, is never drawn on the map")
    if os.waitstatus_to_exitcode(status) != 0:
        problems.append(f"exit status {os.waitstatus_to_exitcode(status)}")
    for p in problems:
        print("FAIL: terminal game:", p)
    if problems:
        print(text[-3000:])
        return 1
    print("terminal game: moved 4 cells, chatted, quit")
    return 0


if __name__ == "__main__":
    sys.exit(main())
