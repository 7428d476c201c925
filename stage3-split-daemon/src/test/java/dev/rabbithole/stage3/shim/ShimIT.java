package dev.rabbithole.stage3.shim;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.rabbithole.stage3.api.events.ttrpc.Envelope;
import dev.rabbithole.stage3.api.events.ttrpc.EventsGrpc;
import dev.rabbithole.stage3.api.events.ttrpc.ForwardRequest;
import dev.rabbithole.stage3.api.eventtypes.TaskCreate;
import dev.rabbithole.stage3.api.eventtypes.TaskExecStarted;
import dev.rabbithole.stage3.api.eventtypes.TaskExit;
import dev.rabbithole.stage3.api.eventtypes.TaskStart;
import dev.rabbithole.stage3.api.runc.Options;
import dev.rabbithole.stage3.api.runc.ProcessDetails;
import dev.rabbithole.stage3.api.shim.ConnectRequest;
import dev.rabbithole.stage3.api.shim.ConnectResponse;
import dev.rabbithole.stage3.api.shim.CreateTaskRequest;
import dev.rabbithole.stage3.api.shim.DeleteRequest;
import dev.rabbithole.stage3.api.shim.DeleteResponse;
import dev.rabbithole.stage3.api.shim.ExecProcessRequest;
import dev.rabbithole.stage3.api.shim.KillRequest;
import dev.rabbithole.stage3.api.shim.PidsRequest;
import dev.rabbithole.stage3.api.shim.ShutdownRequest;
import dev.rabbithole.stage3.api.shim.StartRequest;
import dev.rabbithole.stage3.api.shim.StateRequest;
import dev.rabbithole.stage3.api.shim.StateResponse;
import dev.rabbithole.stage3.api.shim.StatsRequest;
import dev.rabbithole.stage3.api.shim.TaskGrpc;
import dev.rabbithole.stage3.api.shim.WaitRequest;
import dev.rabbithole.stage3.api.shim.WaitResponse;
import dev.rabbithole.stage3.api.types.Mount;
import dev.rabbithole.stage3.api.types.task.ProcessInfo;
import dev.rabbithole.stage3.api.types.task.Status;
import dev.rabbithole.stage3.ttrpc.TtrpcClient;
import dev.rabbithole.stage3.ttrpc.TtrpcServer;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * Our shim, {@code containerd-shim-rabbithole-v2}, started as containerd starts a shim and driven over our ttrpc
 * client through the same life as Debian's shim in {@code RuncShimInteropIT}, with Debian's runc as its runtime
 * binary ({@code BinaryName}); its events arrive at our ttrpc server at {@code TTRPC_ADDRESS}. Also: exec, pids,
 * kill, a runtime failure's message, the {@code delete} action after the shim was killed with SIGKILL, and the
 * shared grouping. Needs root, {@code runc}, a static busybox and the built jar.
 */
class ShimIT {

    static final String NS = "rabbithole-it";
    static final Duration T = Duration.ofSeconds(30);
    static final Path SHIM = Path.of("bin/containerd-shim-rabbithole-v2").toAbsolutePath();

    Path base;
    Path runcRoot;
    Path eventsSocket;
    TtrpcServer events;
    final List<Envelope> forwarded = Collections.synchronizedList(new ArrayList<>());
    final List<Long> shimPids = new ArrayList<>();
    final List<String> ids = new ArrayList<>();
    final List<RandomAccessFile> fifos = new ArrayList<>();
    final Map<String, StringBuffer> fifoText = new HashMap<>();
    String runc;

    @BeforeEach
    void prerequisites() throws Exception {
        Assumptions.assumeTrue(Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid")),
                "skipped: running containers through runc needs root");
        runc = Files.isExecutable(Path.of("/usr/sbin/runc")) ? "/usr/sbin/runc" : null;
        Assumptions.assumeTrue(runc != null, "skipped: Debian's runc (/usr/sbin/runc) is not installed");
        Assumptions.assumeTrue(Files.isRegularFile(Path.of("/bin/busybox")), "skipped: /bin/busybox is missing (busybox-static)");
        Assumptions.assumeTrue(Files.isRegularFile(Path.of("target/rabbithole-stage3.jar")),
                "skipped: target/rabbithole-stage3.jar is not built (mvn package)");
        base = Files.createTempDirectory("rh-s3shim");
        runcRoot = base.resolve("runc");
        Path bin = Files.createDirectories(base.resolve("busybox/bin"));
        Files.copy(Path.of("/bin/busybox"), bin.resolve("busybox"));
        for (String tool : List.of("sh", "sleep", "echo", "hostname", "id", "cat", "stty", "tty")) {
            Files.createSymbolicLink(bin.resolve(tool), Path.of("busybox"));
        }
        for (String dir : List.of("proc", "dev", "sys")) {
            Files.createDirectories(bin.resolveSibling(dir)); // runc's mount points: the rootfs is mounted read-only
        }
        eventsSocket = base.resolve("containerd.sock.ttrpc");
        events = new TtrpcServer().addService(new EventsGrpc.EventsImplBase() {
            @Override
            public void forward(ForwardRequest request, StreamObserver<Empty> reply) {
                forwarded.add(request.getEnvelope());
                reply.onNext(Empty.getDefaultInstance());
                reply.onCompleted();
            }
        }).start(eventsSocket);
    }

