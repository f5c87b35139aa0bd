#!/usr/bin/env node
// A reference herd server: Node.js 20, the `net` module, no packages.
//
//     node bench/peers/node/server.js NAME --topology FILE --log-dir DIR
//
// One of three small herds (asyncio, Node.js, Java) written to the protocol
// in docs/PROTOCOL.md so the Rust herd can be measured against them. It
// answers IAMAT and WHATSAT byte for byte as the herd does (WHATSAT from
// bench/peers/places.tsv), `? line` to anything else, floods locations to
// its neighbours (newest wins; equal times go to the greater AT line) and
// logs every line in and out to DIR/NAME.log. It has no Olympic verbs, no
// link authentication, no anti-entropy and no STATUS.
//
// Topology: Node has no TOML parser, so `readTopology` reads the subset the
// herd's topology files use: `links = [["A", "B"], ...]` (over any number of
// lines) and `[servers.NAME]` tables with `addr` and `peer_addr` strings.
// Other tables and keys are skipped.
//
// Peer links: each server dials every neighbour's `peer_addr` and writes
// `HELLO <name>`, then `AT` lines (and `PING` when quiet) on that connection
// only; what it accepts on its own peer port it only reads. A dead neighbour
// is dialled again every RECONNECT_DELAY_MS. What a link has not sent yet is
// kept per client (newest only), so it never holds more than the store does.
'use strict';

const fs = require('fs');
const net = require('net');
const path = require('path');
const { isUtf8 } = require('buffer');

const MAX_LINE = 65536; // bytes in a client line (without its terminator); longer closes the connection
const PEER_MAX_LINE = MAX_LINE + 256; // an AT line is longer than the IAMAT it came from
const MAX_CLIENT_ID = 256; // bytes in a client ID; a longer one is answered `? ...`
const MAX_CLIENTS = 1000000; // clients stored; a report for a new client past it is answered `? ...`
const MAX_CONNECTIONS = 1024; // client connections open at once; more are closed at once
const MAX_RADIUS_KM = 50; // largest WHATSAT radius
const MAX_BOUND = 20; // most WHATSAT results
const UNKNOWN_CLIENT_WAIT_MS = 50; // a WHATSAT for an unknown client waits this long for a flood
const WAIT_STEP_MS = 5; // how often that wait looks again
const IDLE_TIMEOUT_MS = 300000; // a client connection with no traffic this long is closed
const WRITE_TIMEOUT_MS = 30000; // a client may take this long to read what it was sent
const PEER_IDLE_TIMEOUT_MS = 5000; // an incoming link may stay silent this long (the dialler pings)
const PING_INTERVAL_MS = 1000; // a quiet outgoing link sends PING this often
const PEER_WRITE_TIMEOUT_MS = 5000; // a neighbour may take this long to read before the link drops
const CONNECT_TIMEOUT_MS = 1000; // time to dial a neighbour
const RECONNECT_DELAY_MS = 200; // pause before dialling a neighbour again
const PEER_BATCH = 1024; // most AT lines in one write to a neighbour
const INPUT_HIGH_WATER = 1 << 16; // unread input bytes held before a connection stops reading
const LOG_FLUSH_MS = 200; // how often the log buffer is written
const LOG_BUFFER = 1 << 16; // bytes of log held before writing at once
const EARTH_RADIUS_KM = 6371.0088; // mean Earth radius, as the herd uses
const NANOS = 1000000000n;

const SPACE = /[ \t\r\n\v\f]+/;
const COORDS_RE = /^([+-]\d+(?:\.\d+)?)([+-]\d+(?:\.\d+)?)$/;
const TIME_RE = /^(\d{1,20})(?:\.(\d{1,9}))?$/;
const DIFF_RE = /^[+-]\d+\.\d{9}$/;
const RADIUS_RE = /^\d+(?:\.\d+)?$/;
const BOUND_RE = /^\d{1,3}$/;

// Wall-clock nanoseconds: Date.now() has milliseconds only, so the
// monotonic clock is anchored to it once.
const CLOCK_ORIGIN = BigInt(Date.now()) * 1000000n - process.hrtime.bigint();
const nowNanos = () => CLOCK_ORIGIN + process.hrtime.bigint();
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function parseCoords(text) {
  const m = COORDS_RE.exec(text);
  if (!m) return null;
  const lat = Number(m[1]);
  const lng = Number(m[2]);
  return Math.abs(lat) <= 90 && Math.abs(lng) <= 180 ? [lat, lng] : null;
}

