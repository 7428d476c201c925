package dev.rabbithole.stage3.containerd;

import com.google.protobuf.Any;
import com.google.protobuf.Empty;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.rabbithole.stage3.api.containers.Container;
import dev.rabbithole.stage3.api.eventtypes.TaskExit;
import dev.rabbithole.stage3.api.runc.Options;
import dev.rabbithole.stage3.api.shim.TaskGrpc;
import dev.rabbithole.stage3.api.tasks.CloseIORequest;
import dev.rabbithole.stage3.api.tasks.CreateTaskRequest;
import dev.rabbithole.stage3.api.tasks.CreateTaskResponse;
import dev.rabbithole.stage3.api.tasks.DeleteProcessRequest;
import dev.rabbithole.stage3.api.tasks.DeleteResponse;
import dev.rabbithole.stage3.api.tasks.DeleteTaskRequest;
import dev.rabbithole.stage3.api.tasks.ExecProcessRequest;
import dev.rabbithole.stage3.api.tasks.GetRequest;
import dev.rabbithole.stage3.api.tasks.GetResponse;
import dev.rabbithole.stage3.api.tasks.KillRequest;
import dev.rabbithole.stage3.api.tasks.ListPidsRequest;
import dev.rabbithole.stage3.api.tasks.ListPidsResponse;
import dev.rabbithole.stage3.api.tasks.ListTasksRequest;
import dev.rabbithole.stage3.api.tasks.ListTasksResponse;
import dev.rabbithole.stage3.api.tasks.ResizePtyRequest;
import dev.rabbithole.stage3.api.tasks.StartRequest;
import dev.rabbithole.stage3.api.tasks.StartResponse;
import dev.rabbithole.stage3.api.tasks.TasksGrpc;
import dev.rabbithole.stage3.api.tasks.WaitRequest;
import dev.rabbithole.stage3.api.tasks.WaitResponse;
import dev.rabbithole.stage3.api.types.task.Process;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * {@code containerd.services.tasks.v1.Tasks}: a task is a container's running process tree, supervised by one shim
 * per task (containerd 1.6's runtime v2). Create writes the bundle ({@code STATE/io.containerd.runtime.v2.task/NS/ID}:
 * {@code config.json} from the container's spec {@code Any}, an empty {@code rootfs} directory, a {@code work} link to
 * {@code ROOT/io.containerd.runtime.v2.task/NS/ID}), starts the shim ({@link Shim}) and calls the shim's Create with
 * the request's rootfs mounts, which the shim mounts on the bundle's {@code rootfs} (as containerd's runc shim does;
 * with no mounts the spec's {@code root.path} must name a rootfs already in place). Start, Kill, Wait, Get, List,
 * Delete, DeleteProcess, Exec, ResizePty, CloseIO and ListPids go to the shim; a shim's error reaches the client with
 * its own code and message, and so do Pause, Resume, Update (its resources Any passed on as it is) and Metrics (one
 * shim Stats per task the filters select: {@code id==ID}, or every task of the namespace). Checkpoint answers
 * UNIMPLEMENTED.
 *
 * <p>For the runc shims ({@code io.containerd.runc.*}) a task with no runtime options gets
 * {@code containerd.runc.v1.Options} with {@code root = STATE/runc}, so that runc's state stays under this
 * containerd's state directory (containerd takes such defaults from its config file).
 */
final class TaskService extends TasksGrpc.TasksImplBase {

    static final String RUNTIME_DIR = "io.containerd.runtime.v2.task";

    private final Path root;
    private final Path state;
    private final Path grpcSocket;
    private final Path ttrpcSocket;
    private final String publishBinary;
    private final ContainerStore containers;
    private final EventBus events;
    private final Map<String, Shim> shims = new ConcurrentHashMap<>();
    /** Added to every shim binary's environment: {@code RABBITHOLE_SHIM_GROUPING} for {@code --shim-grouping}. */
    final Map<String, String> shimEnv = new ConcurrentHashMap<>();
    /**
     * Tasks whose shim died (its connection closed) and that were cleaned up at once: the DeleteResponse the shim
     * binary's {@code delete} gave, for the client's later Get, Wait and Delete.
     */
    private final Map<String, dev.rabbithole.stage3.api.shim.DeleteResponse> dead = new ConcurrentHashMap<>();
    /** Tasks whose shim is being started: a second Create of the same id fails meanwhile. */
    private final java.util.Set<String> creating = ConcurrentHashMap.newKeySet();

    TaskService(Path root, Path state, Path grpcSocket, Path ttrpcSocket, String publishBinary,
                ContainerStore containers, EventBus events) {
        this.root = root;
        this.state = state;
        this.grpcSocket = grpcSocket;
        this.ttrpcSocket = ttrpcSocket;
        this.publishBinary = publishBinary;
        this.containers = containers;
        this.events = events;
    }

    private static String key(String ns, String id) {
        return ns + "/" + id;
    }

    private Path bundle(String ns, String id) {
        return state.resolve(RUNTIME_DIR).resolve(ns).resolve(id);
    }

    private Path work(String ns, String id) {
        return root.resolve(RUNTIME_DIR).resolve(ns).resolve(id);
    }

    /**
     * When a shim's connection closes while its task is still ours (the shim was killed), cleans up at once as
     * containerd 1.6 does (runtime/v2 cleanupAfterDeadShim): the shim binary's {@code delete} kills the container
     * and unmounts its rootfs; {@code /tasks/exit} and {@code /tasks/delete} are published; the task is
     * remembered as stopped so that the client's Get, Wait and Delete answer with its status.
     */
    private void watchShim(Shim s) {
        s.client.onLost(() -> daemon(() -> {
            String key = key(s.namespace, s.id);
            synchronized (shims) {
                if (shims.get(key) != s) {
                    return; // deleted or closed by us
                }
                shims.remove(key);
                creating.add(key);
            }
            try {
                System.err.println("containerd: the shim of " + key + " is gone; cleaning up after it");
                s.close();
                dev.rabbithole.stage3.api.shim.DeleteResponse d = Shim.deleteDead(s.binary, s.namespace, s.id,
                        s.bundle, grpcSocket, publishBinary);
                Shim.removeSocket(s.address);
                removeBundle(s.namespace, s.id);
                if (d == null) {
                    d = dev.rabbithole.stage3.api.shim.DeleteResponse.newBuilder().setExitStatus(137)
                            .setExitedAt(now()).build();
                }
                dead.put(key, d);
                events.publish(s.namespace, "/tasks/exit", Any.newBuilder().setTypeUrl("containerd.events.TaskExit")
                        .setValue(TaskExit.newBuilder().setContainerId(s.id).setId(s.id).setPid(d.getPid())
                                .setExitStatus(d.getExitStatus()).setExitedAt(d.getExitedAt()).build().toByteString())
                        .build());
                events.publish(s.namespace, "/tasks/delete", Any.newBuilder().setTypeUrl("containerd.events.TaskDelete")
                        .setValue(dev.rabbithole.stage3.api.eventtypes.TaskDelete.newBuilder().setContainerId(s.id)
                                .setPid(d.getPid()).setExitStatus(d.getExitStatus()).setExitedAt(d.getExitedAt())
                                .build().toByteString()).build());
            } finally {
                creating.remove(key);
            }
        }));
    }

    private static void daemon(Runnable r) {
        Thread t = new Thread(r, "containerd-dead-shim");
        t.setDaemon(true);
        t.start();
    }

    private static com.google.protobuf.Timestamp now() {
        java.time.Instant t = java.time.Instant.now();
        return com.google.protobuf.Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
    }

    private Shim shim(String ns, String id) {
        Namespaces.validate("container id", id);
        Shim s = shims.get(key(ns, id));
        if (s == null) {
            throw Status.NOT_FOUND.withDescription("no running task found: task " + id + " not found: not found")
                    .asRuntimeException();
        }
        return s;
    }

    /**
     * Finds the shims of the tasks this containerd started before it restarted: every bundle under the state
     * directory whose shim answers is served again; for one whose shim is gone, the shim binary's {@code delete}
     * cleans up (runc delete, unmount), {@code /tasks/exit} is published with the status it reports, and the bundle
     * is removed.
     *
     * @return how many shims answered
     */
    // tag::load-existing[]
    int loadExisting() throws IOException {
        Path runtimeDir = state.resolve(RUNTIME_DIR);
        if (!Files.isDirectory(runtimeDir)) {
            return 0;
        }
        int loaded = 0;
        try (DirectoryStream<Path> nss = Files.newDirectoryStream(runtimeDir)) {
            for (Path nsDir : nss) {
                try (DirectoryStream<Path> ids = Files.newDirectoryStream(nsDir)) {
                    for (Path bundle : ids) {
                        String ns = nsDir.getFileName().toString();
                        String id = bundle.getFileName().toString();
                        try {
                            Shim loadedShim = Shim.load(ns, id, bundle);
                            shims.put(key(ns, id), loadedShim);
                            watchShim(loadedShim);
                            loaded++;
                        } catch (IOException e) {
                            System.err.println("containerd: " + e.getMessage() + "; cleaning up after it");
                            cleanupDead(ns, id, bundle);
                        }
                    }
                }
            }
        }
        return loaded;
    }
    // end::load-existing[]

    private void cleanupDead(String ns, String id, Path bundle) {
        String[] rec = Shim.recorded(bundle);
        Path binary = rec != null && !rec[1].isEmpty() ? Path.of(rec[1]) : null;
        if (binary == null) {
            try {
                binary = Shim.binaryOf(containers.get(ns, id).getRuntime().getName());
            } catch (StatusRuntimeException e) {
                binary = null;
            }
        }
        if (binary != null) {
            dev.rabbithole.stage3.api.shim.DeleteResponse d = Shim.deleteDead(binary, ns, id, bundle, grpcSocket, publishBinary);
            if (d != null) {
                TaskExit.Builder exit = TaskExit.newBuilder().setContainerId(id).setId(id).setPid(d.getPid())
                        .setExitStatus(d.getExitStatus());
                if (d.hasExitedAt()) {
                    exit.setExitedAt(d.getExitedAt());
                }
                events.publish(ns, "/tasks/exit", Any.newBuilder().setTypeUrl("containerd.events.TaskExit")
                        .setValue(exit.build().toByteString()).build());
            }
        }
        Shim.removeSocket(rec != null ? rec[2] : null);
        removeBundle(ns, id);
    }

    @Override
    public void create(CreateTaskRequest request, StreamObserver<CreateTaskResponse> reply) {
        String ns = Namespaces.required();
        String id = request.getContainerId();
        Namespaces.validate("container id", id);
        Container c = containers.get(ns, id);
        if (request.hasCheckpoint() && !request.getCheckpoint().getDigest().isEmpty()) {
            throw Status.UNIMPLEMENTED.withDescription("restoring a checkpoint is not supported").asRuntimeException();
        }
        String runtime = c.getRuntime().getName();
        Path binary = request.getRuntimePath().isEmpty() ? Shim.binaryOf(runtime) : Path.of(request.getRuntimePath());
        Path bundle = bundle(ns, id);
        synchronized (shims) {
            if (dead.containsKey(key(ns, id))) {
                throw Status.ALREADY_EXISTS.withDescription("task " + id + ": already exists (stopped: its shim died;"
                        + " delete it first)").asRuntimeException();
            }
            if (shims.containsKey(key(ns, id)) || creating.contains(key(ns, id))) {
                throw Status.ALREADY_EXISTS.withDescription("task " + id + ": already exists").asRuntimeException();
            }
            try {
                Files.createDirectories(bundle.getParent());
                Files.createDirectory(bundle);
            } catch (FileAlreadyExistsException e) {
                throw Status.ALREADY_EXISTS.withDescription("bundle " + bundle + ": already exists").asRuntimeException();
            } catch (IOException e) {
                throw Status.INTERNAL.withDescription("cannot create bundle " + bundle + ": " + e.getMessage()).asRuntimeException();
            }
            creating.add(key(ns, id));
        }
        Shim shim = null;
        try {
            Files.createDirectory(bundle.resolve("rootfs"));
            Path work = Files.createDirectories(work(ns, id));
            Files.createSymbolicLink(bundle.resolve("work"), work);
            AtomicFiles.write(bundle.resolve("config.json"), c.getSpec().getValue().toByteArray());
            Any options = request.hasOptions() ? request.getOptions()
                    : c.getRuntime().hasOptions() ? c.getRuntime().getOptions() : null;
            options = withDefaultRoot(runtime, options);
            shim = Shim.start(binary, runtime, ns, id, bundle, grpcSocket, ttrpcSocket, publishBinary, options, shimEnv);
            synchronized (shims) {
                shims.put(key(ns, id), shim);
                creating.remove(key(ns, id));
            }
            watchShim(shim);
            dev.rabbithole.stage3.api.shim.CreateTaskRequest.Builder create = dev.rabbithole.stage3.api.shim.CreateTaskRequest
                    .newBuilder().setId(id).setBundle(bundle.toString()).addAllRootfs(request.getRootfsList())
                    .setTerminal(request.getTerminal()).setStdin(request.getStdin()).setStdout(request.getStdout())
                    .setStderr(request.getStderr());
            if (options != null) {
                create.setOptions(options);
            }
            int pid = shim.client.call(TaskGrpc.getCreateMethod(), create.build(), Shim.CALL).getPid();
            reply.onNext(CreateTaskResponse.newBuilder().setContainerId(id).setPid(pid).build());
            reply.onCompleted();
        } catch (IOException | InterruptedException | RuntimeException e) {
            if (shim != null) {
                try {
                    shim.client.call(TaskGrpc.getDeleteMethod(), dev.rabbithole.stage3.api.shim.DeleteRequest.newBuilder()
                            .setId(id).build(), Shim.CALL);
                } catch (RuntimeException ignored) {
                    // nothing was created
                }
                shim.shutdown();
            }
            shims.remove(key(ns, id));
            creating.remove(key(ns, id));
            removeBundle(ns, id);
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            if (e instanceof StatusRuntimeException s) {
                throw s;
            }
            throw Status.INTERNAL.withDescription(e.getMessage()).asRuntimeException();
        }
    }

    private Any withDefaultRoot(String runtime, Any options) throws InvalidProtocolBufferException {
        if (!runtime.startsWith("io.containerd.runc.") && !runtime.startsWith("io.containerd.rabbithole.")) {
            return options;
        }
        String runcRoot = state.resolve("runc").toString();
        if (options == null) {
            return Any.newBuilder().setTypeUrl("containerd.runc.v1.Options")
                    .setValue(Options.newBuilder().setRoot(runcRoot).build().toByteString()).build();
        }
        if (options.getTypeUrl().endsWith("containerd.runc.v1.Options")) {
            Options o = Options.parseFrom(options.getValue());
            if (o.getRoot().isEmpty()) {
                return options.toBuilder().setValue(o.toBuilder().setRoot(runcRoot).build().toByteString()).build();
            }
        }
        return options;
    }

    private void removeBundle(String ns, String id) {
        Path bundle = bundle(ns, id);
        for (Path dir : List.of(bundle, work(ns, id))) {
            if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
                continue;
            }
            // not into rootfs: it may still hold a mount if the shim failed to unmount; an empty rootfs goes
            try (Stream<Path> walk = Files.walk(dir)) {
                for (Path p : walk.filter(p -> !p.startsWith(bundle.resolve("rootfs")) || p.equals(bundle.resolve("rootfs")))
                        .sorted(Comparator.reverseOrder()).toList()) {
                    try {
                        Files.deleteIfExists(p);
                    } catch (IOException e) {
                        System.err.println("containerd: cannot remove " + p + ": " + e.getMessage());
                    }
                }
            } catch (IOException e) {
                System.err.println("containerd: cannot remove " + dir + ": " + e.getMessage());
            }
        }
    }

    @Override
    public void start(StartRequest request, StreamObserver<StartResponse> reply) {
        String ns = Namespaces.required();
        Shim s = shim(ns, request.getContainerId());
        int pid = s.client.call(TaskGrpc.getStartMethod(), dev.rabbithole.stage3.api.shim.StartRequest.newBuilder()
                .setId(request.getContainerId()).setExecId(request.getExecId()).build(), Shim.CALL).getPid();
        reply.onNext(StartResponse.newBuilder().setPid(pid).build());
        reply.onCompleted();
    }

    @Override
    public void delete(DeleteTaskRequest request, StreamObserver<DeleteResponse> reply) {
        String ns = Namespaces.required();
        String id = request.getContainerId();
        dev.rabbithole.stage3.api.shim.DeleteResponse gone = dead.remove(key(ns, id));
        if (gone != null) {
            reply.onNext(DeleteResponse.newBuilder().setId(id).setPid(gone.getPid()).setExitStatus(gone.getExitStatus())
                    .setExitedAt(gone.getExitedAt()).build());
            reply.onCompleted();
            return;
        }
        Shim s = shim(ns, id);
        dev.rabbithole.stage3.api.shim.DeleteResponse d;
        try {
            d = s.client.call(TaskGrpc.getDeleteMethod(),
                    dev.rabbithole.stage3.api.shim.DeleteRequest.newBuilder().setId(id).build(), Shim.CALL);
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() != Status.Code.UNAVAILABLE) {
                throw e;
            }
            // the shim is gone: its binary's delete cleans up after it, as containerd does for a dead shim
            shims.remove(key(ns, id));
            s.close();
            d = Shim.deleteDead(s.binary, ns, id, bundle(ns, id), grpcSocket, publishBinary);
            Shim.removeSocket(s.address);
            removeBundle(ns, id);
            if (d == null) {
                throw Status.UNAVAILABLE.withDescription("the shim of task " + id + " is gone and "
                        + s.binary.getFileName() + " delete failed; the task is forgotten").asRuntimeException();
            }
            reply.onNext(DeleteResponse.newBuilder().setId(id).setPid(d.getPid()).setExitStatus(d.getExitStatus())
                    .setExitedAt(d.getExitedAt()).build());
            reply.onCompleted();
            return;
        }
        shims.remove(key(ns, id));
        s.shutdown();
        removeBundle(ns, id);
        DeleteResponse.Builder r = DeleteResponse.newBuilder().setId(id).setPid(d.getPid()).setExitStatus(d.getExitStatus());
        if (d.hasExitedAt()) {
            r.setExitedAt(d.getExitedAt());
        }
        reply.onNext(r.build());
        reply.onCompleted();
    }

    @Override
    public void deleteProcess(DeleteProcessRequest request, StreamObserver<DeleteResponse> reply) {
        String ns = Namespaces.required();
        Shim s = shim(ns, request.getContainerId());
        dev.rabbithole.stage3.api.shim.DeleteResponse d = s.client.call(TaskGrpc.getDeleteMethod(),
                dev.rabbithole.stage3.api.shim.DeleteRequest.newBuilder().setId(request.getContainerId())
                        .setExecId(request.getExecId()).build(), Shim.CALL);
        DeleteResponse.Builder r = DeleteResponse.newBuilder().setId(request.getExecId()).setPid(d.getPid())
                .setExitStatus(d.getExitStatus());
        if (d.hasExitedAt()) {
            r.setExitedAt(d.getExitedAt());
        }
        reply.onNext(r.build());
        reply.onCompleted();
    }

    /** A task whose shim died, as Get and List show it: stopped, with the status its cleanup reported. */
    private static Process stopped(String id, dev.rabbithole.stage3.api.shim.DeleteResponse d) {
        return Process.newBuilder().setContainerId(id).setId(id).setPid(d.getPid())
                .setStatus(dev.rabbithole.stage3.api.types.task.Status.STOPPED).setExitStatus(d.getExitStatus())
                .setExitedAt(d.getExitedAt()).build();
    }

    private Process process(Shim s, String id, String execId) {
        dev.rabbithole.stage3.api.shim.StateResponse st = s.client.call(TaskGrpc.getStateMethod(),
                dev.rabbithole.stage3.api.shim.StateRequest.newBuilder().setId(id).setExecId(execId).build(), Shim.CALL);
        Process.Builder p = Process.newBuilder().setContainerId(id).setId(execId.isEmpty() ? id : execId)
                .setPid(st.getPid()).setStatus(st.getStatus()).setStdin(st.getStdin()).setStdout(st.getStdout())
                .setStderr(st.getStderr()).setTerminal(st.getTerminal()).setExitStatus(st.getExitStatus());
        if (st.hasExitedAt()) {
            p.setExitedAt(st.getExitedAt());
        }
        return p.build();
    }

    @Override
    public void get(GetRequest request, StreamObserver<GetResponse> reply) {
        String ns = Namespaces.required();
        dev.rabbithole.stage3.api.shim.DeleteResponse gone = dead.get(key(ns, request.getContainerId()));
        if (gone != null && request.getExecId().isEmpty()) {
            reply.onNext(GetResponse.newBuilder().setProcess(stopped(request.getContainerId(), gone)).build());
            reply.onCompleted();
            return;
        }
        Shim s = shim(ns, request.getContainerId());
        reply.onNext(GetResponse.newBuilder().setProcess(process(s, request.getContainerId(), request.getExecId())).build());
        reply.onCompleted();
    }

    @Override
    public void list(ListTasksRequest request, StreamObserver<ListTasksResponse> reply) {
        String ns = Namespaces.required();
        List<Process> all = new ArrayList<>();
        for (Map.Entry<String, Shim> e : shims.entrySet().stream().sorted(Map.Entry.comparingByKey()).toList()) {
            Shim s = e.getValue();
            if (s == null || !s.namespace.equals(ns)) {
                continue;
            }
            try {
                all.add(process(s, s.id, ""));
            } catch (StatusRuntimeException x) {
                if (x.getStatus().getCode() != Status.Code.NOT_FOUND) {
                    all.add(Process.newBuilder().setContainerId(s.id).setId(s.id)
                            .setStatus(dev.rabbithole.stage3.api.types.task.Status.UNKNOWN).build());
                }
            }
        }
        dead.forEach((k, d) -> {
            if (k.startsWith(ns + "/")) {
                all.add(stopped(k.substring(ns.length() + 1), d));
            }
        });
        reply.onNext(ListTasksResponse.newBuilder().addAllTasks(all).build());
        reply.onCompleted();
    }

    @Override
    public void kill(KillRequest request, StreamObserver<Empty> reply) {
        String ns = Namespaces.required();
        Shim s = shim(ns, request.getContainerId());
        s.client.call(TaskGrpc.getKillMethod(), dev.rabbithole.stage3.api.shim.KillRequest.newBuilder()
                .setId(request.getContainerId()).setExecId(request.getExecId()).setSignal(request.getSignal())
                .setAll(request.getAll()).build(), Shim.CALL);
        reply.onNext(Empty.getDefaultInstance());
        reply.onCompleted();
    }

    @Override
    public void wait(WaitRequest request, StreamObserver<WaitResponse> reply) {
        String ns = Namespaces.required();
        dev.rabbithole.stage3.api.shim.DeleteResponse gone = dead.get(key(ns, request.getContainerId()));
        if (gone != null && request.getExecId().isEmpty()) {
            reply.onNext(WaitResponse.newBuilder().setExitStatus(gone.getExitStatus()).setExitedAt(gone.getExitedAt()).build());
            reply.onCompleted();
            return;
        }
        Shim s = shim(ns, request.getContainerId());
        // no deadline: the shim answers when the process exits; nothing blocks here meanwhile
        s.client.callAsync(TaskGrpc.getWaitMethod(), dev.rabbithole.stage3.api.shim.WaitRequest.newBuilder()
                .setId(request.getContainerId()).setExecId(request.getExecId()).build(), null, Map.of())
                .whenComplete((w, e) -> {
                    if (e != null) {
                        reply.onError(e instanceof StatusRuntimeException ? e : Status.fromThrowable(e).asRuntimeException());
                        return;
                    }
                    WaitResponse.Builder r = WaitResponse.newBuilder().setExitStatus(w.getExitStatus());
                    if (w.hasExitedAt()) {
                        r.setExitedAt(w.getExitedAt());
                    }
                    reply.onNext(r.build());
                    reply.onCompleted();
                });
    }

    @Override
    public void exec(ExecProcessRequest request, StreamObserver<Empty> reply) {
        String ns = Namespaces.required();
        Shim s = shim(ns, request.getContainerId());
        s.client.call(TaskGrpc.getExecMethod(), dev.rabbithole.stage3.api.shim.ExecProcessRequest.newBuilder()
                .setId(request.getContainerId()).setExecId(request.getExecId()).setTerminal(request.getTerminal())
                .setStdin(request.getStdin()).setStdout(request.getStdout()).setStderr(request.getStderr())
                .setSpec(request.getSpec()).build(), Shim.CALL);
        reply.onNext(Empty.getDefaultInstance());
        reply.onCompleted();
    }

    @Override
    public void resizePty(ResizePtyRequest request, StreamObserver<Empty> reply) {
        String ns = Namespaces.required();
        Shim s = shim(ns, request.getContainerId());
        s.client.call(TaskGrpc.getResizePtyMethod(), dev.rabbithole.stage3.api.shim.ResizePtyRequest.newBuilder()
                .setId(request.getContainerId()).setExecId(request.getExecId()).setWidth(request.getWidth())
                .setHeight(request.getHeight()).build(), Shim.CALL);
        reply.onNext(Empty.getDefaultInstance());
        reply.onCompleted();
    }

    @Override
    public void closeIO(CloseIORequest request, StreamObserver<Empty> reply) {
        String ns = Namespaces.required();
        Shim s = shim(ns, request.getContainerId());
        s.client.call(TaskGrpc.getCloseIOMethod(), dev.rabbithole.stage3.api.shim.CloseIORequest.newBuilder()
                .setId(request.getContainerId()).setExecId(request.getExecId()).setStdin(request.getStdin()).build(),
                Shim.CALL);
        reply.onNext(Empty.getDefaultInstance());
        reply.onCompleted();
    }

    @Override
    public void listPids(ListPidsRequest request, StreamObserver<ListPidsResponse> reply) {
        String ns = Namespaces.required();
        Shim s = shim(ns, request.getContainerId());
        dev.rabbithole.stage3.api.shim.PidsResponse p = s.client.call(TaskGrpc.getPidsMethod(),
                dev.rabbithole.stage3.api.shim.PidsRequest.newBuilder().setId(request.getContainerId()).build(), Shim.CALL);
        reply.onNext(ListPidsResponse.newBuilder().addAllProcesses(p.getProcessesList()).build());
        reply.onCompleted();
    }

    // tag::containerd-pause-update-metrics[]
    @Override
    public void pause(dev.rabbithole.stage3.api.tasks.PauseTaskRequest request, StreamObserver<Empty> reply) {
        Shim s = shim(Namespaces.required(), request.getContainerId());
        s.client.call(TaskGrpc.getPauseMethod(), dev.rabbithole.stage3.api.shim.PauseRequest.newBuilder()
                .setId(request.getContainerId()).build(), Shim.CALL);
        reply.onNext(Empty.getDefaultInstance());
        reply.onCompleted();
    }

    @Override
    public void resume(dev.rabbithole.stage3.api.tasks.ResumeTaskRequest request, StreamObserver<Empty> reply) {
        Shim s = shim(Namespaces.required(), request.getContainerId());
        s.client.call(TaskGrpc.getResumeMethod(), dev.rabbithole.stage3.api.shim.ResumeRequest.newBuilder()
                .setId(request.getContainerId()).build(), Shim.CALL);
        reply.onNext(Empty.getDefaultInstance());
        reply.onCompleted();
    }

    @Override
    public void update(dev.rabbithole.stage3.api.tasks.UpdateTaskRequest request, StreamObserver<Empty> reply) {
        Shim s = shim(Namespaces.required(), request.getContainerId());
        s.client.call(TaskGrpc.getUpdateMethod(), dev.rabbithole.stage3.api.shim.UpdateTaskRequest.newBuilder()
                .setId(request.getContainerId()).setResources(request.getResources())
                .putAllAnnotations(request.getAnnotationsMap()).build(), Shim.CALL);
        reply.onNext(Empty.getDefaultInstance());
        reply.onCompleted();
    }

    /** Metrics: filters {@code id==ID} (or {@code id=ID}) select tasks; none selects every task of the namespace. */
    @Override
    public void metrics(dev.rabbithole.stage3.api.tasks.MetricsRequest request,
                        StreamObserver<dev.rabbithole.stage3.api.tasks.MetricsResponse> reply) {
        String ns = Namespaces.required();
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (String f : request.getFiltersList()) {
            for (String term : f.split(",")) {
                String t = term.trim();
                if (t.startsWith("id==")) {
                    ids.add(t.substring(4));
                } else if (t.startsWith("id=")) {
                    ids.add(t.substring(3));
                }
            }
        }
        dev.rabbithole.stage3.api.tasks.MetricsResponse.Builder r = dev.rabbithole.stage3.api.tasks.MetricsResponse.newBuilder();
        for (Shim s : shims.values()) {
            if (s == null || !s.namespace.equals(ns) || (!ids.isEmpty() && !ids.contains(s.id))) {
                continue;
            }
            dev.rabbithole.stage3.api.shim.StatsResponse stats = s.client.call(TaskGrpc.getStatsMethod(),
                    dev.rabbithole.stage3.api.shim.StatsRequest.newBuilder().setId(s.id).build(), Shim.CALL);
            r.addMetrics(dev.rabbithole.stage3.api.types.Metric.newBuilder().setTimestamp(now()).setId(s.id)
                    .setData(stats.getStats()));
        }
        reply.onNext(r.build());
        reply.onCompleted();
    }
    // end::containerd-pause-update-metrics[]

    /** Closes every shim connection; the shims and their tasks keep running. */
    void closeAll() {
        for (Shim s : shims.values()) {
            if (s != null) {
                s.close();
            }
        }
        shims.clear();
    }
}
