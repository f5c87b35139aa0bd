// A reference herd server: Java 17, standard library only.
//
//     bench/peers/java/build.sh OUT          # javac into OUT, places.tsv beside the classes
//     java -cp OUT Server NAME --topology FILE --log-dir DIR
//
// One of three small herds (asyncio, Node.js, Java) written to the protocol
// in docs/PROTOCOL.md so the Rust herd can be measured against them. It
// answers IAMAT and WHATSAT byte for byte as the herd does (WHATSAT from
// bench/peers/places.tsv, read from the class path), `? line` to anything
// else, floods locations to its neighbours (newest wins; equal times go to
// the greater AT line) and logs every line in and out to DIR/NAME.log. It has
// no Olympic verbs, no link authentication, no anti-entropy and no STATUS.
//
// Threads: blocking java.net sockets with one platform thread per connection
// and per outgoing link; not NIO. Java 17 has no virtual threads (they are
// final from Java 21, where `spawn` would be `Thread.ofVirtual().start(r)`).
// The store is a ConcurrentHashMap; a location is compared, stored and
// handed to the links under its key's lock, so the links always see the
// winner last.
//
// Topology: Java has no TOML parser, so `readTopology` reads the subset the
// herd's topology files use: `links = [["A", "B"], ...]` (over any number of
// lines) and `[servers.NAME]` tables with `addr` and `peer_addr` strings.
// Other tables and keys are skipped.
//
// Peer links: each server dials every neighbour's `peer_addr` and writes
// `HELLO <name>`, then `AT` lines (and `PING` when quiet) on that connection
// only; what it accepts on its own peer port it only reads. A dead neighbour
// is dialled again every RECONNECT_DELAY_MS. What a link has not sent yet is
// kept per client (newest only), so it never holds more than the store does.

import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Writer;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static java.nio.charset.StandardCharsets.UTF_8;

public final class Server {
    /** Bytes in a client line (without its terminator); longer closes the connection. */
    static final int MAX_LINE = 65536;
    /** An AT line is longer than the IAMAT it came from. */
    static final int PEER_MAX_LINE = MAX_LINE + 256;
    /** Bytes in a client ID; a longer one is answered `? ...`. */
    static final int MAX_CLIENT_ID = 256;
    /** Clients stored; a report for a new client past it is answered `? ...`. */
    static final int MAX_CLIENTS = 1_000_000;
    /** Client connections open at once; more are closed at once. */
    static final int MAX_CONNECTIONS = 1024;
    /** Largest WHATSAT radius, km. */
    static final double MAX_RADIUS_KM = 50;
    /** Most WHATSAT results. */
    static final int MAX_BOUND = 20;
    /** A WHATSAT for an unknown client waits this long for a flood. */
    static final int UNKNOWN_CLIENT_WAIT_MS = 50;
    /** How often that wait looks again. */
    static final int WAIT_STEP_MS = 5;
    /** A client may take this long to send its next line. */
    static final int IDLE_TIMEOUT_MS = 300_000;
    /** A client may take this long to read a reply. */
    static final int WRITE_TIMEOUT_MS = 30_000;
    /** An incoming link may stay silent this long (the dialler pings every second). */
    static final int PEER_IDLE_TIMEOUT_MS = 5000;
    /** A quiet outgoing link sends PING this often. */
    static final int PING_INTERVAL_MS = 1000;
    /** A neighbour may take this long to read a batch before the link is dropped. */
    static final int PEER_WRITE_TIMEOUT_MS = 5000;
    /** Time to dial a neighbour. */
    static final int CONNECT_TIMEOUT_MS = 1000;
    /** Pause before dialling a neighbour again. */
    static final int RECONNECT_DELAY_MS = 200;
    /** Most AT lines in one write to a neighbour. */
    static final int PEER_BATCH = 1024;
    /** How often the log buffer is written. */
    static final int LOG_FLUSH_MS = 200;
    /** Mean Earth radius, as the herd uses. */
    static final double EARTH_RADIUS_KM = 6371.0088;
    static final BigInteger NANOS = BigInteger.valueOf(1_000_000_000);

