"""Drives `gatehouse shell` through a pseudo-terminal as a person would:
types `$c = Get-Credential`, answers the User and Password prompts, shows the
credential, then ends the session with Ctrl+D. Prints the whole transcript
(what the terminal showed) on stdout; exits non-zero if a prompt never came."""
import os
import pty
import select
import sys
import time

node, bin_path, data = sys.argv[1:4]
pid, fd = pty.fork()
if pid == 0:
    os.environ["TERM"] = "dumb"
    os.execv(node, [node, bin_path, "shell", "--data", data])

transcript = b""


def read_until(pattern, timeout=20.0):
    global transcript
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
            if pattern in transcript:
                return
    sys.stdout.write(transcript.decode("utf-8", "replace"))
    sys.stdout.write("\n[timed out waiting for %r]\n" % pattern)
    os.kill(pid, 9)
    sys.exit(3)


def mark():
    return len(transcript)


read_until(b"> ")
os.write(fd, b"$c = Get-Credential\r")
read_until(b"User: ")
os.write(fd, b"edgeauth\r")
read_until(b"Password for user edgeauth: ")
start = mark()
os.write(fd, b"S3cret!\r")
read_until(b"> ", 20.0)
os.write(fd, b"$c.UserName\r")
read_until(b"edgeauth\r\n", 20.0)
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
    os.kill(pid, 9)
    sys.stdout.write(transcript.decode("utf-8", "replace"))
    sys.stdout.write("\n[shell did not exit after Ctrl+D]\n")
    sys.exit(4)
sys.stdout.write(transcript.decode("utf-8", "replace"))
sys.exit(0 if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 else 5)
