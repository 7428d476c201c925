package dev.rabbithole.stage1.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage1.daemon.ContainerInput;
import dev.rabbithole.stage1.daemon.Daemon;
import dev.rabbithole.stage1.daemon.Event;
import dev.rabbithole.stage1.daemon.ExecConfig;
import dev.rabbithole.stage1.daemon.ExecInstance;
import dev.rabbithole.stage1.daemon.StreamListener;
import dev.rabbithole.stage1.daemon.StreamType;
import dev.rabbithole.stage1.daemon.Subscription;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import io.netty.buffer.Unpooled;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The interactive routes of the Engine API 1.41:
 *
 * <pre>
 * POST /containers/{id}/resize?h=&amp;w=      POST /containers/{id}/exec (ExecConfig)
 * POST /exec/{id}/start ({"Detach","Tty"})   GET /exec/{id}/json     POST /exec/{id}/resize?h=&amp;w=
 * GET  /events?since=&amp;until=&amp;filters=        (JSON lines, see EventFilters)
 * </pre>
 *
 * and the stdin half of attach: a hijacked connection whose client bytes go to the process (see
 * {@link StdinPump}).
 */
final class InteractiveApi {

    private static final Pattern EXEC = Pattern.compile("^/exec/([^/]+)/(start|json|resize)$");
    static final String RAW_STREAM = "application/vnd.docker.raw-stream";