    static final Pattern SPACE = Pattern.compile("[ \\t\\r\\n\\x0B\\f]+");
    static final Pattern COORDS = Pattern.compile("([+-]\\d+(?:\\.\\d+)?)([+-]\\d+(?:\\.\\d+)?)");
    static final Pattern TIME = Pattern.compile("(\\d{1,20})(?:\\.(\\d{1,9}))?");
    static final Pattern DIFF = Pattern.compile("[+-]\\d+\\.\\d{9}");
    static final Pattern RADIUS = Pattern.compile("\\d+(?:\\.\\d+)?");
    static final Pattern BOUND = Pattern.compile("\\d{1,3}");
    static final Pattern HELLO = Pattern.compile("HELLO (\\S+)");

    /** A stored location: the AT line as the server that took it wrote it. */
    record Location(BigInteger nanos, String line, double lat, double lng) {
        /** Newest wins; on equal times, the greater AT line in byte order. */
        boolean beats(Location old) {
            int byTime = nanos.compareTo(old.nanos);
            return byTime > 0 || (byTime == 0 && Arrays.compareUnsigned(line.getBytes(UTF_8), old.line.getBytes(UTF_8)) > 0);
        }
    }

    final String name;
    final Places places;
    final Log log;
    final ConcurrentHashMap<String, Location> store = new ConcurrentHashMap<>();
    final Map<String, Link> links = new TreeMap<>();
    final Semaphore connections = new Semaphore(MAX_CONNECTIONS);
    final AtomicLong nextConn = new AtomicLong();

    Server(String name, Map<String, Node> topology, Places places, Log log) {
        this.name = name;
        this.places = places;
        this.log = log;
        for (String peer : topology.get(name).neighbours) {
            links.put(peer, new Link(this, peer, topology.get(peer).peerAddr));
        }
    }

    static void spawn(String name, Runnable body) {
        Thread thread = new Thread(body, name);
        thread.setDaemon(true);
        thread.start();
    }

    /** Stores a location if it wins and floods it on. False only when the store is full and the client is new. */
    boolean keep(String client, Location loc, String cameFrom) {
        if (store.size() >= MAX_CLIENTS && !store.containsKey(client)) {
            return false;
        }
        store.compute(client, (key, old) -> {
            if (old != null && !loc.beats(old)) {
                return old;
            }
            for (Link link : links.values()) {
                if (!link.peer.equals(cameFrom)) {
                    link.send(client, loc.line());
                }
            }
            return loc;
        });
        return true;
    }

    /** The whole reply to one client line. */
    byte[] answer(byte[] raw) throws InterruptedException {
        String[] f = fields(utf8(raw));
        byte[] reply = null;
        if (f.length == 4 && f[0].equals("IAMAT")) {
            reply = iamat(f[1], f[2], f[3]);
        } else if (f.length == 4 && f[0].equals("WHATSAT")) {
            reply = whatsat(f[1], f[2], f[3]);
        }
        if (reply != null) {
            return reply;
        }
        byte[] invalid = Arrays.copyOf("? ".getBytes(UTF_8), raw.length + 3);
        System.arraycopy(raw, 0, invalid, 2, raw.length);
        invalid[raw.length + 2] = '\n';
        return invalid;
    }

    byte[] iamat(String client, String coords, String time) {
        Instant now = Instant.now();
        BigInteger received = BigInteger.valueOf(now.getEpochSecond()).multiply(NANOS).add(BigInteger.valueOf(now.getNano()));
        double[] position = parseCoords(coords);
        BigInteger nanos = parseTime(time);
        if (client.getBytes(UTF_8).length > MAX_CLIENT_ID || position == null || nanos == null) {
            return null;
        }
        String line = "AT " + name + " " + formatDiff(received.subtract(nanos)) + " " + client + " " + coords + " " + time;
        return keep(client, new Location(nanos, line, position[0], position[1]), null) ? (line + "\n").getBytes(UTF_8) : null;
    }

