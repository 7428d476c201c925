package dev.rabbithole.stage1.daemon.fakes;

import java.io.InputStream;
import java.util.concurrent.LinkedBlockingQueue;

/** A pipe without Java's PipedInputStream's "write end dead" checks: bytes pushed, then EOF. */
final class QueueInputStream extends InputStream {
    private static final byte[] EOF = new byte[0];
    private final LinkedBlockingQueue<byte[]> queue = new LinkedBlockingQueue<>();
    private byte[] current;
    private int pos;
    private boolean ended;

    void push(byte[] data) { queue.add(data.clone()); }

    void end() { queue.add(EOF); }

    @Override
    public int read() {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
    }

    @Override
    public synchronized int read(byte[] b, int off, int len) {
        if (ended) {
            return -1;
        }
        try {
            while (current == null || pos >= current.length) {
                current = queue.take();
                pos = 0;
                if (current == EOF) {
                    ended = true;
                    return -1;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
        int n = Math.min(len, current.length - pos);
        System.arraycopy(current, pos, b, off, n);
        pos += n;
        return n;
    }
}
