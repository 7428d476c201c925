package dev.rabbithole.stage3.dockerd;

import com.sun.jna.Native;
import dev.rabbithole.stage1.errdefs.SystemException;

import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The named pipes (fifo(7)) a container's stdio goes through, as moby's libcontainerd makes them for containerd:
 * {@code EXEC_ROOT/containerd/ID/init-stdin}, {@code init-stdout}, {@code init-stderr}. dockerd creates them and
 * reads (writes stdin); the shim opens the other end when the task is created and keeps it, and a reader of its
 * own, across dockerd's restarts: what the workload prints while no dockerd reads stays in the pipe (up to the
 * kernel's pipe buffer, 64 KiB by default, then the workload blocks) and a new dockerd that opens the FIFO again
 * reads it.
 */
public final class Fifos {
    private Fifos() { }

    /** libc's mkfifo(3). */
    private static final class Libc {
        static {
            Native.register("c");
        }

        static native int mkfifo(String path, int mode);

        static native int open(String path, int flags);

        static native int read(int fd, byte[] buf, int count);

        static native int poll(com.sun.jna.Pointer fds, int nfds, int timeoutMillis);

        static native int close(int fd);
    }

    private static final int O_RDONLY = 0;
    private static final int O_NONBLOCK = 04000;
    private static final int O_CLOEXEC = 02000000;
    private static final int EAGAIN = 11;
    private static final int EINTR = 4;

    /**
     * Makes a FIFO (mode 0700, as containerd's cio does); an existing one is kept.
     *
     * @param path where
     * @throws SystemException mkfifo(3) failed
     */
    public static void make(Path path) {
        if (Files.exists(path)) {
            return;
        }
        if (Libc.mkfifo(path.toString(), 0700) != 0) {
            throw new SystemException("mkfifo " + path + ": errno " + Native.getLastError());
        }
    }

