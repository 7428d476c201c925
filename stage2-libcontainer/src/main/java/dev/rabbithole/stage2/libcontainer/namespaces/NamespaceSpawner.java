package dev.rabbithole.stage2.libcontainer.namespaces;

import dev.rabbithole.stage2.libcontainer.configs.NamespaceType;
import dev.rabbithole.stage2.libcontainer.system.CloneFlags;
import dev.rabbithole.stage2.libcontainer.system.Syscalls;

import java.io.IOException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Starts a child process in new namespaces, the way a JVM can (the book's chapter 2, "Namespaces belong to threads, not to processes"): namespaces belong to a
 * thread, so a dedicated thread calls unshare(2) and starts the child with {@link ProcessBuilder#start()}.
 * The child is born in the thread's new namespaces (pid 1 in a new pid namespace); the rest of the JVM never
 * leaves the host's. The thread then waits for the child to exit: for the kernel it is the child's parent,
 * and the child's PR_SET_PDEATHSIG fires when it ends.
 *
 * <p>Where runc's Go parent uses clone(2) with {@code CLONE_NEW*} flags from C code that runs before the Go
 * runtime starts ({@code nsexec}), the JVM has no such early hook: unshare on one thread is the equivalent.
 *
 * <p>Not possible from a JVM: a new user namespace. unshare(2) refuses {@code CLONE_NEWUSER} with EINVAL in
 * a multithreaded process, and fork(2) of a JVM to get a single-threaded one is unsafe.
 */
public final class NamespaceSpawner {
    /** One spawn at a time: each needs an idle process reaper, which {@link #warmProcessReaper()} provides. */
    static final Object SPAWN_LOCK = new Object();
    /** Idle reapers made before each spawn; more than one, since other threads of the daemon start processes too. */
    private static final int IDLE_REAPERS = 3;

    private final Syscalls syscalls;

    /** @param syscalls the kernel interface the unshare goes through */
    public NamespaceSpawner(Syscalls syscalls) {
        this.syscalls = syscalls;
    }

    /**
     * Starts {@code builder}'s command in new namespaces of the given types.
     *
     * @param types  namespaces to create; must not contain {@link NamespaceType#USER}
     * @param builder the child's command, environment and redirects
     * @param name   a name for the short-lived thread (diagnostics only)
     * @return the started child; its {@link Process#pid()} is its pid in the host's pid namespace
     * @throws UnsupportedOperationException when a user namespace is requested
     * @throws IOException when the child cannot be started
     * @throws dev.rabbithole.stage2.libcontainer.system.SyscallException when unshare(2) fails
     */
    public Process spawn(Set<NamespaceType> types, ProcessBuilder builder, String name) throws IOException {
        return spawn(types, java.util.Map.of(), builder, name);
    }

    /** The namespaces the spawning thread can join by path: the others are the init's or impossible. */
    public static final Set<NamespaceType> JOINABLE = Set.of(NamespaceType.NET, NamespaceType.UTS,
            NamespaceType.IPC, NamespaceType.PID);

    /**
     * As {@link #spawn(Set, ProcessBuilder, String)}, joining some namespaces by path instead of making them (the
     * runtime-spec's {@code linux.namespaces[].path}): the thread opens each path, setns(2)s into it, closes it,
     * then unshares the others.
     *
     * @param types   namespaces of the child, joined ones included
     * @param join    type to path, each type in {@link #JOINABLE}
     * @param builder the child's command
     * @param name    the thread's name
     * @return the started child
     * @throws IllegalArgumentException a type that cannot be joined here
     * @throws IOException when the child cannot be started
     */
    public Process spawn(Set<NamespaceType> types, java.util.Map<NamespaceType, String> join, ProcessBuilder builder,
                         String name) throws IOException {
        for (NamespaceType t : join.keySet()) {
            if (!JOINABLE.contains(t)) {
                throw new IllegalArgumentException("joining a " + t.procName + " namespace by path is not supported");
            }
        }
        if (types.contains(NamespaceType.USER)) {
            throw new UnsupportedOperationException("user namespaces cannot be created from a JVM: "
                    + "unshare(CLONE_NEWUSER) fails with EINVAL in a multithreaded process");
        }
        Set<NamespaceType> copy = types.isEmpty() ? EnumSet.noneOf(NamespaceType.class) : EnumSet.copyOf(types);
        AtomicReference<Process> child = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        synchronized (SPAWN_LOCK) {
            warmProcessReaper();
            copy.removeAll(join.keySet());
            return spawnLocked(copy, new java.util.LinkedHashMap<>(join), builder, name, child, failure, started);
        }
    }

    /**
     * Makes sure the JDK's process reaper pool has idle threads. {@link ProcessBuilder#start()} hands every
     * child to that pool, which makes a new thread, from the thread that called {@code start()}, when no
     * reaper is idle. The spawner thread cannot make threads: after unshare(CLONE_NEWPID) its children are born
     * in another pid namespace than its own, and clone(2) refuses {@code CLONE_THREAD} then (EINVAL; the JVM
     * reports "unable to create native thread"). So before each spawn this (host) thread starts a few short
     * processes and waits until their reapers are idle again.
     */
    static void warmProcessReaper() throws IOException {
        List<Process> warm = new ArrayList<>();
        for (int i = 0; i < IDLE_REAPERS; i++) {
            warm.add(new ProcessBuilder("true").redirectErrorStream(true).start());
        }
        for (Process p : warm) {
            p.onExit().join();
        }
        try {
            Thread.sleep(5);   // let the reapers finish their tasks and wait for the next one
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while preparing a spawn", e);
        }
    }

    private Process spawnLocked(Set<NamespaceType> copy, java.util.Map<NamespaceType, String> join,
                                ProcessBuilder builder, String name,
                                AtomicReference<Process> child, AtomicReference<Throwable> failure,
                                CountDownLatch started) throws IOException {
        // tag::unshare[]
        Thread spawner = new Thread(() -> {
            Process p;
            try {
                for (java.util.Map.Entry<NamespaceType, String> j : join.entrySet()) {
                    int fd = syscalls.because("join the " + j.getKey().procName + " namespace named by path")
                            .openNamespace(j.getValue());
                    try {
                        syscalls.because("this thread only; its next child is born in it")
                                .setns(fd, j.getKey().cloneFlag);
                    } finally {
                        syscalls.close(fd);
                    }
                }
                int flags = CloneFlags.of(copy);
                if (flags != 0) {
                    // CLONE_NEWNS implies CLONE_FS: this thread gets its own root and cwd too.
                    syscalls.because("new namespaces for this thread only; its next child is born in them")
                            .unshare(flags);
                }
                List<String> argv = builder.command();
                boolean setsid = argv.size() > 1 && argv.get(0).endsWith("/setsid");
                syscalls.because(setsid ? "the init JVM in a session of its own, pid 1 of the new pid namespace"
                                : "the init JVM, pid 1 of the new pid namespace")
                        .note("posix_spawn", "\"" + argv.get(0) + "\"" + (setsid ? ", \"" + argv.get(1) + "\"" : ""),
                                "... InitMain");
                p = builder.start();
                child.set(p);
            } catch (Throwable t) {
                failure.set(t);
                return;
            } finally {
                started.countDown();
            }
            // The child's parent is this thread, not the JVM: a PR_SET_PDEATHSIG the child asked for fires when
            // the thread ends. So it stays, parked, until the child exits; a killed JVM takes it along (and the
            // containers that asked to die with it; without that signal they outlive it, reparented by the kernel).
            waitUninterruptibly(p);
        }, "unshare-" + name);
        // end::unshare[]
        spawner.setDaemon(true);
        spawner.start();
        try {
            started.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while starting " + name, e);
        }
        Throwable t = failure.get();
        if (t instanceof IOException io) {
            throw io;
        }
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof OutOfMemoryError oom) {
            // a reaper thread could not be made (see warmProcessReaper): fail this start, not the daemon
            throw new IOException("starting the init of " + name + " failed: " + oom.getMessage(), oom);
        }
        if (t instanceof Error err) {
            throw err;
        }
        return child.get();
    }

    private static void waitUninterruptibly(Process p) {
        while (true) {
            try {
                p.waitFor();
                return;
            } catch (InterruptedException e) {
                // only the child's exit ends this thread
            }
        }
    }
}
