package dev.rabbithole.stage1.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage1.errdefs.SystemException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A container's output: Docker's json-file log driver ({@code ID-json.log}, one JSON object a line,
 * {@code {"log":"hello\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"}}) plus the live listeners
 * of attach and {@code logs -f}. One lock orders writing and registering, so a listener that replays the
 * stored log and then follows sees every entry exactly once.
 */
final class ContainerLog {

    /** Docker's json-file driver also cuts lines at 16 KiB. */
    private static final int MAX_LINE = 16 * 1024;

    private final Path file;
    private final ObjectMapper json;
    private final Map<StreamType, ByteArrayOutputStream> partial = new EnumMap<>(StreamType.class);
    private final List<Listener> attachers = new CopyOnWriteArrayList<>();
    private final List<Listener> followers = new CopyOnWriteArrayList<>();
    private OutputStream out;

    private record Listener(boolean stdout, boolean stderr, StreamListener target, Instant until) {
        Listener(boolean stdout, boolean stderr, StreamListener target) { this(stdout, stderr, target, null); }
        boolean wants(StreamType s) { return s == StreamType.STDOUT ? stdout : stderr; }
    }

    ContainerLog(Path file, ObjectMapper json) {
        this.file = file;
        this.json = json;
        for (StreamType s : StreamType.values()) {
            partial.put(s, new ByteArrayOutputStream());
        }
    }

    /** @return the log file */
    Path file() { return file; }

    /**
     * Takes a chunk the workload wrote: hands it to attached clients as it is, and stores it line by line.
     */
    synchronized void write(StreamType stream, byte[] chunk, int length) {
        Instant now = Instant.now();
        byte[] copy = java.util.Arrays.copyOf(chunk, length);
        for (Listener l : attachers) {
            if (l.wants(stream)) {
                l.target().onData(stream, copy, now);
            }
        }
        ByteArrayOutputStream line = partial.get(stream);
        for (int i = 0; i < length; i++) {
            line.write(chunk[i]);
            if (chunk[i] == '\n' || line.size() >= MAX_LINE) {
                emit(stream, line.toByteArray(), now);
                line.reset();
            }
        }
    }

    /** Stores what is left of unterminated lines (called when the streams reach end of file). */
    synchronized void flushPartial() {
        Instant now = Instant.now();
        for (StreamType s : StreamType.values()) {
            ByteArrayOutputStream line = partial.get(s);
            if (line.size() > 0) {
                emit(s, line.toByteArray(), now);
                line.reset();
            }
        }
    }

    private void emit(StreamType stream, byte[] data, Instant time) {
        ObjectNode entry = json.createObjectNode();
        entry.put("log", new String(data, StandardCharsets.UTF_8));
        entry.put("stream", stream.logName());
        entry.put("time", time.toString());
        try {
            if (out == null) {
                out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
            }
            out.write(json.writer().without(SerializationFeature.INDENT_OUTPUT).writeValueAsBytes(entry));
            out.write('\n');
        } catch (IOException e) {
            throw new SystemException("writing log " + file + ": " + e.getMessage(), e);
        }
        for (Listener l : List.copyOf(followers)) {
            if (l.until() != null && time.isAfter(l.until())) {   // past --until: the follow ends, as Docker's
                followers.remove(l);
                l.target().onEnd();
            } else if (l.wants(stream)) {
                l.target().onData(stream, data, time);
            }
        }
    }

    /**
     * Registers an attached client.
     *
     * @param replay deliver the stored log first ({@code logs=1})
     */
    synchronized Subscription attach(boolean stdout, boolean stderr, boolean replay, StreamListener target) {
        Listener l = new Listener(stdout, stderr, target);
        if (replay) {
            for (LogEntry e : read(new LogOptions(stdout, stderr, false, -1))) {
                target.onData(e.stream(), e.data(), e.time());
            }
        }
        attachers.add(l);
        return () -> attachers.remove(l);
    }

    /**
     * Delivers the stored log, then (with follow, while {@code live}) new entries until {@link #end()} or, with
     * {@code until}, the first entry written after it.
     * Without follow, or when not live, {@code onEnd} comes right after the stored entries.
     */
    synchronized Subscription logs(LogOptions options, boolean live, StreamListener target) {
        for (LogEntry e : read(options)) {
            target.onData(e.stream(), e.data(), e.time());
        }
        if (!options.follow() || !live || options.afterUntil(Instant.now())) {
            target.onEnd();
            return () -> { };
        }
        Listener l = new Listener(options.stdout(), options.stderr(), target, options.until());
        followers.add(l);
        return () -> followers.remove(l);
    }

    /** Ends every listener: the container exited or is being removed. */
    synchronized void end() {
        List<Listener> all = new ArrayList<>(attachers);
        all.addAll(followers);
        attachers.clear();
        followers.clear();
        for (Listener l : all) {
            l.target().onEnd();
        }
    }

    /** Closes the file (the container is removed or the daemon stops); a later write reopens it. */
    synchronized void close() {
        if (out != null) {
            try {
                out.close();
            } catch (IOException ignored) {
                // the log is only read from now on
            }
            out = null;
        }
    }

    /** @return the stored entries the options select, oldest first, the last {@code tail} ones if tail >= 0 */
    synchronized List<LogEntry> read(LogOptions options) {
        List<String> lines;
        try {
            if (out != null) {
                out.flush();
            }
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException none) {
            return List.of();
        } catch (IOException e) {
            throw new SystemException("reading log " + file + ": " + e.getMessage(), e);
        }
        List<LogEntry> entries = new ArrayList<>();
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            try {
                JsonNode n = json.readTree(line);
                StreamType s = StreamType.ofLogName(n.path("stream").asText());
                if (options.wants(s)) {
                    entries.add(new LogEntry(s, n.path("log").asText().getBytes(StandardCharsets.UTF_8),
                            Instant.parse(n.path("time").asText())));
                }
            } catch (IOException | RuntimeException torn) {
                // a line torn by a crash of the daemon mid-write: skip it, as Docker's reader does
            }
        }
        if (options.tail() >= 0 && entries.size() > options.tail()) {
            entries = entries.subList(entries.size() - options.tail(), entries.size());
        }
        // Docker's json-file reader: the tail first, then since and until on what it kept
        return entries.stream().filter(e -> options.notBeforeSince(e.time()) && !options.afterUntil(e.time()))
                .toList();
    }
}
