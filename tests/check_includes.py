#!/usr/bin/env python3
"""The layering rules over every #include line of the product folders.

Dependencies run one way: shared/ and cli/ at the bottom, then the cores
(client/, server/, the game model), then the front ends, which may include
the cores below them and never each other. ENet and SDL stay in the files
listed below. The same rules are written in prose at the top of each
folder's main header (proto.h, cli.h, client.h, server.h, game.h, render.h,
chat_app.h, bench.h, netsim.h, mini_cli.h); this table is what is enforced.

usage: check_includes.py SOURCE_DIR    exit 0 when every line keeps the rules,
                                       1 with one line per violation
"""
import fnmatch
import os
import re
import sys

# Each part: its folder, the files of that folder it holds (the game-client
# folder holds two parts: the model, with no SDL, and the window), what it may
# include (parts), and which of its files may include each library.
# Anything else between angle brackets is libc or POSIX, allowed everywhere.
WINDOW = ["render*", "input.*", "sdl_main.c"]
PARTS = {
    "shared": dict(folder="shared", may=[], libs={}),
    "cli": dict(folder="cli", may=[], libs={}),
    # The installed header of liblobby-client (include/lobby/), which
    # includes nothing of ours; the core's public-API file copies to it.
    "public": dict(folder="include/lobby", may=[], libs={}),
    "client": dict(folder="client", may=["shared", "public"], libs={"ENet": ["client_internal.h"]}),
    # The server folder holds three parts. Its state modules each own one
    # piece of state and see nothing of the rest of the core; the core
    # (server.c, the only file that sees struct server, and the message
    # handlers) works on them through server_ctx.h; the programme around it
    # (sockets, text port, HTTP, flags, main) sees the core only through
    # server.h, never server_ctx.h or the handlers.
    "server_state": dict(
        folder="server",
        files=["sessions.*", "replies.*", "chat.*", "lobby*", "ratelimit.*", "addr_budget.*", "outbox.*",
               "log.*", "server.h", "server_stats.h", "auth.*"],
        may=["shared"],
        libs={"libutf8proc": ["lobby.c"], "libsodium": ["auth.c"]},
    ),
    "server_core": dict(
        folder="server",
        files=["server.c", "server_*.c", "server_ctx.h", "server_handlers.h",
               "server_lobby_msgs.h", "server_cluster.h"],
        may=["shared", "server_state"],
        libs={},
    ),
    "server": dict(
        folder="server",
        may=["shared", "cli", "server_state"],
        libs={
            # transport.c is the ENet host; enet_filter.c parses ENet's wire
            # headers (no calls); main.c initialises ENet; options.c bounds
            # --max-players by ENet's peer limit.
            "ENet": ["transport.c", "enet_filter.c", "main.c", "options.c"],
            "libmicrohttpd": ["http_api.c"],
            # the connect cookie's SipHash; redirect tickets and placement's
            # random tie-break (cluster*.c)
            "libsodium": ["cookie.c", "cluster.c", "cluster_ticket.c"],
            # the Redis link's connections; the directory reads redisReply
            "hiredis": ["redis_link_conn.c", "cluster_sync.c"],
            # the config file (--config)
            "inih": ["options_file.c"],
        },
    ),
    "game": dict(folder="game-client", may=["shared", "client"], libs={}),
    "window": dict(
        folder="game-client",
        files=WINDOW,
        may=["shared", "cli", "client", "game"],
        libs={"SDL": WINDOW, "ENet": ["sdl_main.c"]},  # enet_initialize
    ),
    "chat": dict(
        folder="chat", may=["shared", "cli", "client"], libs={"ENet": ["chat_main.c"]}
    ),
    "bench": dict(
        folder="bench", may=["shared", "cli", "client"], libs={"ENet": ["bench_main.c"]}
    ),
    "netsim": dict(folder="netsim", may=["shared", "cli"], libs={}),
    # lobby-token: the backend's side of identity tokens (keys, signing).
    "tokens": dict(folder="tokens", may=["shared", "cli"], libs={"libsodium": ["token_main.c"]}),
    "compare": dict(
        folder="compare",
        may=["shared", "cli"],
        libs={"ENet": ["mini_lobby.h", "mini_cli.h"]},
    ),
    # The example game: the installed library alone, as <lobby/client.h>.
    "examples": dict(folder="examples", may=[], libs={"liblobby-client": ["*"]}),
}

# System headers that belong to a library with rules of its own.
LIBRARIES = [
    (re.compile(r"^enet/"), "ENet"),
    (re.compile(r"^SDL"), "SDL"),
    (re.compile(r"^microhttpd\.h$"), "libmicrohttpd"),
    (re.compile(r"^utf8proc\.h$"), "libutf8proc"),
    (re.compile(r"^sodium"), "libsodium"),
    (re.compile(r"^(hiredis/|hiredis\.h$|async\.h$|adapters/)"), "hiredis"),
    (re.compile(r"^lobby/"), "liblobby-client"),
    (re.compile(r"^ini\.h$"), "inih"),
]

INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]')


def matches(name, patterns):
    return any(fnmatch.fnmatch(name, p) for p in patterns)


def part_of(folder, name):
    """The part a file of a product folder belongs to: a part that names
    its files first, else the folder's part that holds the rest."""
    for only_named in (True, False):
        for part, rule in PARTS.items():
            if rule["folder"] == folder and ("files" in rule) == only_named:
                if matches(name, rule.get("files", ["*"])):
                    return part
    return None


def sources(root):
    for folder in sorted({r["folder"] for r in PARTS.values()}):
        if not os.path.isdir(os.path.join(root, folder)):
            continue
        for name in sorted(os.listdir(os.path.join(root, folder))):
            if name.endswith((".c", ".h")):
                yield folder, name


def include_name(folder, name):
    """How a header is included: the public ones as "lobby/NAME"."""
    return f"lobby/{name}" if folder == "include/lobby" else name


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    root = sys.argv[1]
    errors = []
    headers = {}  # header name -> its part (the include paths are flat)
    for folder, name in sources(root):
        if name.endswith(".h"):
            key = include_name(folder, name)
            if key in headers:
                errors.append(f"{folder}/{name}: a header of the same name is in another folder")
            headers[key] = part_of(folder, name)
    for folder, name in sources(root):
        part = part_of(folder, name)
        rule = PARTS[part]
        path = os.path.join(folder, name)
        with open(os.path.join(root, path), encoding="utf-8") as f:
            for lineno, line in enumerate(f, 1):
                m = INCLUDE.match(line)
                if m is None:
                    continue
                target = m.group(2)
                close = ">" if m.group(1) == "<" else '"'
                where = f"{path}:{lineno}: #include {m.group(1)}{target}{close}"
                ours = m.group(1) == '"' and target in headers
                lib = None if ours else next((l for pattern, l in LIBRARIES if pattern.search(target)), None)
                if lib is not None:
                    if not matches(name, rule["libs"].get(lib, [])):
                        errors.append(f"{where}: {lib} is not for {part} ({name})")
                elif target in headers:
                    to = headers[target]
                    if to != part and to not in rule["may"]:
                        errors.append(f"{where}: {part} must not include {to}")
                elif m.group(1) == '"':
                    errors.append(f"{where}: no such header in the product folders")
    for e in errors:
        print(e)
    if errors:
        print(f"check_includes: {len(errors)} include(s) break the layering rules")
        return 1
    print(f"check_includes: every include of {len(list(sources(root)))} files keeps the rules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
