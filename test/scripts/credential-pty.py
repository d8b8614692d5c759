"""Drives `gatehouse shell` through a pseudo-terminal as a person would:
answers Get-Credential's User and Password prompts, completes a cmdlet and a
parameter name with Tab, declines a Remove-* confirmation, then ends the
session with Ctrl+D. Prints the whole transcript (what the terminal showed)
on stdout; exits non-zero if an expected text never came."""
import os
import re
import pty
import select
import sys
import time

node, bin_path, data = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "xterm"
    os.execv(node, [node, bin_path, "shell", "--data", data])

transcript = b""


def fail(why, code):
    sys.stdout.write(transcript.decode("utf-8", "replace"))
    sys.stdout.write("\n[%s]\n" % why)
    try:
        os.kill(pid, 9)
    except OSError:
        pass
    sys.exit(code)


def read_until(pattern, timeout=20.0):
    """Reads until `pattern` appears after the point where this call started."""
    global transcript
    start = len(transcript)
    deadline = time.time() + timeout
    while time.time() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            transcript += chunk
            if pattern in re.sub(rb"\x1b\[[0-9;?]*[A-Za-z]", b"", transcript[start:]):
                return
    fail("timed out waiting for %r" % pattern, 3)


steps = [
    (None, b"> "),
    (b"$c = Get-Credential\r", b"User: "),
    (b"edgeauth\r", b"Password for user edgeauth: "),
    (b"S3cret!\r", b"> "),
    (b"$c.UserName\r", b"> "),
    (b"Get-ReceiveConn\t", b"Get-ReceiveConnector"),
    (b" -Ide\t", b"-Identity"),
    (b"\x15", b""),  # Ctrl+U clears the line
    (b'Remove-ReceiveConnector "Default internal Receive connector EDGE01"\r', b'(default is "Y"): '),
    (b"n\r", b"> "),
    (b"(Get-ReceiveConnector | Measure-Object).Count\r", b"> "),
]
for send, expect in steps:
    if send is not None:
        os.write(fd, send)
    if expect:
        read_until(expect)

os.write(fd, b"\x04")
deadline = time.time() + 20
status = None
while time.time() < deadline:
    done, status = os.waitpid(pid, os.WNOHANG)
    if done:
        break
    try:
        ready, _, _ = select.select([fd], [], [], 0.1)
        if ready:
            transcript += os.read(fd, 4096)
    except OSError:
        pass
else:
    fail("shell did not exit after Ctrl+D", 4)
sys.stdout.write(transcript.decode("utf-8", "replace"))
sys.exit(0 if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 else 5)
