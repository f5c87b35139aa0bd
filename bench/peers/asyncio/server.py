#!/usr/bin/env python3
"""A reference herd server: Python 3.11 asyncio, standard library only.

    python3 bench/peers/asyncio/server.py NAME --topology FILE --log-dir DIR

One of three small herds (asyncio, Node.js, Java) written to the protocol
in docs/PROTOCOL.md so the Rust herd can be measured against them. It
answers IAMAT and WHATSAT byte for byte as the herd does (WHATSAT from
bench/peers/places.tsv), `? line` to anything else, floods locations to its
neighbours (newest wins; equal times go to the greater AT line) and logs
every line in and out to DIR/NAME.log. It has no Olympic verbs, no link
authentication, no anti-entropy and no STATUS.

Topology: read with the standard library's `tomllib`.

Peer links: each server dials every neighbour's `peer_addr` and writes
`HELLO <name>`, then `AT` lines (and `PING` when quiet) on that connection
only; what it accepts on its own peer port it only reads. A dead neighbour
is dialled again every RECONNECT_DELAY. What a link has not sent yet is kept
per client (newest only), so it never holds more than the store does.
"""

import argparse
import asyncio
import json
import math
import os
import re
import signal
import sys
import time
import tomllib
from pathlib import Path

MAX_LINE = 65536  # bytes in a client line (without its terminator); longer closes the connection
PEER_MAX_LINE = MAX_LINE + 256  # an AT line is longer than the IAMAT it came from
MAX_CLIENT_ID = 256  # bytes in a client ID; a longer one is answered `? ...`
MAX_CLIENTS = 1_000_000  # clients stored; a report for a new client past it is answered `? ...`
MAX_CONNECTIONS = 1024  # client connections open at once; more are closed at once
MAX_RADIUS_KM = 50.0  # largest WHATSAT radius
MAX_BOUND = 20  # most WHATSAT results
UNKNOWN_CLIENT_WAIT = 0.05  # seconds a WHATSAT for an unknown client waits for a flood
WAIT_STEP = 0.005  # how often that wait looks again
IDLE_TIMEOUT = 300.0  # seconds a client may take to send its next line
WRITE_TIMEOUT = 30.0  # seconds a client may take to read a reply
PEER_IDLE_TIMEOUT = 5.0  # seconds an incoming link may stay silent (the dialler pings every second)
PING_INTERVAL = 1.0  # a quiet outgoing link sends PING this often
PEER_WRITE_TIMEOUT = 5.0  # seconds a neighbour may take to read a batch before the link is dropped
CONNECT_TIMEOUT = 1.0  # seconds to dial a neighbour
RECONNECT_DELAY = 0.2  # pause before dialling a neighbour again
PEER_BATCH = 1024  # most AT lines in one write to a neighbour
LOG_FLUSH_INTERVAL = 0.2  # seconds between flushes of the log buffer
LOG_BUFFER = 1 << 16  # bytes the log file buffers before writing
EARTH_RADIUS_KM = 6371.0088  # mean Earth radius, as the herd uses
NANOS = 1_000_000_000

COORDS_RE = re.compile(rb"([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)")
TIME_RE = re.compile(rb"(\d{1,20})(?:\.(\d{1,9}))?")
DIFF_RE = re.compile(rb"[+-]\d+\.\d{9}")
RADIUS_RE = re.compile(rb"\d+(?:\.\d+)?")
BOUND_RE = re.compile(rb"\d{1,3}")

RESULT = """      {{
         "geometry" : {{
            "location" : {{
               "lat" : {lat},
               "lng" : {lng}
            }}
         }},
         "name" : {name},
         "place_id" : "geonames:{id}",
         "types" : [ "locality", "political" ],
         "vicinity" : {vicinity}
      }}"""


def parse_coords(text):
    """(lat, lng) from `±DD.D±DDD.D`, or None if malformed or out of range."""
    m = COORDS_RE.fullmatch(text)
    if not m:
        return None
    lat, lng = float(m[1]), float(m[2])
    return (lat, lng) if -90 <= lat <= 90 and -180 <= lng <= 180 else None


def parse_time(text):
    """POSIX `SECONDS[.FRACTION]` as integer nanoseconds, or None."""
    m = TIME_RE.fullmatch(text)
    return int(m[1] + (m[2] or b"").ljust(9, b"0")) if m else None


