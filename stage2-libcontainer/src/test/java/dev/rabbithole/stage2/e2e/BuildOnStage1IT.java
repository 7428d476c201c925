package dev.rabbithole.stage2.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link BuildCases} on stage 1 (its jar's daemon, RUN steps through LXC): one daemon for the class. Needs root,
 * busybox-static, lxc and the docker CLI; skipped with a reason otherwise.
 */
class BuildOnStage1IT extends BuildCases {

    static Stage1JarDaemon daemon;

    @BeforeAll
    static void startDaemon() throws Exception {
        assumeTrue(Stage1JarDaemon.isRoot(), "containers need root (run sudo ./rabbithole test)");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox-static missing: ./rabbithole setup installs it");
        assumeTrue(Files.isRegularFile(Stage1JarDaemon.JAR), "stage 1's jar " + Stage1JarDaemon.JAR + " is not built");
        boolean haveDocker;
        try {
            haveDocker = Stage1JarDaemon.exec(List.of(DOCKER, "--version")).exit() == 0;
        } catch (java.io.IOException e) {
            haveDocker = false;
        }
        assumeTrue(haveDocker, "the docker CLI is not installed");
        daemon = new Stage1JarDaemon();
        host = daemon.host();
    }

    /** Our client's {@code build}: the context tarred without what .dockerignore excludes, the same stream. */
    @org.junit.jupiter.api.Test
    void ourClientBuilds() throws Exception {
        Path ctx = context("FROM busybox\nCOPY . /ctx/\nCMD [\"ls\", \"/ctx\"]\n",
                "keep.txt", "k", "drop.log", "d", ".dockerignore", "*.log\n");
        try {
            var r = daemon.client("build", "-t", "ours", "--label", "via=client", ctx.toString());
            assertThat(r.exit()).as(r.toString()).isZero();
            assertThat(r.out()).contains("Step 2/4 : COPY . /ctx/", "Step 4/4 : LABEL via=client",
                    "Successfully tagged ours:latest");
            var ls = docker("run", "--rm", "ours");
            assertThat(ls.out()).as(ls.toString()).isEqualTo("Dockerfile\nkeep.txt\n");
            var failing = daemon.client("build", "-f", ctx.resolve("Dockerfile.bad").toString(), ctx.toString());
            assertThat(failing.exit()).isEqualTo(1);
            Files.writeString(ctx.resolve("Dockerfile"), "FROM busybox\nRUN exit 7\n");
            var seven = daemon.client("build", "--force-rm", ctx.toString());
            assertThat(seven.exit()).as(seven.toString()).isEqualTo(7);
            assertThat(seven.err()).contains("The command '/bin/sh -c exit 7' returned a non-zero code: 7");
        } finally {
            deleteTree(ctx);
        }
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }
}
