package dev.rabbithole.stage2.libcontainer.namespaces;

import dev.rabbithole.stage2.libcontainer.configs.NamespaceType;
import dev.rabbithole.stage2.libcontainer.system.Syscalls;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Starts a child process in namespaces that exist already (a running container's), the way a JVM can: a
 * dedicated thread calls setns(2) for each of them and starts the child with {@link ProcessBuilder#start()}
 * (setns(2): a thread's namespaces are its own; for a pid namespace only the thread's later children are
 * moved, which is what is wanted). The mount namespace is not joined here: after it the JDK would look for its
 * {@code jspawnhelper} inside the container's root. The child joins it itself (unshare(CLONE_FS), then setns).
 *
 * <p>The thread stays, parked, until the child exits when {@code keepParent} is set, so that a
 * PR_SET_PDEATHSIG the child asks for fires only when this JVM dies; otherwise it ends right after the start.
 * A thread that joined another pid namespace can never start threads (clone(2) refuses CLONE_THREAD), so it is
 * never reused.
 */
public final class NamespaceJoiner {
    private final Syscalls syscalls;

    /** @param syscalls the kernel interface the setns calls go through */
    public NamespaceJoiner(Syscalls syscalls) {
        this.syscalls = syscalls;
    }

    /**
     * Starts {@code builder}'s command in the namespaces given by open descriptors; the descriptors are not
     * closed.
     *
     * @param namespaces namespace type to an open descriptor on {@code /proc/PID/ns/*}, joined in this order;
     *                   must not hold {@link NamespaceType#MOUNT} or {@link NamespaceType#USER}
     * @param builder    the child's command, environment and redirects
     * @param name       a name for the thread (diagnostics)
     * @param keepParent whether the thread waits for the child (see the class comment)
     * @return the child; {@link Process#pid()} is its pid in this JVM's pid namespace
     * @throws IOException when the child cannot be started
     * @throws dev.rabbithole.stage2.libcontainer.system.SyscallException when setns(2) fails
     */
    public Process spawn(Map<NamespaceType, Integer> namespaces, ProcessBuilder builder, String name,
                         boolean keepParent) throws IOException {
        return spawn(namespaces, builder::start, name, keepParent);
    }

    /**
     * Starts a command in the namespaces given by open descriptors with posix_spawn(3), so that no JDK reaper
     * waits for it ({@link UnwatchedProcess}): for a child that must outlive this JVM with its exit status kept for
     * the subreaper it is reparented to (runc-exec(8) {@code --detach}). It inherits this JVM's descriptors 0, 1, 2.
     *
     * @param namespaces as {@link #spawn(Map, ProcessBuilder, String, boolean)}
     * @param argv       the command, {@code argv[0]} an absolute path
     * @param env        its environment ({@code KEY=VALUE})
     * @param cwd        its working directory
     * @param name       a name for the thread (diagnostics)
     * @return the child, not waited for
     * @throws IOException when the child cannot be started
     * @throws dev.rabbithole.stage2.libcontainer.system.SyscallException when setns(2) fails
     */
    public Process spawnUnwatched(Map<NamespaceType, Integer> namespaces, java.util.List<String> argv,
                                  java.util.List<String> env, java.nio.file.Path cwd, String name) throws IOException {
        return spawn(namespaces, () -> UnwatchedProcess.spawn(argv, env, cwd), name, false);
    }

    private interface Starter {
        Process start() throws IOException;
    }

    private Process spawn(Map<NamespaceType, Integer> namespaces, Starter starter, String name,
                          boolean keepParent) throws IOException {
        if (namespaces.containsKey(NamespaceType.MOUNT) || namespaces.containsKey(NamespaceType.USER)) {
            throw new IllegalArgumentException("the mount and user namespaces are not joined by the spawning thread");
        }
        Map<NamespaceType, Integer> order = new LinkedHashMap<>(namespaces);
        AtomicReference<Process> child = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        synchronized (NamespaceSpawner.SPAWN_LOCK) {
            NamespaceSpawner.warmProcessReaper();
            Thread t = new Thread(() -> {
                Process p;
                try {
                    // tag::setns-thread[]
                    for (Map.Entry<NamespaceType, Integer> e : order.entrySet()) {
                        syscalls.because("join the container's " + e.getKey().procName + " namespace, this thread only")
                                .setns(e.getValue(), e.getKey().cloneFlag);
                    }
                    p = starter.start();
                    child.set(p);
                    // end::setns-thread[]
                } catch (Throwable e) {
                    failure.set(e);
                    return;
                } finally {
                    started.countDown();
                }
                while (keepParent && p.isAlive()) {
                    try {
                        p.waitFor();
                    } catch (InterruptedException e) {
                        // only the child's exit ends this thread
                    }
                }
            }, "setns-" + name);
            t.setDaemon(true);
            t.start();
            try {
                started.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while starting " + name, e);
            }
        }
        Throwable t = failure.get();
        if (t instanceof IOException io) {
            throw io;
        }
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof OutOfMemoryError oom) { // a thread could not be made: fail this exec, not the JVM
            throw new IOException("starting the exec process of " + name + " failed: " + oom.getMessage(), oom);
        }
        if (t instanceof Error err) {
            throw err;
        }
        return child.get();
    }
}