function parseTime(text) {
  const m = TIME_RE.exec(text);
  return m ? BigInt(m[1] + (m[2] || '').padEnd(9, '0')) : null;
}

function formatDiff(nanos) {
  const abs = nanos < 0n ? -nanos : nanos;
  const frac = (abs % NANOS).toString().padStart(9, '0');
  return `${nanos < 0n ? '-' : '+'}${abs / NANOS}.${frac}`;
}

const radians = (deg) => deg * (Math.PI / 180);

function haversineKm(lat1, lng1, lat2, lng2) {
  const p1 = radians(lat1);
  const p2 = radians(lat2);
  const dlat = p2 - p1;
  const dlng = radians(lng2 - lng1);
  const a = Math.sin(dlat / 2);
  const b = Math.sin(dlng / 2);
  const h = a * a + Math.cos(p1) * Math.cos(p2) * b * b;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(Math.sqrt(h), 1));
}

// The shared places file, in one-degree latitude bands.
class Places {
  constructor(file) {
    this.bands = new Map();
    fs.readFileSync(file, 'utf8').split('\n').forEach((line, index) => {
      if (!line.trim() || line.startsWith('#')) return;
      const [id, name, latText, lngText, population, vicinity] = line.split('\t');
      const place = { lat: Number(latText), lng: Number(lngText), population: Number(population), index, id, name, latText, lngText, vicinity };
      const band = Math.floor(place.lat);
      if (!this.bands.has(band)) this.bands.set(band, []);
      this.bands.get(band).push(place);
    });
  }

  // Legacy Nearby Search JSON: the `bound` most populous places within
  // `radius` km, ties to the nearer; no trailing newline.
  nearby(lat, lng, radius, bound) {
    const reach = (radius / EARTH_RADIUS_KM) * (180 / Math.PI);
    const hits = [];
    for (let band = Math.floor(lat - reach) - 1; band <= Math.floor(lat + reach); band++) {
      for (const p of this.bands.get(band) || []) {
        const d = haversineKm(lat, lng, p.lat, p.lng);
        if (d <= radius) hits.push({ p, d });
      }
    }
    hits.sort((a, b) => b.p.population - a.p.population || a.d - b.d || a.p.index - b.p.index);
    const results = hits.slice(0, bound).map(({ p }) => [
      '      {',
      '         "geometry" : {',
      '            "location" : {',
      `               "lat" : ${p.latText},`,
      `               "lng" : ${p.lngText}`,
      '            }',
      '         },',
      `         "name" : ${JSON.stringify(p.name)},`,
      `         "place_id" : "geonames:${p.id}",`,
      '         "types" : [ "locality", "political" ],',
      `         "vicinity" : ${JSON.stringify(p.vicinity)}`,
      '      }',
    ].join('\n'));
    if (results.length === 0) {
      return '{\n   "html_attributions" : [],\n   "results" : [],\n   "status" : "ZERO_RESULTS"\n}';
    }
    return `{\n   "html_attributions" : [],\n   "results" : [\n${results.join(',\n')}\n   ],\n   "status" : "OK"\n}`;
  }
}

// DIR/NAME.log: one line per event, `TIME EVENT WHO "LINE"`, buffered and
// written at least every LOG_FLUSH_MS.
class Log {
  constructor(file) {
    this.fd = fs.openSync(file, 'a');
    this.parts = [];
    this.size = 0;
    setInterval(() => this.flush(), LOG_FLUSH_MS).unref();
  }

  write(event, who, line) {
    const text = line === undefined ? '' : ' ' + JSON.stringify(Buffer.isBuffer(line) ? line.toString('utf8') : line);
    const entry = `${(Date.now() / 1000).toFixed(6)} ${event} ${who}${text}\n`;
    this.parts.push(entry);
    this.size += entry.length;
    if (this.size >= LOG_BUFFER) this.flush();
  }

  flush() {
    if (this.parts.length === 0) return;
    fs.writeSync(this.fd, this.parts.join(''));
    this.parts = [];
    this.size = 0;
  }
}