    @AfterEach
    void cleanUp() throws Exception {
        if (base == null) {
            return;
        }
        for (long pid : shimPids) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
        }
        for (String id : ids) {
            run(List.of(runc, "--root", runcRoot.resolve(NS).toString(), "delete", "--force", id));
            run(List.of("umount", "-l", base.resolve("bundles").resolve(id).resolve("rootfs").toString()));
        }
        events.close();
        for (RandomAccessFile f : fifos) {
            f.getChannel().close();
        }
        removeEmptyCgroups();
        try (Stream<Path> walk = Files.walk(base)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    static void removeEmptyCgroups() {
        try (Stream<Path> hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path h : hierarchies.toList()) {
                for (Path c : List.of(h.resolve(NS), h)) {
                    try (Stream<Path> dirs = Files.list(c)) {
                        for (Path d : dirs.filter(d -> d.getFileName().toString().startsWith("rh-s3shim-")).toList()) {
                            try {
                                Files.delete(d);
                            } catch (IOException e) {
                                // still in use
                            }
                        }
                    } catch (IOException e) {
                        // none
                    }
                }
                try {
                    Files.deleteIfExists(h.resolve(NS));
                } catch (IOException e) {
                    // in use
                }
            }
        } catch (IOException e) {
            // no cgroup file system
        }
    }

    /** A bundle with an empty rootfs directory (the task's rootfs mount fills it) and runc's spec, edited. */
    Path bundle(String id, String... args) throws Exception {
        Path bundle = Files.createDirectories(base.resolve("bundles").resolve(id));
        Files.createDirectories(bundle.resolve("rootfs"));
        assertThat(run(List.of(runc, "spec", "--bundle", bundle.toString()))).isZero();
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(bundle.resolve("config.json").toFile());
        ObjectNode process = (ObjectNode) config.get("process");
        process.put("terminal", false);
        ArrayNode a = process.putArray("args");
        for (String s : args) {
            a.add(s);
        }
        config.put("hostname", "rh-" + id);
        ((ObjectNode) config.get("linux")).put("cgroupsPath", "/rh-s3shim-" + id);
        json.writeValue(bundle.resolve("config.json").toFile(), config);
        ids.add(id);
        return bundle;
    }

    Mount rootfs() {
        return Mount.newBuilder().setType("bind").setSource(base.resolve("busybox").toString()).addOptions("rbind")
                .addOptions("ro").build();
    }

    Any options() {
        return Any.newBuilder().setTypeUrl("containerd.runc.v1.Options").setValue(Options.newBuilder()
                .setBinaryName(runc).setRoot(runcRoot.toString()).build().toByteString()).build();
    }

    /** A FIFO the test reads (held O_RDWR, as containerd's cio would read it), its text collected. */
    String fifo(String name) throws Exception {
        Path p = base.resolve(name);
        assertThat(run(List.of("mkfifo", p.toString()))).isZero();
        RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw");
        fifos.add(f);
        StringBuffer text = new StringBuffer();
        fifoText.put(name, text);
        Thread t = new Thread(() -> {
            byte[] buf = new byte[4096];
            try {
                for (int n; (n = f.read(buf)) > 0; ) {
                    text.append(new String(buf, 0, n, StandardCharsets.UTF_8));
                }
            } catch (IOException e) {
                // closed at the end
            }
        });
        t.setDaemon(true);
        t.start();
        return p.toString();
    }

