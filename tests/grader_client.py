#!/usr/bin/env python3
"""Grader-style checks of a real herd, written the way the course's asyncio
grading client talks: open a connection, write, write_eof, one read.

Starts its own five-server herd on free loopback ports, and kills every
server it started when it finishes, pass or fail. The servers are either the
`herd` binary, started the grader's way (only the name, from a folder
holding topology.toml), or any command prefix that takes
`NAME --topology FILE --log-dir DIR`, such as a reference herd:

    python3 tests/grader_client.py target/debug/herd
    python3 tests/grader_client.py --runner "python3 bench/peers/asyncio/server.py"
    python3 tests/grader_client.py --runner "node bench/peers/node/server.js"
    python3 tests/grader_client.py --runner "java -cp target/peers-java Server"
"""

import argparse
import asyncio
import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time

NAMES = ["Goloman", "Hands", "Holiday", "Welsh", "Wilkes"]
LINKS = [("Goloman", "Hands"), ("Goloman", "Holiday"), ("Goloman", "Wilkes"),
         ("Hands", "Wilkes"), ("Holiday", "Welsh"), ("Holiday", "Wilkes")]
AT_RE = r"^AT {server} [+-]\d+\.\d{{9}} {rest}$"
PASSED = 0
FAILED = 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check(name, ok, detail=""):
    global PASSED, FAILED
    if ok:
        PASSED += 1
        print(f"ok   {name}")
    else:
        FAILED += 1
        print(f"FAIL {name}: {detail}")