    byte[] whatsat(String client, String radiusText, String boundText) throws InterruptedException {
        if (client.getBytes(UTF_8).length > MAX_CLIENT_ID || !RADIUS.matcher(radiusText).matches() || !BOUND.matcher(boundText).matches()) {
            return null;
        }
        double radius = Double.parseDouble(radiusText);
        int bound = Integer.parseInt(boundText);
        if (!(radius > 0 && radius <= MAX_RADIUS_KM && bound >= 1 && bound <= MAX_BOUND)) {
            return null;
        }
        for (int waited = 0; !store.containsKey(client) && waited < UNKNOWN_CLIENT_WAIT_MS; waited += WAIT_STEP_MS) {
            Thread.sleep(WAIT_STEP_MS);
        }
        Location loc = store.get(client);
        if (loc == null) {
            return null;
        }
        return (loc.line() + "\n" + places.nearby(loc.lat(), loc.lng(), radius, bound) + "\n\n").getBytes(UTF_8);
    }

    /** Applies an AT line from a neighbour; malformed ones are logged only. */
    void takeFlood(byte[] raw, String cameFrom) {
        String[] f = fields(utf8(raw));
        double[] position = f.length == 6 && f[0].equals("AT") && DIFF.matcher(f[2]).matches() ? parseCoords(f[4]) : null;
        BigInteger nanos = position == null ? null : parseTime(f[5]);
        if (nanos == null) {
            log.write("peer_bad", cameFrom, raw);
            return;
        }
        keep(f[3], new Location(nanos, String.join(" ", f), position[0], position[1]), cameFrom);
    }

    void serveClient(Socket socket) {
        String conn = "client" + nextConn.incrementAndGet();
        if (!connections.tryAcquire()) {
            log.write("client_refused", conn, "too many connections");
            Conn.closeQuietly(socket);
            return;
        }
        try (socket; Conn out = new Conn(socket, WRITE_TIMEOUT_MS)) {
            socket.setSoTimeout(IDLE_TIMEOUT_MS);
            socket.setTcpNoDelay(true);
            LineReader in = new LineReader(socket.getInputStream(), MAX_LINE);
            for (byte[] line; (line = in.next()) != null; ) {
                log.write("client_in", conn, line);
                byte[] reply = answer(line);
                log.write("client_out", conn, reply);
                out.write(reply);
            }
        } catch (IOException | InterruptedException e) {
            // The client went away, was too slow, or sent too long a line.
        } finally {
            connections.release();
        }
    }

    void servePeer(Socket socket) {
        String peer = socket.getRemoteSocketAddress().toString();
        log.write("peer_accepted", peer, null);
        try (socket) {
            socket.setSoTimeout(PEER_IDLE_TIMEOUT_MS);
            LineReader in = new LineReader(socket.getInputStream(), PEER_MAX_LINE);
            for (byte[] raw; (raw = in.next()) != null; ) {
                String text = new String(raw, UTF_8);
                Matcher hello = HELLO.matcher(text);
                if (hello.matches()) {
                    peer = hello.group(1);
                    log.write("peer_hello", peer, null);
                } else if (!text.equals("PING")) {
                    log.write("peer_in", peer, raw);
                    takeFlood(raw, peer);
                }
            }
        } catch (IOException e) {
            // Closed, silent too long, or too long a line: the neighbour dials again.
        } finally {
            log.write("peer_closed", peer, null);
        }
    }

    /** Answers a few lines before serving: the JVM loads classes and links lambdas and string concatenations on
     *  first use, which made the first request take about 100 ms, more than a flood may take. */
    void warmUp() throws InterruptedException {
        for (int i = 0; i < 20; i++) {
            answer("IAMAT warm.up +34.068930-118.445127 1".getBytes(UTF_8));
            answer("WHATSAT warm.up 10 5".getBytes(UTF_8));
            answer("? \u00ff".getBytes(UTF_8));
            takeFlood(("AT " + name + " +0.000000001 warm.up +1+1 2").getBytes(UTF_8), "");
        }
        store.clear();
        for (Link link : links.values()) {
            link.clear();
        }
    }

    void run(Node me) throws IOException {
        ServerSocket clients = listen(me.addr);
        ServerSocket peers = listen(me.peerAddr);
        log.write("started", name, "clients " + me.addr + ", peers " + me.peerAddr);
        spawn("peer-accept", () -> accept(peers, this::servePeer));
        for (Link link : links.values()) {
            spawn("link-" + link.peer, link::run);
        }
        accept(clients, this::serveClient);
    }

    static ServerSocket listen(InetSocketAddress addr) throws IOException {
        ServerSocket socket = new ServerSocket();
        socket.setReuseAddress(true);
        socket.bind(addr, MAX_CONNECTIONS);
        return socket;
    }

