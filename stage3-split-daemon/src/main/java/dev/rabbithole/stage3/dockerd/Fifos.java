package dev.rabbithole.stage3.dockerd;

import com.sun.jna.Native;
import dev.rabbithole.stage1.errdefs.SystemException;

import java.io.FileInputStream;
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
    }

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

    /**
     * A FIFO opened for reading in the background: open(2) with O_RDONLY blocks until a writer opens it (the
     * shim, at Tasks.Create), so it runs on its own thread; {@link #stream()} is a stream that waits for it.
     * The stream ends (EOF) when every writer has closed: the shim does once the workload's output is copied.
     */
    public static final class Reader {
        private final Path path;
        private final CompletableFuture<InputStream> opened = new CompletableFuture<>();

        /** Starts opening the FIFO at once, on a daemon thread. */
        public Reader(Path path) {
            this.path = path;
            Thread t = new Thread(() -> {
                try {
                    opened.complete(new FileInputStream(path.toFile()));
                } catch (IOException e) {
                    opened.completeExceptionally(e);
                }
            }, "fifo-open " + path.getFileName());
            t.setDaemon(true);
            t.start();
        }

        /**
         * Opens the FIFO now without waiting for the shim: briefly opens a writer of our own so that the reader's
         * open returns. With a shim that still holds its writer, the stream goes on with the shim's output; with
         * none, it ends at once. Used on restore, and to release a reader whose task was never created.
         */
        public Reader unblock() {
            if (!opened.isDone()) {
                try (OutputStream w = new FileOutputStream(path.toFile())) {
                    opened.get(5, TimeUnit.SECONDS);         // ours is a writer too: the reader's open returned
                } catch (IOException | ExecutionException | TimeoutException e) {
                    opened.completeExceptionally(e);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return this;
        }

        /** @return the stream; reading waits for the open, and an open that failed reads as an empty stream */
        public InputStream stream() {
            return new InputStream() {
                private InputStream in() throws IOException {
                    try {
                        return opened.get();
                    } catch (ExecutionException e) {
                        return InputStream.nullInputStream();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        throw new IOException("interrupted opening " + path);
                    }
                }

                @Override
                public int read() throws IOException {
                    return in().read();
                }

                @Override
                public int read(byte[] b, int off, int len) throws IOException {
                    return in().read(b, off, len);
                }

                @Override
                public void close() throws IOException {
                    if (opened.isDone() && !opened.isCompletedExceptionally()) {
                        opened.join().close();
                    }
                }
            };
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

        @Override
        public void close() throws IOException {
            try {
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
