package dev.rabbithole.stage3.dockerd;

import dev.rabbithole.stage2.e2e.DiffEntry;
import dev.rabbithole.stage2.e2e.DifferentialCatalogue;
import dev.rabbithole.stage2.e2e.DifferentialRun;
import dev.rabbithole.stage2.e2e.OutputNormaliser;
import dev.rabbithole.testsupport.DebianDockerd;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Stage 2's differential test ({@code DifferentialCatalogue}, {@code DifferentialRun}, from stage 2's test jar) on
 * stage 3: Debian's dockerd 20.10 and our stage-3 dockerd, which starts its own containerd and runs containers
 * through our shim ({@code containerd-shim-rabbithole-v2}) and our runc ({@code rabbithole-runc}), both from this
 * module's {@code bin}. Each entry's {@link DiffEntry#stage3()} says what stage 3 is expected to show: MATCH,
 * DIFFERS with the reason (a DIFFERS that starts matching fails), or NOT RUN with the reason. The table is written
 * to {@code target/docker-differential-stage3.txt}.
 *
 * <p>Skipped, saying why, when not root, or dockerd, containerd or the docker CLI is missing.
 */
class DockerDifferentialOnStage3IT {

    private static final Path REPORT = Path.of("target", "docker-differential-stage3.txt");

    private static DebianDockerd docker;
    private static DockerdFixture stage3;
    private static DifferentialRun run;

    @BeforeAll
    static void startEnginesAndRunTheCatalogue() throws Exception {
        DockerdFixture.assumeCanRun();
        assumeTrue(DebianDockerd.find().isPresent(), "dockerd is not installed (Debian's docker.io, which "
                + "./rabbithole test installs): the comparison with Docker is skipped");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox-static missing: ./rabbithole setup installs it");
        assumeTrue(Files.isRegularFile(Path.of("target", "rabbithole-stage3.jar")),
                "the stage-3 jar, which our shim runs, is not built (mvn package)");
        long t0 = System.nanoTime();
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<DebianDockerd> d = pool.submit(DifferentialRun::startDocker);
            Future<DockerdFixture> s3 = pool.submit(() -> {
                DockerdFixture fx = new DockerdFixture();
                stage3 = fx;
                fx.ourStack = true;
                fx.startDockerd();
                return fx;
            });
            Exception first = null;
            try { docker = d.get(); } catch (Exception e) { first = e; }
            try { s3.get(); } catch (Exception e) { first = first == null ? e : first; }
            if (first != null) throw first;
        } finally {
            pool.shutdownNow();
        }
        System.out.printf("docker-differential on stage 3: engines up in %d ms%n", (System.nanoTime() - t0) / 1_000_000);
        run = new DifferentialRun(DifferentialRun.dockerEngine(docker), List.of(
                new DifferentialRun.Stage(new DifferentialRun.Engine("stage3", stage3.host(), stage3.dir,
                        new OutputNormaliser(stage3.dir.toString(), stage3.socket.toString(),
                                DifferentialRun.selfName(3))), DiffEntry::stage3)),
                DifferentialCatalogue.ENTRIES);
        long t1 = System.nanoTime();
        run.runCatalogue();
        System.out.printf("docker-differential on stage 3: catalogue in %d ms%n", (System.nanoTime() - t1) / 1_000_000);
    }

    @AfterAll
    static void printTableAndStopEngines() throws Exception {
        try {
            if (run != null) run.report(REPORT);
        } finally {
            Exception first = null;
            try { if (docker != null) docker.close(); } catch (Exception e) { first = e; }
            try {
                if (stage3 != null) {
                    if (run == null) System.out.println("stage 3 dockerd's log:\n" + stage3.log());
                    stage3.close();
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