async def grader_send(port, message, read_size=100000):
    """What the grading client does: write, write_eof, a single read."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(message.encode())
    writer.write_eof()
    data = await asyncio.wait_for(reader.read(read_size), timeout=10)
    writer.close()
    await writer.wait_closed()
    return data.decode()


def starter(herd_bin, runner, tmp, topo):
    """A function that starts server NAME and returns its process."""
    logs = os.path.join(tmp, "logs")
    stderr = open(os.path.join(tmp, "stderr.txt"), "ab")

    def start(name):
        if runner:
            # A reference herd: from the caller's folder, so relative paths in
            # the runner hold, with the topology and log folder named.
            return subprocess.Popen(shlex.split(runner) + [name, "--topology", topo, "--log-dir", logs],
                                    stdout=subprocess.DEVNULL, stderr=stderr)
        # The grader starts each server with only its name, from its own folder.
        return subprocess.Popen([os.path.abspath(herd_bin), name], cwd=tmp,
                                stdout=subprocess.DEVNULL, stderr=stderr)
    return start


def wait_listening(name, port, seconds=20):
    """Waits for a client port to accept; Java takes a moment to start."""
    deadline = time.time() + seconds
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if time.time() > deadline:
                raise RuntimeError(f"{name} never listened")
            time.sleep(0.02)


async def eventually(port, message, ok, seconds=10):
    """Sends `message` every 100 ms until `ok(reply)` or `seconds` pass; the last reply."""
    deadline = time.time() + seconds
    while True:
        reply = await grader_send(port, message)
        if ok(reply) or time.time() > deadline:
            return reply
        await asyncio.sleep(0.1)


async def main(herd_bin, runner):
    ports = {n: (free_port(), free_port()) for n in NAMES}
    tmp = tempfile.mkdtemp(prefix="herd-grader-")
    topo = os.path.join(tmp, "topology.toml")
    with open(topo, "w") as f:
        f.write("links = [" + ", ".join(f'["{a}", "{b}"]' for a, b in LINKS) + "]\n")
        for n, (c, p) in ports.items():
            f.write(f'[servers.{n}]\naddr = "127.0.0.1:{c}"\npeer_addr = "127.0.0.1:{p}"\n')
    start = starter(herd_bin, runner, tmp, topo)
    procs = {}
    try:
        for n in NAMES:
            procs[n] = start(n)
        for n in NAMES:
            wait_listening(n, ports[n][0])
        # Links come up in well under a second; give them that.
        await asyncio.sleep(1.0)

        at = await grader_send(ports["Hands"][0], "IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997\n")
        pattern = AT_RE.format(server="Hands", rest=re.escape("kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997"))
        check("IAMAT reply is one exact AT line", re.match(pattern, at.rstrip("\n")) and at.endswith("\n") and at.count("\n") == 1, repr(at))

        # At once, a WHATSAT three hops away (Hands -> Goloman -> Holiday -> Welsh).
        reply = await grader_send(ports["Welsh"][0], "WHATSAT kiwi.cs.ucla.edu 10 5\n")
        check("WHATSAT three hops away answers with the original AT line", reply.startswith(at), repr(reply[:200]))
        check("WHATSAT reply ends with two newlines", reply.endswith("}\n\n"), repr(reply[-20:]))
        body = reply[len(at):]
        check("WHATSAT JSON has no blank lines", "\n\n" not in body[:-2], repr(body[:200]))
        try:
            doc = json.loads(body)
            check("WHATSAT JSON parses, bounded results", len(doc["results"]) <= 5 and doc["status"] in ("OK", "ZERO_RESULTS"), str(doc.get("status")))
            check("local places finds something near UCLA", len(doc["results"]) > 0, str(doc.get("status")))
        except ValueError as e:
            check("WHATSAT JSON parses", False, str(e))

        await grader_send(ports["Goloman"][0], "IAMAT seoul.example +37.551379+126.993287 1520023935.5\n")
        reply = await grader_send(ports["Wilkes"][0], "WHATSAT seoul.example 10 20\n")
        doc = json.loads(reply[reply.index("\n") + 1:])
        check("WHATSAT near Seoul has results", len(doc["results"]) > 0, repr(reply[:200]))

        for bad in ["IAMAT kiwi.cs.ucla.edu +34.068930-118.445127",
                    "WHATSAT kiwi.cs.ucla.edu 51 5",
                    "WHATSAT kiwi.cs.ucla.edu 10 21",
                    "WHATSAT nobody.example 10 5",
                    "FOO BAR BAZ",
                    "AT Hands +0.1 x +1+1 1"]:
            # The grader sends its error cases without a trailing newline.
            reply = await grader_send(ports["Holiday"][0], bad)
            check(f"invalid {bad!r} is echoed", reply == f"? {bad}\n", repr(reply))

        # Newest wins everywhere: an older report does not replace a newer one.
        await grader_send(ports["Welsh"][0], "IAMAT kiwi.cs.ucla.edu +10.0+10.0 1520023930\n")
        await asyncio.sleep(0.2)
        for n in NAMES:
            reply = await grader_send(ports[n][0], "WHATSAT kiwi.cs.ucla.edu 10 1\n")
            check(f"{n} keeps the newest location", reply.startswith(at), repr(reply[:120]))

        # Kill Goloman the way the grader does, by its client port.
        port = ports["Goloman"][0]
        subprocess.run(f"lsof -ti:{port} | xargs kill", shell=True, check=False)
        procs["Goloman"].wait(timeout=10)
        await asyncio.sleep(0.3)
        alive = [n for n in NAMES if n != "Goloman" and procs[n].poll() is None]
        check("killing Goloman by client port leaves the others running", len(alive) == 4, str(alive))
        # Hands still floods through Wilkes -> Holiday -> Welsh.
        await grader_send(ports["Hands"][0], "IAMAT after.kill +1+1 1520023999\n")
        reply = await grader_send(ports["Welsh"][0], "WHATSAT after.kill 1 1\n")
        for _ in range(50):
            if reply.startswith("AT "):
                break
            await asyncio.sleep(0.02)
            reply = await grader_send(ports["Welsh"][0], "WHATSAT after.kill 1 1\n")
        check("flooding goes around the dead server", reply.startswith("AT Hands "), repr(reply[:80]))

        # The same time reported at two servers: everyone keeps the greater AT
        # line, which starts with the greater server name (Welsh > Hands).
        tie = "IAMAT tie.example +2+2 1520023950.5\n"
        await asyncio.gather(grader_send(ports["Hands"][0], tie), grader_send(ports["Welsh"][0], tie))
        for n in NAMES[1:]:
            reply = await eventually(ports[n][0], "WHATSAT tie.example 1 1\n", lambda r: r.startswith("AT Welsh "), 5)
            check(f"{n} keeps the greater AT line of a tie", reply.startswith("AT Welsh "), repr(reply[:80]))

        # A dead neighbour comes back: the herd talks to it again.
        procs["Goloman"] = start("Goloman")
        wait_listening("Goloman", ports["Goloman"][0])
        await grader_send(ports["Hands"][0], "IAMAT back.again +3+3 1520024000\n")
        reply = await eventually(ports["Goloman"][0], "WHATSAT back.again 1 1\n", lambda r: r.startswith("AT "))
        check("a restarted server gets floods again", reply.startswith("AT Hands "), repr(reply[:80]))

        log = os.path.join(tmp, "logs", "Hands.log")
        seen = False
        for _ in range(50):
            seen = os.path.exists(log) and "kiwi.cs.ucla.edu" in open(log, errors="replace").read()
            if seen:
                break
            await asyncio.sleep(0.1)
        check("Hands logged the lines it took", seen, log)
    finally:
        for p in procs.values():
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                p.wait()
    print(f"{PASSED} passed, {FAILED} failed")
    return 1 if FAILED else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("herd", nargs="?", help="the herd binary, started as `herd NAME`")
    parser.add_argument("--runner", help="a command prefix started as `RUNNER NAME --topology FILE --log-dir DIR`")
    args = parser.parse_args()
    if bool(args.herd) == bool(args.runner):
        parser.error("give either the herd binary or --runner")
    sys.exit(asyncio.run(main(args.herd, args.runner)))