def format_diff(nanos):
    """`+S.NNNNNNNNN` or `-S.NNNNNNNNN`."""
    whole, frac = divmod(abs(nanos), NANOS)
    return f"{'-' if nanos < 0 else '+'}{whole}.{frac:09d}".encode()


def quoted(text):
    """A JSON string literal as the herd writes it (non-ASCII kept as is)."""
    return json.dumps(text, ensure_ascii=False)


def haversine_km(lat1, lng1, lat2, lng2):
    """Great-circle distance, the herd's formula."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dlat, dlng = p2 - p1, math.radians(lng2 - lng1)
    a, b = math.sin(dlat / 2), math.sin(dlng / 2)
    h = a * a + math.cos(p1) * math.cos(p2) * b * b
    return 2 * EARTH_RADIUS_KM * math.asin(min(math.sqrt(h), 1.0))


class Places:
    """The shared places file, in one-degree latitude bands."""

    def __init__(self, path):
        self.bands = {}
        with open(path, encoding="utf-8") as f:
            for index, line in enumerate(f):
                if line.startswith("#") or not line.strip():
                    continue
                gid, name, lat, lng, population, vicinity = line.rstrip("\n").split("\t")
                place = (float(lat), float(lng), int(population), index, gid, name, lat, lng, vicinity)
                self.bands.setdefault(math.floor(float(lat)), []).append(place)

    def nearby(self, lat, lng, radius, bound):
        """Legacy Nearby Search JSON: the `bound` most populous places within
        `radius` km, ties to the nearer; no trailing newline."""
        reach = math.degrees(radius / EARTH_RADIUS_KM)
        hits = []
        for band in range(math.floor(lat - reach) - 1, math.floor(lat + reach) + 1):
            for p in self.bands.get(band, ()):
                d = haversine_km(lat, lng, p[0], p[1])
                if d <= radius:
                    hits.append((-p[2], d, p[3], p))
        hits.sort()
        results = [
            RESULT.format(lat=p[6], lng=p[7], name=quoted(p[5]), id=p[4], vicinity=quoted(p[8]))
            for *_, p in hits[:bound]
        ]
        if not results:
            return '{\n   "html_attributions" : [],\n   "results" : [],\n   "status" : "ZERO_RESULTS"\n}'
        return ('{\n   "html_attributions" : [],\n   "results" : [\n' + ",\n".join(results)
                + '\n   ],\n   "status" : "OK"\n}')


class Log:
    """DIR/NAME.log: one line per event, `TIME EVENT WHO "LINE"`."""

    def __init__(self, path):
        self.file = open(path, "a", encoding="utf-8", buffering=LOG_BUFFER)

    def __call__(self, event, who, line=None):
        if isinstance(line, bytes):
            line = line.decode("utf-8", "backslashreplace")
        text = "" if line is None else " " + quoted(line)
        self.file.write(f"{time.time():.6f} {event} {who}{text}\n")

    async def flush_often(self):
        while True:
            await asyncio.sleep(LOG_FLUSH_INTERVAL)
            self.file.flush()


async def read_line(reader, limit, timeout):
    """The next line without its terminator (`\\n` or `\\r\\n`); the last,
    unterminated line at end of stream; None at end of stream or when the
    line is longer than `limit`."""
    try:
        raw = await asyncio.wait_for(reader.readuntil(b"\n"), timeout)
        raw = raw[:-1]
    except asyncio.IncompleteReadError as e:
        raw = e.partial
        if not raw:
            return None
    except asyncio.LimitOverrunError:
        return None
    if raw.endswith(b"\r"):
        raw = raw[:-1]
    return raw if len(raw) <= limit else None


class Link:
    """The connection this server dials to one neighbour, and what it owes it."""

    def __init__(self, server, peer, addr):
        self.server, self.peer, self.addr = server, peer, addr
        self.pending = {}  # client -> newest AT line not yet sent
        self.wakeup = asyncio.Event()

    def send(self, client, line):
        self.pending[client] = line
        self.wakeup.set()

    async def run(self):
        """Dial, send until the link fails, dial again, forever."""
        host, port = self.addr
        up, log = False, self.server.log
        while True:
            try:
                reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port), CONNECT_TIMEOUT)
            except (OSError, asyncio.TimeoutError) as e:
                if up is not None:
                    log("peer_unreachable", self.peer, str(e) or type(e).__name__)
                up = None
                await asyncio.sleep(RECONNECT_DELAY)
                continue
            up = True
            log("peer_up", self.peer)
            try:
                await self.send_until_closed(reader, writer)
            except (OSError, asyncio.TimeoutError) as e:
                log("peer_down", self.peer, str(e) or type(e).__name__)
            finally:
                writer.close()
            await asyncio.sleep(RECONNECT_DELAY)

    async def send_until_closed(self, reader, writer):
        writer.write(b"HELLO " + self.server.name.encode() + b"\n")
        # The neighbour never writes here, so a read returns only when it closes.
        closed = asyncio.ensure_future(reader.read(1))
        try:
            while not closed.done():
                try:
                    await asyncio.wait_for(self.wakeup.wait(), PING_INTERVAL)
                except asyncio.TimeoutError:
                    # A ping only on an empty buffer, so a neighbour that stops reading is not sent more.
                    if not writer.transport.get_write_buffer_size():
                        writer.write(b"PING\n")
                    continue
                self.wakeup.clear()
                batch, self.pending = self.pending, {}
                lines = list(batch.values())
                for i in range(0, len(lines), PEER_BATCH):
                    chunk = lines[i:i + PEER_BATCH]
                    for line in chunk:
                        self.server.log("peer_out", self.peer, line)
                    writer.write(b"\n".join(chunk) + b"\n")
                    await asyncio.wait_for(writer.drain(), PEER_WRITE_TIMEOUT)
            raise ConnectionError("closed by the neighbour")
        finally:
            if closed.done() and not closed.cancelled():
                closed.exception()  # retrieved, so asyncio does not warn about it
            closed.cancel()


class Server:
    """One herd server: its store, its links, its two listeners."""

    def __init__(self, name, topology, places, log):
        self.name, self.places, self.log = name, places, log
        self.store = {}  # client -> (time ns, AT line, lat, lng)
        self.clients_open = 0
        self.next_conn = 0
        self.links = {
            peer: Link(self, peer, topology[peer]["peer_addr"])
            for peer in topology[name]["neighbours"]
        }

    def keep(self, client, nanos, line, lat, lng, came_from=None):
        """Stores a location if it wins and floods it on. False only when the
        store is full and the client is new."""
        old = self.store.get(client)
        if old is None and len(self.store) >= MAX_CLIENTS:
            return False
        if old is None or (nanos, line) > old[:2]:
            self.store[client] = (nanos, line, lat, lng)
            for peer, link in self.links.items():
                if peer != came_from:
                    link.send(client, line)
        return True

    async def answer(self, line):
        """The whole reply to one client line."""
        fields = line.split()
        verb, args = (fields[0], fields[1:]) if fields else (b"", [])
        reply = None
        if verb == b"IAMAT" and len(args) == 3:
            reply = self.iamat(*args)
        elif verb == b"WHATSAT" and len(args) == 3:
            reply = await self.whatsat(*args)
        return reply if reply is not None else b"? " + line + b"\n"

    def iamat(self, client, coords, when):
        received = time.time_ns()
        position, nanos = parse_coords(coords), parse_time(when)
        if len(client) > MAX_CLIENT_ID or position is None or nanos is None or not utf8(client):
            return None
        at = b" ".join([b"AT", self.name.encode(), format_diff(received - nanos), client, coords, when])
        return at + b"\n" if self.keep(client, nanos, at, *position) else None

    async def whatsat(self, client, radius, bound):
        if len(client) > MAX_CLIENT_ID or not utf8(client):
            return None
        if not RADIUS_RE.fullmatch(radius) or not BOUND_RE.fullmatch(bound):
            return None
        radius, bound = float(radius), int(bound)
        if not (0 < radius <= MAX_RADIUS_KM and 1 <= bound <= MAX_BOUND):
            return None
        for _ in range(round(UNKNOWN_CLIENT_WAIT / WAIT_STEP)):
            if client in self.store:
                break
            await asyncio.sleep(WAIT_STEP)
        if client not in self.store:
            return None
        _, at, lat, lng = self.store[client]
        return at + b"\n" + self.places.nearby(lat, lng, radius, bound).encode() + b"\n\n"

    def take_flood(self, line, came_from):
        """Applies an AT line from a neighbour; malformed ones are logged only."""
        f = line.split()
        if len(f) != 6 or f[0] != b"AT" or not DIFF_RE.fullmatch(f[2]) or not utf8(f[1]) or not utf8(f[3]):
            self.log("peer_bad", came_from, line)
            return
        position, nanos = parse_coords(f[4]), parse_time(f[5])
        if position is None or nanos is None:
            self.log("peer_bad", came_from, line)
            return
        self.keep(f[3], nanos, b" ".join(f), *position, came_from=came_from)

    async def serve_client(self, reader, writer):
        self.next_conn += 1
        conn = f"client{self.next_conn}"
        if self.clients_open >= MAX_CONNECTIONS:
            self.log("client_refused", conn, "too many connections")
            writer.close()
            return
        self.clients_open += 1
        try:
            while (line := await read_line(reader, MAX_LINE, IDLE_TIMEOUT)) is not None:
                self.log("client_in", conn, line)
                reply = await self.answer(line)
                self.log("client_out", conn, reply)
                writer.write(reply)
                await asyncio.wait_for(writer.drain(), WRITE_TIMEOUT)
        except (OSError, asyncio.TimeoutError):
            pass
        finally:
            self.clients_open -= 1
            writer.close()

    async def serve_peer(self, reader, writer):
        peer = "{}:{}".format(*writer.get_extra_info("peername")[:2])
        self.log("peer_accepted", peer)
        try:
            while (line := await read_line(reader, PEER_MAX_LINE, PEER_IDLE_TIMEOUT)) is not None:
                f = line.split()
                if len(f) == 2 and f[0] == b"HELLO":
                    peer = f[1].decode("utf-8", "backslashreplace")
                    self.log("peer_hello", peer)
                elif f != [b"PING"]:
                    self.log("peer_in", peer, line)
                    self.take_flood(line, peer)
        except (OSError, asyncio.TimeoutError):
            pass
        finally:
            self.log("peer_closed", peer)
            writer.close()

    async def run(self, topology):
        """Listens, dials every neighbour, and serves until SIGTERM or SIGINT."""
        me = topology[self.name]
        await asyncio.start_server(self.serve_client, *me["addr"], limit=MAX_LINE + 1)
        await asyncio.start_server(self.serve_peer, *me["peer_addr"], limit=PEER_MAX_LINE + 1)
        self.log("started", self.name, f"clients {me['addr']}, peers {me['peer_addr']}")
        self.tasks = [asyncio.create_task(link.run()) for link in self.links.values()]
        for sig in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(sig, self.stop)
        await self.log.flush_often()

    def stop(self):
        """Ends the process as the signal would have, once the log is written."""
        self.log.file.flush()
        os._exit(0)


def utf8(data):
    try:
        data.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def load_topology(path):
    """{name: {addr: (host, port), peer_addr: (host, port), neighbours: set}}."""
    with open(path, "rb") as f:
        doc = tomllib.load(f)

    def address(text):
        host, port = text.rsplit(":", 1)
        return host.strip("[]"), int(port)

    servers = {
        name: {"addr": address(s["addr"]), "peer_addr": address(s["peer_addr"]), "neighbours": set()}
        for name, s in doc["servers"].items()
    }
    for a, b in doc.get("links", []):
        servers[a]["neighbours"].add(b)
        servers[b]["neighbours"].add(a)
    return servers


def main():
    parser = argparse.ArgumentParser(description="asyncio reference herd server")
    parser.add_argument("name")
    parser.add_argument("--topology", default="topology.toml")
    parser.add_argument("--log-dir", default="logs")
    parser.add_argument("--places", default=Path(__file__).resolve().parent.parent / "places.tsv")
    args = parser.parse_args()
    try:
        topology = load_topology(args.topology)
        if args.name not in topology:
            raise KeyError(f"no server {args.name!r} in {args.topology}")
    except (OSError, KeyError, ValueError, tomllib.TOMLDecodeError) as e:
        sys.exit(f"server.py: bad topology: {e}")
    Path(args.log_dir).mkdir(parents=True, exist_ok=True)
    log = Log(Path(args.log_dir) / f"{args.name}.log")
    server = Server(args.name, topology, Places(args.places), log)
    asyncio.run(server.run(topology))


if __name__ == "__main__":
    main()