// Calls `onLine(buffer)` for each line of a socket's input, terminator
// (`\n` or `\r\n`) removed, one at a time: the next waits until the promise
// the last returned settles. The last line needs no newline. A line longer
// than `limit` closes the socket once what was written before it is sent.
function readLines(socket, limit, onLine) {
  let input = Buffer.alloc(0);
  let busy = false;
  let ended = false;
  let closing = false;
  const close = () => {
    closing = true;
    socket.end(() => socket.destroy());
  };
  const pump = async () => {
    if (busy) return;
    busy = true;
    while (!socket.destroyed && !closing) {
      let end = input.indexOf(10);
      if (end < 0 && !(ended && input.length > 0)) break;
      if (end < 0) end = input.length;
      let line = input.subarray(0, end);
      input = input.subarray(end + 1);
      if (line[line.length - 1] === 13) line = line.subarray(0, line.length - 1);
      if (line.length > limit) close();
      else await onLine(line);
    }
    // What is left is part of one line: keep reading unless it is too long
    // or the input has ended.
    if (!closing && (ended || input.length > limit + 1)) close();
    else if (!closing) socket.resume();
    busy = false;
  };
  socket.on('data', (chunk) => {
    input = input.length ? Buffer.concat([input, chunk]) : chunk;
    if (input.length >= INPUT_HIGH_WATER) socket.pause();
    pump();
  });
  socket.on('end', () => {
    ended = true;
    pump();
  });
}

// Writes to a client and, when it does not keep up, stops reading from it
// until it does, closing it after WRITE_TIMEOUT_MS.
function sendToClient(socket, reply) {
  if (socket.write(reply)) return undefined;
  return new Promise((resolve) => {
    const timer = setTimeout(() => socket.destroy(), WRITE_TIMEOUT_MS);
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    socket.once('drain', done);
    socket.once('close', done);
  });
}

// The connection this server dials to one neighbour, and what it owes it.
class Link {
  constructor(server, peer, addr) {
    Object.assign(this, { server, peer, addr });
    this.pending = new Map(); // client -> newest AT line not yet sent
    this.sending = null; // iterator over the batch being sent
    this.socket = null;
    this.writing = false;
    this.scheduled = false;
    this.up = false; // null once a failure has been logged, until the link is up again
    this.connect();
  }

  // Owes the neighbour `line`; what is owed goes out once the current
  // input has been handled, so one read's floods share a write.
  send(client, line) {
    this.pending.set(client, line);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.kick();
    });
  }

  connect() {
    const socket = net.connect({ host: this.addr[0], port: this.addr[1], timeout: CONNECT_TIMEOUT_MS });
    socket.setNoDelay(true);
    socket.on('connect', () => {
      socket.setTimeout(0);
      this.socket = socket;
      this.up = true;
      this.server.log.write('peer_up', this.peer);
      socket.write(`HELLO ${this.server.name}\n`);
      // A ping only on an empty buffer, so a neighbour that stops reading is not sent more.
      this.ping = setInterval(() => socket.writableLength === 0 && socket.write('PING\n'), PING_INTERVAL_MS);
      this.kick();
    });
    socket.on('timeout', () => socket.destroy(new Error('connect timed out')));
    socket.on('data', () => {}); // the neighbour writes nothing here
    socket.on('error', (e) => {
      if (this.up !== null) this.server.log.write(this.up ? 'peer_down' : 'peer_unreachable', this.peer, e.message);
      this.up = null;
    });
    socket.on('close', () => {
      if (this.up) {
        this.server.log.write('peer_down', this.peer, 'closed');
        this.up = false;
      }
      clearInterval(this.ping);
      this.socket = null;
      this.writing = false;
      setTimeout(() => this.connect(), RECONNECT_DELAY_MS);
    });
  }

  // Sends what is owed, PEER_BATCH lines per write, waiting for the
  // neighbour to read each before the next.
  kick() {
    if (!this.socket || this.writing) return;
    if (!this.sending) {
      if (this.pending.size === 0) return;
      this.sending = this.pending.entries();
      this.pending = new Map();
    }
    const lines = [];
    for (let next = this.sending.next(); ; next = this.sending.next()) {
      if (next.done) {
        this.sending = null;
        break;
      }
      lines.push(next.value[1]);
      this.server.log.write('peer_out', this.peer, next.value[1]);
      if (lines.length === PEER_BATCH) break;
    }
    if (lines.length === 0) return this.kick();
    const socket = this.socket;
    this.writing = true;
    const done = () => {
      clearTimeout(timer);
      this.writing = false;
      setImmediate(() => this.kick());
    };
    const timer = setTimeout(() => socket.destroy(new Error('neighbour not reading')), PEER_WRITE_TIMEOUT_MS);
    if (socket.write(lines.join('\n') + '\n')) done();
    else socket.once('drain', done);
  }
}

