#!/usr/bin/env python3
"""liblobby-client exports exactly its header's functions.

Usage: check_client_symbols.py HEADER SHARED_LIB STATIC_ARCHIVE

The functions include/lobby/client.h declares with LOBBY_CLIENT_API must be
the shared library's dynamic symbols (`nm -D --defined-only`), no more, no
less; and the static archive's global defined symbols must be those same
functions (the core's client_*, proto_* and wire_* made local), so a game
linking either gets only lobby_client_* names. And the archive holds no
writable data (nm kinds b, B, d, D): the library keeps no globals, all its
state is in the handles. Exits 1 naming each difference."""
import re
import subprocess
import sys

# What -fsanitize=address adds for its own bookkeeping, not ours.
SANITIZER = ("__odr_asan", "__asan", "__ubsan")
DECL = re.compile(r"LOBBY_CLIENT_API\s+[^;{]*?\b(lobby_client_\w+)\s*\(", re.S)


def header_functions(path):
    text = open(path, encoding="utf-8").read()
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"^\s*#.*$", " ", text, flags=re.M)  # the macro's own definition
    names = set(DECL.findall(text))
    if not names:
        sys.exit(f"{path}:1: no LOBBY_CLIENT_API function found")
    return names


def nm_symbols(args):
    out = subprocess.run(["nm", *args], check=True, capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        # "ADDRESS TYPE NAME"; weak and undefined kinds never reach here
        # (--defined-only), archive member headers have one field.
        if len(parts) == 3:
            names.add(parts[2].split("@")[0])
    return names


def writable_data(archive):
    out = subprocess.run(["nm", "--defined-only", archive], check=True, capture_output=True,
                         text=True).stdout
    return sorted(p[2] for p in (line.split() for line in out.splitlines())
                  if len(p) == 3 and p[1] in "bBdD" and not p[2].startswith(SANITIZER))


def compare(what, got, want):
    errors = [f"{what}: exports {n}, which the header does not declare" for n in sorted(got - want)]
    errors += [f"{what}: lacks {n}, which the header declares" for n in sorted(want - got)]
    return errors


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    header, shared, static = sys.argv[1:]
    want = header_functions(header)
    errors = compare(shared, nm_symbols(["-D", "--defined-only", shared]), want)
    errors += compare(static, nm_symbols(["-g", "--defined-only", static]), want)
    errors += [f"{static}: writable data {n}: a global or static variable" for n in
               writable_data(static)]
    for e in errors:
        print(e, file=sys.stderr)
    if errors:
        return 1
    print(f"check_client_symbols: {len(want)} functions, exactly the header's, in both libraries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
