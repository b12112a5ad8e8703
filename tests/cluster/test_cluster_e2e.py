#!/usr/bin/python3
"""The cluster end to end: two real lobby-servers on a private redis-server,
real lobby-chat clients and a raw python3-enet client.

- a player reaching A joins lobby x on B and chats with a player who joined B
  directly; LIST and /lobbies on A show the cluster; the redirect counters move;
- --placement least-loaded puts a new lobby on the server with fewer players;
- the text port answers `/join x` for a lobby on B with `error elsewhere` and
  B's text address;
- CREATE_LOBBY (and HELLO JOIN) of one name on A and B at the same instant:
  exactly one owner per name, the loser refused EXISTS (or redirected);
- contradicting options: exit 2 (1 for file problems), one line on stderr.

usage: test_cluster_e2e.py LOBBY_SERVER LOBBY_CHAT
"""
import os
import re
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster_util as cu  # noqa: E402

SERVER_BIN, CHAT_BIN = sys.argv[1], sys.argv[2]


def test_redirect_chat_list_metrics():
    cl = cu.Cluster(SERVER_BIN)
    try:
        a, b = cl.server("a"), cl.server("b")
        cl.wait_mesh()
        carl = cu.Chat(CHAT_BIN, b, "carl")  # B's main gets a player: A's list must not show it
        carl.wait_line(r"joined lobby main")
        bob = cu.Chat(CHAT_BIN, b, "bob", "--lobby", "x")
        bob.wait_line(r"joined lobby x as bob")
        assert cu.wait_until(lambda: ("x", "b") in a.cluster_lobby_names(), 2), \
            "B's lobby x did not reach A's directory within 2 s"
        al = cu.Chat(CHAT_BIN, a, "al", "--lobby", "x")
        al.wait_line(rf"^redirected: lobby 'x' is on server b at 127\.0\.0\.1:{b.port}$")
        al.wait_line(r"joined lobby x as al")
        al.send("hi-from-al")
        bob.wait_line(r"^al: hi-from-al$")
        bob.send("hi-from-bob")
        al.wait_line(r"^bob: hi-from-bob$")
        al.wait_line(r"^ack id=1 ")

        sent = a.metric("lobby_cluster_redirects_sent_total", 'request="hello"')
        assert sent >= 1, f"A's redirects_sent_total{{request=hello}} did not move: {sent}"
        honoured = b.metric("lobby_cluster_redirects_honoured_total")
        assert honoured >= 1, f"B's redirects_honoured_total did not move: {honoured}"

        # LIST on A: B's lobby x, A's own main (0 players), never B's main (carl).
        lister = cu.Raw(a.port).connect()
        lister.send(cu.hello("lister", mode=2))
        assert lister.wait({cu.LOBBY_EXITED}), "BROWSE HELLO on A not answered"
        lister.send(cu.list_lobbies(7))
        entries = cu.parse_lobby_list(lister.wait({cu.LOBBY_LIST}))
        names = [e[0] for e in entries]
        assert "x" in names, f"LIST on A lacks B's lobby x: {entries}"
        mains = [e for e in entries if e[0] == "main"]
        assert len(mains) == 1 and mains[0][1] == 0, \
            f"LIST on A must show A's own main (0 players) and not B's (carl): {entries}"
        lister.close()

        view = a.lobbies()["cluster"]
        assert ("x", "b") in {(lob["name"], lob["server"]) for lob in view["lobbies"]}, \
            f"/lobbies on A: no cluster entry for x on b: {view}"
        assert "b" in [s["id"] for s in view["servers"]], f"/lobbies on A: no server b: {view}"
        assert view["redis"] == "up" and view["server_id"] == "a", view
        for c in (al, bob, carl):
            assert c.close() == 0, f"lobby-chat exited non-zero:\n{c.text()}"
    finally:
        cl.close()


def players_of(server, other_id):
    for s in server.lobbies()["cluster"]["servers"]:
        if s["id"] == other_id:
            return s["players"]
    return None


