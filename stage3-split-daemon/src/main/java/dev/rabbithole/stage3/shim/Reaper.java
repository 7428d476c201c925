package dev.rabbithole.stage3.shim;

import com.sun.jna.LastErrorException;

import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * The shim's one reaping loop: the only place in the shim process that calls {@code wait}. The shim is a child
 * subreaper ({@code prctl(PR_SET_CHILD_SUBREAPER, 1)}, prctl(2)): when runc create or runc exec exits, the
 * container's init or the exec'd process it started is reparented to the shim instead of to pid 1, and its exit
 * status comes to the shim's {@code waitpid(-1, ...)} (wait(2)).
 *
 * <p>Why one loop, and no {@link ProcessBuilder}: a {@code waitpid(-1)} loop reaps every child, including those
 * that Java's {@code ProcessBuilder} started, whose "process reaper" thread waits for its own pid and would then get
 * ECHILD and a wrong exit status; and the other way round nothing else may reap a container process, or its exit
 * status is lost. So the long-lived shim starts the runtime binary itself with {@code posix_spawn(3)}
 * ({@link Libc#spawn}) under this class's lock, and registers the new pid before the loop can report it; the loop
 * hands every status to whoever registered that pid ({@link #spawn} for runc, {@link #watch} for a container
 * process whose pid runc wrote to its pid file). A status that arrives before anyone asked for it (a container
 * that exits before runc create has returned) is kept for a while, so that a later {@link #watch} gets it.
 *
 * <p>Exit statuses are as containerd reports them: the exit code, or 128 + the signal number for a process
 * killed by a signal (137 for SIGKILL).
 */
final class Reaper {

    /** How long an exit nobody asked for is kept: runc create returns long before that, milliseconds. */
    private static final long UNCLAIMED_MILLIS = 120_000;

    private final Object lock = new Object();
    private final Map<Integer, CompletableFuture<Integer>> waiting = new HashMap<>();
    private final Map<Integer, long[]> unclaimed = new HashMap<>();
    private boolean mayHaveChildren;

    /**
     * Makes this process a child subreaper and starts the loop on a daemon thread.
     *
     * @throws IOException if prctl fails
     */
    Reaper start() throws IOException {
        try {
            Libc.prctl(Libc.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
        } catch (LastErrorException e) {
            throw Libc.error("prctl", "PR_SET_CHILD_SUBREAPER", e);
        }
        Thread t = new Thread(null, this::loop, "shim-reaper", 256 * 1024);
        t.setDaemon(true);
        t.start();
        return this;
    }

    // tag::reaper-loop[]
    private void loop() {
        int[] status = new int[1];
        while (true) {
            int pid;
            try {
                pid = Libc.waitpid(-1, status, 0);
            } catch (LastErrorException e) {
                if (e.getErrorCode() == Libc.ECHILD) {
                    synchronized (lock) {
                        mayHaveChildren = false;
                        while (!mayHaveChildren) {
                            try {
                                lock.wait(1000);
                            } catch (InterruptedException ie) {
                                return;
                            }
                            mayHaveChildren = true; // also re-check now and then: a child may have come otherwise
                        }
                    }
                }
                continue;
            }
            int s = status[0];
            int code;
            if ((s & 0x7f) == 0) {
                code = (s >> 8) & 0xff;         // WIFEXITED: WEXITSTATUS
            } else if ((s & 0xff) != 0x7f) {
                code = 128 + (s & 0x7f);        // WIFSIGNALED: 128 + WTERMSIG
            } else {
                continue;                       // stopped: not an exit (we do not ask for WUNTRACED anyway)
            }
            deliver(pid, code);
        }
    }
    // end::reaper-loop[]

    private void deliver(int pid, int code) {
        CompletableFuture<Integer> f;
        synchronized (lock) {
            f = waiting.remove(pid);
            if (f == null) {
                long now = System.currentTimeMillis();
                unclaimed.values().removeIf(v -> now - v[1] > UNCLAIMED_MILLIS);
                unclaimed.put(pid, new long[] {code, now});
                return;
            }
        }
        f.complete(code);
    }

    /**
     * Starts a program (posix_spawn) and registers its pid before the loop can reap it.
     *
     * @param path the program's absolute path
     * @param argv its argv, argv[0] included
     * @param env its environment, {@code NAME=value}
     * @param stdio descriptors for its 0, 1, 2 (-1: /dev/null)
     * @param cwd its working directory, null for the shim's
     * @return the pid and a future of its exit status
     * @throws IOException if it cannot be started
     */
    // tag::reaper-spawn[]
    Child spawn(String path, List<String> argv, List<String> env, int[] stdio, String cwd) throws IOException {
        synchronized (lock) {
            int pid = Libc.spawn(path, argv, env, stdio, cwd);
            CompletableFuture<Integer> f = new CompletableFuture<>();
            waiting.put(pid, f);
            mayHaveChildren = true;
            lock.notifyAll();
            return new Child(pid, f);
        }
    }
    // end::reaper-spawn[]

    /**
     * Asks for the exit status of a process that became the shim's child by reparenting (a container's init, an
     * exec'd process). A status that arrived already is answered at once.
     *
     * @param pid the process
     * @return completes with its exit status
     */
    CompletableFuture<Integer> watch(int pid) {
        synchronized (lock) {
            long[] early = unclaimed.remove(pid);
            if (early != null) {
                return CompletableFuture.completedFuture((int) early[0]);
            }
            return waiting.computeIfAbsent(pid, p -> new CompletableFuture<>());
        }
    }

    /** A spawned child: its pid and its exit status to come. */
    record Child(int pid, CompletableFuture<Integer> exit) {
    }
}
