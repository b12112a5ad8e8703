"""How the Python tests run lobby-server: a process whose stderr goes to a
temporary file, read back to wait for its log lines (the ports it bound, the
protocol it speaks). Every process started here is remembered, so that
kill_all() in a test's `finally` leaves none behind, whatever failed."""
import re
import subprocess
import tempfile
import time

PROCS = []


class LoggedProcess:
    """argv started with stdin and stdout on /dev/null and stderr in a file."""

    def __init__(self, argv, prefix, timeout_s=10, preexec_fn=None):
        self.timeout_s = timeout_s
        self.log = tempfile.NamedTemporaryFile(prefix=prefix, suffix=".log")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self.log, preexec_fn=preexec_fn)
        PROCS.append(self.proc)

    def text(self):
        with open(self.log.name, encoding="utf-8", errors="replace") as f:
            return f.read()

    def wait_for(self, pattern):
        """The first group of the first match of pattern in the log (the
        whole match without groups); AssertionError with the log after
        timeout_s or once the process has exited."""
        deadline = time.monotonic() + self.timeout_s
        while time.monotonic() < deadline:
            m = re.search(pattern, self.text())
            if m:
                return m.group(1) if m.groups() else m.group(0)
            if self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise AssertionError(f"no /{pattern}/ in the log:\n{self.text()}")


def kill_all(extra=()):
    """Kills (SIGKILL) and reaps every process still running: those started
    here and the extra ones a test started itself."""
    for p in [*PROCS, *extra]:
        if p.poll() is None:
            p.kill()
            p.wait()