    /** The daemon is stopping with live restore: readers stop taking bytes from their FIFOs. */
    private static volatile boolean detaching;
    /** Chunks a reader returned whose caller has not asked for more yet (so they may not be stored yet). */
    private static final java.util.concurrent.atomic.AtomicInteger IN_FLIGHT = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * Makes every reader stop taking bytes from its FIFO and waits (at most {@code timeoutMillis}) until every
     * chunk already taken has been handed on, i.e. its reader was asked for more. What the shim writes from now on
     * stays in the FIFO for the next daemon: nothing is lost when a daemon stops with live restore.
     *
     * @param timeoutMillis how long to wait, milliseconds
     */
    public static void detach(long timeoutMillis) {
        detaching = true;
        long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
        while (IN_FLIGHT.get() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(10);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** Undoes {@link #detach} (tests: one JVM plays several daemons). */
    static void attachAgain() {
        detaching = false;
    }

    /**
     * A FIFO read without blocking in open(2): opened with {@code O_RDONLY|O_NONBLOCK} (which returns at once,
     * writer or not: the shim's blocking open for writing then finds a reader), then read when poll(2) says it
     * is readable. The stream ends when the last writer closed after having opened (POLLHUP: the shim, once the
     * workload's output is copied), when the task is known to have exited and nothing is left to read, or when
     * the daemon {@link #detach detaches}; until then a read waits for data.
     */
    public static final class Reader extends InputStream {
        private static final short POLLIN = 0x1;
        private static final short POLLHUP = 0x10;
        private final Path path;
        private final int fd;
        private final java.util.function.BooleanSupplier exited;
        private volatile boolean eof;
        private volatile boolean reading;
        private boolean handedOut;
        private final java.util.concurrent.atomic.AtomicBoolean fdClosed = new java.util.concurrent.atomic.AtomicBoolean();

        /**
         * Opens the FIFO.
         *
         * @param path   the FIFO
         * @param exited whether the task's exit is known: then a read that finds nothing ends the stream
         * @throws SystemException open(2) failed
         */
        public Reader(Path path, java.util.function.BooleanSupplier exited) {
            this.path = path;
            this.exited = exited;
            this.fd = Libc.open(path.toString(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
            if (fd < 0) {
                throw new SystemException("open " + path + ": errno " + Native.getLastError());
            }
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n <= 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) throws IOException {
            if (handedOut) {
                handedOut = false;
                IN_FLIGHT.decrementAndGet();            // the caller is back: the last chunk was handed on
            }
            if (len == 0) {
                return 0;
            }
            reading = true;
            try {
                return readSome(b, off, len);
            } finally {
                reading = false;
                if (eof) {
                    closeFd();
                }
            }
        }

        private int readSome(byte[] b, int off, int len) throws IOException {
            boolean lastLook = false;
            while (!eof && !detaching) {
                int ready = Libc.poll(pollfd(), 1, lastLook ? 0 : 200);
                short r = readEvents();
                if (ready > 0 && (r & POLLIN) != 0) {
                    byte[] buf = new byte[len];
                    int n = Libc.read(fd, buf, len);
                    if (n > 0) {
                        System.arraycopy(buf, 0, b, off, n);
                        handedOut = true;
                        IN_FLIGHT.incrementAndGet();
                        return n;
                    }
                    if (n == 0) {
                        eof = true;
                    } else if (Native.getLastError() != EAGAIN && Native.getLastError() != EINTR) {
                        throw new IOException("read " + path + ": errno " + Native.getLastError());
                    }
                } else if (ready > 0 && (r & POLLHUP) != 0) {
                    eof = true;
                } else if (lastLook) {
                    eof = true;
                } else if (exited.getAsBoolean()) {
                    lastLook = true;                        // the task ended: what is there, then the end
                }
            }
            return -1;
        }

        private final com.sun.jna.Memory pfd = new com.sun.jna.Memory(8);

        private com.sun.jna.Pointer pollfd() {
            pfd.setInt(0, fd);
            pfd.setShort(4, (short) (POLLIN | POLLHUP));
            pfd.setShort(6, (short) 0);
            return pfd;
        }

        private short readEvents() {
            return pfd.getShort(6);
        }

        /** Ends the stream; a read under way ends within 200 ms and closes the file descriptor. */
        @Override
        public void close() {
            eof = true;
            if (!reading) {
                closeFd();
            }
        }

        private void closeFd() {
            if (fdClosed.compareAndSet(false, true)) {
                if (handedOut) {
                    handedOut = false;
                    IN_FLIGHT.decrementAndGet();
                }
                Libc.close(fd);
            }
        }
    }

    /**
     * A FIFO opened for writing in the background (the container's stdin): open(2) with O_WRONLY blocks until
     * the shim opens its reader.
     */
    public static final class Writer extends OutputStream {
        private final Path path;
        private final CompletableFuture<OutputStream> opened = new CompletableFuture<>();
        private final Runnable onClose;

        /**
         * @param path    the FIFO
         * @param onClose what closing means besides closing the FIFO (Tasks.CloseIO: the workload sees EOF)
         */
        public Writer(Path path, Runnable onClose) {
            this.path = path;
            this.onClose = onClose;
            Thread t = new Thread(() -> {
                try {
                    opened.complete(new FileOutputStream(path.toFile()));
                } catch (IOException e) {
                    opened.completeExceptionally(e);
                }
            }, "fifo-open " + path.getFileName());
            t.setDaemon(true);
            t.start();
        }

        private OutputStream out() throws IOException {
            try {
                return opened.get(30, TimeUnit.SECONDS);
            } catch (ExecutionException | TimeoutException e) {
                throw new IOException("stdin of the container is not open: " + path, e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted opening " + path);
            }
        }

        @Override
        public void write(int b) throws IOException {
            out().write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out().write(b, off, len);
        }

        @Override
        public void flush() throws IOException {
            out().flush();
        }

        /**
         * Closes the FIFO (the process reads EOF) and runs the close action. A writer still waiting in open(2)
         * for a shim that never came is released first: a reader of our own, opened and closed, lets it return.
         */
        @Override
        public void close() throws IOException {
            try {
                if (!opened.isDone()) {
                    int fd = Libc.open(path.toString(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
                    try {
                        opened.get(1, TimeUnit.SECONDS);
                    } catch (ExecutionException | TimeoutException e) {
                        // it failed, or is stuck elsewhere: nothing to close
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    } finally {
                        if (fd >= 0) {
                            Libc.close(fd);
                        }
                    }
                }
                if (opened.isDone() && !opened.isCompletedExceptionally()) {
                    opened.join().close();
                }
            } finally {
                onClose.run();
            }
        }
    }

    /**
     * Removes a container's FIFO directory ({@code EXEC_ROOT/containerd/ID}) and what is in it. Idempotent.
     *
     * @param dir the directory
     */
    public static void removeDir(Path dir) {
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.deleteIfExists(p);
            }
            Files.deleteIfExists(dir);
        } catch (java.nio.file.NoSuchFileException e) {
            // already gone
        } catch (IOException e) {
            throw new SystemException("removing " + dir + ": " + e.getMessage(), e);
        }
    }

    /** The FIFO names of a container's init process, moby's: stdin, stdout, stderr. */
    public static final List<String> INIT = List.of("init-stdin", "init-stdout", "init-stderr");
}