def test_placement_least_loaded():
    cl = cu.Cluster(SERVER_BIN)
    try:
        a = cl.server("a", "--placement", "least-loaded")
        b = cl.server("b", "--placement", "least-loaded")
        load = []
        for i in range(2):
            c, ans = cu.raw_hello(a, f"load{i}")
            assert ans and ans[0] == cu.WELCOME, f"load player {i} not welcomed on A: {ans!r}"
            load.append(c)
        seen = cu.wait_until(lambda: [c.pump() for c in load] and players_of(b, "a") == 2, 4)
        assert seen, f"B never saw A's 2 players: {b.lobbies()['cluster']}"
        assert cu.wait_until(lambda: players_of(a, "b") == 0, 4), "A never saw B"

        c, ans = cu.raw_hello(a, "placed", "fresh1")
        assert ans and ans[0] == cu.REDIRECT, \
            f"HELLO JOIN of a new lobby on loaded A (2 players vs 0) was not redirected: {ans!r}"
        r = cu.parse_redirect(ans)
        assert r["server_id"] == "b" and r["port"] == b.port and r["lobby"] == "fresh1", r
        c.close()
        c2, ans2 = cu.raw_hello(b, "placed", "fresh1", ticket=r["ticket"])
        assert ans2 and ans2[0] == cu.WELCOME, f"the PLACE ticket was not honoured on B: {ans2!r}"
        assert cu.wait_until(lambda: ("fresh1", "b") in a.cluster_lobby_names(), 2), \
            "the placed lobby never appeared in A's cluster view"

        # B (1 player) vs A (2): a new lobby asked of B stays on B.
        c3, ans3 = cu.raw_hello(b, "local", "fresh2")
        assert ans3 and ans3[0] == cu.WELCOME, \
            f"HELLO JOIN of a new lobby on the lighter B was not opened there: {ans3!r}"
        for c in [*load, c2, c3]:
            c.close()
    finally:
        cl.close()


def test_text_client_elsewhere():
    cl = cu.Cluster(SERVER_BIN)
    try:
        a, b = cl.server("a"), cl.server("b")
        bob, ans = cu.raw_hello(b, "bob", "x")
        assert ans and ans[0] == cu.WELCOME, f"bob not welcomed on B: {ans!r}"
        assert cu.wait_until(lambda: ("x", "b") in a.cluster_lobby_names(), 3), "A never saw x"
        lines = cu.tcp_lines(a.tcp_port, "/join x\n")
        err = [ln for ln in lines if ln.startswith("error elsewhere")]
        assert err, f"the text port did not answer 'error elsewhere': {lines}"
        assert f"127.0.0.1:{b.tcp_port}" in err[0] and "server b" in err[0], \
            f"'error elsewhere' does not name B's text address 127.0.0.1:{b.tcp_port}: {err[0]}"
        bob.close()
    finally:
        cl.close()


def race_round(a, b, name, mode):
    """Sends CREATE_LOBBY (mode 'create') or HELLO JOIN (mode 'hello') of name
    to A and B in the same millisecond; the two answers' types, the clients."""
    ca, cb = cu.Raw(a.port).connect(), cu.Raw(b.port).connect()
    if mode == "create":
        for c, who in ((ca, "pa"), (cb, "pb")):
            c.send(cu.hello(who + name, mode=2))
            assert c.wait({cu.LOBBY_EXITED}), "BROWSE not answered"
        msgs = [cu.create_lobby(name)] * 2
    else:
        msgs = [cu.hello("pa" + name, name), cu.hello("pb" + name, name)]
    ca.peer.send(0, cu.enet.Packet(msgs[0], cu.enet.PACKET_FLAG_RELIABLE))
    cb.peer.send(0, cu.enet.Packet(msgs[1], cu.enet.PACKET_FLAG_RELIABLE))
    ca.host.flush()
    cb.host.flush()
    answers = []
    for c in (ca, cb):
        ans = c.wait({cu.WELCOME, cu.LOBBY_REFUSED, cu.REDIRECT, cu.REJECT}, timeout_s=5)
        answers.append(ans)
    return answers, (ca, cb)


def test_crowd_opens_one_lobby():
    """Many HELLO JOINs of one new lobby at once: every player gets in, in
    one lobby, and Redis is asked for its name once (the others wait on that
    claim), not once each; nobody is refused for want of room to wait."""
    cl = cu.Cluster(SERVER_BIN)
    try:
        crowd = ("--max-handshakes-per-address", "64", "--lobby-share-percent", "100",
                 "--lobby-capacity", "64")
        a = cl.server("a", *crowd)
        clients = [cu.Raw(a.port).connect() for _ in range(40)]
        for i, c in enumerate(clients):  # back to back: all before the first answer
            c.peer.send(0, cu.enet.Packet(cu.hello(f"p{i}", "crowd"), cu.enet.PACKET_FLAG_RELIABLE))
        for c in clients:
            c.host.flush()
        answers = [c.wait({cu.REJECT, cu.WELCOME, cu.REDIRECT}) for c in clients]
        kinds = [ans[0] if ans else None for ans in answers]
        assert kinds.count(cu.WELCOME) == 40, f"not all 40 of the crowd got in: {kinds}"
        won = a.metric("lobby_cluster_claims_total", 'result="won"')
        print(f"# 40 HELLO JOINs of one new lobby: {won:.0f} claim(s) won in Redis")
        assert won == 1, f"{won} claims for one new lobby; the crowd should share one"
        assert "crowd" in a.local_lobby_names(), a.local_lobby_names()
        for c in clients:
            c.close()
    finally:
        cl.close()


