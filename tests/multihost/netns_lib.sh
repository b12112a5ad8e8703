# Shared by the network-namespace tests (netns.sh, cluster_netns.sh): the
# preconditions, the clean-up that runs on every exit path, and starting a
# program inside a namespace. Sourced, not run: the caller sets WORK (its
# scratch directory) and MADE_NS (the namespaces it made, as it makes them).
# Functions here are called through wait_until and the EXIT trap:
# shellcheck disable=SC2317

skip() {
    echo "SKIP: $*" >&2
    exit 77
}

# need_root_and_bins BIN...: fail unless each BIN is executable; skip unless
# root with iproute2.
need_root_and_bins() {
    for bin in "$@"; do
        if [ ! -x "$bin" ]; then
            echo "FAIL: not an executable: $bin" >&2
            exit 1
        fi
    done
    [ "$(id -u)" = 0 ] || skip "needs root to create network namespaces"
    command -v ip >/dev/null 2>&1 || skip "'ip' (iproute2) not found"
}

# Kill everything still running in our namespaces (TERM, then KILL after up
# to 1 s), delete the namespaces, remove the scratch directory. The fifo
# write ends the callers keep (fds 3-9) are closed first.
netns_cleanup() {
    exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
    pids=""
    for ns in $MADE_NS; do
        pids="$pids $(ip netns pids "$ns" 2>/dev/null)"
    done
    if [ -n "$(echo "$pids" | tr -d ' ')" ]; then
        # shellcheck disable=SC2086 # one argument per pid
        kill -TERM $pids 2>/dev/null
        i=0
        while [ "$i" -lt 10 ]; do
            alive=""
            for p in $pids; do
                kill -0 "$p" 2>/dev/null && alive="$alive $p"
            done
            [ -z "$alive" ] && break
            sleep 0.1
            i=$((i + 1))
        done
        # shellcheck disable=SC2086
        [ -n "$alive" ] && kill -KILL $alive 2>/dev/null
    fi
    for ns in $MADE_NS; do
        ip netns del "$ns" 2>/dev/null
    done
    rm -rf "$WORK"
}

# wait_until TENTHS CMD...: run CMD every 0.1 s until it succeeds (return 0)
# or TENTHS tries have failed (return 1).
wait_until() {
    n=$1
    shift
    while [ "$n" -gt 0 ]; do
        "$@" && return 0
        sleep 0.1
        n=$((n - 1))
    done
    "$@"
}

# start NAME NS STDIN CMD...: run CMD inside namespace NS in the background,
# stdin from STDIN, output to $WORK/NAME.out and .err; the pid goes to
# $WORK/NAME.pid and, once it ends, its exit status to $WORK/NAME.rc. The
# fifo write ends (fds 3-9) are closed in the children so that closing them
# here is the only thing that gives each client its end of input.
start() {
    name=$1 ns=$2 in=$3
    shift 3
    (
        ip netns exec "$ns" "$@" <"$in" >"$WORK/$name.out" 2>"$WORK/$name.err" &
        echo $! >"$WORK/$name.pid.tmp"
        mv "$WORK/$name.pid.tmp" "$WORK/$name.pid"
        wait $!
        echo $? >"$WORK/$name.rc.tmp"
        mv "$WORK/$name.rc.tmp" "$WORK/$name.rc"
    ) 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&- 2>>"$WORK/shell.err" &
}
