# Shared by the bench tests' shell scripts (sourced).

# wait_port LOG PATTERN: the port a program printed after PATTERN, within 5 s
wait_port() {
    for _ in $(seq 100); do
        port=$(sed -n "s/.*$2\([0-9][0-9]*\).*/\1/p" "$1" | head -n 1)
        [ -n "$port" ] && { echo "$port"; return 0; }
        sleep 0.05
    done
    echo "no port in $1:" >&2
    cat "$1" >&2
    return 1
}
