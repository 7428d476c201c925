package dev.rabbithole.stage1.api;

import java.io.IOException;
import java.io.OutputStream;

/**
 * An {@link OutputStream} onto a chunked HTTP body: bytes are gathered into 64 KiB chunks, each written and
 * waited for ({@link Exchange.Chunked#writeAndWait}), so memory stays bounded however long the body is.
 * {@link #close()} sends what is left but does not end the response.
 */
final class ChunkedOutput extends OutputStream {
    private static final int CHUNK = 64 * 1024;

    private final Exchange.Chunked out;
    private final byte[] buffer = new byte[CHUNK];
    private int used;

    ChunkedOutput(Exchange.Chunked out) {
        this.out = out;
    }

    @Override
    public void write(int b) throws IOException {
        if (used == CHUNK) {
            flush();
        }
        buffer[used++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
        while (len > 0) {
            if (used == CHUNK) {
                flush();
            }
            int n = Math.min(len, CHUNK - used);
            System.arraycopy(b, off, buffer, used, n);
            used += n;
            off += n;
            len -= n;
        }
    }

    @Override
    public void flush() throws IOException {
        if (used > 0) {
            out.writeAndWait(java.util.Arrays.copyOf(buffer, used));
            used = 0;
        }
    }

    @Override
    public void close() throws IOException {
        flush();
    }
}
