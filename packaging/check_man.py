#!/usr/bin/env python3
"""The man pages against the programs: they cannot drift apart.

usage: check_man.py MAN_DIR PROGRAM_PATH...

For each program (docs/man/NAME.1 for the program NAME), every long flag
its --help prints must appear in its man page, and `man --warnings -l`
must print nothing for it. Any other page in MAN_DIR (section 5) gets the
warnings check. Exit 0 when all pass, 1 with one line per problem.
"""
import glob
import os
import re
import subprocess
import sys

FLAG = re.compile(r"--[a-z][a-z0-9]*(?:-[a-z0-9]+)*")


def man_warnings(page):
    """What man --warnings says about the page (nothing when it is clean)."""
    run = subprocess.run(["man", "--warnings", "-l", page], capture_output=True, text=True,
                         env=dict(os.environ, MANWIDTH="80", MAN_KEEP_STDERR="1"))
    return (run.stderr.strip() + ("" if run.returncode == 0 else f" (exit {run.returncode})")).strip()


def page_flags(page):
    """The long flags a roff page names: \\- is a dash, font changes are dropped."""
    with open(page, encoding="utf-8") as f:
        text = f.read()
    text = re.sub(r"\\f(\[[A-Z]*\]|[A-Z])", "", text).replace("\\-", "-").replace("\\&", "")
    return set(FLAG.findall(text))


def help_flags(program):
    run = subprocess.run([program, "--help"], capture_output=True, text=True, timeout=30)
    if run.returncode != 0:
        return None
    return set(FLAG.findall(run.stdout))


def main(argv):
    if len(argv) < 3:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    man_dir, programs = argv[1], argv[2:]
    problems = []
    checked = set()
    for program in programs:
        name = os.path.basename(program)
        page = os.path.join(man_dir, name + ".1")
        if not os.path.exists(page):
            problems.append(f"{page}: missing (the man page of {program})")
            continue
        flags = help_flags(program)
        if flags is None:
            problems.append(f"{program} --help: non-zero exit")
            continue
        for flag in sorted(flags - page_flags(page)):
            problems.append(f"{page}: does not mention {flag} (printed by {name} --help)")
        checked.add(page)
    pages = sorted(glob.glob(os.path.join(man_dir, "*.[1-9]")))
    for page in pages:
        said = man_warnings(page)
        if said:
            problems.append(f"{page}: man --warnings: {said}")
    for p in problems:
        print(p)
    print(f"check_man: {len(pages)} pages, {len(checked)} checked against --help, "
          f"{len(problems)} problems")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
