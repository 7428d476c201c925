package dev.rabbithole.stage2.libcontainer.namespaces;

import com.sun.jna.LastErrorException;
import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;
import com.sun.jna.StringArray;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * A child started with posix_spawn(3) instead of {@link ProcessBuilder}, so that no JDK process reaper thread
 * waits for it. A child of {@link ProcessBuilder} is waited for by the JDK at once (waitpid(2) on a reaper thread):
 * when it exits while this JVM still runs, the JDK takes its exit status, and a subreaper this JVM's children are
 * reparented to (a shim, runc-detached(8)'s use) never sees it. A child of this class stays a zombie until this JVM
 * waits for it ({@link #waitFor()}) or exits, when it is reparented, exit status and all.
 *
 * <p>It has no pipes: it inherits this JVM's descriptors 0, 1 and 2; every other descriptor is closed in it. Its
 * signal mask is empty and its signal dispositions the defaults. {@link #onExit()} and {@link #isAlive()} look
 * without reaping (waitid(2) with {@code WNOWAIT}, through {@link ProcessHandle}); {@link #waitFor()} reaps
 * (waitpid(2)) and is the caller's choice.
 */
public final class UnwatchedProcess extends Process {
    private static final short POSIX_SPAWN_SETSIGDEF = 0x04;
    private static final short POSIX_SPAWN_SETSIGMASK = 0x08;
    /** glibc 64-bit: posix_spawn_file_actions_t is 80 bytes, posix_spawnattr_t 336, sigset_t 128: room to spare. */
    private static final int FILE_ACTIONS_SIZE = 256;
    private static final int SPAWNATTR_SIZE = 1024;
    private static final int SIGSET_SIZE = 128;
    private static final int EINTR = 4;
    private static final int SIGKILL = 9;
    private static final int SIGTERM = 15;

    private static final class Libc {
        static {
            Native.register(Libc.class, NativeLibrary.getInstance("c"));
        }

        static native int waitpid(int pid, int[] status, int options) throws LastErrorException;
        static native int kill(int pid, int sig) throws LastErrorException;
        static native String strerror(int errnum);
        static native int posix_spawn(int[] pid, String path, Pointer fileActions, Pointer attr, StringArray argv,
                                      StringArray envp);
        static native int posix_spawn_file_actions_init(Pointer fa);
        static native int posix_spawn_file_actions_destroy(Pointer fa);
        static native int posix_spawn_file_actions_addclosefrom_np(Pointer fa, int from);
        static native int posix_spawn_file_actions_addchdir_np(Pointer fa, String path);
        static native int posix_spawnattr_init(Pointer attr);
        static native int posix_spawnattr_destroy(Pointer attr);
        static native int posix_spawnattr_setflags(Pointer attr, short flags);
        static native int posix_spawnattr_setsigmask(Pointer attr, Pointer set);
        static native int posix_spawnattr_setsigdefault(Pointer attr, Pointer set);
        static native int sigemptyset(Pointer set);
        static native int sigfillset(Pointer set);
    }

    private final int pid;
    private Integer status;

    private UnwatchedProcess(int pid) {
        this.pid = pid;
    }

    /**
     * posix_spawn(3) of {@code argv} in the calling thread's namespaces (a thread that called setns(2) for a pid
     * namespace starts the child in it).
     *
     * @param argv the command; {@code argv[0]} an absolute path (no {@code $PATH} search)
     * @param env  the environment, {@code KEY=VALUE} each
     * @param cwd  the child's working directory, null for this JVM's
     * @return the child, not waited for by anyone yet
     * @throws IOException with errno's text when it cannot be started
     */
    public static UnwatchedProcess spawn(List<String> argv, List<String> env, Path cwd) throws IOException {
        if (argv.isEmpty() || !argv.get(0).startsWith("/")) {
            throw new IOException("posix_spawn: the program must be an absolute path, got " + argv);
        }
        Memory fa = new Memory(FILE_ACTIONS_SIZE);
        Memory attr = new Memory(SPAWNATTR_SIZE);
        Memory empty = new Memory(SIGSET_SIZE);
        Memory all = new Memory(SIGSET_SIZE);
        fa.clear();
        attr.clear();
        Libc.posix_spawn_file_actions_init(fa);
        Libc.posix_spawnattr_init(attr);
        try {
            check(Libc.posix_spawn_file_actions_addclosefrom_np(fa, 3), "posix_spawn_file_actions_addclosefrom_np");
            if (cwd != null) {
                check(Libc.posix_spawn_file_actions_addchdir_np(fa, cwd.toString()), "posix_spawn_file_actions_addchdir_np");
            }
            Libc.sigemptyset(empty);
            Libc.sigfillset(all);
            check(Libc.posix_spawnattr_setsigmask(attr, empty), "posix_spawnattr_setsigmask");
            check(Libc.posix_spawnattr_setsigdefault(attr, all), "posix_spawnattr_setsigdefault");
            check(Libc.posix_spawnattr_setflags(attr, (short) (POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK)),
                    "posix_spawnattr_setflags");
            int[] pid = new int[1];
            check(Libc.posix_spawn(pid, argv.get(0), fa, attr, new StringArray(argv.toArray(new String[0])),
                    new StringArray(env.toArray(new String[0]))), "posix_spawn " + argv.get(0));
            return new UnwatchedProcess(pid[0]);
        } finally {
            Libc.posix_spawn_file_actions_destroy(fa);
            Libc.posix_spawnattr_destroy(attr);
        }
    }

    private static void check(int rc, String call) throws IOException {
        if (rc != 0) {
            throw new IOException(call + ": " + Libc.strerror(rc));
        }
    }

    @Override
    public long pid() {
        return pid;
    }

    @Override
    public OutputStream getOutputStream() {
        return OutputStream.nullOutputStream();
    }

    @Override
    public InputStream getInputStream() {
        return InputStream.nullInputStream();
    }

    @Override
    public InputStream getErrorStream() {
        return InputStream.nullInputStream();
    }

    /**
     * Reaps the child (waitpid(2)): after this no one else gets its exit status.
     *
     * @return its exit(2) value, or 128 + the signal that killed it
     */
    @Override
    public synchronized int waitFor() throws InterruptedException {
        while (status == null) {
            int[] st = new int[1];
            try {
                Libc.waitpid(pid, st, 0);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == EINTR) {
                    continue;
                }
                status = -1; // not our child any more (ECHILD): nothing to report
                break;
            }
            int s = st[0];
            status = (s & 0x7f) == 0 ? (s >> 8) & 0xff : 128 + (s & 0x7f);
        }
        return status;
    }

    @Override
    public boolean waitFor(long timeout, TimeUnit unit) throws InterruptedException {
        try {
            onExit().get(timeout, unit);
        } catch (java.util.concurrent.TimeoutException e) {
            return false;
        } catch (java.util.concurrent.ExecutionException e) {
            // the handle's future does not fail
        }
        waitFor();
        return true;
    }

    @Override
    public synchronized int exitValue() {
        if (status == null) {
            if (isAlive()) {
                throw new IllegalThreadStateException("process " + pid + " has not exited");
            }
            try {
                return waitFor();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalThreadStateException("interrupted");
            }
        }
        return status;
    }

    /** Whether it has not exited (a zombie counts as exited); does not reap. */
    @Override
    public synchronized boolean isAlive() {
        if (status != null) {
            return false;
        }
        try {
            String stat = java.nio.file.Files.readString(Path.of("/proc", String.valueOf(pid), "stat"));
            int end = stat.lastIndexOf(')'); // the state follows the command name, which may hold anything
            char state = end >= 0 && end + 2 < stat.length() ? stat.charAt(end + 2) : 'X';
            return state != 'Z' && state != 'X';
        } catch (IOException e) {
            return false;
        }
    }

    /** Completes when it exits, without reaping it (the JDK's {@link ProcessHandle#onExit()} uses WNOWAIT). */
    @Override
    public CompletableFuture<Process> onExit() {
        return ProcessHandle.of(pid).map(h -> h.onExit().thenApply(x -> (Process) this))
                .orElse(CompletableFuture.completedFuture(this));
    }

    @Override
    public ProcessHandle toHandle() {
        return ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException("process " + pid + " is gone"));
    }

    @Override
    public void destroy() {
        signal(SIGTERM);
    }

    @Override
    public Process destroyForcibly() {
        signal(SIGKILL);
        return this;
    }

    private synchronized void signal(int sig) {
        if (status == null) { // never a reaped (reusable) pid
            try {
                Libc.kill(pid, sig);
            } catch (LastErrorException e) {
                // gone
            }
        }
    }
}
