package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.api.ApiServer;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.execdriver.ExecDriver;
import dev.rabbithole.stage1.execdriver.lxc.LxcExecDriver;
import dev.rabbithole.stage1.image.ImageStore;
import dev.rabbithole.stage1.image.LocalImageStore;
import dev.rabbithole.stage1.storage.OverlayDriver;
import dev.rabbithole.stage1.storage.StorageDriver;

import java.nio.file.Path;

/**
 * Runs the stage-1 daemon: {@code rabbithole-stage1 daemon} ({@code docker -d} in Docker 0.x). The one place
 * where the monolith is wired together:
 *
 * <pre>
 * DATA_ROOT/image       LocalImageStore   images: blobs, manifests, unpacked layers
 * DATA_ROOT/overlay2    OverlayDriver     each container's rootfs: the layers + a writable upper dir
 *                       LxcExecDriver     runs each container with lxc-execute
 * DATA_ROOT/containers  Daemon            config.v2.json, ID-json.log, the exec driver's lxc/ state dir
 * --host unix://PATH    ApiServer         the Engine API 1.41 on a unix socket (0660)
 * </pre>
 *
 * One daemon per data root and per socket: {@code DATA_ROOT/rabbithole.pid} is locked for the daemon's lifetime
 * ({@link DataRootLock}) and a socket something answers on is never replaced.
 *
 * <p>SIGTERM and SIGINT ({@link ShutdownSignals}, also when SIGINT was inherited ignored) run a shutdown hook that stops the API server (removing the socket), kills the running
 * containers and unmounts their root filesystems.
 */
public final class DaemonMain {
    private DaemonMain() { }

    /** Where the stage-1 daemon keeps images and containers by default. */
    public static final Path DEFAULT_DATA_ROOT = Path.of("/var/lib/rabbithole/stage1");

    /** The default {@code --host}. */
    public static final String DEFAULT_HOST = "unix://" + ApiServer.DEFAULT_SOCKET;

    /**
     * A daemon and its API server, running. Closing stops the server first, then the daemon, then releases the
     * data root's lock.
     *
     * @param daemon the engine
     * @param server the API server on the socket
     * @param lock   the data root's lock ({@link DataRootLock}), or null for a daemon made elsewhere (tests)
     */
    public record Running(Daemon daemon, ApiServer server, DataRootLock lock) implements AutoCloseable {

        /** A daemon without a data root lock. */
        public Running(Daemon daemon, ApiServer server) {
            this(daemon, server, null);
        }

        /** Stops accepting requests, removes the socket, kills the running containers, unmounts, unlocks. */
        @Override
        public void close() {
            server.close();
            daemon.close();
            if (lock != null) {
                lock.close();
            }
        }
    }

    /**
     * Runs the daemon until SIGTERM or SIGINT: wires the real components, serves the API, blocks.
     *
     * @param dataRoot the data root, e.g. {@link #DEFAULT_DATA_ROOT}
     * @param host     {@code unix:///path/to/docker.sock} (or a bare path)
     * @throws InvalidParameterException a host that is not a unix socket
     * @throws dev.rabbithole.stage1.errdefs.SystemException the data root or socket cannot be set up
     * @throws InterruptedException the waiting thread was interrupted
     */
    public static void runDaemon(Path dataRoot, String host) throws InterruptedException {
        runDaemon(dataRoot, host, new LxcExecDriver());
    }

