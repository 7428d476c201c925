package dev.rabbithole.stage2.libcontainer.namespaces;

import dev.rabbithole.stage2.libcontainer.configs.NamespaceType;
import dev.rabbithole.stage2.libcontainer.system.CloneFlags;
import dev.rabbithole.stage2.libcontainer.system.Syscalls;

import java.io.IOException;
import java.util.EnumSet;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Starts a child process in new namespaces, the way a JVM can (ARCHITECTURE 5): namespaces belong to a
 * thread, so a dedicated short-lived thread calls unshare(2), starts the child with
 * {@link ProcessBuilder#start()}, and ends. The child is born in the thread's new namespaces (pid 1 in a new
 * pid namespace); the rest of the JVM never leaves the host's.
 *
 * <p>Where runc's Go parent uses clone(2) with {@code CLONE_NEW*} flags from C code that runs before the Go
 * runtime starts ({@code nsexec}), the JVM has no such early hook: unshare on one thread is the equivalent.
 *
 * <p>Not possible from a JVM: a new user namespace. unshare(2) refuses {@code CLONE_NEWUSER} with EINVAL in
 * a multithreaded process, and fork(2) of a JVM to get a single-threaded one is unsafe.
 */
public final class NamespaceSpawner {
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
        if (types.contains(NamespaceType.USER)) {
            throw new UnsupportedOperationException("user namespaces cannot be created from a JVM: "
                    + "unshare(CLONE_NEWUSER) fails with EINVAL in a multithreaded process");
        }
        Set<NamespaceType> copy = types.isEmpty() ? EnumSet.noneOf(NamespaceType.class) : EnumSet.copyOf(types);
        AtomicReference<Process> child = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        // tag::unshare[]
        Thread spawner = new Thread(() -> {
            try {
                int flags = CloneFlags.of(copy);
                if (flags != 0) {
                    // CLONE_NEWNS implies CLONE_FS: this thread gets its own root and cwd too.
                    syscalls.because("new namespaces for this thread only; its next child is born in them")
                            .unshare(flags);
                }
                child.set(builder.start()); // pid 1 in the new pid namespace
            } catch (Throwable t) {
                failure.set(t);
            }
            // The thread ends here: its namespaces go with it; the child keeps them alive.
        }, "unshare-" + name);
        // end::unshare[]
        spawner.setDaemon(true);
        spawner.start();
        try {
            spawner.join();
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
        if (t instanceof Error err) {
            throw err;
        }
        return child.get();
    }
}
