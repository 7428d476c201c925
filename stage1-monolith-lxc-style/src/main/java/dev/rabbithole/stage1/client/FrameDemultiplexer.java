package dev.rabbithole.stage1.client;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;

/**
 * Splits the Engine API's multiplexed stream back into stdout and stderr (the framing of
 * {@code POST /containers/{id}/attach} and {@code GET /containers/{id}/logs} when the container has no TTY).
 * A frame is an 8-byte header — byte 0 the stream (0 stdin, 1 stdout, 2 stderr), bytes 1-3 zero, bytes 4-7
 * the payload length as an unsigned 32-bit big-endian integer — followed by that many payload bytes.
 * <p>
 * Frames may arrive split across reads in any way: {@link #feed} keeps partial headers and payloads until
 * the rest arrives, and writes each payload piece as soon as it has it (so a slow writer's output shows up
 * at once). Not thread-safe: feed it from one thread (a Netty event loop).
 */
public final class FrameDemultiplexer {
    private static final int HEADER = 8;

    private final OutputStream stdout;
    private final OutputStream stderr;
    private final byte[] header = new byte[HEADER];
    private int headerFill;
    private long remaining;
    private int stream;

    /**
     * @param stdout where payloads of stream 1 (and stream 0) go
     * @param stderr where payloads of stream 2 go
     */
    public FrameDemultiplexer(OutputStream stdout, OutputStream stderr) {
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /**
     * Consumes bytes of the stream.
     *
     * @param buf    the bytes
     * @param offset first byte to read
     * @param length number of bytes to read
     * @throws IllegalStateException when a header names a stream other than 0, 1 or 2 (not a multiplexed stream)
     * @throws UncheckedIOException  when writing to stdout or stderr fails
     */
    public void feed(byte[] buf, int offset, int length) {
        int pos = offset;
        int end = offset + length;
        while (pos < end) {
            if (remaining == 0) {
                int n = Math.min(HEADER - headerFill, end - pos);
                System.arraycopy(buf, pos, header, headerFill, n);
                headerFill += n;
                pos += n;
                if (headerFill == HEADER) {
                    headerFill = 0;
                    stream = header[0];
                    if (stream < 0 || stream > 2) {
                        throw new IllegalStateException("not a multiplexed stream: frame header starts with byte " + (header[0] & 0xff));
                    }
                    remaining = ((header[4] & 0xffL) << 24) | ((header[5] & 0xffL) << 16) | ((header[6] & 0xffL) << 8) | (header[7] & 0xffL);
                }
            } else {
                int n = (int) Math.min(remaining, end - pos);
                write(buf, pos, n);
                remaining -= n;
                pos += n;
            }
        }
    }

    /** @return true when the bytes fed so far end exactly at a frame boundary */
    public boolean atFrameBoundary() {
        return headerFill == 0 && remaining == 0;
    }

    /**
     * Builds one frame (for tests and for servers that speak the same framing).
     *
     * @param stream  1 for stdout, 2 for stderr
     * @param payload the bytes to carry
     * @return header and payload
     */
    public static byte[] frame(int stream, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(HEADER + payload.length);
        int len = payload.length;
        out.writeBytes(new byte[] {(byte) stream, 0, 0, 0, (byte) (len >>> 24), (byte) (len >>> 16), (byte) (len >>> 8), (byte) len});
        out.writeBytes(payload);
        return out.toByteArray();
    }

    private void write(byte[] buf, int pos, int n) {
        try {
            OutputStream target = stream == 2 ? stderr : stdout;
            target.write(buf, pos, n);
            target.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
