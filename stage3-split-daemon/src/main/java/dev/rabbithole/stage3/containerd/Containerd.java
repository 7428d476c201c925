package dev.rabbithole.stage3.containerd;

import com.google.protobuf.Empty;
import dev.rabbithole.stage3.api.version.VersionGrpc;
import dev.rabbithole.stage3.api.version.VersionResponse;
import dev.rabbithole.stage3.ttrpc.TtrpcServer;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

/**
 * Stage 3's containerd: container supervision behind containerd 1.6's gRPC API on a unix socket
 * ({@code containerd.services.version.v1.Version}, {@code containers.v1.Containers}, {@code tasks.v1.Tasks},
 * {@code events.v1.Events}, {@code introspection.v1.Introspection}, {@code leases.v1.Leases} (in memory); the namespace in the {@code containerd-namespace} header), one shim per task over ttrpc,
 * and a ttrpc socket at {@code ADDRESS.ttrpc} where the shims forward their task events
 * ({@code containerd.services.events.ttrpc.v1.Events/Forward}), as containerd's own.
 *
 * <p>Directories: {@code root} keeps the container records ({@code containers/NS/ID.pb}) and the tasks' work
 * directories; {@code state} keeps the bundles ({@code io.containerd.runtime.v2.task/NS/ID}), which shim serves
 * which task, and runc's state ({@code runc/NS}). A lock file {@code ROOT/containerd.lock} keeps a second containerd
 * off the same root. On start the shims recorded under {@code state} are connected again.
 */
public final class Containerd implements AutoCloseable {

    /** What Version answers: containerd's API level this serves, and ours. */
    public static final String VERSION = "v1.6.20-rabbithole";
    /** The revision Version answers: the jar's implementation version, or "dev" when run from classes. */
    public static final String REVISION = java.util.Objects.requireNonNullElse(
            Containerd.class.getPackage().getImplementationVersion(), "dev");

    private final Path address;
    private final Path ttrpcAddress;
    private final Path root;
    private final Path state;
    private EventLoopGroup group;
    private Server server;
    private TtrpcServer ttrpc;
    private EventBus events;
    private TaskService tasks;
    private FileChannel lockFile;
    private FileLock lock;
    private int loaded;
    private String shimGrouping = "per-container";

    /**
     * @param address the gRPC socket path (the ttrpc event socket is this path plus {@code .ttrpc})
     * @param root the persistent directory
     * @param state the runtime directory (on a tmpfs such as /run in production)
     */
    public Containerd(Path address, Path root, Path state) {
        this.address = address.toAbsolutePath();
        this.ttrpcAddress = Path.of(this.address + ".ttrpc");
        this.root = root.toAbsolutePath();
        this.state = state.toAbsolutePath();
    }

    /**
     * Takes the root's lock, reconnects to the running shims, then listens on both sockets.
     *
     * @param publishBinary what shims are given as {@code -publish-binary} (containerd 1.6's shims publish over
     *        ttrpc to {@code TTRPC_ADDRESS} and do not run it)
     * @return this
     * @throws IOException if another containerd holds the root, or a socket cannot be bound
     */
    public Containerd start(String publishBinary) throws IOException {
        Files.createDirectories(root);
        Files.createDirectories(state);
        lockFile = FileChannel.open(root.resolve("containerd.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        try {
            lock = lockFile.tryLock();
        } catch (java.nio.channels.OverlappingFileLockException e) {
            lock = null; // this JVM holds it already
        }
        if (lock == null) {
            lockFile.close();
            throw new IOException("another containerd is running on " + root + " (" + root.resolve("containerd.lock")
                    + " is locked)");
        }
        try {
            events = new EventBus();
            ContainerStore containers = new ContainerStore(root, events);
            tasks = new TaskService(root, state, address, ttrpcAddress, publishBinary, containers, events);
            tasks.shimEnv.put("RABBITHOLE_SHIM_GROUPING", shimGrouping);
            // the event sink first, so that shims that forward while we load find it
            ttrpc = new TtrpcServer().addService(events.ttrpcSink()).start(ttrpcAddress);
            loaded = tasks.loadExisting();
            Files.createDirectories(address.getParent());
            Files.deleteIfExists(address);
            group = new EpollEventLoopGroup(2);
            Namespaces ns = new Namespaces();
            Errors errors = new Errors();
            server = NettyServerBuilder.forAddress(new DomainSocketAddress(address.toString()))
                    .channelType(EpollServerDomainSocketChannel.class)
                    .bossEventLoopGroup(group).workerEventLoopGroup(group)
                    .addService(new VersionService())
                    .addService(new IntrospectionService(root))
                    .addService(ServerInterceptors.intercept(new LeaseService(), errors, ns))
                    .addService(ServerInterceptors.intercept(containers, errors, ns))
                    .addService(ServerInterceptors.intercept(tasks, errors, ns))
                    .addService(ServerInterceptors.intercept(events, errors, ns))
                    .build().start();
        } catch (IOException | RuntimeException e) {
            close();
            throw e;
        }
        return this;
    }

    /**
     * How our shim ({@code containerd-shim-rabbithole-v2}) groups tasks, passed to its {@code start} in the
     * environment variable {@code RABBITHOLE_SHIM_GROUPING} (other shims ignore it): {@code per-container} (one
     * shim process per task, Docker 1.11's model) or {@code shared} (one shim per namespace serving every task).
     *
     * @param grouping {@code per-container} or {@code shared}
     * @return this
     * @throws IllegalArgumentException for another value
     */
    public Containerd shimGrouping(String grouping) {
        if (!grouping.equals("per-container") && !grouping.equals("shared")) {
            throw new IllegalArgumentException("--shim-grouping " + grouping + ": want per-container or shared");
        }
        shimGrouping = grouping;
        return this;
    }

    /** @return how many running shims the last start found again */
    public int reconnected() {
        return loaded;
    }

    /** @return the gRPC socket path */
    public Path address() {
        return address;
    }

    /** @return the ttrpc event socket path */
    public Path ttrpcAddress() {
        return ttrpcAddress;
    }

    /** Blocks until the server is shut down. */
    public void awaitTermination() throws InterruptedException {
        server.awaitTermination();
    }

    /**
     * Stops serving: closes both sockets and the shim connections; the shims and their tasks keep running, and a
     * containerd started later on the same directories finds them.
     */
    @Override
    public synchronized void close() {
        if (events != null) {
            events.closeAll();
        }
        if (server != null) {
            server.shutdownNow();
            try {
                server.awaitTermination(5, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            server = null;
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            group = null;
        }
        if (ttrpc != null) {
            ttrpc.close();
            ttrpc = null;
        }
        if (tasks != null) {
            tasks.closeAll();
        }
        try {
            Files.deleteIfExists(address);
        } catch (IOException e) {
            // a later start removes it
        }
        try {
            if (lock != null) {
                lock.release();
                lock = null;
            }
            if (lockFile != null) {
                lockFile.close();
                lockFile = null;
            }
        } catch (IOException e) {
            // the lock goes with the process
        }
    }

    /** {@code containerd.services.version.v1.Version}: {@link #VERSION} and {@link #REVISION}. */
    private static final class VersionService extends VersionGrpc.VersionImplBase {
        @Override
        public void version(Empty request, StreamObserver<VersionResponse> reply) {
            reply.onNext(VersionResponse.newBuilder().setVersion(VERSION).setRevision(REVISION).build());
            reply.onCompleted();
        }
    }
}
