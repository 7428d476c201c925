package dev.rabbithole.stage2.libcontainer.container;

import dev.rabbithole.stage2.libcontainer.configs.NamespaceType;
import dev.rabbithole.stage2.libcontainer.namespaces.NamespaceSpawner;
import dev.rabbithole.stage2.libcontainer.system.RecordingSyscalls;
import dev.rabbithole.stage2.libcontainer.system.Syscalls;

import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

/**
 * A warm pool of container inits: init JVMs started ahead of their containers, each in fresh pid, UTS, IPC
 * and network namespaces ({@link #PREMADE}, unshare(2) on a spawner thread as for any init), already
 * connected to the daemon and blocked reading their config from the control socket. A start
 * ({@link LinuxContainer#start(InitPool)}) takes one and proceeds as with a new init: config, cgroup placement,
 * "go", then the init's setup. What is per container is made after the take, so no container sees another's
 * state: the init unshares its mount namespace when it receives its config (a copy of the host's mounts at
 * that moment, which holds the container's freshly mounted rootfs), and its cgroup namespace after the
 * cgroup placement ({@code cgroup_namespaces(7)}: the root is the cgroup of the unsharing process).
 *
 * <p>A pooled init that died is dropped and replaced, never handed out. Pooled inits die with the daemon: a
 * closed pool ({@link #close}, also run by a JVM shutdown hook) kills them; a daemon killed with SIGKILL closes
 * their sockets, and an init that reads end of stream instead of a config exits. They have no cgroup of their
 * own (they run in the daemon's until taken) and no mounts, so nothing else is left.
 *
 * <p>The pool is refilled in the background, one init at a time, half a second after a take (so the new JVM
 * does not compete with the start that took one), after the class archive is trained
 * ({@link InitCommand#prepareCache()}) so that idle inits share its pages.
 */
public final class InitPool implements AutoCloseable {
    /** The namespaces a pooled init is started in; the mount and cgroup namespaces are made once it is taken. */
    public static final Set<NamespaceType> PREMADE = Set.copyOf(EnumSet.of(NamespaceType.PID, NamespaceType.UTS,
            NamespaceType.IPC, NamespaceType.NET));

    /** How long a pooled init may take to connect before it is killed. */
    private static final long CONNECT_TIMEOUT_SECONDS = 60;

    /**
     * A pooled init handed to a start.
     *
     * @param process    the init JVM (its streams are the workload's stdio)
     * @param channel    the connected control socket, nothing read or written yet
     * @param spawnCalls the kernel calls that started it (unshare, posix_spawn), for {@code run --explain}
     * @param ageMillis  how long it waited in the pool, milliseconds
     */
    public record Taken(Process process, SocketChannel channel, List<RecordingSyscalls.Call> spawnCalls,
                        long ageMillis) { }

    private record Idle(Process process, SocketChannel channel, List<RecordingSyscalls.Call> spawnCalls,
                        long bornNanos) { }

