#!/usr/bin/python3
"""Faults of the cluster's Redis and servers, through the real processes:

- Redis down at start: the server starts, serves its own lobbies, says so in
  its log and /healthz, and registers once Redis comes;
- Redis restarted empty: every server's keys are back within 2 s;
- a server killed with -9: its lobbies leave the other's lists within 3 s and
  their names are free again;
- Redis SIGSTOPped for 10 s while players chat: acknowledgements are not
  delayed, nothing acknowledged is lost, the server re-registers after.

usage: test_cluster_faults.py LOBBY_SERVER LOBBY_CHAT
"""
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cluster_util as cu  # noqa: E402

SERVER_BIN, CHAT_BIN = sys.argv[1], sys.argv[2]


def test_redis_down_at_start():
    cl = cu.Cluster(SERVER_BIN)
    try:
        cl.redis.kill()  # its socket path stays, nothing listens there
        a = cl.server("a", wait_up=False)
        a.wait_for(r"\[cluster\] redis is down \([^)]*\): serving this server's lobbies, retrying")
        status, body = a.http("/healthz")
        assert status == 200 and "redis down" in body and "retrying" in body, \
            f"/healthz does not say redis is down and retrying: {status} {body!r}"
        p = subprocess.run([CHAT_BIN, "--server", a.address(), "--name", "solo", "--lobby", "den",
                            "--say", "alone"], capture_output=True, text=True, timeout=cu.TIMEOUT_S)
        assert p.returncode == 0 and "ack id=1" in p.stdout, \
            f"lobby-chat could not chat on A with Redis down: {p.returncode} {p.stdout} {p.stderr}"
        start = time.monotonic()
        cl.redis.restart()
        up = cu.wait_until(lambda: "lobby:server:a" in cu.redis_keys(cl.redis) and
                           "a" in (cl.redis.cli("SMEMBERS", "lobby:servers") or []), 5)
        took = time.monotonic() - start
        print(f"# registered {took * 1000:.0f} ms after Redis came up")
        assert up, f"A did not register within 5 s of Redis coming up:\n{a.text()}"
        assert "redis up" in a.http("/healthz")[1], "/healthz still says redis is down"
    finally:
        cl.close()


def expected_keys_present(redis):
    keys = cu.redis_keys(redis)
    want = {"lobby:servers", "lobby:server:a", "lobby:server:b", "lobby:server:a:lobbies",
            "lobby:server:b:lobbies", "lobby:name:x", "lobby:name:y"}
    if not want <= keys:
        return False
    return (set(redis.cli("SMEMBERS", "lobby:servers")) == {"a", "b"} and
            redis.cli("GET", "lobby:name:x") == "a" and redis.cli("GET", "lobby:name:y") == "b" and
            redis.cli("HEXISTS", "lobby:server:a:lobbies", "x") == 1 and
            redis.cli("HEXISTS", "lobby:server:b:lobbies", "y") == 1)


def test_redis_restarted_empty():
    cl = cu.Cluster(SERVER_BIN)
    try:
        a, b = cl.server("a"), cl.server("b")
        pa, ans = cu.raw_hello(a, "pa", "x")
        assert ans and ans[0] == cu.WELCOME, f"pa not welcomed on A: {ans!r}"
        pb, ans = cu.raw_hello(b, "pb", "y")
        assert ans and ans[0] == cu.WELCOME, f"pb not welcomed on B: {ans!r}"
        assert cu.wait_until(lambda: expected_keys_present(cl.redis), 3), \
            f"the keys never were all there: {sorted(cu.redis_keys(cl.redis))}"
        cl.redis.restart()
        start = time.monotonic()
        back = cu.wait_until(lambda: [c.pump() for c in (pa, pb)] and expected_keys_present(cl.redis),
                             5, step_s=0.01)
        took = time.monotonic() - start
        print(f"# Redis restarted empty: every key back in {took * 1000:.0f} ms")
        assert back, f"keys not back within 5 s: {sorted(cu.redis_keys(cl.redis))}"
        assert took <= 2.5, f"keys back only after {took:.2f} s (want <= 2 s, 2.5 with noise)"
    finally:
        cl.close()


def listed_on(client, rid):
    client.send(cu.list_lobbies(rid))
    data = client.wait({cu.LOBBY_LIST, cu.LOBBY_REFUSED})
    assert data and data[0] == cu.LOBBY_LIST, f"LIST on A not answered with LOBBY_LIST: {data!r}"
    return [e[0] for e in cu.parse_lobby_list(data)]