// One herd server: its store, its links, its two listeners.
class Server {
  constructor(name, topology, places, log) {
    Object.assign(this, { name, places, log });
    this.store = new Map(); // client -> { nanos, line, lat, lng }
    this.clientsOpen = 0;
    this.nextConn = 0;
    this.links = new Map([...topology[name].neighbours].map((peer) => [peer, new Link(this, peer, topology[peer].peerAddr)]));
  }

  // Stores a location if it wins and floods it on. False only when the
  // store is full and the client is new.
  keep(client, nanos, line, lat, lng, cameFrom) {
    const old = this.store.get(client);
    if (!old && this.store.size >= MAX_CLIENTS) return false;
    if (!old || nanos > old.nanos || (nanos === old.nanos && Buffer.compare(Buffer.from(line), Buffer.from(old.line)) > 0)) {
      this.store.set(client, { nanos, line, lat, lng });
      for (const [peer, link] of this.links) if (peer !== cameFrom) link.send(client, line);
    }
    return true;
  }

  // The whole reply to one client line (a Buffer), or a promise of it.
  answer(raw) {
    const invalid = () => Buffer.concat([Buffer.from('? '), raw, Buffer.from('\n')]);
    if (!isUtf8(raw)) return invalid();
    const fields = raw.toString('utf8').split(SPACE).filter((f) => f);
    if (fields.length === 4 && fields[0] === 'IAMAT') return this.iamat(fields) || invalid();
    if (fields.length === 4 && fields[0] === 'WHATSAT') return this.whatsat(fields).then((r) => r || invalid());
    return invalid();
  }

  iamat([, client, coords, time]) {
    const received = nowNanos();
    const position = parseCoords(coords);
    const nanos = parseTime(time);
    if (Buffer.byteLength(client) > MAX_CLIENT_ID || !position || nanos === null) return null;
    const line = `AT ${this.name} ${formatDiff(received - nanos)} ${client} ${coords} ${time}`;
    return this.keep(client, nanos, line, ...position) ? Buffer.from(line + '\n') : null;
  }

  async whatsat([, client, radiusText, boundText]) {
    if (Buffer.byteLength(client) > MAX_CLIENT_ID || !RADIUS_RE.test(radiusText) || !BOUND_RE.test(boundText)) return null;
    const radius = Number(radiusText);
    const bound = Number(boundText);
    if (!(radius > 0 && radius <= MAX_RADIUS_KM && bound >= 1 && bound <= MAX_BOUND)) return null;
    for (let waited = 0; !this.store.has(client) && waited < UNKNOWN_CLIENT_WAIT_MS; waited += WAIT_STEP_MS) {
      await sleep(WAIT_STEP_MS);
    }
    const entry = this.store.get(client);
    if (!entry) return null;
    return Buffer.from(`${entry.line}\n${this.places.nearby(entry.lat, entry.lng, radius, bound)}\n\n`);
  }

  // Applies an AT line from a neighbour; malformed ones are logged only.
  takeFlood(raw, cameFrom) {
    const f = isUtf8(raw) ? raw.toString('utf8').split(SPACE).filter((x) => x) : [];
    const position = f.length === 6 && f[0] === 'AT' && DIFF_RE.test(f[2]) ? parseCoords(f[4]) : null;
    const nanos = position ? parseTime(f[5]) : null;
    if (nanos === null) return this.log.write('peer_bad', cameFrom, raw);
    this.keep(f[3], nanos, f.join(' '), ...position, cameFrom);
  }

  serveClient(socket) {
    const conn = `client${++this.nextConn}`;
    if (this.clientsOpen >= MAX_CONNECTIONS) {
      this.log.write('client_refused', conn, 'too many connections');
      return socket.destroy();
    }
    this.clientsOpen++;
    socket.on('close', () => this.clientsOpen--);
    socket.on('error', () => {});
    socket.setNoDelay(true);
    socket.setTimeout(IDLE_TIMEOUT_MS, () => socket.destroy());
    readLines(socket, MAX_LINE, async (line) => {
      this.log.write('client_in', conn, line);
      let reply = this.answer(line);
      if (reply instanceof Promise) reply = await reply;
      this.log.write('client_out', conn, reply);
      return sendToClient(socket, reply);
    });
  }

