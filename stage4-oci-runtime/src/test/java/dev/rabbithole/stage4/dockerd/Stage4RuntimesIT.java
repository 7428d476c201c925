package dev.rabbithole.stage4.dockerd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage2.e2e.DifferentialRun;
import dev.rabbithole.testsupport.DebianDockerd;
import dev.rabbithole.testsupport.HostLeaks;
import dev.rabbithole.testsupport.JarDaemon;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 14 part 3, our engine runs any OCI runtime: stage 4's dockerd with {@code --add-runtime} runs the same
 * containers with {@code docker run --runtime rabbithole} (ours), {@code --runtime runc} (Debian's), an added runtime
 * ({@code myrunc}, runc by its path) and {@code crun} where the host's cgroups let it. Each is checked from inside
 * (hostname, {@code /proc/self/status}, exit code, the same for every runtime) and from outside (the runtime's own
 * state under {@code EXEC_ROOT/runtime-NAME/moby/ID}, which only that runtime's {@code state} command reads), and
 * leaves nothing after {@code docker rm}. The unknown-runtime error, {@code docker info}'s runtimes and the recorded
 * {@code HostConfig.Runtime} are Debian's dockerd 20.10's; the default runtime is switched and dockerd restarted, then
 * restarted again with {@code --live-restore} while every container runs.
 * One dockerd for the class (the restart is the last case).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class Stage4RuntimesIT {

    private static final ObjectMapper JSON = new ObjectMapper();
    /** What each runtime's container prints: hostname, the status lines that show its confinement, pid 1's command. */
    private static final String PROBE = "hostname; grep -E '^(CapEff|CapBnd|NoNewPrivs|Seccomp):' /proc/self/status; "
            + "tr '\\0' ' ' </proc/1/cmdline; echo; exit 7";

    private static Stage4DockerdFixture d;
    private static String runc;
    private static Optional<Path> crun;
    private static List<String> flags;

    @BeforeAll
    static void start() throws Exception {
        Stage4DockerdFixture.assumeCanRun();
        runc = Stage4DockerdFixture.find("runc").orElseThrow().toString();
        crun = Stage4DockerdFixture.find("crun");
        flags = new ArrayList<>(List.of("--add-runtime", "myrunc=" + runc));
        crun.ifPresent(c -> flags.addAll(List.of("--add-runtime", "crun=" + c)));
        d = new Stage4DockerdFixture();
        try {
            d.start(flags);
        } catch (RuntimeException e) {
            d.close();
            throw e;
        }
    }

    @AfterAll
    static void stop() throws Exception {
        if (d != null) {
            d.close();
        }
    }

    @Test
    @Order(1)
    void theSameContainerRunsAlikeUnderOursRuncAndAnAddedRuntime() throws Exception {
        String expected = null;
        for (String runtime : List.of("rabbithole", "runc", "myrunc")) {
            JarDaemon.Result r = d.docker("run", "--rm", "--runtime", runtime, "--hostname", "box-" + runtime,
                    "busybox", "sh", "-c", PROBE);
            assertThat(r.exit()).as(runtime + ": " + r + "\n" + d.log()).isEqualTo(7);
            List<String> lines = r.out().lines().toList();
            assertThat(lines.get(0)).isEqualTo("box-" + runtime);
            assertThat(r.out()).contains("Seccomp:\t2", "NoNewPrivs:\t0", "CapEff:\t00000000a80425fb")
                    .contains("sh -c " + PROBE.substring(0, 20));
            String rest = String.join("\n", lines.subList(1, lines.size()));
            if (expected == null) {
                expected = rest;
            }
            assertThat(rest).as(runtime + " against rabbithole").isEqualTo(expected);
        }
    }

    @Test
    @Order(2)
    void eachContainerIsHeldByItsOwnRuntimeAndLeavesNothing() throws Exception {
        assertHeldBy("rabbithole", Stage4DockerdFixture.ourBin().resolve(Runtimes.OUR_BINARY).toString(), "runc.json");
        assertHeldBy("runc", runc, "state.json");
        assertHeldBy("myrunc", runc, "state.json");
    }

    /**
     * Runs {@code sleep} with the runtime and checks from outside which runtime made it: its state directory under
     * the runtime's own root, a file only that runtime writes, and the runtime's {@code state} command finding it
     * running there; then {@code docker rm -f} leaves no state, mount, cgroup or process naming the ID.
     */
    private static void assertHeldBy(String runtime, String binary, String ownFile) throws Exception {
        JarDaemon.Result run = d.docker("run", "-d", "--runtime", runtime, "busybox", "sleep", "300");
        assertThat(run.exit()).as(run + "\n" + d.log()).isZero();
        String id = run.out().trim();
        assertThat(d.docker("inspect", "-f", "{{.HostConfig.Runtime}}", id).out().trim()).isEqualTo(runtime);
        Path state = d.runtimeState(runtime, id);
        assertThat(state).as(runtime + "'s state").isDirectory();
        assertThat(state.resolve(ownFile)).as(runtime + " writes " + ownFile).exists();
        assertThat(state.resolve("runc.json").toFile().exists()).as("our runtime's own file")
                .isEqualTo(runtime.equals("rabbithole"));
        JarDaemon.Result st = JarDaemon.exec(List.of(binary, "--root", state.getParent().toString(), "state", id));
        assertThat(st.exit()).as(st.toString()).isZero();
        assertThat(JSON.readTree(st.out()).path("status").asText()).isEqualTo("running");
        for (String other : List.of("rabbithole", "runc", "myrunc", "crun")) {
            if (!other.equals(runtime)) {
                assertThat(d.runtimeState(other, id)).as("not under " + other).doesNotExist();
            }
        }
        assertThat(d.docker("rm", "-f", id).exit()).isZero();
        assertNothingLeft(id);
    }

    private static void assertNothingLeft(String id) {
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            assertThat(HostLeaks.mounts(id)).as("mounts").isEmpty();
            assertThat(HostLeaks.cgroups(id)).as("cgroups").isEmpty();
            assertThat(HostLeaks.processes(id)).as("processes").isEmpty();
            assertThat(HostLeaks.files(d.execRoot, id)).as("exec root").isEmpty();
            assertThat(HostLeaks.files(d.dataRoot, id)).as("data root").isEmpty();
        });
    }

    @Test
    @Order(3)
    void crunRunsWhereTheHostsCgroupsLetIt() throws Exception {
        Assumptions.assumeTrue(crun.isPresent(), "skipped: crun is not installed (Debian package crun)");
        JarDaemon.Result r = d.docker("run", "--name", "with-crun", "--runtime", "crun", "--hostname", "box-crun",
                "busybox", "sh", "-c", PROBE);
        String id = d.docker("inspect", "-f", "{{.Id}}", "with-crun").out().trim();
        assertThat(d.docker("rm", "-f", "with-crun").exit()).isZero();
        assertNothingLeft(id);
        // Debian's crun 1.8 refuses a host with cgroup v1 hierarchies beside a cgroup2 mount that has controllers
        // ("hybrid mode"); say so instead of passing
        Assumptions.assumeFalse(r.exit() != 7 && r.err().contains("hybrid mode"),
                "skipped: crun refuses this host's cgroups: " + r.err().trim());
        assertThat(r.exit()).as(r.toString()).isEqualTo(7);
        assertThat(r.out()).startsWith("box-crun\n").contains("Seccomp:\t2", "CapEff:\t00000000a80425fb");
        assertHeldBy("crun", crun.get().toString(), "status");
    }

    @Test
    @Order(4)
    void anUnknownRuntimeTheRuntimesAndTheRecordedRuntimeAreDockerds() throws Exception {
        Assumptions.assumeTrue(DebianDockerd.find().isPresent(), "skipped: dockerd is not installed (docker.io)");
        try (DebianDockerd docker = DifferentialRun.startDocker()) {
            List<String> hosts = List.of(docker.host(), d.host());
            List<JarDaemon.Result> unknown = new ArrayList<>();
            List<JsonNode> infos = new ArrayList<>();
            List<String> recorded = new ArrayList<>();
            for (String host : hosts) {
                unknown.add(JarDaemon.exec(List.of("docker", "-H", host, "run", "--rm", "--runtime", "foo", "busybox",
                        "true")));
                infos.add(JSON.readTree(JarDaemon.exec(List.of("docker", "-H", host, "info", "--format",
                        "{{json .}}")).out()));
                String id = JarDaemon.exec(List.of("docker", "-H", host, "create", "busybox", "true")).out().trim();
                String runc = JarDaemon.exec(List.of("docker", "-H", host, "create", "--runtime", "runc", "busybox",
                        "true")).out().trim();
                recorded.add(JarDaemon.exec(List.of("docker", "-H", host, "inspect", "-f", "{{.HostConfig.Runtime}}",
                        id, runc)).out());
                JarDaemon.exec(List.of("docker", "-H", host, "rm", id, runc));
            }
            // docker: Error response from daemon: Unknown runtime specified foo.
            assertThat(unknown.get(1).exit()).isEqualTo(unknown.get(0).exit()).isEqualTo(125);
            assertThat(unknown.get(1).err()).isEqualTo(unknown.get(0).err())
                    .contains("Unknown runtime specified foo");
            // every runtime Docker lists, with its path; ours and the added ones besides
            JsonNode docker0 = infos.get(0).path("Runtimes");
            JsonNode ours = infos.get(1).path("Runtimes");
            docker0.fieldNames().forEachRemaining(name -> assertThat(ours.path(name)).as(name)
                    .isEqualTo(docker0.path(name)));
            assertThat(ours.path("rabbithole").path("path").asText())
                    .isEqualTo(Stage4DockerdFixture.ourBin().resolve(Runtimes.OUR_BINARY).toString());
            assertThat(ours.path("myrunc").path("path").asText()).isEqualTo(runc);
            assertThat(infos.get(0).path("DefaultRuntime").asText()).isEqualTo("runc");
            assertThat(infos.get(1).path("DefaultRuntime").asText()).isEqualTo("rabbithole");
            // a container made without --runtime records the default, by name
            assertThat(recorded.get(0)).isEqualTo("runc\nrunc\n");
            assertThat(recorded.get(1)).isEqualTo("rabbithole\nrunc\n");
        }
    }

    @Test
    @Order(100)
    void theDefaultSwitchesAndEachContainerKeepsItsRuntimeAcrossRestarts() throws Exception {
        String ours = d.docker("create", "busybox", "sleep", "300").out().trim();          // the default: ours
        String withRunc = d.docker("create", "--runtime", "runc", "busybox", "sleep", "300").out().trim();
        String added = d.docker("create", "--runtime", "myrunc", "busybox", "sleep", "300").out().trim();
        JarDaemon.Result ran = d.docker("run", "-d", "--runtime", "runc", "busybox", "sleep", "300");
        assertThat(ran.exit()).as(ran.toString()).isZero();
        String running = ran.out().trim();

        d.stop();                                      // no --live-restore: the running one is stopped with it
        List<String> next = new ArrayList<>(List.of("--default-runtime", "runc", "--live-restore"));   // no myrunc
        crun.ifPresent(c -> next.addAll(List.of("--add-runtime", "crun=" + c)));
        d.start(next);

        assertThat(d.docker("info", "--format", "{{.DefaultRuntime}}").out().trim()).isEqualTo("runc");
        String fresh = d.docker("create", "busybox", "sleep", "300").out().trim();
        Map<String, String> expected = Map.of(ours, "rabbithole", withRunc, "runc", running, "runc", fresh, "runc");
        for (Map.Entry<String, String> e : expected.entrySet()) {
            assertThat(d.docker("inspect", "-f", "{{.HostConfig.Runtime}}", e.getKey()).out().trim())
                    .isEqualTo(e.getValue());
            JarDaemon.Result start = d.docker("start", e.getKey());
            assertThat(start.exit()).as(start + "\n" + d.log()).isZero();
            assertThat(d.runtimeState(e.getValue(), e.getKey())).as(e.getValue()).isDirectory();
        }
        // a container whose runtime this dockerd no longer has: dockerd 20.10's refusal, and it stays created
        JarDaemon.Result start = d.docker("start", added);
        assertThat(start.exit()).isEqualTo(1);
        assertThat(start.err()).contains("Error response from daemon: Unknown runtime specified myrunc");
        assertThat(d.docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}} [{{.State.Error}}] "
                + "{{.HostConfig.Runtime}}", added).out().trim()).isEqualTo("created 0 [] myrunc");

        // with --live-restore they keep running through the next restart, each still held by its runtime, and
        // an exec goes through the runtime the container was made with
        d.stop();
        d.start(next);
        for (Map.Entry<String, String> e : expected.entrySet()) {
            assertThat(d.docker("inspect", "-f", "{{.State.Running}} {{.HostConfig.Runtime}}", e.getKey()).out().trim())
                    .isEqualTo("true " + e.getValue());
            assertThat(d.runtimeState(e.getValue(), e.getKey())).as(e.getValue()).isDirectory();
            JarDaemon.Result exec = d.docker("exec", e.getKey(), "sh", "-c", "grep ^Seccomp: /proc/self/status; exit 4");
            assertThat(exec.exit()).as(exec.toString()).isEqualTo(4);
            assertThat(exec.out()).isEqualTo("Seccomp:\t2\n");
        }

        List<String> all = List.of(ours, withRunc, added, running, fresh);
        List<String> rm = new ArrayList<>(List.of("rm", "-f"));
        rm.addAll(all);
        assertThat(d.docker(rm.toArray(String[]::new)).exit()).isZero();
        for (String id : all) {
            assertNothingLeft(id);
        }
        assertThat(Files.list(d.execRoot.resolve("runtime-runc").resolve("moby")).toList()).isEmpty();
    }
}