    static void accept(ServerSocket listener, java.util.function.Consumer<Socket> serve) {
        while (true) {
            try {
                Socket socket = listener.accept();
                spawn("conn", () -> serve.accept(socket));
            } catch (IOException e) {
                // A failed accept (e.g. out of file descriptors) ends no one else.
            }
        }
    }

    // ---- Parsing and formatting -------------------------------------------------------------

    /** The line as text, or null when it is not UTF-8 (so it matches no command). */
    static String utf8(byte[] raw) {
        try {
            return UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(raw)).toString();
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** The non-empty fields of a line, split on the protocol's six white-space characters. */
    static String[] fields(String text) {
        return text == null ? new String[0] : SPACE.splitAsStream(text).filter(s -> !s.isEmpty()).toArray(String[]::new);
    }

    static double[] parseCoords(String text) {
        Matcher m = COORDS.matcher(text);
        if (!m.matches()) {
            return null;
        }
        double lat = Double.parseDouble(m.group(1));
        double lng = Double.parseDouble(m.group(2));
        return Math.abs(lat) <= 90 && Math.abs(lng) <= 180 ? new double[] {lat, lng} : null;
    }

    static BigInteger parseTime(String text) {
        Matcher m = TIME.matcher(text);
        if (!m.matches()) {
            return null;
        }
        String frac = m.group(2) == null ? "" : m.group(2);
        return new BigInteger(m.group(1) + frac + "0".repeat(9 - frac.length()));
    }

    static String formatDiff(BigInteger nanos) {
        BigInteger[] parts = nanos.abs().divideAndRemainder(NANOS);
        String frac = parts[1].toString();
        return (nanos.signum() < 0 ? "-" : "+") + parts[0] + "." + "0".repeat(9 - frac.length()) + frac;
    }

    /** A JSON string literal as the herd writes it: non-ASCII kept as is. */
    static String quote(String text) {
        StringBuilder out = new StringBuilder(text.length() + 2).append('"');
        for (char c : text.toCharArray()) {
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> out.append(c < 0x20 ? String.format("\\u%04x", (int) c) : String.valueOf(c));
            }
        }
        return out.append('"').toString();
    }