  servePeer(socket) {
    let peer = `${socket.remoteAddress}:${socket.remotePort}`;
    this.log.write('peer_accepted', peer);
    socket.on('error', () => {});
    socket.on('close', () => this.log.write('peer_closed', peer));
    socket.setTimeout(PEER_IDLE_TIMEOUT_MS, () => socket.destroy());
    readLines(socket, PEER_MAX_LINE, (line) => {
      const text = line.toString('utf8');
      const hello = /^HELLO (\S+)$/.exec(text);
      if (hello) {
        peer = hello[1];
        this.log.write('peer_hello', peer);
      } else if (text !== 'PING') {
        this.log.write('peer_in', peer, line);
        this.takeFlood(line, peer);
      }
    });
  }

  run(topology) {
    const me = topology[this.name];
    const listen = (addr, handler) => {
      const server = net.createServer({ allowHalfOpen: true }, handler);
      server.on('error', (e) => {
        console.error(`server.js: cannot listen on ${addr.join(':')}: ${e.message}`);
        process.exit(1);
      });
      server.listen(addr[1], addr[0]);
    };
    listen(me.addr, (socket) => this.serveClient(socket));
    listen(me.peerAddr, (socket) => this.servePeer(socket));
    this.log.write('started', this.name, `clients ${me.addr.join(':')}, peers ${me.peerAddr.join(':')}`);
  }
}

// The topology subset described at the top:
// { name: { addr: [host, port], peerAddr: [host, port], neighbours: Set } }.
function readTopology(file) {
  const servers = {};
  let section = null;
  let links = null;
  for (const raw of fs.readFileSync(file, 'utf8').split('\n')) {
    const line = raw.replace(/("(?:[^"\\]|\\.)*")|#.*$/g, (m, quoted) => quoted || '').trim();
    if (links !== null && !links.done) {
      links.text += line;
      links.done = links.text.split('[').length === links.text.split(']').length;
      continue;
    }
    let m;
    if ((m = /^\[\s*servers\.("?)([^"\]]+)\1\s*\]$/.exec(line))) {
      section = servers[m[2]] = { neighbours: new Set() };
    } else if (/^\[/.test(line)) {
      section = null;
    } else if ((m = /^links\s*=\s*(.*)$/.exec(line)) && !section) {
      links = { text: m[1], done: m[1].split('[').length === m[1].split(']').length };
    } else if ((m = /^(addr|peer_addr)\s*=\s*"([^"]*)"$/.exec(line)) && section) {
      const at = m[2].lastIndexOf(':');
      section[m[1] === 'addr' ? 'addr' : 'peerAddr'] = [m[2].slice(0, at).replace(/^\[|\]$/g, ''), Number(m[2].slice(at + 1))];
    }
  }
  for (const [, a, b] of (links ? links.text : '').matchAll(/\[\s*"([^"]*)"\s*,\s*"([^"]*)"\s*\]/g)) {
    if (!servers[a] || !servers[b]) throw new Error(`link to an unknown server: ${a}, ${b}`);
    servers[a].neighbours.add(b);
    servers[b].neighbours.add(a);
  }
  return servers;
}

function main() {
  const args = process.argv.slice(2);
  const option = (flag, fallback) => {
    const at = args.indexOf(flag);
    return at >= 0 ? args.splice(at, 2)[1] : fallback;
  };
  const topologyFile = option('--topology', 'topology.toml');
  const logDir = option('--log-dir', 'logs');
  const placesFile = option('--places', path.join(__dirname, '..', 'places.tsv'));
  const name = args[0];
  let topology;
  try {
    topology = readTopology(topologyFile);
    if (args.length !== 1 || !topology[name] || !topology[name].addr || !topology[name].peerAddr) {
      throw new Error(`usage: server.js NAME --topology FILE --log-dir DIR, NAME one of ${Object.keys(topology).join(', ')}`);
    }
  } catch (e) {
    console.error(`server.js: bad topology: ${e.message}`);
    process.exit(2);
  }
  fs.mkdirSync(logDir, { recursive: true });
  const log = new Log(path.join(logDir, `${name}.log`));
  const stop = () => {
    log.flush();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  new Server(name, topology, new Places(placesFile), log).run(topology);
}

main();
