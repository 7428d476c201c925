package dev.rabbithole.stage1.api;

import dev.rabbithole.stage1.daemon.ContainerInput;
import dev.rabbithole.stage1.daemon.EngineLog;
import io.netty.channel.Channel;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * Carries what a client writes on a hijacked connection (Engine API 1.41 attach and exec start with
 * {@code stdin=1}) to a {@link ContainerInput}, in order, on worker threads (a write may block on a full pipe;
 * the event loop must not). While a chunk is being written the channel stops reading, so a container that does not
 * read holds its client back instead of filling the daemon's memory. The client's half-close ({@code CloseWrite})
 * or its closed connection is the end of input ({@link ContainerInput#end()}). The detach keys (Docker's default {@code ctrl-p,ctrl-q}) end the
 * attachment without ending the input: they are not passed on, and {@code detach} runs.
 * Event-loop confined except for the worker tasks it queues.
 */
final class StdinPump {

    /** Docker's default detach keys, ctrl-p then ctrl-q. */
    static final byte[] DEFAULT_DETACH_KEYS = {16, 17};

    private final ContainerInput input;
    private final Channel channel;
    private final Executor workers;
    private final byte[] detachKeys;
    private final Runnable detach;
    private final ByteArrayOutputStream held = new ByteArrayOutputStream();
    private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);
    private int matched;
    private boolean ended;

    /**
     * @param input      where the bytes go
     * @param channel    the hijacked connection
     * @param workers    threads that may block
     * @param detachKeys the detach sequence, or empty for none
     * @param detach     what ends the attachment when the sequence is read
     */
    StdinPump(ContainerInput input, Channel channel, Executor workers, byte[] detachKeys, Runnable detach) {
        this.input = input;
        this.channel = channel;
        this.workers = workers;
        this.detachKeys = detachKeys;
        this.detach = detach;
    }

    /** Bytes from the client (event loop). */
    void offer(byte[] data) {
        if (ended) {
            return;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(data.length);
        for (byte b : data) {
            if (detachKeys.length > 0 && b == detachKeys[matched]) {
                held.write(b);
                if (++matched == detachKeys.length) {
                    held.reset();
                    matched = 0;
                    send(out.toByteArray());
                    ended = true;                         // detached: the input stays open for the next client
                    tail = tail.thenRunAsync(detach, workers);
                    return;
                }
                continue;
            }
            if (matched > 0) {
                out.writeBytes(held.toByteArray());
                held.reset();
                matched = 0;
                if (detachKeys.length > 0 && b == detachKeys[0]) {
                    held.write(b);
                    matched = 1;
                    continue;
                }
            }
            out.write(b);
        }
        send(out.toByteArray());
    }

    private void send(byte[] bytes) {
        if (bytes.length == 0) {
            return;
        }
        channel.config().setAutoRead(false);
        tail = tail.thenRunAsync(() -> {
            try {
                input.write(bytes);
            } catch (IOException e) {
                EngineLog.debug("stdin of an attached client dropped: " + e.getMessage());
            }
        }, workers).whenComplete((v, t) -> channel.eventLoop().execute(() -> channel.config().setAutoRead(true)));
    }

    /** The client's input ended: half-close or closed connection (event loop). Idempotent. */
    void end() {
        if (ended) {
            return;
        }
        ended = true;
        byte[] rest = held.toByteArray();
        held.reset();
        send(rest);
        tail = tail.thenRunAsync(() -> {
            if (!input.end()) {
                detach.run();                 // stdin stays open for the next client: this attachment ends (dockerd)
            }
        }, workers);
    }

    /**
     * Parses Docker's {@code detachKeys} parameter: comma-separated keys, each one character or {@code ctrl-X}
     * ({@code ctrl-a}..{@code ctrl-z} are 1..26, {@code ctrl-@} 0, {@code ctrl-[} 27, {@code ctrl-\} 28,
     * {@code ctrl-]} 29, {@code ctrl-^} 30, {@code ctrl-_} 31).
     *
     * @param spec the parameter; null or empty for the default
     * @return the byte sequence
     * @throws dev.rabbithole.stage1.errdefs.InvalidParameterException an unknown key
     */
    static byte[] parseDetachKeys(String spec) {
        if (spec == null || spec.isEmpty()) {
            return DEFAULT_DETACH_KEYS;
        }
        String[] keys = spec.split(",");
        byte[] out = new byte[keys.length];
        for (int i = 0; i < keys.length; i++) {
            String k = keys[i];
            if (k.length() == 1) {
                out[i] = (byte) k.charAt(0);
            } else if (k.length() == 6 && k.startsWith("ctrl-")) {
                char c = Character.toLowerCase(k.charAt(5));
                if (c >= 'a' && c <= 'z') {
                    out[i] = (byte) (c - 'a' + 1);
                } else if ("@[\\]^_".indexOf(c) >= 0) {
                    out[i] = (byte) (c == '@' ? 0 : 27 + "[\\]^_".indexOf(c));
                } else {
                    throw new dev.rabbithole.stage1.errdefs.InvalidParameterException("Unknown character: '" + k + "'");
                }
            } else {
                throw new dev.rabbithole.stage1.errdefs.InvalidParameterException("Unknown character: '" + k + "'");
            }
        }
        return out;
    }
}
