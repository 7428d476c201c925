package dev.rabbithole.stage2.e2e;

import dev.rabbithole.testsupport.DebianDockerd;
import dev.rabbithole.testsupport.HostFiles;
import dev.rabbithole.stage1.storage.FileTrees;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The differential test of issue 7: one catalogue of docker CLI invocations ({@link DifferentialCatalogue}) run
 * against Debian's dockerd 20.10 (with its containerd and runc), a stage-1 daemon and a stage-2 daemon (native
 * driver), each on temporary roots, with the same busybox layer ({@code BusyboxImage}, given to Docker with
 * {@code docker import}). Docker's exit codes and outputs, normalised by {@link OutputNormaliser}, are the
 * expected values. An entry fails when a stage expected to MATCH differs, and also when a stage marked DIFFERS
 * now matches (the reason is stale: remove it). A table of every step on every engine is printed at the end and
 * written to {@code target/docker-differential.txt}. The engine of the comparison is {@link DifferentialRun}, which
 * stage 3's module runs too (this module's test jar).
 *
 * <p>One daemon per engine for the whole catalogue; the three engines run the catalogue at the same time, each
 * its entries in order. Skipped, saying why, when not root, or dockerd, the docker CLI, busybox-static or stage
 * 1's jar is missing ({@code ./rabbithole test} installs docker.io, containerd and runc).
 */
class DockerDifferentialIT {

    private static final Path REPORT = Path.of("target", "docker-differential.txt");

    private static DebianDockerd dockerd;
    private static Stage1JarDaemon stage1;
    private static Stage2Daemon stage2;
    private static Path stage2Dir;
    private static DifferentialRun run;

    @BeforeAll
    static void startEnginesAndRunTheCatalogue() throws Exception {
        assumeTrue(Stage2Daemon.isRoot(), "the differential test starts containers: it needs root "
                + "(sudo ./rabbithole test)");
        assumeTrue(DebianDockerd.find().isPresent(), "dockerd is not installed (Debian's docker.io, which "
                + "./rabbithole test installs): the comparison with Docker is skipped");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox-static missing: ./rabbithole setup installs it");
        boolean haveCli;
        try {
            haveCli = Stage2Daemon.exec(List.of("docker", "--version")).exit() == 0;
        } catch (IOException e) {
            haveCli = false;
        }
        assumeTrue(haveCli, "the docker CLI is not installed");
        assumeTrue(Files.isRegularFile(Stage1JarDaemon.JAR), "stage 1's jar " + Stage1JarDaemon.JAR
                + " is not built (build the whole project: mvn package)");
        assumeTrue(Files.isRegularFile(Stage2Daemon.JAR), "stage 2's jar " + Stage2Daemon.JAR + " is not built");

        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            Future<DebianDockerd> d = pool.submit(DifferentialRun::startDocker);
            Future<Stage1JarDaemon> s1 = pool.submit(() -> new Stage1JarDaemon());
            Future<Stage2Daemon> s2 = pool.submit(() -> {
                stage2Dir = Files.createTempDirectory("rh-stage2-");
                return new Stage2Daemon(stage2Dir, "native");
            });
            // keep each one that started, so that @AfterAll stops it even when another failed
            Exception first = null;
            try { dockerd = d.get(); } catch (Exception e) { first = e; }
            try { stage1 = s1.get(); } catch (Exception e) { first = first == null ? e : first; }
            try { stage2 = s2.get(); } catch (Exception e) { first = first == null ? e : first; }
            if (first != null) throw first;
        } finally {
            pool.shutdownNow();
        }
        System.out.printf("docker-differential: engines up in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        run = new DifferentialRun(DifferentialRun.dockerEngine(dockerd), List.of(
                new DifferentialRun.Stage(new DifferentialRun.Engine("stage1", stage1.host(), stage1.dir,
                        new OutputNormaliser(stage1.dir.toString(), stage1.socket.toString(),
                                DifferentialRun.selfName(1))), DiffEntry::stage1),
                new DifferentialRun.Stage(new DifferentialRun.Engine("stage2", stage2.host(), stage2Dir,
                        new OutputNormaliser(stage2Dir.toString(), stage2.socket.toString(),
                                DifferentialRun.selfName(2))), DiffEntry::stage2)),
                DifferentialCatalogue.ENTRIES);
        run.runCatalogue();
    }

    @AfterAll
    static void printTableAndStopEngines() throws Exception {
        try {
            if (run != null) run.report(REPORT);
        } finally {
            Exception first = null;
            try { if (dockerd != null) dockerd.close(); } catch (Exception e) { first = e; }
            try { if (stage1 != null) stage1.close(); } catch (Exception e) { first = first == null ? e : first; }
            try {
                if (stage2 != null) stage2.close();
                if (stage2Dir != null) {
                    HostFiles.unmountUnder(stage2Dir);
                    FileTrees.deleteRecursively(stage2Dir);
                }
            } catch (Exception e) { first = first == null ? e : first; }
            if (first != null) throw first;
        }
    }

    @TestFactory
    Stream<DynamicTest> eachEntryMatchesDockerOrSaysWhyNot() {
        return run.tests();
    }
}