    /**
     * Runs the daemon with a given exec driver until SIGTERM or SIGINT (stage 2 passes its native driver).
     *
     * @param dataRoot the data root
     * @param host     {@code unix:///path/to/docker.sock} (or a bare path)
     * @param exec     the exec driver that runs every container of this daemon
     * @throws InvalidParameterException a host that is not a unix socket
     * @throws dev.rabbithole.stage1.errdefs.SystemException the data root or socket cannot be set up
     * @throws InterruptedException the waiting thread was interrupted
     */
    public static void runDaemon(Path dataRoot, String host, ExecDriver exec) throws InterruptedException {
        requireRoot();
        ShutdownSignals.install();
        Running running = start(dataRoot, host, exec);
        Thread hook = new Thread(() -> {
            EngineLog.info("shutting down");
            running.close();
        }, "daemon-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        running.server().awaitClosed();
    }

    /**
     * Refuses to start as another user than root, before anything is locked or created: containers need
     * namespaces, cgroups and mounts (CAP_SYS_ADMIN in the initial user namespace), as dockerd, which refuses to
     * start without root privileges too.
     *
     * @throws UnsupportedOperationException {@code needs to be started as root (containers need namespaces,
     *         cgroups and mounts): run it with sudo}
     */
    static void requireRoot() {
        Object uid;
        try {
            uid = java.nio.file.Files.getAttribute(Path.of("/proc/self"), "unix:uid");
        } catch (java.io.IOException | UnsupportedOperationException e) {
            return;                                 // cannot tell: let the daemon try and fail on the first mount
        }
        if (!Integer.valueOf(0).equals(uid)) {
            throw new UnsupportedOperationException("needs to be started as root (containers need namespaces, "
                    + "cgroups and mounts; this is uid " + uid + "): run it with sudo");
        }
    }

    /**
     * Wires and starts the real daemon without blocking and without a shutdown hook.
     *
     * @param dataRoot the data root
     * @param host     {@code unix:///path/to/docker.sock}
     * @return the running daemon; close it to stop
     * @throws dev.rabbithole.stage1.errdefs.SystemException another daemon holds the data root
     *         ({@link DataRootLock}) or answers on the socket ({@link ApiServer#refuseIfAnswering}): both are checked
     *         before the daemon restores its containers, which it would otherwise take for dead ones and kill
     */
    public static Running start(Path dataRoot, String host) {
        return start(dataRoot, host, new LxcExecDriver());
    }

    /**
     * Wires and starts the real daemon with a given exec driver, without blocking and without a shutdown hook.
     *
     * @param dataRoot the data root
     * @param host     {@code unix:///path/to/docker.sock}
     * @param exec     the exec driver
     * @return the running daemon; close it to stop
     */
    public static Running start(Path dataRoot, String host, ExecDriver exec) {
        Path socket = socketOf(host);
        DataRootLock lock = DataRootLock.acquire(dataRoot);
        try {
            ApiServer.refuseIfAnswering(socket);
            ImageStore images = new LocalImageStore(dataRoot.resolve("image"));
            StorageDriver storage = new OverlayDriver(dataRoot.resolve("overlay2"));
            Running running = start(new Daemon(dataRoot, images, storage, exec), socket);
            return new Running(running.daemon(), running.server(), lock);
        } catch (RuntimeException e) {
            lock.close();
            throw e;
        }
    }

    /**
     * Serves a daemon made elsewhere (tests give fake drivers).
     *
     * @param daemon the daemon
     * @param socket the unix socket path
     * @return the running daemon and server
     */
    public static Running start(Daemon daemon, Path socket) {
        ApiServer server = new ApiServer(daemon, socket);
        try {
            server.start();
        } catch (RuntimeException e) {
            daemon.close();
            throw e;
        }
        return new Running(daemon, server);
    }

    /**
     * @param host {@code unix:///run/rabbithole/stage1/docker.sock} or an absolute path
     * @return the socket path
     * @throws InvalidParameterException tcp:// and other schemes: stage 1 listens only on unix sockets
     */
    public static Path socketOf(String host) {
        if (host == null || host.isEmpty()) {
            return ApiServer.DEFAULT_SOCKET;
        }
        if (host.startsWith("unix://")) {
            return Path.of(host.substring("unix://".length()));
        }
        if (host.startsWith("/")) {
            return Path.of(host);
        }
        throw new InvalidParameterException("unsupported host " + host + ": stage 1 listens on unix:// sockets only");
    }
}