    private final Daemon daemon;
    private final ObjectMapper json;
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "stdin-writer");
        t.setDaemon(true);
        return t;
    });

    InteractiveApi(Daemon daemon, ObjectMapper json) {
        this.daemon = daemon;
        this.json = json;
    }

    /** @return threads for blocking stdin writes */
    ExecutorService workers() {
        return workers;
    }

    /** Routes {@code /exec/...} and {@code /events}; false when the path is not one of them. */
    boolean route(Exchange ex, String path, boolean get, boolean post) throws Exception {
        if (path.equals("/events")) {
            if (!get) {
                return false;
            }
            events(ex);
            return true;
        }
        Matcher m = EXEC.matcher(path);
        if (!m.matches()) {
            return false;
        }
        String id = m.group(1);
        switch (m.group(2)) {
            case "json" -> {
                if (!get) {
                    return false;
                }
                ex.json(200, execView(daemon.execInspect(id)));
            }
            case "start" -> {
                if (!post) {
                    return false;
                }
                execStart(ex, id);
            }
            default -> {
                if (!post) {
                    return false;
                }
                int[] size = size(ex);
                daemon.execResize(id, size[0], size[1]);
                ex.empty(200);
            }
        }
        return true;
    }

    /** {@code POST /containers/{id}/resize?h=&w=}: 200, empty body, as dockerd. */
    void resize(Exchange ex, String ref) {
        int[] size = size(ex);
        daemon.resize(ref, size[0], size[1]);
        ex.empty(200);
    }

    /** {@code POST /containers/{id}/exec}: 201 {@code {"Id": ...}}. */
    void execCreate(Exchange ex, String ref) {
        ExecConfig config;
        try {
            config = ex.body().length == 0 ? null : json.readValue(ex.body(), ExecConfig.class);
        } catch (IOException e) {
            throw new InvalidParameterException("invalid JSON in request body: " + e.getMessage());
        }
        ex.json(201, json.createObjectNode().put("Id", daemon.execCreate(ref, config).id()));
    }

    private void execStart(Exchange ex, String id) throws Exception {
        boolean detach = false;
        if (ex.body().length > 0) {
            try {
                JsonNode body = json.readTree(ex.body());
                detach = body.path("Detach").asBoolean(false);
            } catch (IOException e) {
                throw new InvalidParameterException("invalid JSON in request body: " + e.getMessage());
            }
        }
        ExecInstance e = daemon.execInspect(id);                  // 404 before anything else
        if (detach) {
            daemon.execStart(id, null);
            ex.empty(200);
            return;
        }
        HijackedListener listener = new HijackedListener(e.config().tty(), e.config().attachStdout(),
                e.config().attachStderr());
        byte[] keys = StdinPump.parseDetachKeys(e.config().detachKeys());
        ContainerInput stdin;
        try {
            stdin = daemon.execStart(id, listener);             // errors (409, 501) before the hijack
        } catch (dev.rabbithole.stage1.errdefs.SystemException failed) {
            // the runtime could not start the process (runc's "executable file not found"): as dockerd, the
            // connection is upgraded and the message written to the stream, the exec's exit code is 126 (inspect)
            listener.open(ex.hijack(RAW_STREAM, null, workers, keys));
            listener.onData(StreamType.STDOUT, (failed.getMessage() + "\r\n").getBytes(StandardCharsets.UTF_8),
                    java.time.Instant.now());
            listener.onEnd();
            return;
        }
        listener.open(ex.hijack(RAW_STREAM, stdin, workers, keys));
    }

    /** The body of {@code GET /exec/{id}/json}, dockerd's field order. */
    ObjectNode execView(ExecInstance e) {
        ObjectNode n = json.createObjectNode();
        n.put("ID", e.id());
        n.put("Running", e.running());
        Integer code = e.exitCode();
        if (code == null) {
            n.putNull("ExitCode");
        } else {
            n.put("ExitCode", code);
        }
        ObjectNode pc = n.putObject("ProcessConfig");
        pc.put("tty", e.config().tty());
        List<String> cmd = e.config().cmd();
        pc.put("entrypoint", cmd.get(0));
        cmd.subList(1, cmd.size()).forEach(pc.putArray("arguments")::add);
        pc.put("privileged", e.config().privileged());
        if (e.config().user() != null && !e.config().user().isEmpty()) {
            pc.put("user", e.config().user());
        }
        n.put("OpenStdin", e.config().attachStdin());
        n.put("OpenStderr", e.config().attachStderr());
        n.put("OpenStdout", e.config().attachStdout());
        n.put("CanRemove", false);
        n.put("ContainerID", e.containerId());
        n.put("DetachKeys", e.config().detachKeys() == null ? "" : e.config().detachKeys());
        n.put("Pid", e.pid());
        return n;
    }

    /** {@code h} and {@code w}: {height, width}; 400 for a value that is not a number, as dockerd (strconv). */
    private static int[] size(Exchange ex) {
        return new int[] {number(ex.param("h")), number(ex.param("w"))};
    }

    private static int number(String v) {
        try {
            return Integer.parseInt(v == null ? "" : v);
        } catch (NumberFormatException e) {
            throw new InvalidParameterException("strconv.Atoi: parsing \"" + (v == null ? "" : v)
                    + "\": invalid syntax");
        }
    }

    // ---------------------------------------------------------------- events

    /**
     * {@code GET /events}: 200 with chunked JSON lines; the kept events since {@code since}, then new ones;
     * with {@code until} the stream ends at that time (at once when it is past).
     */
    private void events(Exchange ex) {
        Instant since = UnixTimestamp.parse("since", ex.param("since"));
        Instant until = UnixTimestamp.parse("until", ex.param("until"));
        if (since != null && until != null && since.isAfter(until)) {
            throw new InvalidParameterException("`since` time (" + ex.param("since") + ") cannot be after `until` time ("
                    + ex.param("until") + ")");
        }
        EventFilters filters = EventFilters.parse(json, ex.param("filters"));
        Instant now = Instant.now();
        Exchange.Chunked out = ex.chunked(200, "application/json");
        AtomicReference<Subscription> sub = new AtomicReference<>();
        Object lock = new Object();
        boolean[] ended = {false};
        Runnable end = () -> {
            synchronized (lock) {
                if (ended[0]) {
                    return;
                }
                ended[0] = true;
            }
            Subscription s = sub.get();
            if (s != null) {
                s.close();
            }
            out.end();
        };
        sub.set(daemon.events().subscribe(since, filters::matches, e -> {
            if (until != null && e.instant().isAfter(until)) {
                return;
            }
            out.writeJson(eventView(e));
        }));
        if (until != null) {
            long delay = until.toEpochMilli() - now.toEpochMilli();
            if (delay <= 0) {
                end.run();
            } else {
                CompletableFuture.delayedExecutor(delay, TimeUnit.MILLISECONDS).execute(end);
            }
        }
        ex.onClose(end);
    }

    /** One event as dockerd writes it: for containers the older status/id/from first. */
    ObjectNode eventView(Event e) {
        ObjectNode n = json.createObjectNode();
        if (e.type().equals("container") || e.type().equals("image")) {   // the older fields, as dockerd 20.10
            n.put("status", e.action());
            n.put("id", e.actorId());
            if (e.type().equals("container")) {
                n.put("from", e.attributes().getOrDefault("image", ""));
            }
        }
        n.put("Type", e.type());
        n.put("Action", e.action());
        ObjectNode actor = n.putObject("Actor");
        actor.put("ID", e.actorId());
        ObjectNode attrs = actor.putObject("Attributes");
        e.attributes().forEach(attrs::put);
        n.put("scope", "local");
        n.put("time", e.timeSeconds());
        n.put("timeNano", e.timeNano());
        return n;
    }

    /**
     * Writes a process's output to a hijacked connection: frames without a TTY, raw bytes with one; what arrives
     * before the connection is hijacked is queued and written first, in order.
     */
    static final class HijackedListener implements StreamListener {
        private final boolean tty;
        private final boolean stdout;
        private final boolean stderr;
        private final List<Runnable> queued = new ArrayList<>();
        private Exchange.Raw raw;

        HijackedListener(boolean tty, boolean stdout, boolean stderr) {
            this.tty = tty;
            this.stdout = stdout;
            this.stderr = stderr;
        }

        @Override
        public synchronized void onData(StreamType stream, byte[] data, Instant time) {
            if (stream == StreamType.STDOUT ? !stdout : !stderr) {
                return;
            }
            Runnable write = () -> raw.write(tty ? Unpooled.wrappedBuffer(data) : Frames.frame(stream, data));
            if (raw == null) {
                queued.add(write);
            } else {
                write.run();
            }
        }

        @Override
        public synchronized void onEnd() {
            if (raw == null) {
                queued.add(() -> raw.end());
            } else {
                raw.end();
            }
        }

        synchronized void open(Exchange.Raw hijacked) {
            raw = hijacked;
            queued.forEach(Runnable::run);
            queued.clear();
        }
    }
}
