package dev.rabbithole.stage3.shim;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Any;
import com.google.protobuf.Empty;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.rabbithole.stage3.api.eventtypes.TaskCreate;
import dev.rabbithole.stage3.api.eventtypes.TaskDelete;
import dev.rabbithole.stage3.api.eventtypes.TaskExecAdded;
import dev.rabbithole.stage3.api.eventtypes.TaskExecStarted;
import dev.rabbithole.stage3.api.eventtypes.TaskExit;
import dev.rabbithole.stage3.api.eventtypes.TaskIO;
import dev.rabbithole.stage3.api.eventtypes.TaskOOM;
import dev.rabbithole.stage3.api.eventtypes.TaskStart;
import dev.rabbithole.stage3.api.runc.Options;
import dev.rabbithole.stage3.api.runc.ProcessDetails;
import dev.rabbithole.stage3.api.shim.CloseIORequest;
import dev.rabbithole.stage3.api.shim.ConnectRequest;
import dev.rabbithole.stage3.api.shim.ConnectResponse;
import dev.rabbithole.stage3.api.shim.CreateTaskRequest;
import dev.rabbithole.stage3.api.shim.CreateTaskResponse;
import dev.rabbithole.stage3.api.shim.DeleteRequest;
import dev.rabbithole.stage3.api.shim.DeleteResponse;
import dev.rabbithole.stage3.api.shim.ExecProcessRequest;
import dev.rabbithole.stage3.api.shim.KillRequest;
import dev.rabbithole.stage3.api.shim.PidsRequest;
import dev.rabbithole.stage3.api.shim.PidsResponse;
import dev.rabbithole.stage3.api.shim.ResizePtyRequest;
import dev.rabbithole.stage3.api.shim.ShutdownRequest;
import dev.rabbithole.stage3.api.shim.StartRequest;
import dev.rabbithole.stage3.api.shim.StartResponse;
import dev.rabbithole.stage3.api.shim.StateRequest;
import dev.rabbithole.stage3.api.shim.StateResponse;
import dev.rabbithole.stage3.api.shim.TaskGrpc;
import dev.rabbithole.stage3.api.shim.WaitRequest;
import dev.rabbithole.stage3.api.shim.WaitResponse;
import dev.rabbithole.stage3.api.types.task.ProcessInfo;
import dev.rabbithole.stage3.api.types.task.Status;
import dev.rabbithole.stage3.ttrpc.TtrpcServer;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * containerd's shim API, {@code containerd.task.v2.Task} (runtime/v2/task/shim.proto of containerd 1.6), served
 * over ttrpc by the long-lived shim for every task it holds, keyed by task id (one task in the per-container
 * grouping, many in the shared one). Each task's processes (its init, the exec'd ones) run through the runtime
 * binary ({@link RuntimeBinary}); their exit statuses come from the shim's {@link Reaper}; their stdio from
 * {@link Stdio}; events go to containerd through the {@link Publisher}.
 *
 * <p>What each call does, as containerd-shim-runc-v2 does it: Create writes {@code options.json} (the runtime
 * binary and root, for the shim binary's {@code delete} after a dead shim), mounts the rootfs, runs
 * {@code runtime create --bundle B --pid-file B/init.pid ID} with the process's pipes as its stdio and publishes
 * {@code /tasks/create}; Start runs {@code runtime start ID} ({@code /tasks/start}), or for an exec
 * {@code runtime exec --process F --detach --pid-file P ID} ({@code /tasks/exec-started}); Exec records the process
 * ({@code /tasks/exec-added}); Kill runs {@code runtime kill [--all] ID SIG} for the init and kill(2) for an exec;
 * Wait blocks until the process's exit is recorded; Delete runs {@code runtime delete ID}, unmounts the rootfs and
 * publishes {@code /tasks/delete}; Pids runs {@code runtime ps --format json ID}. A process's exit publishes
 * {@code /tasks/exit} once its output has been copied (at most 2 s after the exit), after {@code /tasks/oom} when
 * the container's memory cgroup counted a new OOM kill ({@link Oom}). Runtime failures reach the
 * caller as UNKNOWN with the runtime's own message. Pause and Resume run {@code runtime pause|resume ID}, Update
 * {@code runtime update --resources FILE ID}, Stats {@code runtime events --stats ID}; Checkpoint answers UNIMPLEMENTED. A process with a terminal ({@code terminal=true}) gets the runtime's {@code --console-socket}: the
 * shim receives the pty master ({@link Console}), copies it to stdout and stdin into it, and ResizePty sets its size.
 */
final class ShimService extends TaskGrpc.TaskImplBase {

    /** The runtime's root when the options give none (containerd's runc shim: /run/containerd/runc), plus NS. */
    static final String DEFAULT_RUNTIME_ROOT = "/run/rabbithole/stage3/runc";
    static final String OPTIONS_FILE = "options.json";
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long DRAIN_MILLIS = 2000;

    private final String namespace;
    private final Reaper reaper;
    private final Publisher publisher;
    private final boolean shared;
    private final Runnable exit;
    private final Map<String, Task> tasks = new ConcurrentHashMap<>();
    /** Shared grouping: task ids announced by a {@code start} (its Connect) whose Create has not come yet. */
    private final Map<String, Long> reserved = new ConcurrentHashMap<>();
    private final ExecutorService exits = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(null, r, "shim-exit", 256 * 1024);
        t.setDaemon(true);
        return t;
    });

    /** One process of a task: its init (exec id "") or an exec'd one. */
    static final class Proc {
        final String execId;
        final boolean terminal;
        final String stdin;
        final String stdout;
        final String stderr;
        volatile int pid;
        volatile Status status = Status.CREATED;
        volatile int exitStatus;
        volatile Instant exitedAt;
        volatile Stdio stdio;
        Any spec;
        /** Completes once the exit is recorded (status, time, output copied). */
        final CompletableFuture<Void> done = new CompletableFuture<>();

        Proc(String execId, boolean terminal, String stdin, String stdout, String stderr) {
            this.execId = execId;
            this.terminal = terminal;
            this.stdin = stdin;
            this.stdout = stdout;
            this.stderr = stderr;
        }
    }

    /** A task: its bundle, its runtime, its processes. */
    static final class Task {
        final String ns;
        final String id;
        final Path bundle;
        final RuntimeBinary runtime;
        final Proc init;
        final Map<String, Proc> execs = new ConcurrentHashMap<>();
        final boolean mounted;
        /** The memory cgroup's OOM kill counter (set at create) and the count last published. */
        volatile Path oomCounter;
        long oomKills;

        Task(String ns, String id, Path bundle, RuntimeBinary runtime, Proc init, boolean mounted) {
            this.ns = ns;
            this.id = id;
            this.bundle = bundle;
            this.runtime = runtime;
            this.init = init;
            this.mounted = mounted;
        }

        Path log() {
            return bundle.resolve("log.json");
        }
    }

    /**
     * @param namespace the namespace of the {@code -namespace} flag (a call's {@code containerd-namespace-ttrpc}
     *        metadata wins)
     * @param exit called (on another thread) when Shutdown finds no task left
     */
    ShimService(String namespace, Reaper reaper, Publisher publisher, boolean shared, Runnable exit) {
        this.namespace = namespace;
        this.reaper = reaper;
        this.publisher = publisher;
        this.shared = shared;
        this.exit = exit;
    }

    private String ns() {
        Map<String, List<String>> md = TtrpcServer.METADATA.get();
        if (md != null) {
            List<String> v = md.get("containerd-namespace-ttrpc");
            if (v != null && !v.isEmpty() && !v.get(0).isEmpty()) {
                return v.get(0);
            }
        }
        return namespace;
    }

    private Task task(String id) {
        Task t = tasks.get(id);
        if (t == null) {
            throw io.grpc.Status.NOT_FOUND.withDescription("container " + id + ": not found").asRuntimeException();
        }
        return t;
    }

    private static Proc proc(Task t, String execId) {
        if (execId.isEmpty()) {
            return t.init;
        }
        Proc p = t.execs.get(execId);
        if (p == null) {
            throw io.grpc.Status.NOT_FOUND.withDescription("process " + execId + " does not exist: not found")
                    .asRuntimeException();
        }
        return p;
    }

    private static StatusRuntimeException runtimeFailed(String what, IOException e) {
        return io.grpc.Status.UNKNOWN.withDescription("OCI runtime " + what + " failed: " + e.getMessage())
                .asRuntimeException();
    }

    /** @return whether no task is held and (shared grouping) no start is about to bring one */
    synchronized boolean idle() {
        long now = System.currentTimeMillis();
        reserved.values().removeIf(t -> now - t > 60_000);
        return tasks.isEmpty() && (!shared || reserved.isEmpty());
    }

    @Override
    public void create(CreateTaskRequest request, StreamObserver<CreateTaskResponse> reply) {
        String id = request.getId();
        String ns = ns();
        if (id.isEmpty() || request.getBundle().isEmpty()) {
            throw io.grpc.Status.INVALID_ARGUMENT.withDescription("create needs an id and a bundle").asRuntimeException();
        }
        if (!request.getCheckpoint().isEmpty()) {
            throw io.grpc.Status.UNIMPLEMENTED.withDescription("restoring a checkpoint is not supported").asRuntimeException();
        }
        Options o = options(request.hasOptions() ? request.getOptions() : null);
        Path bundle = Path.of(request.getBundle());
        RuntimeBinary runtime = new RuntimeBinary(reaper, o.getBinaryName().isEmpty() ? "runc" : o.getBinaryName(),
                (o.getRoot().isEmpty() ? DEFAULT_RUNTIME_ROOT : o.getRoot()) + "/" + ns, o.getSystemdCgroup());
        Proc init = new Proc("", request.getTerminal(), request.getStdin(), request.getStdout(), request.getStderr());
        synchronized (this) {
            if (tasks.containsKey(id)) {
                throw io.grpc.Status.ALREADY_EXISTS.withDescription("task " + id + ": already exists").asRuntimeException();
            }
            tasks.put(id, new Task(ns, id, bundle, runtime, init, !request.getRootfsList().isEmpty()));
            reserved.remove(id);
        }
        Task task = tasks.get(id);
        boolean mounted = false;
        Stdio stdio = null;
        Console console = null;
        try {
            writeOptions(bundle, runtime);
            Path rootfs = bundle.resolve("rootfs");
            if (!request.getRootfsList().isEmpty()) {
                Files.createDirectories(rootfs);
                Mounts.mountAll(request.getRootfsList(), rootfs.toString());
                mounted = true;
            }
            stdio = request.getTerminal() ? Stdio.openTerminal(request.getStdin(), request.getStdout())
                    : Stdio.open(id, request.getStdin(), request.getStdout(), request.getStderr());
            init.stdio = stdio;
            // tag::shim-create[]
            Path pidFile = bundle.resolve("init.pid");
            Files.deleteIfExists(pidFile);
            List<String> args = new java.util.ArrayList<>(List.of("create", "--bundle", bundle.toString(),
                    "--pid-file", pidFile.toString()));
            if (request.getTerminal()) {
                console = Console.listen();
                args.addAll(List.of("--console-socket", console.socket.toString()));
            }
            if (o.getNoPivotRoot()) {
                args.add("--no-pivot");
            }
            if (o.getNoNewKeyring()) {
                args.add("--no-new-keyring");
            }
            args.add(id);
            try {
                runtime.runWithStdio(task.log(), args, stdio.runtimeFds(), null);
            } catch (IOException e) {
                throw runtimeFailed("create", e);
            }
            stdio.closeRuntimeSide();
            if (console != null) {
                stdio.attachMaster(id, console.receiveMaster());
            }
            stdio.startCopying(id);
            init.pid = readPid(pidFile);
            task.oomCounter = Oom.counterFile(init.pid);
            task.oomKills = Oom.kills(task.oomCounter);
            watch(task, init);
            // end::shim-create[]
        } catch (IOException | RuntimeException e) {
            if (stdio != null) {
                stdio.abandon();
            }
            try {
                runtime.run(null, List.of("delete", "--force", id));
            } catch (IOException ignored) {
                // nothing was created
            }
            if (mounted) {
                Mounts.unmountAll(bundle.resolve("rootfs").toString());
            }
            removeOurFiles(bundle);
            tasks.remove(id);
            throw e instanceof StatusRuntimeException s ? s
                    : io.grpc.Status.UNKNOWN.withDescription(e.getMessage()).asRuntimeException();
        } finally {
            if (console != null) {
                console.close();
            }
        }
        publisher.publish(ns, "/tasks/create", TaskCreate.newBuilder().setContainerId(id).setBundle(bundle.toString())
                .addAllRootfs(request.getRootfsList()).setIo(TaskIO.newBuilder().setStdin(request.getStdin())
                        .setStdout(request.getStdout()).setStderr(request.getStderr()).setTerminal(request.getTerminal()))
                .setCheckpoint(request.getCheckpoint()).setPid(init.pid).build());
        reply.onNext(CreateTaskResponse.newBuilder().setPid(init.pid).build());
        reply.onCompleted();
    }

    private static Options options(Any any) {
        if (any == null || any.getValue().isEmpty()) {
            return Options.getDefaultInstance();
        }
        if (!any.getTypeUrl().endsWith("containerd.runc.v1.Options")) {
            throw io.grpc.Status.INVALID_ARGUMENT.withDescription("unsupported runtime options type " + any.getTypeUrl()
                    + " (want containerd.runc.v1.Options)").asRuntimeException();
        }
        try {
            return Options.parseFrom(any.getValue());
        } catch (InvalidProtocolBufferException e) {
            throw io.grpc.Status.INVALID_ARGUMENT.withDescription("bad runtime options: " + e.getMessage()).asRuntimeException();
        }
    }

    /** The runtime binary and root, for {@code delete} after this shim is gone (containerd's shim keeps them too). */
    private static void writeOptions(Path bundle, RuntimeBinary runtime) throws IOException {
        ObjectNode n = JSON.createObjectNode().put("binary_name", runtime.binary).put("root", runtime.root)
                .put("systemd_cgroup", runtime.systemdCgroup);
        Path tmp = bundle.resolve(OPTIONS_FILE + ".tmp");
        Files.write(tmp, JSON.writeValueAsBytes(n));
        Files.move(tmp, bundle.resolve(OPTIONS_FILE), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }

    /** @return {binary, root, systemd} written by Create, null when the bundle has none */
    static String[] readOptions(Path bundle) {
        try {
            JsonNode n = JSON.readTree(bundle.resolve(OPTIONS_FILE).toFile());
            return new String[] {n.path("binary_name").asText("runc"), n.path("root").asText(),
                    String.valueOf(n.path("systemd_cgroup").asBoolean())};
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    private static void removeOurFiles(Path bundle) {
        for (String f : List.of(OPTIONS_FILE, "init.pid", "log.json")) {
            try {
                Files.deleteIfExists(bundle.resolve(f));
            } catch (IOException e) {
                // containerd removes the bundle
            }
        }
    }

    private static int readPid(Path pidFile) throws IOException {
        String s = Files.readString(pidFile, StandardCharsets.US_ASCII).trim();
        try {
            return Integer.parseInt(s);
        } catch (NumberFormatException e) {
            throw new IOException("bad pid file " + pidFile + ": " + s);
        }
    }

    /** Records the process's exit when the reaper reports it: after its output is copied, publishes /tasks/exit. */
    private void watch(Task task, Proc p) {
        reaper.watch(p.pid).thenAcceptAsync(code -> {
            Instant at = Instant.now();
            Stdio s = p.stdio;
            if (s != null) {
                s.awaitDrained(DRAIN_MILLIS);
            }
            synchronized (task) {
                long kills = Oom.kills(task.oomCounter);
                if (kills > task.oomKills) {
                    task.oomKills = kills;
                    publisher.publish(task.ns, "/tasks/oom", TaskOOM.newBuilder().setContainerId(task.id).build());
                }
            }
            synchronized (p) {
                p.exitStatus = code;
                p.exitedAt = at;
                p.status = Status.STOPPED;
            }
            publisher.publish(task.ns, "/tasks/exit", TaskExit.newBuilder().setContainerId(task.id)
                    .setId(p.execId.isEmpty() ? task.id : p.execId).setPid(p.pid).setExitStatus(code)
                    .setExitedAt(Publisher.timestamp(at)).build());
            p.done.complete(null);
        }, exits);
    }

    @Override
    public void start(StartRequest request, StreamObserver<StartResponse> reply) {
        Task t = task(request.getId());
        Proc p = proc(t, request.getExecId());
        if (p.status != Status.CREATED || (!p.execId.isEmpty() && p.pid != 0)) {
            throw io.grpc.Status.FAILED_PRECONDITION.withDescription("process " + (p.execId.isEmpty() ? t.id : p.execId)
                    + " is " + p.status.name().toLowerCase() + ", not created").asRuntimeException();
        }
        if (p.execId.isEmpty()) {
            try {
                t.runtime.run(t.log(), List.of("start", t.id));
            } catch (IOException e) {
                throw runtimeFailed("start", e);
            }
            synchronized (p) {
                if (p.status == Status.CREATED) {
                    p.status = Status.RUNNING;
                }
            }
            publisher.publish(t.ns, "/tasks/start", TaskStart.newBuilder().setContainerId(t.id).setPid(p.pid).build());
        } else {
            startExec(t, p);
            publisher.publish(t.ns, "/tasks/exec-started", TaskExecStarted.newBuilder().setContainerId(t.id)
                    .setExecId(p.execId).setPid(p.pid).build());
        }
        reply.onNext(StartResponse.newBuilder().setPid(p.pid).build());
        reply.onCompleted();
    }

    private void startExec(Task t, Proc p) {
        String safe = p.execId.replaceAll("[^A-Za-z0-9_.-]", "_");
        Path spec = t.bundle.resolve(".exec-" + safe + ".json");
        Path pidFile = t.bundle.resolve(".exec-" + safe + ".pid");
        Stdio stdio = null;
        Console console = null;
        try {
            Files.write(spec, p.spec.getValue().toByteArray());
            stdio = p.terminal ? Stdio.openTerminal(p.stdin, p.stdout) : Stdio.open(t.id + "-" + safe, p.stdin, p.stdout, p.stderr);
            p.stdio = stdio;
            List<String> args = new java.util.ArrayList<>(List.of("exec", "--process", spec.toString(), "--detach",
                    "--pid-file", pidFile.toString()));
            if (p.terminal) {
                console = Console.listen();
                args.addAll(List.of("--console-socket", console.socket.toString()));
            }
            args.add(t.id);
            try {
                t.runtime.runWithStdio(t.log(), args, stdio.runtimeFds(), null);
            } catch (IOException e) {
                throw runtimeFailed("exec", e);
            }
            stdio.closeRuntimeSide();
            if (console != null) {
                stdio.attachMaster(t.id + "-" + safe, console.receiveMaster());
            }
            stdio.startCopying(t.id + "-" + safe);
            int pid = readPid(pidFile);
            synchronized (p) {
                p.pid = pid;
                p.status = Status.RUNNING;
            }
            watch(t, p);
        } catch (IOException e) {
            if (stdio != null) {
                stdio.abandon();
            }
            throw io.grpc.Status.UNKNOWN.withDescription("exec " + p.execId + ": " + e.getMessage()).asRuntimeException();
        } catch (RuntimeException e) {
            if (stdio != null) {
                stdio.abandon();
            }
            throw e;
        } finally {
            if (console != null) {
                console.close();
            }
            try {
                Files.deleteIfExists(spec);
                Files.deleteIfExists(pidFile);
            } catch (IOException ignored) {
                // containerd removes the bundle
            }
        }
    }

    @Override
    public void exec(ExecProcessRequest request, StreamObserver<Empty> reply) {
        Task t = task(request.getId());
        if (request.getExecId().isEmpty()) {
            throw io.grpc.Status.INVALID_ARGUMENT.withDescription("exec needs an exec id").asRuntimeException();
        }
        if (t.init.status == Status.STOPPED) {
            throw io.grpc.Status.FAILED_PRECONDITION.withDescription("container " + t.id + " is stopped").asRuntimeException();
        }
        Proc p = new Proc(request.getExecId(), request.getTerminal(), request.getStdin(), request.getStdout(), request.getStderr());
        p.spec = request.getSpec();
        if (t.execs.putIfAbsent(request.getExecId(), p) != null) {
            throw io.grpc.Status.ALREADY_EXISTS.withDescription("id " + request.getExecId() + ": already exists")
                    .asRuntimeException();
        }
        publisher.publish(t.ns, "/tasks/exec-added", TaskExecAdded.newBuilder().setContainerId(t.id)
                .setExecId(request.getExecId()).build());
        reply.onNext(Empty.getDefaultInstance());
        reply.onCompleted();
    }

    @Override
    public void state(StateRequest request, StreamObserver<StateResponse> reply) {
        Task t = task(request.getId());
        Proc p = proc(t, request.getExecId());
        StateResponse.Builder r;
        synchronized (p) {
            r = StateResponse.newBuilder().setId(p.execId.isEmpty() ? t.id : p.execId).setBundle(t.bundle.toString())
                    .setPid(p.pid).setStatus(p.status).setStdin(p.stdin).setStdout(p.stdout).setStderr(p.stderr)
                    .setTerminal(p.terminal).setExitStatus(p.exitStatus).setExecId(p.execId);
            if (p.exitedAt != null) {
                r.setExitedAt(Publisher.timestamp(p.exitedAt));
            }
        }
        reply.onNext(r.build());
        reply.onCompleted();
    }

    @Override
    public void kill(KillRequest request, StreamObserver<Empty> reply) {
        Task t = task(request.getId());
        Proc p = proc(t, request.getExecId());
        if (p.status == Status.STOPPED || (p.pid == 0 && !p.execId.isEmpty())) {
            throw io.grpc.Status.NOT_FOUND.withDescription("process already finished: not found").asRuntimeException();
        }
        if (p.execId.isEmpty()) {
            List<String> args = new java.util.ArrayList<>(List.of("kill"));
            if (request.getAll()) {
                args.add("--all");
            }
            args.add(t.id);
            args.add(Integer.toString(request.getSignal()));
            try {
                t.runtime.run(t.log(), args);
            } catch (IOException e) {
                if (p.status == Status.STOPPED) {
                    throw io.grpc.Status.NOT_FOUND.withDescription("process already finished: not found").asRuntimeException();
                }
                throw runtimeFailed("kill", e);
            }
        } else {
            try {
                Libc.kill(p.pid, request.getSignal());
            } catch (com.sun.jna.LastErrorException e) {
                throw io.grpc.Status.NOT_FOUND.withDescription("process already finished: " + Libc.strerror(e.getErrorCode()))
                        .asRuntimeException();
            }
        }
        reply.onNext(Empty.getDefaultInstance());
        reply.onCompleted();
    }

    @Override
    public void wait(WaitRequest request, StreamObserver<WaitResponse> reply) {
        Task t = task(request.getId());
        Proc p = proc(t, request.getExecId());
        try {
            p.done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw io.grpc.Status.CANCELLED.withDescription("interrupted").asRuntimeException();
        } catch (ExecutionException e) {
            throw io.grpc.Status.INTERNAL.withDescription(String.valueOf(e.getCause())).asRuntimeException();
        }
        reply.onNext(WaitResponse.newBuilder().setExitStatus(p.exitStatus).setExitedAt(Publisher.timestamp(p.exitedAt))
                .build());
        reply.onCompleted();
    }

    @Override
    public void delete(DeleteRequest request, StreamObserver<DeleteResponse> reply) {
        Task t = task(request.getId());
        Proc p = proc(t, request.getExecId());
        if (!p.execId.isEmpty()) {
            if (p.status == Status.RUNNING) {
                throw io.grpc.Status.FAILED_PRECONDITION.withDescription("cannot delete a running process "
                        + p.execId).asRuntimeException();
            }
            t.execs.remove(p.execId);
            if (p.stdio != null) {
                p.stdio.release();
            }
            reply.onNext(response(p));
            reply.onCompleted();
            return;
        }
        if (p.status == Status.RUNNING) {
            throw io.grpc.Status.FAILED_PRECONDITION.withDescription("cannot delete a running task " + t.id
                    + "; kill it first").asRuntimeException();
        }
        try {
            t.runtime.run(t.log(), List.of("delete", t.id));
        } catch (IOException e) {
            // gone already (deleted by hand): a second try with --force decides
            try {
                t.runtime.run(t.log(), List.of("delete", "--force", t.id));
            } catch (IOException again) {
                throw runtimeFailed("delete", e);
            }
        }
        try {
            p.done.get(10, TimeUnit.SECONDS); // a created task's init is killed by runc delete: its status comes
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // reported as it stands
        }
        for (Proc q : t.execs.values()) {
            if (q.stdio != null) {
                q.stdio.release();
            }
        }
        if (p.stdio != null) {
            p.stdio.release();
        }
        if (t.mounted) {
            Mounts.unmountAll(t.bundle.resolve("rootfs").toString());
        }
        removeOurFiles(t.bundle);
        tasks.remove(t.id);
        DeleteResponse d = response(p);
        publisher.publish(t.ns, "/tasks/delete", TaskDelete.newBuilder().setContainerId(t.id).setPid(d.getPid())
                .setExitStatus(d.getExitStatus()).setExitedAt(d.getExitedAt()).build());
        reply.onNext(d);
        reply.onCompleted();
    }

    private static DeleteResponse response(Proc p) {
        synchronized (p) {
            return DeleteResponse.newBuilder().setPid(p.pid).setExitStatus(p.exitStatus)
                    .setExitedAt(Publisher.timestamp(p.exitedAt != null ? p.exitedAt : Instant.now())).build();
        }
    }

    @Override
    public void pids(PidsRequest request, StreamObserver<PidsResponse> reply) {
        Task t = task(request.getId());
        String out;
        try {
            out = t.runtime.run(t.log(), List.of("ps", "--format", "json", t.id));
        } catch (IOException e) {
            throw runtimeFailed("ps", e);
        }
        PidsResponse.Builder r = PidsResponse.newBuilder();
        try {
            JsonNode pids = JSON.readTree(out);
            for (JsonNode n : pids) {
                int pid = n.asInt();
                ProcessInfo.Builder info = ProcessInfo.newBuilder().setPid(pid);
                for (Proc e : t.execs.values()) {
                    if (e.pid == pid) {
                        info.setInfo(Any.newBuilder().setTypeUrl("containerd.runc.v1.ProcessDetails")
                                .setValue(ProcessDetails.newBuilder().setExecId(e.execId).build().toByteString()));
                    }
                }
                r.addProcesses(info);
            }
        } catch (IOException e) {
            throw io.grpc.Status.INTERNAL.withDescription("runtime ps printed no JSON array: " + out).asRuntimeException();
        }
        reply.onNext(r.build());
        reply.onCompleted();
    }

    // tag::shim-pause-update-stats[]
    /** {@code Task.Pause}: {@code runtime pause ID} (the cgroup freezer). */
    @Override
    public void pause(dev.rabbithole.stage3.api.shim.PauseRequest request, StreamObserver<Empty> reply) {
        Task t = task(request.getId());
        try {
            t.runtime.run(t.log(), List.of("pause", t.id));
        } catch (IOException e) {
            throw runtimeFailed("pause", e);
        }
        reply.onNext(Empty.getDefaultInstance());
        reply.onCompleted();
    }

    /** {@code Task.Resume}: {@code runtime resume ID}. */
    @Override
    public void resume(dev.rabbithole.stage3.api.shim.ResumeRequest request, StreamObserver<Empty> reply) {
        Task t = task(request.getId());
        try {
            t.runtime.run(t.log(), List.of("resume", t.id));
        } catch (IOException e) {
            throw runtimeFailed("resume", e);
        }
        reply.onNext(Empty.getDefaultInstance());
        reply.onCompleted();
    }

    /**
     * {@code Task.Update}: the Any's value is the runtime-spec's {@code LinuxResources} as JSON (type URL
     * {@code types.containerd.io/opencontainers/runtime-spec/1/LinuxResources}); written to a file in the bundle and
     * given to {@code runtime update --resources FILE ID}.
     */
    @Override
    public void update(dev.rabbithole.stage3.api.shim.UpdateTaskRequest request, StreamObserver<Empty> reply) {
        Task t = task(request.getId());
        Path file = t.bundle.resolve("update-resources.json");
        try {
            Files.write(file, request.getResources().getValue().toByteArray());
            t.runtime.run(t.log(), List.of("update", "--resources", file.toString(), t.id));
        } catch (IOException e) {
            throw runtimeFailed("update", e);
        } finally {
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                // left in the bundle, removed with it
            }
        }
        reply.onNext(Empty.getDefaultInstance());
        reply.onCompleted();
    }

    /**
     * {@code Task.Stats}: {@code runtime events --stats ID} (one JSON line), answered as an Any of
     * {@code io.containerd.cgroups.v1.Metrics} (see {@link RuncStats}).
     */
    @Override
    public void stats(dev.rabbithole.stage3.api.shim.StatsRequest request,
                      StreamObserver<dev.rabbithole.stage3.api.shim.StatsResponse> reply) {
        Task t = task(request.getId());
        String out;
        try {
            out = t.runtime.run(t.log(), List.of("events", "--stats", t.id));
        } catch (IOException e) {
            throw runtimeFailed("events --stats", e);
        }
        JsonNode event;
        try {
            event = JSON.readTree(out);
        } catch (IOException e) {
            throw io.grpc.Status.INTERNAL.withDescription("runtime events --stats printed no JSON: " + out).asRuntimeException();
        }
        reply.onNext(dev.rabbithole.stage3.api.shim.StatsResponse.newBuilder().setStats(Any.newBuilder()
                .setTypeUrl(RuncStats.METRICS_V1).setValue(RuncStats.metrics(event.path("data")).toByteString())).build());
        reply.onCompleted();
    }
    // end::shim-pause-update-stats[]

    @Override
    public void closeIO(CloseIORequest request, StreamObserver<Empty> reply) {
        Task t = task(request.getId());
        Proc p = proc(t, request.getExecId());
        if (request.getStdin() && p.stdio != null) {
            p.stdio.closeStdin();
        }
        reply.onNext(Empty.getDefaultInstance());
        reply.onCompleted();
    }

    @Override
    public void resizePty(ResizePtyRequest request, StreamObserver<Empty> reply) {
        Task t = task(request.getId());
        Proc p = proc(t, request.getExecId());
        Stdio s = p.stdio;
        // without a terminal there is nothing to resize, and containerd's shim answers OK then too
        if (s != null && s.master() >= 0) {
            try {
                Console.resize(s.master(), request.getWidth(), request.getHeight());
            } catch (IOException e) {
                throw io.grpc.Status.INTERNAL.withDescription("resize: " + e.getMessage()).asRuntimeException();
            }
        }
        reply.onNext(Empty.getDefaultInstance());
        reply.onCompleted();
    }

    @Override
    public void connect(ConnectRequest request, StreamObserver<ConnectResponse> reply) {
        ConnectResponse.Builder r = ConnectResponse.newBuilder().setShimPid(Libc.getpid()).setVersion("rabbithole");
        Task t = tasks.get(request.getId());
        if (t != null) {
            r.setTaskPid(t.init.pid);
        } else if (shared && !request.getId().isEmpty()) {
            reserved.put(request.getId(), System.currentTimeMillis());
        }
        reply.onNext(r.build());
        reply.onCompleted();
    }

    @Override
    public void shutdown(ShutdownRequest request, StreamObserver<Empty> reply) {
        reserved.remove(request.getId());
        reply.onNext(Empty.getDefaultInstance());
        reply.onCompleted();
        if (idle()) {
            exits.execute(exit);
        }
    }

    /** @return the ids of the tasks held, for the log */
    java.util.Set<String> taskIds() {
        return tasks.keySet();
    }
}
