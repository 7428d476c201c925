package dev.rabbithole.stage3.dockerd;

import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import dev.rabbithole.stage1.daemon.ContainerRuntime;
import dev.rabbithole.stage1.daemon.EngineLog;
import dev.rabbithole.stage1.daemon.OciRuntimes;
import dev.rabbithole.stage1.errdefs.EngineException;
import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.execdriver.ContainerProcess;
import dev.rabbithole.stage1.execdriver.EtcFiles;
import dev.rabbithole.stage3.api.containers.Container;
import dev.rabbithole.stage3.api.containers.ContainersGrpc;
import dev.rabbithole.stage3.api.containers.CreateContainerRequest;
import dev.rabbithole.stage3.api.containers.DeleteContainerRequest;
import dev.rabbithole.stage3.api.tasks.CloseIORequest;
import dev.rabbithole.stage3.api.tasks.CreateTaskRequest;
import dev.rabbithole.stage3.api.tasks.DeleteProcessRequest;
import dev.rabbithole.stage3.api.tasks.DeleteTaskRequest;
import dev.rabbithole.stage3.api.tasks.ExecProcessRequest;
import dev.rabbithole.stage3.api.tasks.GetRequest;
import dev.rabbithole.stage3.api.tasks.KillRequest;
import dev.rabbithole.stage3.api.tasks.ResizePtyRequest;
import dev.rabbithole.stage3.api.tasks.StartRequest;
import dev.rabbithole.stage3.api.tasks.TasksGrpc;
import dev.rabbithole.stage3.api.tasks.WaitRequest;
import dev.rabbithole.stage3.api.tasks.WaitResponse;
import dev.rabbithole.stage3.api.types.task.Process;
import dev.rabbithole.stage3.api.types.task.Status;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Stage 3's {@link ContainerRuntime}: a client of containerd's gRPC API, as moby's {@code libcontainerd/remote}
 * is for Docker 20.10. The daemon has no container runtime code of its own: a start writes the container's
 * OCI spec ({@link OciSpec}), then calls {@code containerd.services.containers.v1.Containers/Create} (the spec
 * and the runtime: the shim's name and runc's {@code Options} with its {@code BinaryName}),
 * {@code containerd.services.tasks.v1.Tasks/Create} with stdio FIFOs ({@link Fifos}) and {@code Tasks/Start};
 * the exit comes from {@code Tasks/Wait}, signals go through {@code Tasks/Kill}; after the exit, {@code Tasks/Delete}
 * and {@code Containers/Delete} release the task and its shim. Every call carries the namespace in the
 * {@code containerd-namespace} gRPC header (Docker's is {@code moby}). Protocol: containerd 1.6's
 * {@code api/services/{containers,tasks}/v1}.
 *
 * <p>Containers run under their shims, not under the daemon: with {@link #liveRestore()} they outlive it, and
 * {@link #restore} asks containerd what became of each ({@code Tasks/Get}): still running (reattach to its FIFOs and
 * wait again), exited meanwhile (its real exit status), or gone. A containerd that restarts is waited for: the
 * gRPC channel reconnects and calls wait until it is ready again.
 */
public final class ContainerdRuntime implements ContainerRuntime {

    /** The type URL containerd gives an OCI runtime spec in an {@link Any}. */
    public static final String SPEC_TYPE_URL = "types.containerd.io/opencontainers/runtime-spec/1/Spec";
    /** The type URL of runc's shim options (containerd's typeurl: the message's full name). */
    public static final String RUNC_OPTIONS_TYPE_URL = "containerd.runc.v1.Options";
    /** The namespace Docker's dockerd uses in containerd. */
    public static final String DOCKER_NAMESPACE = "moby";
    /** The gRPC header that carries the namespace (containerd's {@code namespaces.GRPCHeader}). */
    public static final Metadata.Key<String> NAMESPACE_HEADER =
            Metadata.Key.of("containerd-namespace", Metadata.ASCII_STRING_MARSHALLER);

    /** Held so that the level set in the constructor stays: grpc-netty asks for SO_KEEPALIVE, which unix sockets lack. */
    private static final java.util.logging.Logger BOOTSTRAP_LOG =
            java.util.logging.Logger.getLogger("io.netty.bootstrap");
    private static final long CALL_SECONDS = 60;

    /**
     * How the runtime talks to containerd and what it asks of it.
     *
     * @param containerdSocket containerd's gRPC unix socket
     * @param namespace        the containerd namespace of this daemon's containers, e.g. {@value #DOCKER_NAMESPACE}
     * @param runtimeName      the shim's runtime name, e.g. {@code io.containerd.runc.v2}
     * @param binaryName       runc's {@code Options.binary_name}: the runtime binary the shim runs; empty for the
     *                         shim's default ({@code runc})
     * @param execRoot         dockerd's exec root: the FIFOs are under {@code EXEC_ROOT/containerd/ID}
     * @param cgroupParent     the cgroup parent of every container ({@code /PARENT/ID})
     * @param liveRestore      whether containers outlive the daemon ({@code --live-restore})
     */
    public record Options(Path containerdSocket, String namespace, String runtimeName, String binaryName,
                          Path execRoot, String cgroupParent, boolean liveRestore) { }

    /**
     * The shim and runtime binary one container runs with (stage 4: {@code docker run --runtime NAME}, as dockerd
     * 20.10 gives each of its runtimes containerd's runc shim with its own options): {@code Containers/Create}'s
     * {@code Runtime.Name} and runc's shim {@code Options} (containerd's {@code runtime/v2/runc/options/oci.proto}).
     *
     * @param runtimeName the shim's runtime name, e.g. {@code io.containerd.runc.v2}
     * @param binaryName  {@code Options.binary_name}: the runtime binary the shim runs; empty for the shim's default
     * @param root        {@code Options.root}: the runtime's {@code --root} (the shim adds the namespace); empty for
     *                    the shim's default
     */
    public record Shim(String runtimeName, String binaryName, String root) { }

    private final Options options;
    private final Function<String, Path> containerDir;
    /** Stage 4's named runtimes, or null: every container runs {@link #options}' shim and binary. */
    private volatile OciRuntimes ociRuntimes;
    private volatile Function<String, Shim> shims;
    private final EventLoopGroup group = new EpollEventLoopGroup(1);
    private final ManagedChannel channel;
    private final ScheduledExecutorService retries = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "containerd-wait-retry");
        t.setDaemon(true);
        return t;
    });
    private volatile boolean closed;

    /**
     * Connects (lazily: the first call waits for containerd).
     *
     * @param options      the connection and policy
     * @param containerDir a container's directory by ID ({@code DATA_ROOT/containers/ID}); the runtime's state
     *                     (the /etc files, a copy of config.json) goes to its {@code containerd} subdirectory
     */
    public ContainerdRuntime(Options options, Function<String, Path> containerDir) {
        this.options = options;
        this.containerDir = containerDir;
        BOOTSTRAP_LOG.setLevel(java.util.logging.Level.SEVERE);
        this.channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(options.containerdSocket().toString()))
                .channelType(EpollDomainSocketChannel.class).eventLoopGroup(group).usePlaintext().build();
    }

    /** @return the options */
    public Options options() {
        return options;
    }

    /**
     * Stage 4's seam: each container runs with its own runtime ({@code HostConfig.Runtime}) instead of
     * {@link #options}' shim and binary. Call it before the first start.
     *
     * @param runtimes     the daemon's named runtimes ({@code GET /info}, the create check)
     * @param perContainer a container's shim and runtime binary by container ID, looked up at each start; it throws
     *                     an {@link dev.rabbithole.stage1.errdefs.EngineException} for a runtime it does not know
     * @return this
     */
    public ContainerdRuntime runtimes(OciRuntimes runtimes, Function<String, Shim> perContainer) {
        this.ociRuntimes = runtimes;
        this.shims = perContainer;
        return this;
    }

    @Override
    public OciRuntimes ociRuntimes() {
        return ociRuntimes;
    }

    /** The shim and binary a container starts with: its runtime's (stage 4), else the options'. */
    Shim shim(String id) {
        Function<String, Shim> perContainer = shims;
        return perContainer != null ? perContainer.apply(id)
                : new Shim(options.runtimeName(), options.binaryName() == null ? "" : options.binaryName(), "");
    }

    private <S extends AbstractStub<S>> S ns(S stub) {
        Metadata md = new Metadata();
        md.put(NAMESPACE_HEADER, options.namespace());
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md)).withWaitForReady();
    }

    private TasksGrpc.TasksBlockingStub tasks() {
        return ns(TasksGrpc.newBlockingStub(channel)).withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS);
    }

    private ContainersGrpc.ContainersBlockingStub containers() {
        return ns(ContainersGrpc.newBlockingStub(channel)).withDeadlineAfter(CALL_SECONDS, TimeUnit.SECONDS);
    }

    /** The FIFO directory of a container: {@code EXEC_ROOT/containerd/ID}. */
    Path fifoDir(String id) {
        return options.execRoot().resolve("containerd").resolve(id);
    }

    @Override
    public Path stateDir(String containerId) {
        return containerDir.apply(containerId).resolve("containerd");
    }

    @Override
    public boolean liveRestore() {
        return options.liveRestore();
    }

    // tag::dockerd-start[]
    @Override
    public ContainerProcess start(Command c) {
        Shim shim = shim(c.id());                  // first: an unknown runtime changes nothing
        Path state = c.stateDir() != null ? c.stateDir() : stateDir(c.id());
        dev.rabbithole.stage1.execdriver.RootfsPaths.createWorkingDir(c);   // dockerd makes a missing -w, as moby
        ObjectNode spec;
        try {
            EtcFiles.write(state, c.hostname() == null || c.hostname().isEmpty() ? c.id().substring(0, 12)
                    : c.hostname(), EtcFiles.HOST_RESOLV_CONF);
            spec = OciSpec.of(c, state, options.cgroupParent());
            OciSpec.network(spec, NetworkSandbox.create(options.execRoot(), c.id(), c.network()));
            dev.rabbithole.stage1.AtomicFiles.writeString(state.resolve("config.json"), spec.toPrettyString());
        } catch (IOException e) {
            NetworkSandbox.remove(options.execRoot(), c.id());
            throw new SystemException("writing the state of " + c.id() + ": " + e.getMessage(), e);
        }
        removeStale(c.id());
        // tag::runtime-binary-name[]
        Any runcOptions = Any.newBuilder().setTypeUrl(RUNC_OPTIONS_TYPE_URL)
                .setValue(dev.rabbithole.stage3.api.runc.Options.newBuilder()
                        .setBinaryName(shim.binaryName()).setRoot(shim.root())
                        .build().toByteString()).build();
        call("create container " + c.id(), () -> containers().create(CreateContainerRequest.newBuilder()
                .setContainer(Container.newBuilder().setId(c.id())
                        .setRuntime(Container.Runtime.newBuilder().setName(shim.runtimeName()).setOptions(runcOptions))
                        .setSpec(Any.newBuilder().setTypeUrl(SPEC_TYPE_URL)
                                .setValue(ByteString.copyFrom(spec.toString(), StandardCharsets.UTF_8))))
                .build()));
        // end::runtime-binary-name[]
        boolean tty = c.stdio() != null && c.stdio().tty();
        boolean stdin = c.stdio() != null && c.stdio().openStdin();
        Path fifos = fifoDir(c.id());
        Task task = new Task(c.id());
        try {
            Files.createDirectories(fifos);
            Fifos.make(fifos.resolve("init-stdout"));
            task.stdout = new Fifos.Reader(fifos.resolve("init-stdout"), task.exit::isDone);
            if (!tty) {
                Fifos.make(fifos.resolve("init-stderr"));
                task.stderr = new Fifos.Reader(fifos.resolve("init-stderr"), task.exit::isDone);
            }
            if (stdin) {
                Fifos.make(fifos.resolve("init-stdin"));
                task.stdin = new Fifos.Writer(fifos.resolve("init-stdin"), () -> quietly(() -> tasks().closeIO(
                        CloseIORequest.newBuilder().setContainerId(c.id()).setStdin(true).build())));
            }
        } catch (IOException | RuntimeException e) {
            task.closeStreams();
            deleteQuietly(c.id());
            throw new SystemException("making the stdio FIFOs of " + c.id() + ": " + e.getMessage(), e);
        }
        try {
            CreateTaskRequest.Builder create = CreateTaskRequest.newBuilder().setContainerId(c.id())
                    .setStdout(fifos.resolve("init-stdout").toString()).setTerminal(tty).setOptions(runcOptions);
            if (!tty) {
                create.setStderr(fifos.resolve("init-stderr").toString());
            }
            if (stdin) {
                create.setStdin(fifos.resolve("init-stdin").toString());
            }
            task.pid = call("create task " + c.id(), () -> tasks().create(create.build())).getPid();
            task.waitForExit();                       // before Start: an exit is never missed
            call("start task " + c.id(), () -> tasks().start(StartRequest.newBuilder().setContainerId(c.id()).build()));
        } catch (RuntimeException e) {
            task.closeStreams();
            task.forget();
            deleteQuietly(c.id());
            throw e;
        }
        return task;
    }
    // end::dockerd-start[]

    /** A container of the same ID left in containerd (a crash between start and delete): delete it first. */
    private void removeStale(String id) {
        try {
            containers().delete(DeleteContainerRequest.newBuilder().setId(id).build());
            EngineLog.info("container " + id.substring(0, 12) + ": removed a stale containerd container");
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() == io.grpc.Status.Code.FAILED_PRECONDITION) {
                quietly(() -> tasks().kill(KillRequest.newBuilder().setContainerId(id).setSignal(9).setAll(true).build()));
                quietly(() -> tasks().delete(DeleteTaskRequest.newBuilder().setContainerId(id).build()));
                quietly(() -> containers().delete(DeleteContainerRequest.newBuilder().setId(id).build()));
            } else if (e.getStatus().getCode() != io.grpc.Status.Code.NOT_FOUND) {
                throw engineError("containerd", e);
            }
        }
    }

    /** Deletes the task (if any), the container and the FIFOs; what is already gone is success. */
    private void deleteQuietly(String id) {
        quietly(() -> tasks().delete(DeleteTaskRequest.newBuilder().setContainerId(id).build()));
        quietly(() -> containers().delete(DeleteContainerRequest.newBuilder().setId(id).build()));
        quietly(() -> Fifos.removeDir(fifoDir(id)));
        NetworkSandbox.remove(options.execRoot(), id);      // the network namespace dockerd made, and its veth
    }

    /** The type URL containerd gives an OCI runtime-spec Process in an {@link Any} (Tasks/Exec's spec). */
    public static final String PROCESS_TYPE_URL = "types.containerd.io/opencontainers/runtime-spec/1/Process";

    // tag::dockerd-exec[]
    /**
     * Runs a process in a running container through {@code Tasks/Exec}, {@code Tasks/Wait} and {@code Tasks/Start}
     * with the exec ID, as Docker 20.10's exec: the process spec is the container's (from its config.json) with the
     * exec's args, env, terminal, cwd and user (resolved in the container's {@code /etc/passwd} and
     * {@code /etc/group}), and all capabilities when privileged; the runtime joins the container's namespaces,
     * cgroup and seccomp policy. stdio goes through {@code EXEC_ROOT/containerd/ID/EXECID-stdout} (-stdin,
     * -stderr). After the exit, {@code Tasks/DeleteProcess}.
     */
    @Override
    public ContainerProcess exec(String containerId, String execId, dev.rabbithole.stage1.daemon.ExecSpec spec) {
        ObjectNode process;
        Path rootfs;
        try {
            ObjectNode config = (ObjectNode) new com.fasterxml.jackson.databind.ObjectMapper()
                    .readTree(stateDir(containerId).resolve("config.json").toFile());
            process = (ObjectNode) config.path("process").deepCopy();
            rootfs = Path.of(config.path("root").path("path").asText());
        } catch (IOException | ClassCastException e) {
            throw new SystemException("reading the spec of " + containerId + ": " + e.getMessage(), e);
        }
        process.put("terminal", spec.tty());
        com.fasterxml.jackson.databind.node.ArrayNode args = process.putArray("args");
        spec.cmd().forEach(args::add);
        com.fasterxml.jackson.databind.node.ArrayNode env = process.putArray("env");
        (spec.env() == null ? List.<String>of() : spec.env()).forEach(env::add);
        if (spec.workingDir() != null && !spec.workingDir().isEmpty()) {
            process.put("cwd", spec.workingDir());
        }
        if (spec.user() != null && !spec.user().isEmpty()) {
            dev.rabbithole.stage1.execdriver.ContainerUser user =
                    dev.rabbithole.stage1.execdriver.ContainerUser.resolve(rootfs, spec.user());
            ObjectNode u = process.putObject("user");
            u.put("uid", user.uid());
            u.put("gid", user.gid());
            com.fasterxml.jackson.databind.node.ArrayNode gids = u.putArray("additionalGids");
            dev.rabbithole.stage1.execdriver.ContainerUser.supplementaryGroups(rootfs, spec.user(), List.of())
                    .forEach(gids::add);
        }
        if (spec.privileged()) {
            ObjectNode caps = process.putObject("capabilities");
            for (String set : OciSpec.CAPABILITY_SETS) {
                com.fasterxml.jackson.databind.node.ArrayNode a = caps.putArray(set);
                OciSpec.allCapabilities().forEach(n -> a.add(OciSpec.capName(n)));
            }
        }
        Path fifos = fifoDir(containerId);
        Task task = new Task(containerId, execId);
        ExecProcessRequest.Builder request = ExecProcessRequest.newBuilder().setContainerId(containerId)
                .setExecId(execId).setTerminal(spec.tty()).setSpec(Any.newBuilder().setTypeUrl(PROCESS_TYPE_URL)
                        .setValue(ByteString.copyFrom(process.toString(), StandardCharsets.UTF_8)));
        try {
            Files.createDirectories(fifos);
            Path out = fifos.resolve(execId + "-stdout");
            Fifos.make(out);
            task.stdout = new Fifos.Reader(out, task.exit::isDone);
            request.setStdout(out.toString());
            if (!spec.tty()) {
                Path err = fifos.resolve(execId + "-stderr");
                Fifos.make(err);
                task.stderr = new Fifos.Reader(err, task.exit::isDone);
                request.setStderr(err.toString());
            }
            if (spec.openStdin()) {
                Path in = fifos.resolve(execId + "-stdin");
                Fifos.make(in);
                task.stdin = new Fifos.Writer(in, () -> quietly(() -> tasks().closeIO(CloseIORequest.newBuilder()
                        .setContainerId(containerId).setExecId(execId).setStdin(true).build())));
                request.setStdin(in.toString());
            }
        } catch (IOException | RuntimeException e) {
            task.closeStreams();
            throw new SystemException("making the stdio FIFOs of exec " + execId + ": " + e.getMessage(), e);
        }
        try {
            call("exec in " + containerId, () -> tasks().exec(request.build()));
            task.waitForExit();
            task.pid = call("start exec " + execId, () -> tasks().start(StartRequest.newBuilder()
                    .setContainerId(containerId).setExecId(execId).build())).getPid();
        } catch (RuntimeException e) {
            task.closeStreams();
            task.forget();
            quietly(() -> tasks().deleteProcess(DeleteProcessRequest.newBuilder().setContainerId(containerId)
                    .setExecId(execId).build()));
            throw e;
        }
        return task;
    }
    // end::dockerd-exec[]

    @Override
    // tag::dockerd-restore[]
    public Restored restore(String containerId, Instant startedAt) {
        Process p;
        try {
            p = tasks().get(GetRequest.newBuilder().setContainerId(containerId).build()).getProcess();
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() != io.grpc.Status.Code.NOT_FOUND) {
                EngineLog.warn("container " + containerId.substring(0, 12) + ": containerd: " + e.getStatus());
            }
            deleteQuietly(containerId);
            return Restored.died(Instant.now());
        }
        Path fifos = fifoDir(containerId);
        if (p.getStatus() == Status.STOPPED) {
            // it exited while no daemon watched: its real status, then the task and container are released
            Task task = new Task(containerId);
            task.pid = p.getPid();
            task.waitForExit();
            return Restored.running(task);
        }
        // still running: read its FIFOs again (the shim kept them open, with what was printed meanwhile)
        Task task = new Task(containerId);
        try {
            if (Files.exists(fifos.resolve("init-stdout"))) {
                task.stdout = new Fifos.Reader(fifos.resolve("init-stdout"), task.exit::isDone);
            }
            if (Files.exists(fifos.resolve("init-stderr"))) {
                task.stderr = new Fifos.Reader(fifos.resolve("init-stderr"), task.exit::isDone);
            }
            if (Files.exists(fifos.resolve("init-stdin"))) {    // -i: the shim still reads it
                task.stdin = new Fifos.Writer(fifos.resolve("init-stdin"), () -> quietly(() -> tasks().closeIO(
                        CloseIORequest.newBuilder().setContainerId(containerId).setStdin(true).build())));
            }
        } catch (RuntimeException e) {
            EngineLog.warn("container " + containerId.substring(0, 12) + ": its output is lost: " + e.getMessage());
        }
        task.pid = p.getPid();
        task.waitForExit();
        if (!options.liveRestore()) {
            // Docker's restore without live restore: a container found alive is shut down (SIGTERM, then
            // SIGKILL after the default 10 s grace period), its exit recorded as usual
            EngineLog.info("container " + containerId.substring(0, 12) + " still runs and live restore is off: "
                    + "stopping it");
            task.signal(15);
            retries.schedule(() -> {
                if (!task.exit.isDone()) {
                    quietly(() -> task.signal(9));
                }
            }, SHUTDOWN_GRACE_SECONDS, TimeUnit.SECONDS);
        }
        return Restored.running(task);
    }
    // end::dockerd-restore[]

    /** The grace period before SIGKILL when a restore without live restore stops a container, seconds. */
    static final long SHUTDOWN_GRACE_SECONDS = 10;

    @Override
    public List<String> explain(String containerId) {
        String binary;
        try {
            binary = shim(containerId).binaryName();
        } catch (RuntimeException e) {
            binary = "(" + e.getMessage() + ")";
        }
        return List.of("dockerd made no kernel call: the container was created through containerd, its shim and the "
                + "runtime binary " + (binary == null || binary.isEmpty() ? "runc" : binary)
                + "; its OCI spec is " + stateDir(containerId).resolve("config.json"));
    }

    @Override
    public void close() {
        if (options.liveRestore()) {
            Fifos.detach(2000);                   // what was read is stored; the rest waits in the FIFOs
        }
        closed = true;
        retries.shutdownNow();
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }

    /** One container's task: its FIFOs, Kill and the exit from Wait. */
    private final class Task implements ContainerProcess {
        final String id;
        volatile InputStream stdout = InputStream.nullInputStream();
        volatile InputStream stderr = InputStream.nullInputStream();
        volatile OutputStream stdin;
        volatile long pid;
        final CompletableFuture<Integer> exit = new CompletableFuture<>();
        private volatile boolean forgotten;
        private volatile boolean oomKilled;

        @Override
        public boolean oomKilled() {
            return oomKilled;
        }

        /** The exec ID, empty for the container's init process. */
        final String execId;

        Task(String id) {
            this(id, "");
        }

        Task(String id, String execId) {
            this.id = id;
            this.execId = execId;
        }

        void closeStreams() {
            for (java.io.Closeable c : new java.io.Closeable[] {stdout, stderr, stdin}) {
                try {
                    if (c != null) {
                        c.close();
                    }
                } catch (IOException e) {
                    // the FIFO goes with its directory
                }
            }
        }

        /** Stops waiting: a start that failed. */
        void forget() {
            forgotten = true;
        }

        /** Tasks/Wait, asynchronously; again when containerd went away in between. */
        void waitForExit() {
            if (closed || forgotten) {
                return;
            }
            ns(TasksGrpc.newStub(channel)).wait(WaitRequest.newBuilder().setContainerId(id).setExecId(execId).build(),
                    new StreamObserver<>() {
                        @Override
                        public void onNext(WaitResponse r) {
                            exited(r.getExitStatus());
                        }

                        @Override
                        public void onError(Throwable t) {
                            if (closed || forgotten) {
                                return;
                            }
                            io.grpc.Status s = io.grpc.Status.fromThrowable(t);
                            if (s.getCode() == io.grpc.Status.Code.NOT_FOUND) {
                                exited(137);             // the task is gone without a status we could read
                                return;
                            }
                            EngineLog.warn("container " + id.substring(0, 12) + ": waiting through containerd: "
                                    + s + "; waiting again");
                            retries.schedule(Task.this::waitForExit, 1, TimeUnit.SECONDS);
                        }

                        @Override
                        public void onCompleted() {
                        }
                    });
        }

        /** The exit: Tasks/Delete (the status it reports is the one kept), Containers/Delete, the FIFOs. */
        private void exited(int waited) {
            if (closed) {
                return;
            }
            if (!execId.isEmpty()) {
                Thread t = new Thread(() -> {
                    quietly(() -> tasks().deleteProcess(DeleteProcessRequest.newBuilder().setContainerId(id)
                            .setExecId(execId).build()));
                    for (String stream : List.of("stdin", "stdout", "stderr")) {
                        quietly(() -> {
                            try {
                                Files.deleteIfExists(fifoDir(id).resolve(execId + "-" + stream));
                            } catch (IOException e) {
                                EngineLog.debug(e.toString());
                            }
                        });
                    }
                    exit.complete(waited);
                }, "containerd-exec-exit");
                t.setDaemon(true);
                t.start();
                return;
            }
            Thread t = new Thread(() -> {
                int code = waited;
                oomKilled = oomKills(id) > 0;           // before Delete: runc removes the cgroup then
                try {
                    code = tasks().delete(DeleteTaskRequest.newBuilder().setContainerId(id).build()).getExitStatus();
                } catch (StatusRuntimeException e) {
                    if (e.getStatus().getCode() != io.grpc.Status.Code.NOT_FOUND) {
                        EngineLog.warn("container " + id.substring(0, 12) + ": deleting its task: " + e.getStatus());
                    }
                }
                quietly(() -> containers().delete(DeleteContainerRequest.newBuilder().setId(id).build()));
                quietly(() -> Fifos.removeDir(fifoDir(id)));
                NetworkSandbox.remove(options.execRoot(), id);  // the task is gone: its namespace and veth go too
                exit.complete(code);
            }, "containerd-exit");
            t.setDaemon(true);
            t.start();
        }

        @Override
        public long pid() {
            return pid;
        }

        @Override
        public InputStream stdout() {
            return stdout;
        }

        @Override
        public InputStream stderr() {
            return stderr;
        }

        @Override
        public void signal(int signal) {
            try {
                tasks().kill(KillRequest.newBuilder().setContainerId(id).setExecId(execId).setSignal(signal).build());
            } catch (StatusRuntimeException e) {
                io.grpc.Status.Code code = e.getStatus().getCode();
                if (code != io.grpc.Status.Code.NOT_FOUND && code != io.grpc.Status.Code.FAILED_PRECONDITION) {
                    throw engineError("containerd", e);
                }
                // the task is gone or stopped already: a signal to it is success
            }
        }

        @Override
        public int waitFor() throws InterruptedException {
            try {
                return exit.get();
            } catch (ExecutionException e) {
                throw new SystemException("waiting for " + id + ": " + e.getCause(), e.getCause());
            }
        }

        @Override
        public OutputStream stdin() {
            return stdin;
        }

        @Override
        public void resize(int columns, int rows) {
            call("resize " + id, () -> tasks().resizePty(ResizePtyRequest.newBuilder().setContainerId(id).setExecId(execId)
                    .setWidth(columns).setHeight(rows).build()));
        }
    }

    // tag::containerd-runtime-cgroup[]
    /** {@code Tasks.Pause}: containerd's shim runs {@code runc pause}. */
    @Override
    public void pause(String containerId) {
        call("pause " + containerId, () -> tasks().pause(dev.rabbithole.stage3.api.tasks.PauseTaskRequest.newBuilder()
                .setContainerId(containerId).build()));
    }

    /** {@code Tasks.Resume}: containerd's shim runs {@code runc resume}. */
    @Override
    public void resume(String containerId) {
        call("resume " + containerId, () -> tasks().resume(dev.rabbithole.stage3.api.tasks.ResumeTaskRequest.newBuilder()
                .setContainerId(containerId).build()));
    }

    /** {@code Tasks.Update} with the changed {@code LinuxResources} (JSON in an Any): the shim runs {@code runc update}. */
    @Override
    public void update(String containerId, dev.rabbithole.stage1.cgroups.ResourceUpdate update) {
        call("update " + containerId, () -> tasks().update(dev.rabbithole.stage3.api.tasks.UpdateTaskRequest.newBuilder()
                .setContainerId(containerId).setResources(CgroupMetrics.resources(update)).build()));
    }

    /** {@code Tasks.Metrics} filtered to the container ({@code id==ID}): its cgroup v1 metrics. */
    @Override
    public dev.rabbithole.stage1.cgroups.ResourceStats stats(String containerId) {
        var r = call("metrics " + containerId, () -> tasks().metrics(dev.rabbithole.stage3.api.tasks.MetricsRequest
                .newBuilder().addFilters("id==" + containerId).build()));
        if (r.getMetricsCount() == 0) {
            throw new dev.rabbithole.stage1.errdefs.ConflictException("Container " + containerId + " is not running");
        }
        return CgroupMetrics.stats(r.getMetrics(0).getData());
    }

    /** {@code Tasks.ListPids}: the shim runs {@code runc ps --format json}. */
    @Override
    public List<Long> pids(String containerId) {
        var r = call("ps " + containerId, () -> tasks().listPids(dev.rabbithole.stage3.api.tasks.ListPidsRequest
                .newBuilder().setContainerId(containerId).build()));
        return r.getProcessesList().stream().map(p -> (long) p.getPid()).toList();
    }
    // end::containerd-runtime-cgroup[]

    /**
     * The OOM kills in a container's memory cgroup: the {@code oom_kill} line of cgroup v1's
     * {@code memory.oom_control} or v2's {@code memory.events} (kernel docs, cgroup-v1/memory.rst and
     * cgroup-v2.rst) under {@code /sys/fs/cgroup[/memory]/PARENT/ID}, as containerd's OOM events count them.
     *
     * @param id the container ID
     * @return the count, 0 when the cgroup is gone or unreadable
     */
    long oomKills(String id) {
        String rel = options.cgroupParent() + "/" + id;
        for (Path file : List.of(Path.of("/sys/fs/cgroup/memory", rel, "memory.oom_control"),
                Path.of("/sys/fs/cgroup", rel, "memory.events"))) {
            try {
                for (String line : Files.readAllLines(file)) {
                    if (line.startsWith("oom_kill ")) {
                        return Long.parseLong(line.substring("oom_kill ".length()).trim());
                    }
                }
            } catch (IOException | NumberFormatException e) {
                // not this cgroup version, or gone
            }
        }
        return 0;
    }

    /**
     * Checks that containerd answers ({@code containerd.services.version.v1.Version/Version}).
     *
     * @param seconds how long to wait for it
     * @return containerd's version, e.g. {@code 1.6.20~ds1}
     * @throws SystemException it does not answer in time: the message names the socket
     */
    public String version(long seconds) {
        try {
            return dev.rabbithole.stage3.api.version.VersionGrpc.newBlockingStub(channel).withWaitForReady()
                    .withDeadlineAfter(seconds, TimeUnit.SECONDS).version(com.google.protobuf.Empty.getDefaultInstance())
                    .getVersion();
        } catch (StatusRuntimeException e) {
            throw new SystemException("containerd does not answer on " + options.containerdSocket() + " within "
                    + seconds + " s (" + (Files.exists(options.containerdSocket()) ? "the socket exists"
                    : "no such socket") + "): is it running?", e);
        }
    }

    private static <T> T call(String what, java.util.function.Supplier<T> rpc) {
        try {
            return rpc.get();
        } catch (StatusRuntimeException e) {
            throw engineError(what, e);
        }
    }

    /** containerd's own message, as dockerd passes it on (its gRPC status description), as a 500 error. */
    static EngineException engineError(String what, StatusRuntimeException e) {
        String d = e.getStatus().getDescription();
        return new SystemException(d != null && !d.isEmpty() ? d : what + ": " + e.getStatus().getCode(), e);
    }

    private static void quietly(Runnable action) {
        try {
            action.run();
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() != io.grpc.Status.Code.NOT_FOUND) {
                EngineLog.debug(e.getStatus().toString());
            }
        } catch (RuntimeException e) {
            EngineLog.debug(e.toString());
        }
    }
}