def test_server_killed():
    cl = cu.Cluster(SERVER_BIN)
    try:
        a, b = cl.server("a"), cl.server("b")
        pb, ans = cu.raw_hello(b, "pb", "y")
        assert ans and ans[0] == cu.WELCOME, f"pb not welcomed on B: {ans!r}"
        assert cu.wait_until(lambda: ("y", "b") in a.cluster_lobby_names(), 3), "A never saw y"
        lister = cu.Raw(a.port).connect()
        lister.send(cu.hello("lister", mode=2))
        assert lister.wait({cu.LOBBY_EXITED}), "BROWSE HELLO on A not answered"
        assert "y" in listed_on(lister, 1), "LIST on A lacks B's lobby y"

        b.proc.kill()
        start = time.monotonic()
        gone = cu.wait_until(lambda: lister.pump() or
                             not any(n == "y" for n, _ in a.cluster_lobby_names()), 5)
        took = time.monotonic() - start
        print(f"# server killed with -9: its lobby left A's directory in {took * 1000:.0f} ms")
        assert gone, "B's lobby y still in A's /lobbies cluster view 5 s after kill -9"
        assert took <= 3.0, f"B's lobby left A's view only after {took:.2f} s (want <= 3 s)"
        assert "y" not in listed_on(lister, 2), "LIST on A still shows the dead server's lobby y"
        assert "b" not in [s["id"] for s in a.lobbies()["cluster"]["servers"]], \
            "A still lists the dead server b"

        def free():
            c, ans = cu.raw_hello(a, "taker", "y")
            c.close()
            return ans if ans and ans[0] == cu.WELCOME else None
        ans = cu.wait_until(free, 3.0 - min(took, 3.0) + 0.5, step_s=0.1)
        took_free = time.monotonic() - start
        print(f"# the dead server's lobby name was free on A {took_free * 1000:.0f} ms after kill -9")
        assert ans, f"the name y was not free on A {took_free:.1f} s after B's kill -9"
        assert cu.wait_until(lambda: cl.redis.cli("GET", "lobby:name:y") == "a", 1), \
            f"lobby:name:y is {cl.redis.cli('GET', 'lobby:name:y')!r}, not a"
        lister.close()
    finally:
        cl.close()


def test_redis_stopped_while_chatting():
    cl = cu.Cluster(SERVER_BIN)
    try:
        a = cl.server("a", "--chat-rate", "50", "--chat-burst", "50")
        snd, ans = cu.raw_hello(a, "snd", "room")
        assert ans and ans[0] == cu.WELCOME, f"snd not welcomed: {ans!r}"
        rcv, ans = cu.raw_hello(a, "rcv", "room")
        assert ans and ans[0] == cu.WELCOME, f"rcv not welcomed: {ans!r}"
        regs = a.metric("lobby_cluster_registrations_total")
        sent, acks, lat = {}, {}, []
        cl.redis.pause()
        try:
            start = time.monotonic()
            msg_id = 0
            while time.monotonic() - start < 10.0:
                msg_id += 1
                snd.send(cu.chat_msg(msg_id, f"line-{msg_id}"))
                sent[msg_id] = time.monotonic()
                until = sent[msg_id] + 0.05
                while time.monotonic() < until:
                    snd.pump(1)
                    rcv.pump(0)
                    collect_acks(snd, sent, acks, lat)
            status, health = a.http("/healthz")
        finally:
            cl.redis.resume()
        deadline = time.monotonic() + 2
        while time.monotonic() < deadline and len(acks) < len(sent):
            snd.pump(5)
            rcv.pump(0)
            collect_acks(snd, sent, acks, lat)
        refused = [d for _t, d in snd.inbox if d[0] == 0x85]
        assert not refused, f"{len(refused)} chats refused: {refused[:3]}"
        assert len(acks) == len(sent), f"{len(sent) - len(acks)} of {len(sent)} chats never acked"
        p50, p99 = cu.percentile(lat, 50) * 1000, cu.percentile(lat, 99) * 1000
        print(f"# Redis SIGSTOPped 10 s: {len(lat)} chats, ack p50 {p50:.1f} ms, p99 {p99:.1f} ms, "
              f"max {max(lat) * 1000:.1f} ms; /healthz during the pause: {health!r}")
        assert p99 < 500, f"chat acks delayed by the stopped Redis: p99 {p99:.0f} ms"

        rcv.pump(50)
        texts = {d[9:].decode() for _t, d in rcv.inbox if d[0] == cu.CHAT_RELAY}
        lost = [i for i in acks if f"line-{i}" not in texts]
        assert not lost, f"{len(lost)} acknowledged lines never reached the other player: {lost[:10]}"

        back = cu.wait_until(lambda: [c.pump() for c in (snd, rcv)] and
                             a.metric("lobby_cluster_registrations_total") > regs and
                             "lobby:server:a" in cu.redis_keys(cl.redis) and
                             cl.redis.cli("HEXISTS", "lobby:server:a:lobbies", "room") == 1, 5)
        assert back, (f"A did not re-register within 5 s of Redis resuming: keys "
                      f"{sorted(cu.redis_keys(cl.redis))}, registrations "
                      f"{a.metric('lobby_cluster_registrations_total')} (before {regs})")
        snd.close()
        rcv.close()
    finally:
        cl.close()


def collect_acks(snd, sent, acks, lat):
    keep = []
    for t, d in snd.inbox:
        if d[0] == cu.CHAT_ACK:
            mid = int.from_bytes(d[1:5], "little")
            if mid in sent and mid not in acks:
                acks[mid] = t
                lat.append(t - sent[mid])
        else:
            keep.append((t, d))
    snd.inbox[:] = keep


if __name__ == "__main__":
    cu.run_tests("test_cluster_faults", [test_redis_down_at_start, test_redis_restarted_empty,
                                         test_server_killed, test_redis_stopped_while_chatting])