    static double haversineKm(double lat1, double lng1, double lat2, double lng2) {
        double p1 = Math.toRadians(lat1);
        double p2 = Math.toRadians(lat2);
        double dlat = p2 - p1;
        double dlng = Math.toRadians(lng2 - lng1);
        double a = Math.sin(dlat / 2);
        double b = Math.sin(dlng / 2);
        double h = a * a + Math.cos(p1) * Math.cos(p2) * b * b;
        return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(Math.sqrt(h), 1));
    }

    // ---- Places -----------------------------------------------------------------------------

    record Place(double lat, double lng, long population, int index, String id, String name, String latText,
                 String lngText, String vicinity) {}

    /** The shared places file, in one-degree latitude bands. */
    static final class Places {
        final Map<Integer, List<Place>> bands = new HashMap<>();

        Places(BufferedReader reader) throws IOException {
            int index = 0;
            for (String line; (line = reader.readLine()) != null; index++) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split("\t", -1);
                Place p = new Place(Double.parseDouble(f[2]), Double.parseDouble(f[3]), Long.parseLong(f[4]), index,
                        f[0], f[1], f[2], f[3], f[5]);
                bands.computeIfAbsent((int) Math.floor(p.lat()), k -> new ArrayList<>()).add(p);
            }
        }

        /** Legacy Nearby Search JSON: the `bound` most populous places within `radius` km, ties to the nearer. */
        String nearby(double lat, double lng, double radius, int bound) {
            double reach = Math.toDegrees(radius / EARTH_RADIUS_KM);
            record Hit(Place place, double km) {}
            List<Hit> hits = new ArrayList<>();
            for (int band = (int) Math.floor(lat - reach) - 1; band <= (int) Math.floor(lat + reach); band++) {
                for (Place p : bands.getOrDefault(band, List.of())) {
                    double d = haversineKm(lat, lng, p.lat(), p.lng());
                    if (d <= radius) {
                        hits.add(new Hit(p, d));
                    }
                }
            }
            hits.sort(Comparator.comparingLong((Hit h) -> -h.place().population()).thenComparingDouble(Hit::km)
                    .thenComparingInt(h -> h.place().index()));
            if (hits.isEmpty()) {
                return "{\n   \"html_attributions\" : [],\n   \"results\" : [],\n   \"status\" : \"ZERO_RESULTS\"\n}";
            }
            StringBuilder out = new StringBuilder("{\n   \"html_attributions\" : [],\n   \"results\" : [\n");
            for (int i = 0; i < Math.min(bound, hits.size()); i++) {
                Place p = hits.get(i).place();
                out.append(i == 0 ? "" : ",\n")
                        .append("      {\n         \"geometry\" : {\n            \"location\" : {\n")
                        .append("               \"lat\" : ").append(p.latText()).append(",\n")
                        .append("               \"lng\" : ").append(p.lngText()).append('\n')
                        .append("            }\n         },\n")
                        .append("         \"name\" : ").append(quote(p.name())).append(",\n")
                        .append("         \"place_id\" : \"geonames:").append(p.id()).append("\",\n")
                        .append("         \"types\" : [ \"locality\", \"political\" ],\n")
                        .append("         \"vicinity\" : ").append(quote(p.vicinity())).append("\n      }");
            }
            return out.append("\n   ],\n   \"status\" : \"OK\"\n}").toString();
        }
    }

    // ---- Connections ------------------------------------------------------------------------

    /** Lines of a stream without their `\n` or `\r\n`; the last needs no newline. Null at the end; an
     *  IOException for a line longer than `limit`. Holds at most `limit` + 2 bytes. */
    static final class LineReader {
        final InputStream in;
        final int limit;
        byte[] buf = new byte[8192];
        int start;
        int end;

        LineReader(InputStream in, int limit) {
            this.in = in;
            this.limit = limit;
        }

        byte[] next() throws IOException {
            for (int scanned = start; ; ) {
                for (int i = scanned; i < end; i++) {
                    if (buf[i] == '\n') {
                        byte[] line = line(start, i);
                        start = i + 1;
                        return line;
                    }
                }
                if (end - start > limit + 1) {
                    throw new IOException("line too long");
                }
                System.arraycopy(buf, start, buf, 0, end - start);
                end -= start;
                start = 0;
                scanned = end;
                if (end == buf.length) {
                    buf = Arrays.copyOf(buf, Math.min(buf.length * 2, limit + 2));
                }
                int n = in.read(buf, end, buf.length - end);
                if (n < 0) {
                    byte[] line = start == end ? null : line(start, end);
                    start = end;
                    return line;
                }
                end += n;
            }
        }

        byte[] line(int from, int to) throws IOException {
            if (to > from && buf[to - 1] == '\r') {
                to--;
            }
            if (to - from > limit) {
                throw new IOException("line too long");
            }
            return Arrays.copyOfRange(buf, from, to);
        }
    }

    /** A socket's output whose every write must finish within `timeoutMs`: a watchdog closes the socket of a
     *  write that takes longer, so a reader that stops reading costs only its own connection. */
    static final class Conn implements AutoCloseable {
        static final Set<Conn> OPEN = ConcurrentHashMap.newKeySet();
        final Socket socket;
        final OutputStream out;
        final long timeoutNanos;
        volatile long writingSince;

        Conn(Socket socket, long timeoutMs) throws IOException {
            this.socket = socket;
            this.out = socket.getOutputStream();
            this.timeoutNanos = timeoutMs * 1_000_000;
            OPEN.add(this);
        }

        void write(byte[] data) throws IOException {
            writingSince = System.nanoTime() | 1;
            try {
                out.write(data);
            } finally {
                writingSince = 0;
            }
        }

        @Override
        public void close() {
            OPEN.remove(this);
            closeQuietly(socket);
        }

        static void closeQuietly(Socket socket) {
            try {
                socket.close();
            } catch (IOException e) {
                // Already closed.
            }
        }

        static void watch() {
            while (true) {
                try {
                    Thread.sleep(1000);
                } catch (InterruptedException e) {
                    return;
                }
                long now = System.nanoTime();
                for (Conn conn : OPEN) {
                    long since = conn.writingSince;
                    if (since != 0 && now - since > conn.timeoutNanos) {
                        conn.close();
                    }
                }
            }
        }
    }

    /** The connection this server dials to one neighbour, and what it owes it. */
    static final class Link {
        final Server server;
        final String peer;
        final InetSocketAddress addr;
        /** Client -> newest AT line not yet sent. Guarded by `this`. */
        Map<String, String> pending = new LinkedHashMap<>();

        Link(Server server, String peer, InetSocketAddress addr) {
            this.server = server;
            this.peer = peer;
            this.addr = addr;
        }

        synchronized void send(String client, String line) {
            pending.put(client, line);
            notifyAll();
        }

        synchronized void clear() {
            pending.clear();
        }

        synchronized Map<String, String> take() throws InterruptedException {
            if (pending.isEmpty()) {
                wait(PING_INTERVAL_MS);
            }
            Map<String, String> batch = pending;
            pending = new LinkedHashMap<>();
            return batch;
        }

        /** Dial, send until the link fails, dial again, forever. */
        void run() {
            Boolean up = false; // null once a failure has been logged, until the link is up again
            while (true) {
                try (Socket socket = new Socket()) {
                    socket.connect(addr, CONNECT_TIMEOUT_MS);
                    socket.setTcpNoDelay(true);
                    up = true;
                    server.log.write("peer_up", peer, null);
                    try (Conn out = new Conn(socket, PEER_WRITE_TIMEOUT_MS)) {
                        sendUntilClosed(out);
                    }
                } catch (IOException e) {
                    if (up != null) {
                        server.log.write(up ? "peer_down" : "peer_unreachable", peer, String.valueOf(e.getMessage()));
                    }
                    up = null;
                } catch (InterruptedException e) {
                    return;
                }
                try {
                    Thread.sleep(RECONNECT_DELAY_MS);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        void sendUntilClosed(Conn out) throws IOException, InterruptedException {
            out.write(("HELLO " + server.name + "\n").getBytes(UTF_8));
            while (true) {
                Map<String, String> batch = take();
                if (batch.isEmpty()) {
                    out.write("PING\n".getBytes(UTF_8));
                    continue;
                }
                StringBuilder chunk = new StringBuilder();
                int lines = 0;
                for (String line : batch.values()) {
                    server.log.write("peer_out", peer, line);
                    chunk.append(line).append('\n');
                    if (++lines % PEER_BATCH == 0 || lines == batch.size()) {
                        out.write(chunk.toString().getBytes(UTF_8));
                        chunk.setLength(0);
                    }
                }
            }
        }
    }

    // ---- Log --------------------------------------------------------------------------------

    /** DIR/NAME.log: one line per event, `TIME EVENT WHO "LINE"`, written at least every LOG_FLUSH_MS. */
    static final class Log {
        final Writer out;

        Log(Path file) throws IOException {
            out = new BufferedWriter(Files.newBufferedWriter(file, UTF_8, StandardOpenOption.CREATE,
                    StandardOpenOption.APPEND), 1 << 16);
        }

        void write(String event, String who, Object line) {
            String text = line == null ? "" : " " + quote(line instanceof byte[] b ? new String(b, UTF_8) : line.toString());
            long ms = System.currentTimeMillis();
            String entry = ms / 1000 + "." + String.valueOf(1000 + ms % 1000).substring(1) + " " + event + " " + who + text + "\n";
            synchronized (this) {
                try {
                    out.write(entry);
                } catch (IOException e) {
                    // A full disk must not stop the server.
                }
            }
        }

        synchronized void flush() {
            try {
                out.flush();
            } catch (IOException e) {
                // As above.
            }
        }

        void flushOften() {
            while (true) {
                try {
                    Thread.sleep(LOG_FLUSH_MS);
                } catch (InterruptedException e) {
                    return;
                }
                flush();
            }
        }
    }

    // ---- Topology and start -----------------------------------------------------------------

    /** A server of the topology. */
    static final class Node {
        InetSocketAddress addr;
        InetSocketAddress peerAddr;
        final Set<String> neighbours = new TreeSet<>();
    }

    static final Pattern COMMENT = Pattern.compile("(\"(?:[^\"\\\\]|\\\\.)*\")|#.*$");
    static final Pattern SECTION = Pattern.compile("\\[\\s*servers\\.(\"?)([^\"\\]]+)\\1\\s*\\]");
    static final Pattern LINKS = Pattern.compile("links\\s*=\\s*(.*)");
    static final Pattern KEY = Pattern.compile("(addr|peer_addr)\\s*=\\s*\"([^\"]*)\"");
    static final Pattern PAIR = Pattern.compile("\\[\\s*\"([^\"]*)\"\\s*,\\s*\"([^\"]*)\"\\s*\\]");

    /** The topology subset described at the top. */
    static Map<String, Node> readTopology(Path file) throws IOException {
        Map<String, Node> servers = new TreeMap<>();
        Node section = null;
        StringBuilder links = null;
        boolean inLinks = false;
        for (String raw : Files.readAllLines(file, UTF_8)) {
            String line = COMMENT.matcher(raw).replaceAll(m -> Matcher.quoteReplacement(m.group(1) == null ? "" : m.group(1))).trim();
            Matcher m;
            if (inLinks) {
                links.append(line);
                inLinks = !balanced(links);
            } else if ((m = SECTION.matcher(line)).matches()) {
                section = new Node();
                servers.put(m.group(2), section);
            } else if (line.startsWith("[")) {
                section = null;
            } else if (section == null && (m = LINKS.matcher(line)).matches()) {
                links = new StringBuilder(m.group(1));
                inLinks = !balanced(links);
            } else if (section != null && (m = KEY.matcher(line)).matches()) {
                int colon = m.group(2).lastIndexOf(':');
                String host = m.group(2).substring(0, colon).replaceAll("^\\[|\\]$", "");
                InetSocketAddress addr = new InetSocketAddress(host, Integer.parseInt(m.group(2).substring(colon + 1)));
                if (m.group(1).equals("addr")) {
                    section.addr = addr;
                } else {
                    section.peerAddr = addr;
                }
            }
        }
        Matcher pair = PAIR.matcher(links == null ? "" : links);
        while (pair.find()) {
            Node a = servers.get(pair.group(1));
            Node b = servers.get(pair.group(2));
            if (a == null || b == null) {
                throw new IOException("link to an unknown server: " + pair.group());
            }
            a.neighbours.add(pair.group(2));
            b.neighbours.add(pair.group(1));
        }
        return servers;
    }

    static boolean balanced(CharSequence text) {
        return text.chars().filter(c -> c == '[').count() == text.chars().filter(c -> c == ']').count();
    }

    public static void main(String[] argv) throws Exception {
        List<String> args = new ArrayList<>(Arrays.asList(argv));
        String topologyFile = option(args, "--topology", "topology.toml");
        String logDir = option(args, "--log-dir", "logs");
        String placesFile = option(args, "--places", null);
        Map<String, Node> topology;
        try {
            topology = readTopology(Paths.get(topologyFile));
        } catch (IOException | RuntimeException e) {
            System.err.println("Server: bad topology: " + e.getMessage());
            System.exit(2);
            return;
        }
        Node me = args.size() == 1 ? topology.get(args.get(0)) : null;
        if (me == null || me.addr == null || me.peerAddr == null) {
            System.err.println("usage: java Server NAME --topology FILE --log-dir DIR, NAME one of " + topology.keySet());
            System.exit(2);
        }
        String name = args.get(0);
        Files.createDirectories(Paths.get(logDir));
        Log log = new Log(Paths.get(logDir, name + ".log"));
        Runtime.getRuntime().addShutdownHook(new Thread(log::flush));
        InputStream places = placesFile == null ? Server.class.getResourceAsStream("/places.tsv")
                : Files.newInputStream(Paths.get(placesFile));
        if (places == null) {
            System.err.println("Server: places.tsv is not on the class path (build with bench/peers/java/build.sh)");
            System.exit(2);
        }
        Server server = new Server(name, topology, new Places(new BufferedReader(new InputStreamReader(places, UTF_8))), log);
        server.warmUp();
        spawn("log-flush", log::flushOften);
        spawn("write-watchdog", Conn::watch);
        server.run(me);
    }

    static String option(List<String> args, String flag, String fallback) {
        int at = args.indexOf(flag);
        if (at < 0 || at + 1 >= args.size()) {
            return fallback;
        }
        String value = args.get(at + 1);
        args.subList(at, at + 2).clear();
        return value;
    }
}
