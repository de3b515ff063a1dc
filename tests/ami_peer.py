"""A scripted Asterisk Manager Interface server for the tests: real TCP, the real wire format.

It plays a transcript (tests/data/ami/*.ami) written after Asterisk's documented formats, one
script per accepted connection. Its own small reader of actions is deliberately not the
adapter's parser, so the wire format is checked from both ends. Transcript lines:

    # a comment
    == connection           the script of the next accepted connection starts here
    >>                      send the lines that follow, up to a line with a single '.',
    ...                     each ended with CR LF ({id}: the ActionID of the last '<<')
    .
    << Login                wait for the client's next action of that name
    clock 1741687200        this server's clock, for Ping answers (Timestamps sent move it on)
    drop                    close the connection at once (mid-block, if a block was cut short)
    hold                    stay connected, answering Pings, until the client goes

Ping is answered whenever it comes, with the server's clock, as Asterisk does.
"""

from __future__ import annotations

import re
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).parent / "data" / "ami"


@dataclass
class Step:
    verb: str
    arg: str = ""
    text: str = ""


def load(name: str) -> list[list[Step]]:
    """The scripts of a transcript, one per connection."""
    scripts: list[list[Step]] = []
    lines = (DATA / name).read_text().splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip() or line.startswith("#"):
            continue
        if line.startswith("== connection"):
            scripts.append([])
        elif line.strip() == ">>":
            block = []
            while lines[i] != ".":
                block.append(lines[i])
                i += 1
            i += 1
            scripts[-1].append(Step("send", text="".join(f"{b}\r\n" for b in block)))
        else:
            verb, _, arg = line.partition(" ")
            assert verb in ("<<", "clock", "drop", "hold"), f"{name}: bad line {line!r}"
            scripts[-1].append(Step(verb, arg.strip()))
    return scripts


# The fields of a transcript that are times (Uniqueid and Linkedid look like times but are ids).
_TIMES = re.compile(r"^((?:Timestamp|LoginTime|LastCall|LastPause): )([0-9.]+)$", re.M)


def shifted(scripts: list[list[Step]], now: float) -> list[list[Step]]:
    """The scripts with their clock and times moved so the transcript starts at ``now``: a
    morning recorded long ago, played by hand, is then a morning of today on the wall."""
    first = next(float(st.arg) for script in scripts for st in script if st.verb == "clock")
    offset = round(now - first)

    def move(m: re.Match[str]) -> str:
        return f"{m[1]}{float(m[2]) + offset:.6f}" if "." in m[2] else f"{m[1]}{int(m[2]) + offset}"

    return [[Step(st.verb, str(float(st.arg) + offset) if st.verb == "clock" else st.arg,
                  _TIMES.sub(move, st.text.replace("\r\n", "\n")).replace("\n", "\r\n"))
             for st in script] for script in scripts]  # fmt: skip


class AmiPeer:
    """Serves a transcript on a free port of 127.0.0.1, in threads of its own."""

    def __init__(self, scripts: list[list[Step]], timeout: float = 20.0) -> None:
        self.scripts, self.timeout = scripts, timeout
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.clock = 0.0
        self.actions: list[dict[str, str]] = []  # every action received, in order
        self.finished = threading.Event()  # every script played to its end
        self.failure: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> AmiPeer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self.server.close()
        self._thread.join(5)
        assert self.failure is None, self.failure

    def _serve(self) -> None:
        try:
            for script in self.scripts:
                self.server.settimeout(self.timeout)
                conn, _ = self.server.accept()
                with conn:
                    _Connection(self, conn).play(script)
            self.finished.set()  # (a script that ends in 'hold' sets it when it gets there)
        except Exception as exc:  # reported by __exit__, in the test's thread
            if not self._stop.is_set():
                self.failure = f"AMI peer: {type(exc).__name__}: {exc}"


class _Connection:
    def __init__(self, peer: AmiPeer, sock: socket.socket) -> None:
        self.peer, self.sock = peer, sock
        self.lock = threading.Lock()
        self.queued: list[dict[str, str]] = []
        self.arrived = threading.Condition()
        self.closed = False
        threading.Thread(target=self._read, daemon=True).start()

    def send(self, text: str) -> None:
        for ts in re.findall(r"^Timestamp: ([0-9.]+)\r$", text, re.M):
            self.peer.clock = max(self.peer.clock, float(ts))
        with self.lock:
            self.sock.sendall(text.encode())

    def _read(self) -> None:
        buf = b""
        try:
            while chunk := self.sock.recv(4096):
                buf += chunk
                while b"\r\n\r\n" in buf:
                    block, buf = buf.split(b"\r\n\r\n", 1)
                    self._action(dict(line.split(": ", 1) for line in block.decode().split("\r\n")))
        except OSError:
            pass
        with self.arrived:
            self.closed = True
            self.arrived.notify_all()

    def _action(self, fields: dict[str, str]) -> None:
        self.peer.actions.append(fields)
        if fields.get("Action") == "Ping":
            self.send(
                f"Response: Success\r\nActionID: {fields['ActionID']}\r\nPing: Pong\r\n"
                f"Timestamp: {self.peer.clock:.6f}\r\n\r\n"
            )
            return
        with self.arrived:
            self.queued.append(fields)
            self.arrived.notify_all()

    def _expect(self, name: str) -> dict[str, str]:
        deadline = time.monotonic() + self.peer.timeout
        with self.arrived:
            while True:
                for i, fields in enumerate(self.queued):
                    if fields.get("Action") == name:
                        return self.queued.pop(i)
                left = deadline - time.monotonic()
                assert not self.closed and left > 0, f"no {name} action from the client"
                self.arrived.wait(left)

    def play(self, script: list[Step]) -> None:
        action_id = ""
        for step in script:
            if step.verb == "send":
                self.send(step.text.replace("{id}", action_id))
            elif step.verb == "<<":
                action_id = self._expect(step.arg)["ActionID"]
            elif step.verb == "clock":
                self.peer.clock = float(step.arg)
            elif step.verb == "drop":
                self.sock.shutdown(socket.SHUT_RDWR)
                return
            elif step.verb == "hold":
                with self.arrived:
                    while not self.closed and not self.peer._stop.is_set():
                        self.peer.finished.set()
                        self.arrived.wait(0.1)
                return


def main() -> None:
    """Serve a transcript by hand, to watch the adapter against it (docs/adapters.md)."""
    import argparse

    parser = argparse.ArgumentParser(description="play an AMI transcript on a local port")
    parser.add_argument("transcript", help="a file of tests/data/ami, e.g. floor.ami")
    parser.add_argument("--port", type=int, default=5038)
    parser.add_argument("--now", action="store_true", help="move its times to start now")
    args = parser.parse_args()
    scripts = load(Path(args.transcript).name)
    peer = AmiPeer(shifted(scripts, time.time()) if args.now else scripts, timeout=3600)
    peer.server.close()
    peer.server = socket.create_server(("127.0.0.1", args.port))
    peer.port = args.port
    print(f"AMI transcript {args.transcript} on 127.0.0.1:{args.port}; Ctrl-C stops", flush=True)
    with peer:
        try:
            peer.finished.wait()
            print("played to its end; holding the connection (Ctrl-C stops)", flush=True)
            peer._thread.join()
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
