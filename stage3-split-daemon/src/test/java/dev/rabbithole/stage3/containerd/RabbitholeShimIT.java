package dev.rabbithole.stage3.containerd;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage3.api.containers.ContainersGrpc;
import dev.rabbithole.stage3.api.containers.CreateContainerRequest;
import dev.rabbithole.stage3.api.containers.DeleteContainerRequest;
import dev.rabbithole.stage3.api.tasks.CreateTaskRequest;
import dev.rabbithole.stage3.api.tasks.DeleteResponse;
import dev.rabbithole.stage3.api.tasks.DeleteTaskRequest;
import dev.rabbithole.stage3.api.tasks.ListTasksRequest;
import dev.rabbithole.stage3.api.tasks.StartRequest;
import dev.rabbithole.stage3.api.tasks.TasksGrpc;
import dev.rabbithole.stage3.api.tasks.WaitRequest;
import dev.rabbithole.stage3.api.types.Mount;
import dev.rabbithole.stage3.api.types.task.Process;
import dev.rabbithole.stage3.api.types.task.Status;
import dev.rabbithole.stage3.api.containers.Container;
import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
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
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static dev.rabbithole.stage3.containerd.GrpcClient.ns;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Our containerd running our shim, {@code containerd-shim-rabbithole-v2} (runtime {@code io.containerd.rabbithole.v2},
 * found on containerd's PATH), with Debian's runc under it and Debian's {@code ctr} as the client: the shim is a
 * drop-in for {@code containerd-shim-runc-v2} in the cases {@code ContainerdIT} runs with Debian's shim (ctr run, ls,
 * kill; a containerd killed with SIGKILL finds its tasks again, with the real exit code of one that exited
 * meanwhile; a shim killed with SIGKILL is cleaned up by the shim binary's {@code delete}), then the same containerd
 * restarted with {@code --shim-grouping shared}: one shim process for every task. Needs root, runc, ctr, a static
 * busybox and the built jar.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RabbitholeShimIT {

    static final String NS = "rabbithole-it";
    static final String RUNTIME = "io.containerd.rabbithole.v2";
    static final String SPEC_URL = "types.containerd.io/opencontainers/runtime-spec/1/Spec";

    static Path base;
    static Path sock;
    static Path rootfs;
    static java.lang.Process containerd;
    static GrpcClient client;
    static String started = "";

    @BeforeAll
    static void startContainerd() throws Exception {
        Assumptions.assumeTrue(Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid")),
                "skipped: running containers through our shim and runc needs root");
        for (String bin : List.of("runc", "ctr")) {
            Assumptions.assumeTrue(Shim.which(bin) != null, "skipped: " + bin + " is not installed (Debian packages containerd, runc)");
        }
        Assumptions.assumeTrue(Files.isRegularFile(Path.of("/bin/busybox")), "skipped: /bin/busybox is missing (busybox-static)");
        Assumptions.assumeTrue(Files.isRegularFile(Path.of("target/rabbithole-stage3.jar")),
                "skipped: target/rabbithole-stage3.jar is not built (mvn package)");
        base = Files.createTempDirectory("rh-s3rsh");
        sock = base.resolve("containerd.sock");
        Path bin = Files.createDirectories(base.resolve("busybox/bin"));
        Files.copy(Path.of("/bin/busybox"), bin.resolve("busybox"));
        for (String tool : List.of("sh", "sleep", "echo", "hostname", "cat")) {
            Files.createSymbolicLink(bin.resolve(tool), Path.of("busybox"));
        }
        rootfs = bin.getParent();
        startDaemon("per-container");
        client = new GrpcClient(sock);
    }

    static void startDaemon(String grouping) throws IOException {
        Files.deleteIfExists(sock);
        Path logFile = base.resolve("containerd.log");
        long offset = Files.exists(logFile) ? Files.size(logFile) : 0;
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.rabbithole.stage3.Main", "containerd",
                "--address", sock.toString(), "--root", base.resolve("root").toString(),
                "--state", base.resolve("state").toString(), "--shim-grouping", grouping)
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        // the shim binary is found on containerd's PATH, as containerd finds containerd-shim-runc-v2
        pb.environment().put("PATH", Path.of("bin").toAbsolutePath() + ":" + System.getenv("PATH"));
        containerd = pb.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            assertThat(containerd.isAlive()).as("containerd died: %s", log()).isTrue();
            started = log().substring((int) offset);
            return started.contains("containerd: serving on");
        });
    }

    static String log() throws IOException {
        return Files.readString(base.resolve("containerd.log"));
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
        Path bundles = base.resolve("state/io.containerd.runtime.v2.task").resolve(NS);
        if (Files.isDirectory(bundles)) {
            try (Stream<Path> left = Files.list(bundles)) {
                for (Path bundle : left.toList()) {
                    try {
                        ProcessHandle.of(ContainerdIT.shimPid(bundle)).ifPresent(ProcessHandle::destroyForcibly);
                    } catch (IOException | AssertionError e) {
                        // no record
                    }
                }
            }
        }
        Path runcRoot = base.resolve("state/runc").resolve(NS);
        if (Files.isDirectory(runcRoot)) {
            try (Stream<Path> ids = Files.list(runcRoot)) {
                for (Path id : ids.toList()) {
                    ContainerdIT.run(List.of("runc", "--root", runcRoot.toString(), "delete", "--force", id.getFileName().toString()));
                }
            }
        }
        if (Files.isDirectory(bundles)) {
            try (Stream<Path> left = Files.list(bundles)) {
                for (Path bundle : left.toList()) {
                    ContainerdIT.run(List.of("umount", "-l", bundle.resolve("rootfs").toString()));
                }
            }
        }
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(base.toString());
        try (Stream<Path> walk = Files.walk(base)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        try (Stream<Path> hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path h : hierarchies.toList()) {
                try {
                    Files.deleteIfExists(h.resolve(NS));
                } catch (IOException e) {
                    // in use
                }
            }
        }
    }

    static Container container(String id, String... args) throws Exception {
        Path dir = Files.createTempDirectory(base, "spec");
        assertThat(ContainerdIT.run(List.of("runc", "spec", "--bundle", dir.toString()))).isZero();
        ObjectNode spec = (ObjectNode) new ObjectMapper().readTree(dir.resolve("config.json").toFile());
        ObjectNode process = (ObjectNode) spec.get("process");
        process.put("terminal", false);
        ArrayNode a = process.putArray("args");
        for (String arg : args) {
            a.add(arg);
        }
        spec.put("hostname", id);
        ((ObjectNode) spec.get("root")).put("readonly", false);
        ((ObjectNode) spec.get("linux")).put("cgroupsPath", "/rh-s3rsh-" + id);
        return Container.newBuilder().setId(id).setRuntime(Container.Runtime.newBuilder().setName(RUNTIME))
                .setSpec(Any.newBuilder().setTypeUrl(SPEC_URL).setValue(ByteString.copyFromUtf8(spec.toString()))).build();
    }

    static Mount rootfsMount() {
        return Mount.newBuilder().setType("bind").setSource(rootfs.toString()).addOptions("rbind").addOptions("rw").build();
    }

    static Path bundle(String id) {
        return base.resolve("state/io.containerd.runtime.v2.task").resolve(NS).resolve(id);
    }

    /** The shim of a task is our shim's JVM, not Debian's Go shim. */
    static long ourShim(String id) throws IOException {
        long pid = ContainerdIT.shimPid(bundle(id));
        String cmd = Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
        assertThat(cmd).contains("rabbithole-stage3.jar shim").endsWith("serve ");
        return pid;
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

    @Test
    @Order(1)
    void debiansCtrRunsTasksThroughOurShim() throws Exception {
        assertThat(ctr("run", "--rm", "--runtime", RUNTIME, "--fifo-dir", base.resolve("fifo").toString(),
                "--rootfs", rootfs.toString(), "hi", "/bin/sh", "-c", "echo hi from pid $$; echo to stderr >&2"))
                .isEqualTo("hi from pid 1\n");
        ctr("containers", "create", "--runtime", RUNTIME, "--rootfs", rootfs.toString(), "ctr1", "/bin/sleep", "30");
        ctr("tasks", "start", "-d", "--fifo-dir", base.resolve("fifo").toString(), "ctr1");
        assertThat(ctr("tasks", "ls")).containsPattern("(?m)^ctr1 +[0-9]+ +RUNNING");
        long shim = ourShim("ctr1");
        ctr("tasks", "kill", "-s", "SIGKILL", "ctr1");
        await().atMost(Duration.ofSeconds(10)).until(() -> ctr("tasks", "ls").matches("(?s).*\nctr1 +[0-9]+ +STOPPED.*"));
        ctr("tasks", "rm", "ctr1");
        ctr("containers", "rm", "ctr1");
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(shim).isEmpty());
        assertNothingLeft("hi");
        assertNothingLeft("ctr1");
    }

    @Test
    @Order(2)
    void aKilledContainerdFindsOurShimsAgainWithTheRealExitCode() throws Exception {
        ContainersGrpc.ContainersBlockingStub containers = ns(ContainersGrpc.newBlockingStub(client.channel), NS);
        TasksGrpc.TasksBlockingStub tasks = ns(TasksGrpc.newBlockingStub(client.channel), NS).withDeadlineAfter(60, TimeUnit.SECONDS);
        containers.create(CreateContainerRequest.newBuilder().setContainer(container("survivor", "/bin/sleep", "60")).build());
        int pid = tasks.create(CreateTaskRequest.newBuilder().setContainerId("survivor").addRootfs(rootfsMount()).build()).getPid();
        tasks.start(StartRequest.newBuilder().setContainerId("survivor").build());
        Path go = rootfs.resolve("go");
        containers.create(CreateContainerRequest.newBuilder().setContainer(container("quitter",
                "/bin/sh", "-c", "while [ ! -e /go ]; do sleep 1; done; exit 3")).build());
        int quitter = tasks.create(CreateTaskRequest.newBuilder().setContainerId("quitter").addRootfs(rootfsMount()).build()).getPid();
        tasks.start(StartRequest.newBuilder().setContainerId("quitter").build());
        long survivorShim = ourShim("survivor");
        long quitterShim = ourShim("quitter");
        assertThat(survivorShim).isNotEqualTo(quitterShim);

        containerd.destroyForcibly();
        assertThat(containerd.waitFor(20, TimeUnit.SECONDS)).isTrue();
        client.close();
        Files.createFile(go);
        await().atMost(Duration.ofSeconds(20)).until(() -> ProcessHandle.of(quitter).isEmpty());
        assertThat(ProcessHandle.of(pid)).as("the task lives on without containerd").isPresent();

        startDaemon("per-container");
        client = new GrpcClient(sock);
        assertThat(started).contains("2 shim(s) found again");
        TasksGrpc.TasksBlockingStub again = ns(TasksGrpc.newBlockingStub(client.channel), NS).withDeadlineAfter(60, TimeUnit.SECONDS);
        List<Process> listed = again.list(ListTasksRequest.getDefaultInstance()).getTasksList();
        assertThat(listed).filteredOn(p -> p.getId().equals("survivor")).singleElement()
                .satisfies(p -> assertThat(p.getStatus()).isEqualTo(Status.RUNNING));
        assertThat(listed).filteredOn(p -> p.getId().equals("quitter")).singleElement().satisfies(p -> {
            assertThat(p.getStatus()).isEqualTo(Status.STOPPED);
            assertThat(p.getExitStatus()).isEqualTo(3);
        });
        assertThat(again.wait(WaitRequest.newBuilder().setContainerId("quitter").build()).getExitStatus()).isEqualTo(3);
        assertThat(again.delete(DeleteTaskRequest.newBuilder().setContainerId("quitter").build()).getExitStatus()).isEqualTo(3);
        ns(ContainersGrpc.newBlockingStub(client.channel), NS).delete(DeleteContainerRequest.newBuilder().setId("quitter").build());
        Files.delete(go);
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(quitterShim).isEmpty());
        assertNothingLeft("quitter");

        // a shim killed with SIGKILL: containerd sees its connection close and cleans up at once with the shim
        // binary's delete, which kills the container; the task is reported stopped with SIGKILL's status
        ProcessHandle.of(survivorShim).orElseThrow().destroyForcibly();
        await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(survivorShim).isEmpty());
        await().atMost(Duration.ofSeconds(20)).until(() -> ProcessHandle.of(pid).isEmpty());
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(ns(TasksGrpc.newBlockingStub(client.channel), NS)
                .list(ListTasksRequest.getDefaultInstance()).getTasksList()).filteredOn(p -> p.getId().equals("survivor"))
                .singleElement().satisfies(p -> {
                    assertThat(p.getStatus()).isEqualTo(Status.STOPPED);
                    assertThat(p.getExitStatus()).isEqualTo(137);
                }));
        assertThat(again.wait(WaitRequest.newBuilder().setContainerId("survivor").build()).getExitStatus()).isEqualTo(137);
        DeleteResponse d = again.delete(DeleteTaskRequest.newBuilder().setContainerId("survivor").build());
        assertThat(d.getExitStatus()).isEqualTo(137);
        ns(ContainersGrpc.newBlockingStub(client.channel), NS).delete(DeleteContainerRequest.newBuilder().setId("survivor").build());
        assertNothingLeft("survivor");
        assertThat(base.resolve("s")).isEmptyDirectory();
    }

    @Test
    @Order(3)
    void theSharedGroupingRunsEveryTaskUnderOneShim() throws Exception {
        client.close();
        containerd.destroy();
        assertThat(containerd.waitFor(20, TimeUnit.SECONDS)).isTrue();
        startDaemon("shared");
        client = new GrpcClient(sock);
        List<String> ids = List.of("g1", "g2", "g3");
        for (String id : ids) {
            ctr("containers", "create", "--runtime", RUNTIME, "--rootfs", rootfs.toString(), id, "/bin/sleep", "60");
            ctr("tasks", "start", "-d", "--fifo-dir", base.resolve("fifo").toString(), id);
        }
        Set<Long> shims = new TreeSet<>();
        for (String id : ids) {
            shims.add(ourShim(id));
        }
        assertThat(shims).as("one shim for all").hasSize(1);
        long shim = shims.iterator().next();
        String ls = ctr("tasks", "ls");
        for (String id : ids) {
            assertThat(ls).containsPattern("(?m)^" + id + " +[0-9]+ +RUNNING");
            // each task's init is a child of the one shim
            long pid = Long.parseLong(ls.replaceAll("(?s).*\n" + id + " +([0-9]+) .*", "$1"));
            assertThat(ProcessHandle.of(pid).orElseThrow().parent().orElseThrow().pid()).isEqualTo(shim);
        }
        for (String id : ids) {
            ctr("tasks", "kill", "-s", "SIGKILL", id);
            await().atMost(Duration.ofSeconds(10)).until(() -> ctr("tasks", "ls").matches("(?s).*\n" + id + " +[0-9]+ +STOPPED.*"));
            ctr("tasks", "rm", id);
            ctr("containers", "rm", id);
            if (!id.equals("g3")) {
                assertThat(ProcessHandle.of(shim)).as("the shared shim while tasks remain").isPresent();
            }
        }
        await().atMost(Duration.ofSeconds(15)).until(() -> ProcessHandle.of(shim).isEmpty());
        for (String id : ids) {
            assertNothingLeft(id);
        }
        try (Stream<Path> s = Files.list(base.resolve("s"))) {
            assertThat(s).as("no socket or other file left").isEmpty();
        }
    }

    static void assertNothingLeft(String id) throws IOException {
        Path bundle = bundle(id);
        assertThat(bundle).doesNotExist();
        assertThat(base.resolve("state/runc").resolve(NS).resolve(id)).doesNotExist();
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(bundle.toString());
        try (Stream<Path> controllers = Files.list(Path.of("/sys/fs/cgroup"))) {
            assertThat(controllers.filter(c -> Files.isDirectory(c.resolve("rh-s3rsh-" + id))
                    || Files.isDirectory(c.resolve(NS).resolve(id)))).isEmpty();
        }
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            List<String> left = new ArrayList<>();
            all.forEach(p -> {
                try {
                    Path cwd = Files.readSymbolicLink(Path.of("/proc/" + p.pid() + "/cwd"));
                    if (cwd.startsWith(bundle)) {
                        left.add(p.pid() + " " + p.info().commandLine().orElse("?"));
                    }
                } catch (IOException | UnsupportedOperationException e) {
                    // gone
                }
            });
            assertThat(left).isEmpty();
        }
    }
}