def test_same_name_race():
    cl = cu.Cluster(SERVER_BIN)
    try:
        many = ("--max-lobbies-per-holder", "64", "--lobby-share-percent", "100")
        a, b = cl.server("a", *many), cl.server("b", *many)
        cl.wait_mesh()
        clients, winners = [], {}
        for i in range(20):
            mode = "create" if i % 2 == 0 else "hello"
            name = f"race{i}"
            answers, cs = race_round(a, b, name, mode)
            kinds = [ans[0] if ans else None for ans in answers]
            won = [srv for srv, k in zip(("a", "b"), kinds) if k == cu.WELCOME]
            assert len(won) == 1, f"round {i} ({mode} {name}): {len(won)} winners, answers {answers}"
            loser = answers[1 if won[0] == "a" else 0]
            if mode == "create":
                ok = loser[0] == cu.LOBBY_REFUSED and loser[1] == 0x06 and loser[2] == 9
                assert ok, f"round {i}: the losing CREATE_LOBBY was not refused EXISTS: {loser!r}"
            else:
                ok = loser[0] == cu.REDIRECT and cu.parse_redirect(loser)["server_id"] == won[0]
                assert ok, f"round {i}: the losing HELLO JOIN was not redirected to the winner: {loser!r}"
            winners[name] = won[0]
            clients.append(cs[0 if won[0] == "a" else 1])
            cs[1 if won[0] == "a" else 0].close()  # the loser: not left waiting for a hello
        time.sleep(0.6)  # local changes reach Redis within 200 ms, readers every 250 ms
        for name, owner in winners.items():
            key = cl.redis.cli("GET", f"lobby:name:{name}")
            assert key == owner, f"{name}: Redis lobby:name says {key}, the winner was {owner}"
        local = {"a": a.local_lobby_names(), "b": b.local_lobby_names()}
        for name, owner in winners.items():
            other = "b" if owner == "a" else "a"
            assert name in local[owner] and name not in local[other], \
                f"{name}: two owners or none: a has {sorted(local['a'])}, b has {sorted(local['b'])}"
        lost = sum(s.metric("lobby_cluster_claims_total", 'result="lost"') for s in (a, b))
        print(f"# claims lost in Redis: {lost:.0f}; 20 rounds: a won {sum(v == 'a' for v in winners.values())}, "
              f"b won {sum(v == 'b' for v in winners.values())}")
        for c in clients:
            c.close()
    finally:
        cl.close()


def start_fail(argv, expect_rc, pattern):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=5)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"{argv[1:]} started instead of refusing") from None
    lines = p.stderr.strip().splitlines()
    assert p.returncode == expect_rc, f"{argv[1:]}: exit {p.returncode}, want {expect_rc}: {p.stderr}"
    assert len(lines) == 1 and re.search(pattern, lines[0]), \
        f"{argv[1:]}: want one stderr line matching /{pattern}/, got {lines}"
    print(f"# exit {p.returncode}: {lines[0]}")


def test_option_contradictions():
    with tempfile.TemporaryDirectory(prefix="lobby-cluster-opts-") as tmp:
        good = cu.write_secret(tmp)
        short = cu.write_secret(tmp, b"short", "short")
        sock = "unix:" + os.path.join(tmp, "nothing.sock")
        base = [SERVER_BIN, "--port", "0", "--http", "127.0.0.1:0"]
        lo = base + ["--bind", "127.0.0.1"]
        start_fail(lo + ["--placement", "least-loaded"], 2, r"--placement.*--cluster")
        start_fail(lo + ["--cluster", sock], 2, r"--cluster-secret-file")
        start_fail(base + ["--bind", "0.0.0.0", "--cluster", sock, "--cluster-secret-file", good],
                   2, r"--public-address")
        start_fail(lo + ["--cluster", sock, "--cluster-secret-file", short], 1, r"16|short")
        start_fail(lo + ["--cluster", sock, "--cluster-secret-file", os.path.join(tmp, "none")],
                   1, r"none")
        start_fail(lo + ["--cluster", "http://127.0.0.1:6379", "--cluster-secret-file", good],
                   2, r"--cluster|redis://|URL|url")


if __name__ == "__main__":
    cu.run_tests("test_cluster_e2e", [test_redirect_chat_list_metrics, test_placement_least_loaded,
                                      test_text_client_elsewhere, test_same_name_race,
                                      test_crowd_opens_one_lobby,
                                      test_option_contradictions])
