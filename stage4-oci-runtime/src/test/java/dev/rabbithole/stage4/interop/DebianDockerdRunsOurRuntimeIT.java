package dev.rabbithole.stage4.interop;

import dev.rabbithole.stage1.image.BusyboxImage;
import dev.rabbithole.stage2.e2e.DiffEntry;
import dev.rabbithole.stage2.e2e.DifferentialCatalogue;
import dev.rabbithole.stage2.e2e.DifferentialRun;
import dev.rabbithole.testsupport.DebianDockerd;
import dev.rabbithole.testsupport.JarDaemon;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 14 part 2, dockerd: Debian's dockerd 20.10 (with the containerd it starts and {@code containerd-shim-runc-v2})
 * runs stage 4's runtime registered as {@code --add-runtime rabbithole=bin/rabbithole-runc}. Stage 2's differential
 * catalogue ({@link DifferentialCatalogue}, run by {@link DifferentialRun}) runs on two such dockerds at once:
 * one whose containers run on Debian's runc (its default, {@code --runtime runc}), whose results are the expected
 * values, and one started with {@code --default-runtime rabbithole}, so that every {@code docker run} and
 * {@code docker create} of the catalogue is {@code --runtime rabbithole}. Everything above the runtime (dockerd,
 * containerd, the shim, the CLI) is the same program on both sides, so an entry that differs is the runtime's
 * doing. Entries expected to differ are listed in {@link #DIFFERS} with the reason; a listed entry that matches
 * fails (its reason is stale). The table is written to {@code target/docker-differential-stage4-runtime.txt}.
 *
 * <p>Skipped, saying why, when not root, or dockerd, containerd, the docker CLI or busybox is missing, or this
 * module is not packaged.
 */
class DebianDockerdRunsOurRuntimeIT {

    private static final Path REPORT = Path.of("target", "docker-differential-stage4-runtime.txt");
    private static final Path OURS = Path.of("bin/rabbithole-runc").toAbsolutePath();

    /**
     * Entry name to why our runtime under dockerd shows something else than runc does. A runtime fix that makes an
     * entry match fails the entry until its line here is removed.
     */
    static final Map<String, String> DIFFERS = Map.of(
            "oom", "State.OOMKilled false: containerd's runc shim arms its OOM monitor (memory.oom_control) after "
                    + "`start` returns; rabbithole-runc's start JVM returns seconds after the workload began, and an "
                    + "OOM kill in that window goes unseen (an OOM 8 s after the start is reported)");

    private static DebianDockerd withRunc;
    private static DebianDockerd withOurs;
    private static DifferentialRun run;

    @BeforeAll
    static void startEnginesAndRunTheCatalogue() throws Exception {
        assumeTrue(Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid")),
                "skipped: dockerd needs root");
        assumeTrue(DebianDockerd.find().isPresent(), "skipped: dockerd is not installed (Debian's docker.io)");
        for (String bin : List.of("/usr/bin/containerd", "/usr/bin/containerd-shim-runc-v2", "/bin/busybox")) {
            assumeTrue(Files.isExecutable(Path.of(bin)), "skipped: " + bin + " is missing (Debian packages "
                    + "containerd, busybox-static)");
        }
        boolean cli;
        try {
            cli = JarDaemon.exec(List.of("docker", "--version")).exit() == 0;
        } catch (IOException e) {
            cli = false;
        }
        assumeTrue(cli, "skipped: the docker CLI is not installed");
        assumeTrue(Files.isRegularFile(Path.of("target/rabbithole-stage4.jar")) && Files.isExecutable(OURS),
                "skipped: target/rabbithole-stage4.jar is not built (mvn package): bin/rabbithole-runc runs it");

        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<DebianDockerd> a = pool.submit(() -> start(List.of("--add-runtime", "rabbithole=" + OURS)));
            Future<DebianDockerd> b = pool.submit(() -> start(List.of("--add-runtime", "rabbithole=" + OURS,
                    "--default-runtime", "rabbithole")));
            Exception first = null;
            try { withRunc = a.get(); } catch (Exception e) { first = e; }
            try { withOurs = b.get(); } catch (Exception e) { first = first == null ? e : first; }
            if (first != null) throw first;
        } finally {
            pool.shutdownNow();
        }
        DifferentialRun.Engine reference = DifferentialRun.dockerEngine(withRunc);
        DifferentialRun.Engine ours = DifferentialRun.dockerEngine(withOurs);
        run = new DifferentialRun(reference, List.of(new DifferentialRun.Stage(
                new DifferentialRun.Engine("rabbithole-runc", ours.host(), ours.tmp(), ours.normaliser()),
                DebianDockerdRunsOurRuntimeIT::expect)), DifferentialCatalogue.ENTRIES);
        long t0 = System.nanoTime();
        run.runCatalogue();
        System.out.printf("docker-differential, runc and rabbithole-runc under Debian's dockerd: %d ms%n",
                (System.nanoTime() - t0) / 1_000_000);
    }

    /** dockerd on temporary roots with the flags given and busybox imported as {@code busybox:latest}. */
    private static DebianDockerd start(List<String> flags) throws Exception {
        DebianDockerd d = new DebianDockerd(DebianDockerd.find().orElseThrow(), flags);
        try {
            Path layer = d.dir.resolve("busybox-layer.tar.gz");
            Files.write(layer, BusyboxImage.build().layer());
            d.importImage(layer, "busybox:latest", BusyboxImage.ENV);
            Files.delete(layer);
            return d;
        } catch (Exception e) {
            d.close();
            throw e;
        }
    }

    static DiffEntry.Expect expect(DiffEntry entry) {
        String why = DIFFERS.get(entry.name());
        return why == null ? DiffEntry.Expect.MATCH : new DiffEntry.Expect(false, why, false);
    }

    @AfterAll
    static void printTableAndStopEngines() throws Exception {
        try {
            if (run != null) run.report(REPORT);
        } finally {
            Exception first = null;
            try { if (withRunc != null) withRunc.close(); } catch (Exception e) { first = e; }
            try { if (withOurs != null) withOurs.close(); } catch (Exception e) { first = first == null ? e : first; }
            if (first != null) throw first;
        }
    }

    @TestFactory
    Stream<DynamicTest> eachCatalogueEntryMatchesRuncUnderDockerd() {
        return run.tests();
    }

    @Test
    void dockerdListsTheRuntimeAndRunsContainersOnIt() throws Exception {
        JarDaemon.Result info = docker(withOurs, "info", "--format", "{{.DefaultRuntime}} {{range $k, $v := .Runtimes}}{{$k}}={{$v.Path}} {{end}}");
        assertThat(info.out().trim()).as(info.toString()).startsWith("rabbithole ").contains("rabbithole=" + OURS)
                .contains("runc=runc");
        // per container, on the dockerd whose default is runc: docker run --runtime rabbithole
        JarDaemon.Result run = docker(withRunc, "run", "--name", "rt-explicit", "--runtime", "rabbithole", "busybox",
                "sh", "-c", "echo on $(hostname); exit 5");
        try {
            assertThat(run.exit()).as(run.toString()).isEqualTo(5);
            assertThat(run.out()).matches("on [0-9a-f]{12}\n");
            assertThat(docker(withRunc, "inspect", "-f", "{{.HostConfig.Runtime}} {{.State.ExitCode}}", "rt-explicit")
                    .out().trim()).isEqualTo("rabbithole 5");
        } finally {
            docker(withRunc, "rm", "-f", "rt-explicit");
        }
        JarDaemon.Result unknown = docker(withRunc, "run", "--rm", "--runtime", "nosuch", "busybox", "true");
        assertThat(unknown.exit()).isEqualTo(125);
        assertThat(unknown.err()).contains("nosuch");
    }

    @Test
    void aContainerOfTheCatalogueRanOnOurBinary() throws Exception {
        // the runc shim runs its BinaryName: while a container runs, our runtime's JVM ran (and left) its state;
        // the container's process tree is shim -> workload, with the shim's runtime option naming ours
        // tag::dockerd-runs-ours[]
        JarDaemon.Result started = docker(withOurs, "run", "-d", "--name", "rt-proof", "busybox", "sleep", "60");
        assertThat(started.exit()).as(started.toString()).isZero();
        try {
            String pid = docker(withOurs, "inspect", "-f", "{{.State.Pid}} {{.HostConfig.Runtime}}", "rt-proof").out().trim();
            assertThat(pid).endsWith(" rabbithole");
            ProcessHandle shim = ProcessHandle.of(Long.parseLong(pid.split(" ")[0])).orElseThrow().parent().orElseThrow();
            assertThat(shim.info().command().orElse("")).endsWith("containerd-shim-runc-v2");
            // the options containerd gave the shim (in the task's state directory): our binary as BinaryName
            String id = docker(withOurs, "inspect", "-f", "{{.Id}}", "rt-proof").out().trim();
            try (Stream<Path> walk = Files.walk(withOurs.dir.resolve("exec"))) {
                Path options = walk.filter(p -> p.endsWith(Path.of(id, "options.json"))).findFirst().orElseThrow();
                assertThat(Files.readString(options)).contains("\"binary_name\":\"" + OURS + "\"");
        // end::dockerd-runs-ours[]
            }
        } finally {
            docker(withOurs, "rm", "-f", "rt-proof");
        }
    }

    private static JarDaemon.Result docker(DebianDockerd d, String... args) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("docker", "-H", d.host()));
        cmd.addAll(List.of(args));
        return JarDaemon.exec(cmd);
    }
}