    /** Runs the shim binary's {@code start} in the bundle, as containerd does; returns the printed address. */
    String start(String id, Path bundle, Map<String, String> env) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(SHIM.toString(), "-namespace", NS, "-address",
                base.resolve("containerd.sock").toString(), "-publish-binary", "/bin/false", "-id", id, "start")
                .directory(bundle.toFile());
        pb.environment().put("TTRPC_ADDRESS", eventsSocket.toString());
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("shim start: %s", err).isZero();
        assertThat(out).startsWith("unix://" + base.resolve("s"));
        assertThat(Files.readString(bundle.resolve("address")).trim()).isEqualTo(out);
        assertThat(out.length() - "unix://".length()).isLessThan(108);
        return out;
    }

    TtrpcClient connect(String address, String id) throws Exception {
        TtrpcClient c = TtrpcClient.connect(address, Map.of("containerd-namespace-ttrpc", NS));
        ConnectResponse r = c.call(TaskGrpc.getConnectMethod(), ConnectRequest.newBuilder().setId(id).build(), T);
        assertThat(ProcessHandle.of(r.getShimPid())).isPresent();
        shimPids.add((long) r.getShimPid());
        return c;
    }

    @Test
    void ourShimRunsABusyboxContainerWithDebiansRuncDrivenByOurTtrpcClient() throws Exception {
        String id = "life";
        Path bundle = bundle(id, "/bin/sh", "-c", "echo hello from $(hostname) as $(id -u); echo to stderr >&2; exit 7");
        String address = start(id, bundle, Map.of());
        String stdout = fifo("life.out");
        String stderr = fifo("life.err");
        try (TtrpcClient shim = connect(address, id)) {
            long shimPid = shimPids.get(0);
            assertThat(ProcessHandle.of(shimPid).orElseThrow().parent().map(ProcessHandle::pid).orElse(1L))
                    .as("the shim outlives its start: reparented").isNotEqualTo(ProcessHandle.current().pid());
            assertThat(Files.readString(Path.of("/proc/" + shimPid + "/status"))).as("a subreaper has no visible mark; its session")
                    .isNotEmpty();
            int pid = shim.call(TaskGrpc.getCreateMethod(), CreateTaskRequest.newBuilder().setId(id)
                    .setBundle(bundle.toString()).addRootfs(rootfs()).setStdout(stdout).setStderr(stderr)
                    .setOptions(options()).build(), T).getPid();
            assertThat(pid).isPositive();
            StateResponse state = shim.call(TaskGrpc.getStateMethod(), StateRequest.newBuilder().setId(id).build(), T);
            assertThat(state.getStatus()).isEqualTo(Status.CREATED);
            assertThat(state.getPid()).isEqualTo(pid);
            assertThat(state.getBundle()).isEqualTo(bundle.toString());
            assertThat(state.getStdout()).isEqualTo(stdout);
            assertThat(runcRoot.resolve(NS).resolve(id)).as("Options.root and the namespace").isDirectory();
            assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).contains(bundle.resolve("rootfs").toString());
            // the container's init is the shim's child (reparented from runc to the subreaper)
            assertThat(ProcessHandle.of(pid).orElseThrow().parent().orElseThrow().pid()).isEqualTo(shimPid);
            assertThat(shim.call(TaskGrpc.getConnectMethod(), ConnectRequest.newBuilder().setId(id).build(), T)
                    .getTaskPid()).isEqualTo(pid);

            assertThat(shim.call(TaskGrpc.getStartMethod(), StartRequest.newBuilder().setId(id).build(), T).getPid())
                    .isEqualTo(pid);
            WaitResponse waited = shim.call(TaskGrpc.getWaitMethod(), WaitRequest.newBuilder().setId(id).build(), T);
            assertThat(waited.getExitStatus()).isEqualTo(7);
            assertThat(waited.getExitedAt().getSeconds()).isPositive();
            // the exit is reported after the output went through the FIFOs
            assertThat(fifoText.get("life.out").toString()).isEqualTo("hello from rh-life as 0\n");
            assertThat(fifoText.get("life.err").toString()).isEqualTo("to stderr\n");

            StateResponse stopped = shim.call(TaskGrpc.getStateMethod(), StateRequest.newBuilder().setId(id).build(), T);
            assertThat(stopped.getStatus()).isEqualTo(Status.STOPPED);
            assertThat(stopped.getExitStatus()).isEqualTo(7);
            StatusRuntimeException stats = catchThrowableOfType(StatusRuntimeException.class, () ->
                    shim.call(TaskGrpc.getStatsMethod(), StatsRequest.newBuilder().setId(id).build(), T));
            // Stats is served now (runc events --stats); a stopped task has no cgroup to read: an error, as the runc
            // shim's (runc's failure comes back as a plain error, UNKNOWN over the wire)
            assertThat(stats).as("Stats of a stopped task fails").isNotNull();
            assertThat(stats.getStatus().getCode()).isIn(io.grpc.Status.Code.UNKNOWN,
                    io.grpc.Status.Code.FAILED_PRECONDITION, io.grpc.Status.Code.NOT_FOUND);

            DeleteResponse deleted = shim.call(TaskGrpc.getDeleteMethod(), DeleteRequest.newBuilder().setId(id).build(), T);
            assertThat(deleted.getExitStatus()).isEqualTo(7);
            assertThat(deleted.getPid()).isEqualTo(pid);
            assertThat(runcRoot.resolve(NS).resolve(id)).doesNotExist();
            assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(bundle.resolve("rootfs").toString());
            StatusRuntimeException gone = catchThrowableOfType(StatusRuntimeException.class,
                    () -> shim.call(TaskGrpc.getStateMethod(), StateRequest.newBuilder().setId(id).build(), T));
            assertThat(gone.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.NOT_FOUND);
            shutdown(shim, id);
            await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(shimPid).isEmpty());
            assertThat(Path.of(address.substring("unix://".length()))).as("the shim's socket").doesNotExist();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> topics().containsAll(
                List.of("/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete")));
        assertThat(topics()).containsSubsequence("/tasks/create", "/tasks/start", "/tasks/exit", "/tasks/delete");
        assertThat(forwarded).allSatisfy(e -> assertThat(e.getNamespace()).isEqualTo(NS));
        assertThat(event("/tasks/create").getTypeUrl()).isEqualTo("containerd.events.TaskCreate");
        TaskCreate create = TaskCreate.parseFrom(event("/tasks/create").getValue());
        assertThat(create.getContainerId()).isEqualTo(id);
        assertThat(create.getBundle()).isEqualTo(bundle.toString());
        assertThat(create.getIo().getStdout()).isEqualTo(stdout);
        TaskStart start = TaskStart.parseFrom(event("/tasks/start").getValue());
        assertThat(start.getPid()).isEqualTo(create.getPid());
        TaskExit exit = TaskExit.parseFrom(event("/tasks/exit").getValue());
        assertThat(exit.getExitStatus()).isEqualTo(7);
        assertThat(exit.getContainerId()).isEqualTo(id);
        assertThat(exit.getId()).isEqualTo(id);
        assertNothingLeft(id, bundle);
        assertThat(bundle).isDirectoryNotContaining(p -> List.of("options.json", "init.pid", "log.json")
                .contains(p.getFileName().toString()));
    }

    @Test
    void execPidsKillAndTheRuntimesOwnError() throws Exception {
        String id = "busy";
        Path bundle = bundle(id, "/bin/sleep", "300");
        String address = start(id, bundle, Map.of());
        try (TtrpcClient shim = connect(address, id)) {
            int pid = shim.call(TaskGrpc.getCreateMethod(), CreateTaskRequest.newBuilder().setId(id)
                    .setBundle(bundle.toString()).addRootfs(rootfs()).setOptions(options()).build(), T).getPid();
            shim.call(TaskGrpc.getStartMethod(), StartRequest.newBuilder().setId(id).build(), T);
            assertThat(shim.call(TaskGrpc.getStateMethod(), StateRequest.newBuilder().setId(id).build(), T).getStatus())
                    .isEqualTo(Status.RUNNING);

            // exec: a process in the running container, its output through its own FIFO, its exit status
            String out = fifo("exec.out");
            ObjectNode process = new ObjectMapper().createObjectNode();
            process.putArray("args").add("/bin/sh").add("-c").add("echo exec in $(hostname); sleep 1; exit 3");
            process.putArray("env").add("PATH=/bin");
            process.put("cwd", "/");
            process.putObject("user").put("uid", 0).put("gid", 0);
            shim.call(TaskGrpc.getExecMethod(), ExecProcessRequest.newBuilder().setId(id).setExecId("e1").setStdout(out)
                    .setSpec(Any.newBuilder().setTypeUrl("types.containerd.io/opencontainers/runtime-spec/1/Process")
                            .setValue(ByteString.copyFromUtf8(process.toString()))).build(), T);
            assertThat(shim.call(TaskGrpc.getStateMethod(), StateRequest.newBuilder().setId(id).setExecId("e1").build(), T)
                    .getStatus()).isEqualTo(Status.CREATED);
            int execPid = shim.call(TaskGrpc.getStartMethod(), StartRequest.newBuilder().setId(id).setExecId("e1").build(), T)
                    .getPid();
            assertThat(execPid).isPositive().isNotEqualTo(pid);
            // Pids while the exec runs: both, the exec's marked with its exec id
            List<ProcessInfo> pids = shim.call(TaskGrpc.getPidsMethod(), PidsRequest.newBuilder().setId(id).build(), T)
                    .getProcessesList();
            assertThat(pids).extracting(ProcessInfo::getPid).contains(pid, execPid);
            ProcessInfo execInfo = pids.stream().filter(p -> p.getPid() == execPid).findFirst().orElseThrow();
            assertThat(ProcessDetails.parseFrom(execInfo.getInfo().getValue()).getExecId()).isEqualTo("e1");
            WaitResponse execWait = shim.call(TaskGrpc.getWaitMethod(), WaitRequest.newBuilder().setId(id).setExecId("e1").build(), T);
            assertThat(execWait.getExitStatus()).isEqualTo(3);
            assertThat(fifoText.get("exec.out").toString()).isEqualTo("exec in rh-busy\n");
            assertThat(shim.call(TaskGrpc.getDeleteMethod(), DeleteRequest.newBuilder().setId(id).setExecId("e1").build(), T)
                    .getExitStatus()).isEqualTo(3);

            // a running task cannot be deleted; Kill ends it, Wait reports SIGKILL
            StatusRuntimeException running = catchThrowableOfType(StatusRuntimeException.class, () ->
                    shim.call(TaskGrpc.getDeleteMethod(), DeleteRequest.newBuilder().setId(id).build(), T));
            assertThat(running.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.FAILED_PRECONDITION);
            shim.call(TaskGrpc.getKillMethod(), KillRequest.newBuilder().setId(id).setSignal(9).setAll(true).build(), T);
            assertThat(shim.call(TaskGrpc.getWaitMethod(), WaitRequest.newBuilder().setId(id).build(), T).getExitStatus())
                    .isEqualTo(137);
            StatusRuntimeException finished = catchThrowableOfType(StatusRuntimeException.class, () ->
                    shim.call(TaskGrpc.getKillMethod(), KillRequest.newBuilder().setId(id).setSignal(9).build(), T));
            assertThat(finished.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.NOT_FOUND);
            assertThat(shim.call(TaskGrpc.getDeleteMethod(), DeleteRequest.newBuilder().setId(id).build(), T).getExitStatus())
                    .isEqualTo(137);

            // the runtime's own error, from its JSON log, and nothing of the failed task left behind
            String badId = "bad";
            Path badBundle = bundle(badId, "/no/such/program");
            StatusRuntimeException failed = catchThrowableOfType(StatusRuntimeException.class, () ->
                    shim.call(TaskGrpc.getCreateMethod(), CreateTaskRequest.newBuilder().setId(badId)
                            .setBundle(badBundle.toString()).addRootfs(rootfs()).setOptions(options()).build(), T));
            assertThat(failed.getStatus().getDescription()).startsWith("OCI runtime create failed: ")
                    .contains("/no/such/program").doesNotContain("Exception");
            assertThat(runcRoot.resolve(NS).resolve(badId)).doesNotExist();
            assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(badBundle.toString());
            // a runtime binary that does not exist: named in the error
            StatusRuntimeException noBinary = catchThrowableOfType(StatusRuntimeException.class, () ->
                    shim.call(TaskGrpc.getCreateMethod(), CreateTaskRequest.newBuilder().setId(badId)
                            .setBundle(badBundle.toString()).setOptions(Any.newBuilder().setTypeUrl("containerd.runc.v1.Options")
                                    .setValue(Options.newBuilder().setBinaryName("no-such-runc").build().toByteString()))
                            .build(), T));
            assertThat(noBinary.getStatus().getDescription()).contains("no-such-runc");
            shutdown(shim, id);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(shimPids.get(0)).isEmpty());
        await().atMost(Duration.ofSeconds(10)).until(() -> topics().contains("/tasks/exec-started"));
        assertThat(topics()).contains("/tasks/exec-added");
        TaskExecStarted es = TaskExecStarted.parseFrom(event("/tasks/exec-started").getValue());
        assertThat(es.getExecId()).isEqualTo("e1");
        assertThat(forwarded.stream().filter(e -> e.getTopic().equals("/tasks/exit")).map(e -> {
            try {
                return TaskExit.parseFrom(e.getEvent().getValue());
            } catch (InvalidProtocolBufferException x) {
                throw new AssertionError(x);
            }
        }).toList()).extracting(TaskExit::getId, TaskExit::getExitStatus)
                .contains(org.assertj.core.groups.Tuple.tuple("e1", 3), org.assertj.core.groups.Tuple.tuple(id, 137));
        assertNothingLeft(id, bundle);
    }

    /**
     * Our shim with our runc ({@code bin/rabbithole-runc}) as its runtime binary: every exec's exit status reaches the
     * shim, also of a process that exits before {@code runc exec --detach} does (a JDK reaper in runc's JVM would
     * take it: the exec then never ends, dockerd's {@code docker exec} hangs).
     */
    @Test
    void ourRuncUnderOurShimGivesEveryExecsExitStatus() throws Exception {
        String id = "ours";
        Path bundle = bundle(id, "/bin/sleep", "300");
        runc = Path.of("bin/rabbithole-runc").toAbsolutePath().toString(); // the bundle was Debian runc's spec
        String address = start(id, bundle, Map.of());
        try (TtrpcClient shim = connect(address, id)) {
            shim.call(TaskGrpc.getCreateMethod(), CreateTaskRequest.newBuilder().setId(id)
                    .setBundle(bundle.toString()).addRootfs(rootfs()).setOptions(options()).build(), T);
            shim.call(TaskGrpc.getStartMethod(), StartRequest.newBuilder().setId(id).build(), T);
            for (int i = 0; i < 20; i++) {
                String execId = "x" + i;
                ObjectNode process = new ObjectMapper().createObjectNode();
                process.putArray("args").add("/bin/sh").add("-c").add("exit " + i);
                process.putArray("env").add("PATH=/bin");
                process.put("cwd", "/");
                process.putObject("user").put("uid", 0).put("gid", 0);
                shim.call(TaskGrpc.getExecMethod(), ExecProcessRequest.newBuilder().setId(id).setExecId(execId)
                        .setSpec(Any.newBuilder().setTypeUrl("types.containerd.io/opencontainers/runtime-spec/1/Process")
                                .setValue(ByteString.copyFromUtf8(process.toString()))).build(), T);
                shim.call(TaskGrpc.getStartMethod(), StartRequest.newBuilder().setId(id).setExecId(execId).build(), T);
                assertThat(shim.call(TaskGrpc.getWaitMethod(), WaitRequest.newBuilder().setId(id).setExecId(execId).build(), T)
                        .getExitStatus()).as("exec %s", execId).isEqualTo(i);
                shim.call(TaskGrpc.getDeleteMethod(), DeleteRequest.newBuilder().setId(id).setExecId(execId).build(), T);
            }
            shim.call(TaskGrpc.getKillMethod(), KillRequest.newBuilder().setId(id).setSignal(9).setAll(true).build(), T);
            assertThat(shim.call(TaskGrpc.getWaitMethod(), WaitRequest.newBuilder().setId(id).build(), T).getExitStatus())
                    .isEqualTo(137);
            shim.call(TaskGrpc.getDeleteMethod(), DeleteRequest.newBuilder().setId(id).build(), T);
            shutdown(shim, id);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(shimPids.get(0)).isEmpty());
        assertNothingLeft(id, bundle);
    }

    @Test
    void aShimKilledWithSigkillIsCleanedUpByTheDeleteAction() throws Exception {
        String id = "orphan";
        Path bundle = bundle(id, "/bin/sleep", "300");
        String address = start(id, bundle, Map.of());
        int pid;
        try (TtrpcClient shim = connect(address, id)) {
            pid = shim.call(TaskGrpc.getCreateMethod(), CreateTaskRequest.newBuilder().setId(id)
                    .setBundle(bundle.toString()).addRootfs(rootfs()).setOptions(options()).build(), T).getPid();
            shim.call(TaskGrpc.getStartMethod(), StartRequest.newBuilder().setId(id).build(), T);
        }
        long shimPid = shimPids.get(0);
        ProcessHandle.of(shimPid).orElseThrow().destroyForcibly();
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(shimPid).isEmpty());
        assertThat(ProcessHandle.of(pid)).as("the container outlives its shim until cleaned up").isPresent();

        // containerd's cleanup after a dead shim: BINARY ... -bundle B delete
        Process p = new ProcessBuilder(SHIM.toString(), "-namespace", NS, "-address", base.resolve("containerd.sock").toString(),
                "-publish-binary", "/bin/false", "-id", id, "-bundle", bundle.toString(), "delete")
                .directory(bundle.toFile()).start();
        p.getOutputStream().close();
        byte[] out = p.getInputStream().readAllBytes();
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("delete: %s", err).isZero();
        DeleteResponse d = DeleteResponse.parseFrom(out);
        assertThat(d.getExitStatus()).isEqualTo(137);
        assertThat(d.getPid()).isEqualTo(pid);
        assertThat(d.getExitedAt().getSeconds()).isPositive();
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(pid).isEmpty());
        assertThat(Path.of(address.substring("unix://".length()))).as("the dead shim's socket").doesNotExist();
        assertNothingLeft(id, bundle);
    }

    @Test
    void theSharedGroupingServesEveryTaskFromOneShim() throws Exception {
        Map<String, String> shared = Map.of(ShimMain.GROUPING_ENV, "shared");
        Path a = bundle("one", "/bin/sleep", "300");
        Path b = bundle("two", "/bin/sh", "-c", "exit 5");
        String addressA = start("one", a, shared);
        String addressB = start("two", b, shared);
        assertThat(addressB).isEqualTo(addressA);
        try (TtrpcClient one = connect(addressA, "one"); TtrpcClient two = connect(addressB, "two")) {
            assertThat(shimPids.get(1)).isEqualTo(shimPids.get(0));
            long shimPid = shimPids.get(0);
            int pidA = one.call(TaskGrpc.getCreateMethod(), CreateTaskRequest.newBuilder().setId("one")
                    .setBundle(a.toString()).addRootfs(rootfs()).setOptions(options()).build(), T).getPid();
            int pidB = two.call(TaskGrpc.getCreateMethod(), CreateTaskRequest.newBuilder().setId("two")
                    .setBundle(b.toString()).addRootfs(rootfs()).setOptions(options()).build(), T).getPid();
            one.call(TaskGrpc.getStartMethod(), StartRequest.newBuilder().setId("one").build(), T);
            two.call(TaskGrpc.getStartMethod(), StartRequest.newBuilder().setId("two").build(), T);
            assertThat(ProcessHandle.of(pidA).orElseThrow().parent().orElseThrow().pid()).isEqualTo(shimPid);
            assertThat(two.call(TaskGrpc.getWaitMethod(), WaitRequest.newBuilder().setId("two").build(), T).getExitStatus())
                    .isEqualTo(5);
            assertThat(two.call(TaskGrpc.getDeleteMethod(), DeleteRequest.newBuilder().setId("two").build(), T)
                    .getPid()).isEqualTo(pidB);
            // one task left: Shutdown leaves the shared shim running
            shutdown(two, "two");
            assertThat(one.call(TaskGrpc.getStateMethod(), StateRequest.newBuilder().setId("one").build(), T).getStatus())
                    .isEqualTo(Status.RUNNING);
            assertThat(ProcessHandle.of(shimPid)).isPresent();
            one.call(TaskGrpc.getKillMethod(), KillRequest.newBuilder().setId("one").setSignal(9).build(), T);
            assertThat(one.call(TaskGrpc.getWaitMethod(), WaitRequest.newBuilder().setId("one").build(), T).getExitStatus())
                    .isEqualTo(137);
            one.call(TaskGrpc.getDeleteMethod(), DeleteRequest.newBuilder().setId("one").build(), T);
            shutdown(one, "one");
            await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(shimPid).isEmpty());
        }
        assertThat(Path.of(addressA.substring("unix://".length())).getParent()).as("no socket or lock left").isEmptyDirectory();
        assertNothingLeft("one", a);
        assertNothingLeft("two", b);
    }

    @Test
    void aTerminalComesThroughTheConsoleSocketAndIsResized() throws Exception {
        String id = "tty";
        Path bundle = bundle(id, "/bin/sh", "-c", "stty size; tty; read line; echo got $line; exit 4");
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(bundle.resolve("config.json").toFile());
        ((ObjectNode) config.get("process")).put("terminal", true);
        json.writeValue(bundle.resolve("config.json").toFile(), config);
        String address = start(id, bundle, Map.of());
        String out = fifo("tty.out");
        Path in = base.resolve("tty.in");
        assertThat(run(List.of("mkfifo", in.toString()))).isZero();
        try (TtrpcClient shim = connect(address, id)) {
            shim.call(TaskGrpc.getCreateMethod(), CreateTaskRequest.newBuilder().setId(id).setBundle(bundle.toString())
                    .addRootfs(rootfs()).setOptions(options()).setTerminal(true).setStdin(in.toString()).setStdout(out)
                    .build(), T);
            assertThat(shim.call(TaskGrpc.getStateMethod(), StateRequest.newBuilder().setId(id).build(), T).getTerminal())
                    .isTrue();
            shim.call(TaskGrpc.getResizePtyMethod(), dev.rabbithole.stage3.api.shim.ResizePtyRequest.newBuilder().setId(id)
                    .setWidth(123).setHeight(45).build(), T);
            shim.call(TaskGrpc.getStartMethod(), StartRequest.newBuilder().setId(id).build(), T);
            await().atMost(Duration.ofSeconds(10)).until(() -> fifoText.get("tty.out").toString().contains("/dev/pts/"));
            // an exec'd process with a terminal of its own
            String execOut = fifo("exec-tty.out");
            ObjectNode process = new ObjectMapper().createObjectNode().put("terminal", true).put("cwd", "/");
            process.putArray("args").add("/bin/sh").add("-c").add("stty size; exit 2");
            process.putArray("env").add("PATH=/bin");
            process.putObject("user").put("uid", 0).put("gid", 0);
            process.putObject("consoleSize").put("height", 12).put("width", 34);
            shim.call(TaskGrpc.getExecMethod(), ExecProcessRequest.newBuilder().setId(id).setExecId("t1").setTerminal(true)
                    .setStdout(execOut).setSpec(Any.newBuilder().setTypeUrl("types.containerd.io/opencontainers/runtime-spec/1/Process")
                            .setValue(ByteString.copyFromUtf8(process.toString()))).build(), T);
            shim.call(TaskGrpc.getStartMethod(), StartRequest.newBuilder().setId(id).setExecId("t1").build(), T);
            assertThat(shim.call(TaskGrpc.getWaitMethod(), WaitRequest.newBuilder().setId(id).setExecId("t1").build(), T)
                    .getExitStatus()).isEqualTo(2);
            assertThat(fifoText.get("exec-tty.out").toString()).isEqualTo("12 34\r\n");
            shim.call(TaskGrpc.getDeleteMethod(), DeleteRequest.newBuilder().setId(id).setExecId("t1").build(), T);
            try (RandomAccessFile stdin = new RandomAccessFile(in.toFile(), "rw")) {
                stdin.write("typed\n".getBytes(StandardCharsets.UTF_8));
                assertThat(shim.call(TaskGrpc.getWaitMethod(), WaitRequest.newBuilder().setId(id).build(), T)
                        .getExitStatus()).isEqualTo(4);
            }
            // the terminal's size as set before start, its name, the input echoed by the line discipline (CR LF)
            assertThat(fifoText.get("tty.out").toString()).startsWith("45 123\r\n/dev/pts/").contains("typed\r\n")
                    .endsWith("got typed\r\n");
            shim.call(TaskGrpc.getDeleteMethod(), DeleteRequest.newBuilder().setId(id).build(), T);
            shutdown(shim, id);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(shimPids.get(0)).isEmpty());
        try (Stream<Path> tmp = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            assertThat(tmp.filter(p -> p.getFileName().toString().startsWith("rh-pty"))).as("console socket dirs").isEmpty();
        }
        assertNothingLeft(id, bundle);
    }

    @Test
    void aContainerKilledByTheOomKillerPublishesTasksOomBeforeItsExit() throws Exception {
        String id = "hog";
        Path bundle = bundle(id, "/bin/sh", "-c", "a=aaaaaaaaaaaaaaaa; while true; do a=$a$a; done");
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(bundle.resolve("config.json").toFile());
        ObjectNode memory = ((ObjectNode) config.get("linux")).putObject("resources").putObject("memory");
        memory.put("limit", 16L << 20);
        if (Files.exists(Path.of("/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes"))) {
            memory.put("swap", 16L << 20);
        }
        json.writeValue(bundle.resolve("config.json").toFile(), config);
        String address = start(id, bundle, Map.of());
        try (TtrpcClient shim = connect(address, id)) {
            shim.call(TaskGrpc.getCreateMethod(), CreateTaskRequest.newBuilder().setId(id).setBundle(bundle.toString())
                    .addRootfs(rootfs()).setOptions(options()).build(), T);
            shim.call(TaskGrpc.getStartMethod(), StartRequest.newBuilder().setId(id).build(), T);
            assertThat(shim.call(TaskGrpc.getWaitMethod(), WaitRequest.newBuilder().setId(id).build(), T).getExitStatus())
                    .isEqualTo(137);
            shim.call(TaskGrpc.getDeleteMethod(), DeleteRequest.newBuilder().setId(id).build(), T);
            shutdown(shim, id);
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> topics().contains("/tasks/exit"));
        assertThat(topics()).containsSubsequence("/tasks/start", "/tasks/oom", "/tasks/exit");
        assertThat(event("/tasks/oom").getTypeUrl()).isEqualTo("containerd.events.TaskOOM");
        assertThat(dev.rabbithole.stage3.api.eventtypes.TaskOOM.parseFrom(event("/tasks/oom").getValue()).getContainerId())
                .isEqualTo(id);
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(shimPids.get(0)).isEmpty());
        assertNothingLeft(id, bundle);
    }

    static void shutdown(TtrpcClient shim, String id) {
        try {
            shim.call(TaskGrpc.getShutdownMethod(), ShutdownRequest.newBuilder().setId(id).build(), T);
        } catch (StatusRuntimeException e) {
            assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.UNAVAILABLE);
        }
    }

    void assertNothingLeft(String id, Path bundle) throws IOException {
        assertThat(runcRoot.resolve(NS).resolve(id)).doesNotExist();
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(bundle.toString());
        try (Stream<Path> controllers = Files.list(Path.of("/sys/fs/cgroup"))) {
            assertThat(controllers.filter(c -> Files.isDirectory(c.resolve("rh-s3shim-" + id)))).isEmpty();
        }
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            List<String> left = new ArrayList<>();
            all.forEach(p -> {
                try {
                    Path cwd = Files.readSymbolicLink(Path.of("/proc/" + p.pid() + "/cwd"));
                    Path root = Files.readSymbolicLink(Path.of("/proc/" + p.pid() + "/root"));
                    if (cwd.startsWith(bundle) || root.startsWith(bundle)) {
                        left.add(p.pid() + " " + p.info().commandLine().orElse("?"));
                    }
                } catch (IOException | UnsupportedOperationException e) {
                    // gone
                }
            });
            assertThat(left).isEmpty();
        }
    }

    private List<String> topics() {
        synchronized (forwarded) {
            return forwarded.stream().map(Envelope::getTopic).toList();
        }
    }

    private Any event(String topic) {
        synchronized (forwarded) {
            return forwarded.stream().filter(e -> e.getTopic().equals(topic)).findFirst().orElseThrow().getEvent();
        }
    }

    static int run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }
}
