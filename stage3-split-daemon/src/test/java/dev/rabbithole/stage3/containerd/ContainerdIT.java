package dev.rabbithole.stage3.containerd;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import dev.rabbithole.stage3.api.containers.Container;
import dev.rabbithole.stage3.api.containers.ContainersGrpc;
import dev.rabbithole.stage3.api.containers.CreateContainerRequest;
import dev.rabbithole.stage3.api.containers.DeleteContainerRequest;
import dev.rabbithole.stage3.api.events.Envelope;
import dev.rabbithole.stage3.api.events.EventsGrpc;
import dev.rabbithole.stage3.api.events.PublishRequest;
import dev.rabbithole.stage3.api.events.SubscribeRequest;
import dev.rabbithole.stage3.api.eventtypes.TaskExit;
import dev.rabbithole.stage3.api.tasks.CreateTaskRequest;
import dev.rabbithole.stage3.api.tasks.DeleteResponse;
import dev.rabbithole.stage3.api.tasks.DeleteTaskRequest;
import dev.rabbithole.stage3.api.tasks.GetRequest;
import dev.rabbithole.stage3.api.tasks.KillRequest;
import dev.rabbithole.stage3.api.tasks.ListTasksRequest;
import dev.rabbithole.stage3.api.tasks.StartRequest;
import dev.rabbithole.stage3.api.tasks.TasksGrpc;
import dev.rabbithole.stage3.api.tasks.WaitRequest;
import dev.rabbithole.stage3.api.tasks.WaitResponse;
import dev.rabbithole.stage3.api.types.Mount;
import dev.rabbithole.stage3.api.types.task.Process;
import dev.rabbithole.stage3.api.types.task.Status;
import io.grpc.Context;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.rabbithole.stage3.containerd.GrpcClient.ns;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * Our containerd (its own process, {@code rabbithole stage3 containerd}) with Debian's containerd 1.6 parts at its
 * boundaries: {@code ctr} as its client, {@code containerd-shim-runc-v2} and {@code runc} under it. One containerd for
 * the class, on temporary directories; the last case kills it with SIGKILL and starts it again on the same ones.
 * Needs root, {@code containerd-shim-runc-v2}, {@code runc}, {@code ctr} and a static busybox.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ContainerdIT {

    static final String NS = "rabbithole-it";
    static final Duration T = Duration.ofSeconds(30);
    static final String SPEC_URL = "types.containerd.io/opencontainers/runtime-spec/1/Spec";

    static Path base;
    static Path sock;
    static Path rootfs;
    static java.lang.Process containerd;
    static GrpcClient client;

    @BeforeAll
    static void startContainerd() throws Exception {
        Assumptions.assumeTrue(Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid")),
                "skipped: running containers through containerd-shim-runc-v2 and runc needs root");
        for (String bin : List.of("containerd-shim-runc-v2", "runc", "ctr")) {
            Assumptions.assumeTrue(Shim.which(bin) != null, "skipped: " + bin + " is not installed (Debian packages containerd, runc)");
        }
        Assumptions.assumeTrue(Files.isRegularFile(Path.of("/bin/busybox")), "skipped: /bin/busybox is missing (busybox-static)");
        base = Files.createTempDirectory("rh-s3ctd");
        sock = base.resolve("containerd.sock");
        rootfs = Files.createDirectories(base.resolve("busybox/bin"));
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("busybox"));
        for (String tool : List.of("sh", "sleep", "echo", "hostname", "cat")) {
            Files.createSymbolicLink(rootfs.resolve(tool), Path.of("busybox"));
        }
        rootfs = rootfs.getParent();
        startDaemon();
        client = new GrpcClient(sock);
    }

    /** The part of containerd's log written since the last start. */
    static String started = "";

    static void startDaemon() throws IOException {
        Files.deleteIfExists(sock);
        Path logFile = base.resolve("containerd.log");
        long offset = Files.exists(logFile) ? Files.size(logFile) : 0;
        containerd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.rabbithole.stage3.Main", "containerd",
                "--address", sock.toString(), "--root", base.resolve("root").toString(),
                "--state", base.resolve("state").toString())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(base.resolve("containerd.log").toFile()))
                .start();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            assertThat(containerd.isAlive()).as("containerd died: %s", log()).isTrue();
            started = log().substring((int) offset);
            return started.contains("containerd: serving on");
        });
    }

    static String log() throws IOException {
        return Files.readString(base.resolve("containerd.log"));
    }

    // runc removes a container's cgroup, not the parent named after the namespace the shim put it under
    private static void removeEmptyNamespaceCgroups() {
        try (Stream<Path> hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path h : hierarchies.toList()) {
                Path parent = h.resolve(NS);
                if (Files.isDirectory(parent)) {
                    try {
                        Files.delete(parent);              // rmdir: fails while a child cgroup or task remains
                    } catch (java.io.IOException e) {
                        // still in use: not ours to force
                    }
                }
            }
        } catch (java.io.IOException e) {
            // no cgroup filesystem to clean
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (base == null) {
            return;
        }
        if (client != null) {
            client.close();
        }
        if (containerd != null) {
            containerd.destroy();
            containerd.waitFor(20, TimeUnit.SECONDS);
        }
        System.out.println("our containerd's log:\n" + log());
        // whatever a failed case left: runc's containers, their shims, the rootfs mounts
        Path runcRoot = base.resolve("state/runc").resolve(NS);
        if (Files.isDirectory(runcRoot)) {
            try (Stream<Path> ids = Files.list(runcRoot)) {
                for (Path id : ids.toList()) {
                    run(List.of("runc", "--root", runcRoot.toString(), "delete", "--force", id.getFileName().toString()));
                }
            }
        }
        Path bundles = base.resolve("state/io.containerd.runtime.v2.task").resolve(NS);
        if (Files.isDirectory(bundles)) {
            try (Stream<Path> left = Files.list(bundles)) {
                for (Path bundle : left.toList()) {
                    try {
                        ProcessHandle.of(shimPid(bundle)).ifPresent(ProcessHandle::destroyForcibly);
                    } catch (IOException | AssertionError e) {
                        // no record
                    }
                    run(List.of("umount", "-l", bundle.resolve("rootfs").toString()));
                }
            }
        }
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(base.toString());
        try (Stream<Path> walk = Files.walk(base)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        removeEmptyNamespaceCgroups();
    }

    static ObjectNode spec(String id, String... args) throws Exception {
        Path dir = Files.createTempDirectory(base, "spec");
        assertThat(run(List.of("runc", "spec", "--bundle", dir.toString()))).isZero();
        ObjectMapper json = new ObjectMapper();
        ObjectNode config = (ObjectNode) json.readTree(dir.resolve("config.json").toFile());
        ObjectNode process = (ObjectNode) config.get("process");
        process.put("terminal", false);
        ArrayNode a = process.putArray("args");
        for (String s : args) {
            a.add(s);
        }
        config.put("hostname", id);
        ((ObjectNode) config.get("root")).put("readonly", false);
        ((ObjectNode) config.get("linux")).put("cgroupsPath", "/rabbithole-s3ctd-" + id);
        return config;
    }

    static Container container(String id, ObjectNode spec) {
        return Container.newBuilder().setId(id)
                .setRuntime(Container.Runtime.newBuilder().setName("io.containerd.runc.v2"))
                .setSpec(Any.newBuilder().setTypeUrl(SPEC_URL).setValue(ByteString.copyFromUtf8(spec.toString())))
                .build();
    }

    /** The busybox directory bind-mounted as the task's rootfs: the shim mounts it on the bundle's rootfs. */
    static Mount rootfsMount() {
        return Mount.newBuilder().setType("bind").setSource(rootfs.toString()).addOptions("rbind").addOptions("rw").build();
    }

    @Test
    @Order(1)
    void debiansCtrDrivesOurContainerd() throws Exception {
        String v = ctr("version");
        assertThat(v).contains("Server:").contains("Version:  " + Containerd.VERSION).containsPattern("UUID: [0-9a-f-]{36}");
        assertThat(ctr("containers", "ls")).startsWith("CONTAINER");
        assertThat(ctr("tasks", "ls")).startsWith("TASK");

        // a container from a rootfs directory (no image, no snapshotter), a detached task, ls, kill, rm
        ctr("containers", "create", "--rootfs", rootfs.toString(), "ctr1", "/bin/sleep", "30");
        assertThat(ctr("containers", "ls")).containsPattern("(?m)^ctr1 +- +io.containerd.runc.v2");
        ctr("tasks", "start", "-d", "--fifo-dir", base.resolve("fifo").toString(), "ctr1");
        String ls = ctr("tasks", "ls");
        assertThat(ls).containsPattern("(?m)^ctr1 +[0-9]+ +RUNNING");
        ctr("tasks", "kill", "-s", "SIGKILL", "ctr1");
        await().atMost(Duration.ofSeconds(10)).until(() -> ctr("tasks", "ls").matches("(?s).*\nctr1 +[0-9]+ +STOPPED.*"));
        ctr("tasks", "rm", "ctr1");
        ctr("containers", "rm", "ctr1");
        assertThat(ctr("containers", "ls")).doesNotContain("ctr1");

        // ctr run --rm with a rootfs: container, lease, task, wait, output through ctr's FIFOs, delete
        assertThat(ctr("run", "--rm", "--fifo-dir", base.resolve("fifo").toString(), "--rootfs", rootfs.toString(),
                "ctr2", "/bin/sh", "-c", "echo hi from pid $$")).isEqualTo("hi from pid 1\n");
        assertThat(ctr("containers", "ls")).doesNotContain("ctr2");
        assertThat(ctr("tasks", "ls")).doesNotContain("ctr2");
        assertNothingLeft("ctr1");
        assertNothingLeft("ctr2");
    }

    @Test
    @Order(2)
    void aTaskThroughTheRealShimAndRuncLeavesNothingBehind() throws Exception {
        String id = "life";
        List<Envelope> events = new CopyOnWriteArrayList<>();
        Context.CancellableContext sub = Context.current().withCancellation();
        sub.run(() -> ns(EventsGrpc.newStub(client.channel), NS).subscribe(SubscribeRequest.newBuilder()
                .addFilters("namespace==" + NS + ",topic~=|^/(tasks|containers|test)/|").build(), collect(events)));
        // the subscription starts asynchronously: publish until the subscriber sees an event
        await().atMost(Duration.ofSeconds(10)).until(() -> {
            ns(EventsGrpc.newBlockingStub(client.channel), NS).publish(PublishRequest.newBuilder().setTopic("/test/ping")
                    .setEvent(Any.newBuilder().setTypeUrl("ping")).build());
            return !events.isEmpty();
        });
        ContainersGrpc.ContainersBlockingStub containers = ns(ContainersGrpc.newBlockingStub(client.channel), NS);
        TasksGrpc.TasksBlockingStub tasks = ns(TasksGrpc.newBlockingStub(client.channel), NS)
                .withDeadlineAfter(60, TimeUnit.SECONDS);
        containers.create(CreateContainerRequest.newBuilder().setContainer(container(id, spec(id, "/bin/sh", "-c",
                "echo out from $(hostname); exit 7"))).build());
        Path stdout = base.resolve("life.out");
        int pid = tasks.create(CreateTaskRequest.newBuilder().setContainerId(id).addRootfs(rootfsMount())
                .setStdout("file://" + stdout).setStderr("file://" + stdout).build()).getPid();
        assertThat(pid).isPositive();
        Process created = tasks.get(GetRequest.newBuilder().setContainerId(id).build()).getProcess();
        assertThat(created.getStatus()).isEqualTo(Status.CREATED);
        Path bundle = base.resolve("state/io.containerd.runtime.v2.task").resolve(NS).resolve(id);
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).contains(bundle.resolve("rootfs").toString());
        long shimPid = shimPid(bundle);

        assertThat(tasks.start(StartRequest.newBuilder().setContainerId(id).build()).getPid()).isEqualTo(pid);
        WaitResponse waited = ns(TasksGrpc.newBlockingStub(client.channel), NS).withDeadlineAfter(60, TimeUnit.SECONDS)
                .wait(WaitRequest.newBuilder().setContainerId(id).build());
        assertThat(waited.getExitStatus()).isEqualTo(7);
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(stdout).content().isEqualTo("out from life\n"));
        await().atMost(Duration.ofSeconds(10)).until(() -> events.stream().anyMatch(e -> e.getTopic().equals("/tasks/exit")));
        Envelope exit = events.stream().filter(e -> e.getTopic().equals("/tasks/exit")).findFirst().orElseThrow();
        assertThat(exit.getNamespace()).isEqualTo(NS);
        TaskExit te = TaskExit.parseFrom(exit.getEvent().getValue());
        assertThat(te.getContainerId()).isEqualTo(id);
        assertThat(te.getExitStatus()).isEqualTo(7);
        assertThat(te.getPid()).isEqualTo(pid);
        assertThat(events).extracting(Envelope::getTopic).contains("/containers/create", "/tasks/create", "/tasks/start");

        // the task has exited: Delete gives its status and removes everything
        DeleteResponse deleted = tasks.delete(DeleteTaskRequest.newBuilder().setContainerId(id).build());
        assertThat(deleted.getExitStatus()).isEqualTo(7);
        assertThat(deleted.getPid()).isEqualTo(pid);
        assertThat(catchThrowableOfType(StatusRuntimeException.class, () -> tasks.get(GetRequest.newBuilder()
                .setContainerId(id).build())).getStatus().getCode()).isEqualTo(io.grpc.Status.Code.NOT_FOUND);
        containers.delete(DeleteContainerRequest.newBuilder().setId(id).build());
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(shimPid).isEmpty());
        await().atMost(Duration.ofSeconds(10)).until(() -> events.stream().anyMatch(e -> e.getTopic().equals("/tasks/delete")));
        assertThat(events).extracting(Envelope::getTopic).contains("/containers/delete");
        sub.cancel(null);
        assertNothingLeft(id);
    }

    @Test
    @Order(3)
    void aKilledContainerdFindsItsRunningTaskAgain() throws Exception {
        String id = "survivor";
        ContainersGrpc.ContainersBlockingStub containers = ns(ContainersGrpc.newBlockingStub(client.channel), NS);
        TasksGrpc.TasksBlockingStub tasks = ns(TasksGrpc.newBlockingStub(client.channel), NS).withDeadlineAfter(60, TimeUnit.SECONDS);
        containers.create(CreateContainerRequest.newBuilder().setContainer(container(id, spec(id, "/bin/sleep", "30"))).build());
        int pid = tasks.create(CreateTaskRequest.newBuilder().setContainerId(id).addRootfs(rootfsMount()).build()).getPid();
        tasks.start(StartRequest.newBuilder().setContainerId(id).build());
        long shimPid = shimPid(base.resolve("state/io.containerd.runtime.v2.task").resolve(NS).resolve(id));
        // a second task that exits with 3 once told to, while containerd is down
        Path go = rootfs.resolve("go");
        containers.create(CreateContainerRequest.newBuilder().setContainer(container("quitter", spec("quitter",
                "/bin/sh", "-c", "while [ ! -e /go ]; do sleep 1; done; exit 3"))).build());
        int quitter = tasks.create(CreateTaskRequest.newBuilder().setContainerId("quitter").addRootfs(rootfsMount()).build()).getPid();
        tasks.start(StartRequest.newBuilder().setContainerId("quitter").build());
        long quitterShim = shimPid(base.resolve("state/io.containerd.runtime.v2.task").resolve(NS).resolve("quitter"));

        // SIGKILL: no cleanup at all in containerd
        containerd.destroyForcibly();
        assertThat(containerd.waitFor(20, TimeUnit.SECONDS)).isTrue();
        client.close();
        assertThat(ProcessHandle.of(pid)).as("the task lives on without containerd").isPresent();
        assertThat(ProcessHandle.of(shimPid)).as("so does its shim").isPresent();
        Files.createFile(go);
        await().atMost(Duration.ofSeconds(20)).until(() -> ProcessHandle.of(quitter).isEmpty());

        startDaemon();
        client = new GrpcClient(sock);
        assertThat(started).contains("2 shim(s) found again");
        TasksGrpc.TasksBlockingStub again = ns(TasksGrpc.newBlockingStub(client.channel), NS).withDeadlineAfter(60, TimeUnit.SECONDS);
        List<Process> listed = again.list(ListTasksRequest.getDefaultInstance()).getTasksList();
        assertThat(listed).hasSize(2);
        assertThat(listed).filteredOn(p -> p.getId().equals(id)).singleElement().satisfies(p -> {
            assertThat(p.getPid()).isEqualTo(pid);
            assertThat(p.getStatus()).isEqualTo(Status.RUNNING);
        });
        // the task that exited while containerd was down reports its real exit status
        assertThat(listed).filteredOn(p -> p.getId().equals("quitter")).singleElement().satisfies(p -> {
            assertThat(p.getPid()).isEqualTo(quitter);
            assertThat(p.getStatus()).isEqualTo(Status.STOPPED);
            assertThat(p.getExitStatus()).isEqualTo(3);
        });
        assertThat(again.wait(WaitRequest.newBuilder().setContainerId("quitter").build()).getExitStatus()).isEqualTo(3);
        assertThat(again.delete(DeleteTaskRequest.newBuilder().setContainerId("quitter").build()).getExitStatus()).isEqualTo(3);
        ns(ContainersGrpc.newBlockingStub(client.channel), NS).delete(DeleteContainerRequest.newBuilder().setId("quitter").build());
        Files.delete(go);
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(quitterShim).isEmpty());
        assertNothingLeft("quitter");
        assertThat(ctr("tasks", "ls")).containsPattern("(?m)^survivor +" + pid + " +RUNNING");

        // Wait on the restarted containerd answers when Kill ends the task
        List<WaitResponse> waited = new CopyOnWriteArrayList<>();
        ns(TasksGrpc.newStub(client.channel), NS).wait(WaitRequest.newBuilder().setContainerId(id).build(), collect(waited));
        again.kill(KillRequest.newBuilder().setContainerId(id).setSignal(9).build());
        await().atMost(Duration.ofSeconds(20)).until(() -> !waited.isEmpty());
        assertThat(waited.get(0).getExitStatus()).isEqualTo(137);
        assertThat(again.delete(DeleteTaskRequest.newBuilder().setContainerId(id).build()).getExitStatus()).isEqualTo(137);
        ns(ContainersGrpc.newBlockingStub(client.channel), NS).delete(DeleteContainerRequest.newBuilder().setId(id).build());
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(shimPid).isEmpty());
        assertNothingLeft(id);
    }

    @Test
    @Order(4)
    void aTaskWhoseShimWasKilledIsDeletedWithTheShimBinarysDelete() throws Exception {
        String id = "orphan";
        ContainersGrpc.ContainersBlockingStub containers = ns(ContainersGrpc.newBlockingStub(client.channel), NS);
        TasksGrpc.TasksBlockingStub tasks = ns(TasksGrpc.newBlockingStub(client.channel), NS).withDeadlineAfter(60, TimeUnit.SECONDS);
        containers.create(CreateContainerRequest.newBuilder().setContainer(container(id, spec(id, "/bin/sleep", "30"))).build());
        int pid = tasks.create(CreateTaskRequest.newBuilder().setContainerId(id).addRootfs(rootfsMount()).build()).getPid();
        tasks.start(StartRequest.newBuilder().setContainerId(id).build());
        Path bundle = base.resolve("state/io.containerd.runtime.v2.task").resolve(NS).resolve(id);
        long shimPid = shimPid(bundle);
        Path shimSocket = Path.of(new ObjectMapper().readTree(bundle.resolve(Shim.RECORD).toFile()).path("address")
                .asText().replaceFirst("^unix://", ""));
        assertThat(shimSocket).exists();
        ProcessHandle.of(shimPid).orElseThrow().destroyForcibly();
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(shimPid).isEmpty());

        // Delete finds the shim gone: containerd-shim-runc-v2 delete kills the container (runc delete --force),
        // unmounts its rootfs and reports SIGKILL's status
        DeleteResponse d = tasks.delete(DeleteTaskRequest.newBuilder().setContainerId(id).build());
        assertThat(d.getExitStatus()).isEqualTo(137);
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(pid).isEmpty());
        containers.delete(DeleteContainerRequest.newBuilder().setId(id).build());
        assertThat(shimSocket).as("the killed shim's socket").doesNotExist();
        assertNothingLeft(id);
    }

    /** No process, mount, cgroup, runc state, bundle or shim socket of the container left. */
    static void assertNothingLeft(String id) throws IOException {
        Path bundle = base.resolve("state/io.containerd.runtime.v2.task").resolve(NS).resolve(id);
        assertThat(bundle).doesNotExist();
        assertThat(base.resolve("root/io.containerd.runtime.v2.task").resolve(NS).resolve(id)).doesNotExist();
        assertThat(base.resolve("state/runc").resolve(NS).resolve(id)).doesNotExist();
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(bundle.toString());
        try (Stream<Path> controllers = Files.list(Path.of("/sys/fs/cgroup"))) {
            assertThat(controllers.filter(c -> Files.isDirectory(c.resolve("rabbithole-s3ctd-" + id)))).isEmpty();
        }
        assertThat(Path.of("/sys/fs/cgroup/rabbithole-s3ctd-" + id)).doesNotExist();
        // no process whose cwd is the bundle (a shim) or whose root is our rootfs
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            List<String> left = new ArrayList<>();
            all.forEach(p -> {
                try {
                    Path cwd = Files.readSymbolicLink(Path.of("/proc/" + p.pid() + "/cwd"));
                    if (cwd.startsWith(bundle)) {
                        left.add(p.pid() + " " + p.info().commandLine().orElse("?"));
                    }
                } catch (IOException | UnsupportedOperationException e) {
                    // gone or not ours to read
                }
            });
            assertThat(left).isEmpty();
        }
    }

    static long shimPid(Path bundle) throws IOException {
        long pid = new ObjectMapper().readTree(bundle.resolve(Shim.RECORD).toFile()).path("shimPid").asLong();
        assertThat(pid).isPositive();
        return pid;
    }

    static <V> StreamObserver<V> collect(List<V> into) {
        return new StreamObserver<>() {
            public void onNext(V v) {
                into.add(v);
            }

            public void onError(Throwable t) {
            }

            public void onCompleted() {
            }
        };
    }

    /** Runs Debian's ctr against our containerd in our namespace; fails the test on a non-zero exit status. */
    static String ctr(String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(Shim.which("ctr").toString(), "--address", sock.toString(), "-n", NS));
        cmd.addAll(List.of(args));
        java.lang.Process p = new ProcessBuilder(cmd).start();
        p.getOutputStream().close();
        var err = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("ctr %s: %s%s", String.join(" ", args), out, err.join()).isZero();
        return out;
    }

    static int run(List<String> command) throws IOException, InterruptedException {
        List<String> c = new ArrayList<>(command);
        Path exe = Shim.which(c.get(0));
        if (exe == null) {
            return 127;
        }
        c.set(0, exe.toString());
        java.lang.Process p = new ProcessBuilder(c).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        return p.waitFor(30, TimeUnit.SECONDS) ? p.exitValue() : -1;
    }
}
