package dev.rabbithole.stage1.image;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;

/**
 * Passes every byte read (and skipped: skipping reads) to a second stream, e.g. a digest or a gzip
 * writer. Unlike {@link java.security.DigestInputStream}, a {@code skip} by a tar parser is hashed too.
 */
final class TeeInputStream extends FilterInputStream {
    private final OutputStream copy;

    TeeInputStream(InputStream in, OutputStream copy) {
        super(in);
        this.copy = copy;
    }

    /** @return a stream that feeds every byte read from {@code in} to {@code md} */
    static TeeInputStream hashing(InputStream in, MessageDigest md) {
        return new TeeInputStream(in, new DigestOutputStream(OutputStream.nullOutputStream(), md));
    }

    @Override
    public int read() throws IOException {
        int b = super.read();
        if (b >= 0) copy.write(b);
        return b;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
        int n = super.read(b, off, len);
        if (n > 0) copy.write(b, off, n);
        return n;
    }

    @Override
    public long skip(long n) throws IOException {
        byte[] buf = new byte[(int) Math.max(1, Math.min(n, 8192))];
        long done = 0;
        while (done < n) {
            int r = read(buf, 0, (int) Math.min(buf.length, n - done));
            if (r < 0) break;
            done += r;
        }
        return done;
    }

    @Override
    public boolean markSupported() {
        return false;
    }

    @Override
    public synchronized void mark(int readlimit) {
        // not supported: a reset would hash bytes twice
    }
}
