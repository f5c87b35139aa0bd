#!/usr/bin/env python3
"""Byte-for-byte comparison of a reference herd server with the herd.

Starts one `herd` server and one reference server, each alone in a
one-server topology named Solo on free loopback ports, sends both the same
sessions (pipelined commands, odd white space, every kind of invalid input,
invalid UTF-8, an overlong line, CRLF endings, a last line without a
newline) and compares the replies byte for byte. Only the time difference of
AT lines is masked, since it depends on when each server read the line.
Every server it starts is killed when it ends, pass or fail.

    python3 tests/peer_conformance.py target/debug/herd --runner "python3 bench/peers/asyncio/server.py"

WHATSAT queries are chosen so that their best places all have at least
50,000 people: the reference herds' places file (bench/peers/places.tsv) is
the herd's own data cut at that population.
"""

import argparse
import asyncio
import difflib
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import time

DIFF = re.compile(rb"^AT (\S+) [+-]\d+\.\d{9} ", re.MULTILINE)
LONG_ID = b"c" * 256

SESSIONS = {
    "pipelined IAMAT and WHATSAT": b"".join(line + b"\n" for line in [
        b"IAMAT kiwi.cs.ucla.edu +34.068930-118.445127 1520023934.918963997",
        b"WHATSAT kiwi.cs.ucla.edu 10 3",
        b"WHATSAT kiwi.cs.ucla.edu 10.0 1",
        b"WHATSAT kiwi.cs.ucla.edu 50 05",
        b"IAMAT seoul.example +37.551379+126.993287 1520023935.5",
        b"WHATSAT seoul.example 10 1",
        b"WHATSAT seoul.example 50 10",
        b"IAMAT pacific.example -30-140 1520023936",
        b"WHATSAT pacific.example 50 20",
        b"IAMAT kiwi.cs.ucla.edu +10+10 1520023930",
        b"WHATSAT kiwi.cs.ucla.edu 1 1",
        b" \t IAMAT\x0bspaced.example\x0c+1.5-2.25\t0001520023934.1 \r",
        b"WHATSAT spaced.example 0.5 20",
        b"IAMAT \xc3\xbcnicode.example +48.85341+2.3488 1520023937",
        b"WHATSAT \xc3\xbcnicode.example 5 2",
        b"IAMAT " + LONG_ID + b" +1+1 1",
        b"WHATSAT " + LONG_ID + b" 1 1",
    ]),
    "invalid lines": b"".join(line + b"\n" for line in [
        b"", b"   ", b"iamat x +1+1 1", b"IAMAT x +1+1 1 extra", b"IAMAT x +1+1",
        b"IAMAT x 34-118 1", b"IAMAT x +91-118 1", b"IAMAT x +34-180.0001 1",
        b"IAMAT x +34.-118 1", b"IAMAT x +1e2-5 1", b"IAMAT x ++1-1 1",
        b"IAMAT x +1+1 1.0000000001", b"IAMAT x +1+1 .5", b"IAMAT x +1+1 5.",
        b"IAMAT x +1+1 -5", b"IAMAT x +1+1 123456789012345678901", b"IAMAT x +1+1 1e9",
        b"IAMAT " + LONG_ID + b"c +1+1 1", b"WHATSAT " + LONG_ID + b"c 1 1",
        b"IAMAT bad\xff.example +1+1 1", b"WHATSAT\xff x 1 1", b"\xfe\xff",
        b"IAMAT w +1+1 1",
        b"WHATSAT w 0 5", b"WHATSAT w 0.0 5", b"WHATSAT w 50.01 5", b"WHATSAT w +1 5",
        b"WHATSAT w .5 5", b"WHATSAT w 5. 5", b"WHATSAT w 1e1 5", b"WHATSAT w 10 0",
        b"WHATSAT w 10 21", b"WHATSAT w 10 2.0", b"WHATSAT w 10 0005", b"WHATSAT w 10 -1",
        b"WHATSAT w 10", b"WHATSAT w 10 5 5", b"WHATSAT unknown.example 10 5",
        b"AT Solo +0.000000000 w +1+1 1", b"FOO BAR BAZ",
    ]) + b"last line without a newline",
    "CRLF endings": b"IAMAT crlf.example +34.068930-118.445127 1\r\nWHATSAT crlf.example 10 2\r\nhello there\r\n",
    "an overlong line closes the connection after the replies before it":
        b"IAMAT before.long +1+1 1\n" + b"x" * 70000 + b"\nIAMAT after.long +1+1 1\n",
}


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start(command, folder, cwd):
    """Starts `COMMAND Solo --topology ... --log-dir ...` from `cwd`, its
    topology and logs in `folder`."""
    os.makedirs(folder, exist_ok=True)
    port = free_port()
    topology = os.path.join(folder, "topology.toml")
    with open(topology, "w") as f:
        f.write(f'links = []\n[servers.Solo]\naddr = "127.0.0.1:{port}"\npeer_addr = "127.0.0.1:{free_port()}"\n')
    args = shlex.split(command) + ["Solo", "--topology", topology, "--log-dir", os.path.join(folder, "logs")]
    with open(os.path.join(folder, "stderr.txt"), "wb") as err:
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=err, cwd=cwd)
    deadline = time.time() + 20
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return proc, port
        except OSError:
            if time.time() > deadline or proc.poll() is not None:
                proc.kill()
                raise RuntimeError(f"{command} never listened")
            time.sleep(0.02)


async def session(port, data):
    """Writes `data`, half-closes, and reads until the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    writer.write_eof()
    reply = await asyncio.wait_for(reader.read(), timeout=15)
    writer.close()
    return DIFF.sub(rb"AT \1 <diff> ", reply)


async def main(herd, runner):
    tmp = tempfile.mkdtemp(prefix="herd-conformance-")
    procs = []
    failed = 0
    try:
        # The herd keeps its journal in ./data: run it in its own folder.
        herd_proc, herd_port = start(shlex.quote(os.path.abspath(herd)), os.path.join(tmp, "herd"),
                                     os.path.join(tmp, "herd"))
        procs.append(herd_proc)
        # The runner may name paths relative to the caller's folder.
        ref_proc, ref_port = start(runner, os.path.join(tmp, "reference"), None)
        procs.append(ref_proc)
        for name, data in SESSIONS.items():
            want = await session(herd_port, data)
            got = await session(ref_port, data)
            if want == got and want:
                print(f"ok   {name}")
                continue
            failed += 1
            print(f"FAIL {name}")
            diff = difflib.unified_diff(want.decode(errors="backslashreplace").splitlines(),
                                        got.decode(errors="backslashreplace").splitlines(),
                                        "herd", "reference", lineterm="", n=2)
            for line in list(diff)[:40]:
                print("     " + line)
    finally:
        for p in procs:
            p.send_signal(signal.SIGKILL)
            p.wait()
    print(f"{len(SESSIONS) - failed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("herd", help="the herd binary")
    parser.add_argument("--runner", required=True, help="the reference server's command prefix")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.herd, args.runner)))