    private final int size;
    private final Path dir;
    private final InitCommand init;
    private final Syscalls syscalls;
    private final LinuxContainer.Stdio stdio;
    private final LinkedBlockingDeque<Idle> idle = new LinkedBlockingDeque<>();
    private final ExecutorService filler = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "init-pool-filler");
        t.setDaemon(true);
        return t;
    });
    private final AtomicBoolean fillQueued = new AtomicBoolean();
    private final AtomicInteger sequence = new AtomicInteger();
    private final AtomicInteger handedOut = new AtomicInteger();
    private volatile boolean closed;
    private final Thread shutdownHook = new Thread(this::close, "init-pool-shutdown");

    /**
     * A pool; nothing starts before {@link #start()}.
     *
     * @param size     how many idle inits to keep, at least 1
     * @param dir      a directory for the pooled inits' sockets (short: a socket path has at most 107 bytes);
     *                 emptied and created by {@link #start()}, removed by {@link #close()}
     * @param init     how to start an init ({@link InitCommand#command(Path, boolean)} with pooled = true)
     * @param syscalls the kernel interface the spawns' unshare goes through
     * @param stdio    the workloads' stdio: a pooled init is only handed to containers with this stdio
     * @throws IllegalArgumentException when size is below 1
     */
    public InitPool(int size, Path dir, InitCommand init, Syscalls syscalls, LinuxContainer.Stdio stdio) {
        if (size < 1) {
            throw new IllegalArgumentException("init pool size must be at least 1, got " + size);
        }
        this.size = size;
        this.dir = dir.toAbsolutePath();
        this.init = init;
        this.syscalls = syscalls;
        this.stdio = stdio;
    }

    /**
     * Creates the socket directory, registers the shutdown hook, and fills the pool in the background once
     * the init's class archive is ready (or its training failed, or after a minute).
     *
     * @return this pool
     * @throws IOException when the directory cannot be made
     */
    public InitPool start() throws IOException {
        deleteRecursively(dir);
        Files.createDirectories(dir);
        Runtime.getRuntime().addShutdownHook(shutdownHook);
        CompletableFuture<Void> trained = InitCache.whenTrained(init);
        trained.orTimeout(60, TimeUnit.SECONDS).whenComplete((v, e) -> refill());
        return this;
    }

    /** @return how many idle inits the pool keeps */
    public int size() {
        return size;
    }

    /** @return the stdio of the workloads this pool's inits are for */
    public LinuxContainer.Stdio stdio() {
        return stdio;
    }

    /** @return how many inits are idle in the pool now (alive and connected) */
    public int idleCount() {
        return (int) idle.stream().filter(i -> i.process().isAlive()).count();
    }

    /** @return how many inits the pool has handed out since it started */
    public int handedOut() {
        return handedOut.get();
    }

    /** @return the host pids of the idle inits */
    public List<Long> idlePids() {
        return idle.stream().map(i -> i.process().pid()).toList();
    }

    /**
     * The memory the idle inits cost: the sum of their proportional set sizes ({@code Pss} of
     * {@code /proc/PID/smaps_rollup}, proc(5)), which splits each shared page among the processes that map it.
     *
     * @return bytes; 0 when the pool is empty
     */
    public long idlePssBytes() {
        long total = 0;
        for (Long pid : idlePids()) {
            total += pssBytes(pid);
        }
        return total;
    }

    /**
     * @param pid a host pid
     * @return the process's {@code Pss} from {@code /proc/PID/smaps_rollup}, bytes; 0 when it is gone
     */
    public static long pssBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "smaps_rollup"))) {
                if (line.startsWith("Pss:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return 0;
    }

    /**
     * Takes an idle init whose namespaces fit the container, and starts a replacement in the background.
     * Inits that died while idle are dropped (and replaced), never returned.
     *
     * @param namespaces the container's namespaces; the pool fits when, without the mount and cgroup
     *                   namespaces, they are exactly {@link #PREMADE}
     * @return the init, or null when none fits or none is idle (the caller starts a new one)
     */
    public Taken take(Set<NamespaceType> namespaces) {
        if (closed || !fits(namespaces)) {
            return null;
        }
        try {
            for (Idle i; (i = idle.pollFirst()) != null; ) {
                if (i.process().isAlive() && i.channel().isOpen()) {
                    handedOut.incrementAndGet();
                    return new Taken(i.process(), i.channel(), i.spawnCalls(),
                            (System.nanoTime() - i.bornNanos()) / 1_000_000);
                }
                discard(i);
            }
            return null;
        } finally {
            // not at once: a new JVM's start would take the CPU from the start that just took an init
            CompletableFuture.delayedExecutor(REFILL_DELAY_MILLIS, TimeUnit.MILLISECONDS).execute(this::refill);
        }
    }

    /** How long after a take the replacement starts, milliseconds: after the taking start is done. */
    private static final long REFILL_DELAY_MILLIS = 500;

    /**
     * @param namespaces a container's namespaces
     * @return whether a pooled init can serve them (see {@link #take})
     */
    public static boolean fits(Set<NamespaceType> namespaces) {
        Set<NamespaceType> rest = namespaces.isEmpty() ? EnumSet.noneOf(NamespaceType.class) : EnumSet.copyOf(namespaces);
        rest.remove(NamespaceType.MOUNT);
        rest.remove(NamespaceType.CGROUP);
        return rest.equals(PREMADE);
    }

    private void refill() {
        if (closed || !fillQueued.compareAndSet(false, true)) {
            return;
        }
        try {
            filler.execute(() -> {
                fillQueued.set(false);
                while (!closed && idleCount() < size) {
                    try {
                        spawnOne();
                    } catch (IOException | RuntimeException e) {
                        if (!closed) {
                            System.getLogger(InitPool.class.getName()).log(System.Logger.Level.WARNING,
                                    "init pool: starting an init failed: " + e.getMessage());
                        }
                        return; // the next take tries again
                    }
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            fillQueued.set(false); // closed
        }
    }

    private void spawnOne() throws IOException {
        Path socket = dir.resolve("init-" + sequence.incrementAndGet() + ".sock");
        RecordingSyscalls calls = new RecordingSyscalls(syscalls);
        try (ServerSocketChannel server = ServerSocketChannel.open(StandardProtocolFamily.UNIX)) {
            server.bind(UnixDomainSocketAddress.of(socket));
            ProcessBuilder pb = new ProcessBuilder(init.command(socket, true))
                    .redirectInput(stdio.in()).redirectOutput(stdio.out()).redirectError(stdio.err());
            pb.environment().clear();
            pb.directory(dir.toFile());
            long born = System.nanoTime();
            Process p = new NamespaceSpawner(calls).spawn(PREMADE, pb, "pool-" + sequence.get());
            p.onExit().thenRun(() -> closeQuietly(server));
            CompletableFuture<Void> deadline = CompletableFuture.runAsync(() -> { },
                    CompletableFuture.delayedExecutor(CONNECT_TIMEOUT_SECONDS, TimeUnit.SECONDS));
            deadline.thenRun(() -> closeQuietly(server));
            SocketChannel ch;
            try {
                ch = server.accept();
            } catch (ClosedChannelException e) {
                p.destroyForcibly();
                throw new IOException("pooled init exited or did not connect within " + CONNECT_TIMEOUT_SECONDS
                        + " s (exit " + (p.isAlive() ? "none" : p.exitValue()) + ")");
            } finally {
                deadline.cancel(false);
                Files.deleteIfExists(socket);
            }
            Idle i = new Idle(p, ch, calls.calls(), born);
            idle.addLast(i);
            p.onExit().thenRun(() -> {      // died while idle: drop it and start another
                if (idle.remove(i)) {
                    closeQuietly(ch);
                    refill();
                }
            });
            if (closed) {
                discard(i);
            }
        }
    }

    private void discard(Idle i) {
        idle.remove(i);
        closeQuietly(i.channel());
        i.process().destroyForcibly();
    }

    /**
     * Kills the idle inits (SIGKILL, then waits up to 5 s for each), stops refilling, and removes the socket
     * directory. Inits already handed out belong to their containers. Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        filler.shutdownNow();
        try {
            filler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        List<Idle> all = new ArrayList<>();
        idle.drainTo(all);
        for (Idle i : all) {
            closeQuietly(i.channel());
            i.process().destroyForcibly();
        }
        for (Idle i : all) {
            try {
                i.process().waitFor(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        try {
            deleteRecursively(dir);
        } catch (IOException e) {
            // sockets only; the next start empties the directory
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is shutting down: this is the hook
        }
    }

    private static void deleteRecursively(Path d) throws IOException {
        if (!Files.exists(d)) {
            return;
        }
        try (Stream<Path> s = Files.walk(d)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void closeQuietly(java.io.Closeable c) {
        try {
            c.close();
        } catch (IOException ignored) {
            // closing to unblock or to end
        }
    }
}
