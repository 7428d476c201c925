package dev.rabbithole.stage3.shim;

import io.grpc.Status;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A container process's stdio as the shim holds it: the process gets pipes (its 0, 1, 2, through runc), and the
 * shim copies between those pipes and what containerd named in the request: a FIFO path (containerd's and
 * dockerd's {@code cio}), a {@code file://PATH} URI (appended to), or nothing ({@code /dev/null}).
 *
 * <p>Why pipes and not the FIFOs themselves: a FIFO with no reader blocks its writer's open(2), and its reader's
 * close would give the process SIGPIPE (fifo(7)); the shim opens each output FIFO with {@code O_RDWR}, so that it
 * never blocks on open and the FIFO always has a reader, and copies into it: while dockerd is away the output waits
 * in the pipes (64 KiB each) and, when they are full, the process blocks on write; nothing is lost. The input FIFO
 * is opened read-only on a thread (open blocks until a writer comes) and copied into the process's stdin pipe; its
 * end of file, or {@code CloseIO}, closes that pipe. Copies run on small threads (128 KiB stacks), one per stream.
 */
final class Stdio {

    private static final long STACK = 128 * 1024;

    final String stdin;
    final String stdout;
    final String stderr;
    /** runc's ends: {stdin read, stdout write, stderr write}; -1 for /dev/null. Closed by {@link #closeRuntimeSide}. */
    private final int[] runtimeSide = {-1, -1, -1};
    private final AtomicInteger stdinWrite = new AtomicInteger(-1);
    /** The pty master when the process has a terminal ({@link Console}), else -1. */
    private volatile int master = -1;
    private int terminalOut = -1;
    private Thread outCopy;
    private Thread errCopy;

    private Stdio(String stdin, String stdout, String stderr) {
        this.stdin = stdin;
        this.stdout = stdout;
        this.stderr = stderr;
    }

    /**
     * Opens the destinations and makes the pipes; nothing is copied before {@link #startCopying}.
     *
     * @throws io.grpc.StatusRuntimeException UNIMPLEMENTED for a {@code binary://} URI, INVALID_ARGUMENT for a
     *         named FIFO or file that cannot be opened
     */
    static Stdio open(String id, String stdin, String stdout, String stderr) throws IOException {
        Stdio s = new Stdio(stdin, stdout, stderr);
        int outFd = -1;
        int errFd = -1;
        try {
            outFd = destination(stdout);
            errFd = destination(stderr);
            if (!stdin.isEmpty()) {
                checkFifo(stdin);
                int[] p = Libc.pipe();
                s.runtimeSide[0] = p[0];
                s.stdinWrite.set(p[1]);
            }
            if (outFd >= 0) {
                int[] p = Libc.pipe();
                s.runtimeSide[1] = p[1];
                s.outCopy = copier("shim-stdout-" + id, p[0], outFd, true);
            }
            if (errFd >= 0) {
                int[] p = Libc.pipe();
                s.runtimeSide[2] = p[1];
                s.errCopy = copier("shim-stderr-" + id, p[0], errFd, true);
            }
            return s;
        } catch (IOException | RuntimeException e) {
            if (s.outCopy == null) {
                Libc.closeQuietly(outFd);
            }
            if (s.errCopy == null) {
                Libc.closeQuietly(errFd);
            }
            s.closeRuntimeSide();
            s.closeStdin();
            throw e;
        }
    }

    /**
     * The stdio of a process with a terminal: runc's own stdio are /dev/null, the process gets the pty's slave;
     * the master comes later ({@link #attachMaster}).
     *
     * @throws io.grpc.StatusRuntimeException as {@link #open}
     */
    static Stdio openTerminal(String stdin, String stdout) throws IOException {
        Stdio s = new Stdio(stdin, stdout, "");
        if (!stdin.isEmpty()) {
            checkFifo(stdin);
        }
        s.terminalOut = destination(stdout);
        return s;
    }

    /**
     * Holds the pty master: its output is copied to stdout, stdin into it (through a duplicate, so that CloseIO
     * does not close the terminal). The master is closed by {@link #release}.
     */
    void attachMaster(String id, int fd) throws IOException {
        master = fd;
        if (terminalOut >= 0) {
            outCopy = copier("shim-pty-" + id, fd, terminalOut, false);
            terminalOut = -1;
        }
        if (!stdin.isEmpty()) {
            stdinWrite.set(Libc.dupCloexec(fd));
        }
    }

    /** @return the pty master, -1 when the process has no terminal */
    int master() {
        return master;
    }

    /** Closes the pty master (the task is deleted). */
    void release() {
        closeStdin();
        Libc.closeQuietly(terminalOut);
        terminalOut = -1;
        int m = master;
        master = -1;
        Libc.closeQuietly(m);
    }

    private static void checkFifo(String path) {
        if (path.contains("://")) {
            throw Status.UNIMPLEMENTED.withDescription("stdin " + path + ": only a FIFO path is supported for stdin")
                    .asRuntimeException();
        }
        if (!Files.exists(Path.of(path), LinkOption.NOFOLLOW_LINKS)) {
            throw Status.INVALID_ARGUMENT.withDescription("stdin FIFO " + path + " does not exist").asRuntimeException();
        }
    }

    private static int destination(String uri) throws IOException {
        if (uri.isEmpty()) {
            return -1;
        }
        try {
            if (uri.startsWith("file://")) {
                Path p = Path.of(uri.substring("file://".length()));
                Files.createDirectories(p.toAbsolutePath().getParent());
                return Libc.openFile(p.toString(), Libc.O_WRONLY | Libc.O_CREAT | Libc.O_APPEND, 0640);
            }
            if (uri.contains("://")) {
                throw Status.UNIMPLEMENTED.withDescription("stdio " + uri + ": only FIFO paths and file:// URIs are supported")
                        .asRuntimeException();
            }
            // tag::stdio-rdwr[]
            // O_RDWR: does not wait for a reader, and the FIFO keeps one while containerd's or dockerd's is away
            return Libc.openFile(uri, Libc.O_RDWR, 0);
            // end::stdio-rdwr[]
        } catch (IOException e) {
            throw Status.INVALID_ARGUMENT.withDescription("cannot open stdio " + uri + ": " + e.getMessage())
                    .asRuntimeException();
        }
    }

    private static Thread copier(String name, int from, int to, boolean closeFrom) {
        Thread t = new Thread(null, () -> {
            byte[] buf = new byte[32 * 1024];
            try {
                for (int n; (n = Libc.readSome(from, buf)) > 0; ) {
                    Libc.writeAll(to, buf, n);
                }
            } catch (IOException e) {
                // the destination failed (a file system full), or a pty master read EIO: its process is gone
            } finally {
                if (closeFrom) {
                    Libc.closeQuietly(from);
                }
                Libc.closeQuietly(to);
            }
        }, name, STACK);
        t.setDaemon(true);
        return t;
    }

    /** @return the descriptors runc gets as its 0, 1, 2 (and hands to the container process) */
    int[] runtimeFds() {
        return runtimeSide.clone();
    }

    /** Starts the copies; the stdin copy waits for a writer on the stdin FIFO. */
    void startCopying(String id) {
        if (outCopy != null) {
            outCopy.start();
        }
        if (errCopy != null) {
            errCopy.start();
        }
        if (stdinWrite.get() >= 0) {
            Thread t = new Thread(null, () -> {
                int in = -1;
                try {
                    in = Libc.openFile(stdin, Libc.O_RDONLY, 0); // blocks until a writer opens the FIFO
                    byte[] buf = new byte[32 * 1024];
                    for (int n; (n = Libc.readSome(in, buf)) > 0; ) {
                        int to = stdinWrite.get();
                        if (to < 0) {
                            break;
                        }
                        Libc.writeAll(to, buf, n);
                    }
                } catch (IOException e) {
                    // the process closed its stdin, or CloseIO did
                } finally {
                    Libc.closeQuietly(in);
                    closeStdin();
                }
            }, "shim-stdin-" + id, STACK);
            t.setDaemon(true);
            t.start();
        }
    }

    /** Closes the shim's copies of runc's ends (after runc has started the process, or failed). */
    void closeRuntimeSide() {
        for (int i = 0; i < 3; i++) {
            Libc.closeQuietly(runtimeSide[i]);
            runtimeSide[i] = -1;
        }
    }

    /** CloseIO: the process reads end of file on its stdin. */
    void closeStdin() {
        Libc.closeQuietly(stdinWrite.getAndSet(-1));
    }

    /** Closes everything of a process that never ran (its copies get end of file). */
    void abandon() {
        closeRuntimeSide();
        release();
        for (Thread t : new Thread[] {outCopy, errCopy}) {
            if (t != null && !t.isAlive() && t.getState() == Thread.State.NEW) {
                t.start(); // reads end of file at once, closes both ends
            }
        }
    }

    /**
     * Waits for the output copies to reach end of file (every writer of the pipes gone), so that an exit is
     * reported after the process's last output was handed on.
     *
     * @param millis at most this long (a background process that inherited the pipes may keep them open)
     */
    void awaitDrained(long millis) {
        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        for (Thread t : new Thread[] {outCopy, errCopy}) {
            if (t == null) {
                continue;
            }
            long left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
            if (left <= 0) {
                return;
            }
            try {
                t.join(left);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
