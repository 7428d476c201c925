package dev.rabbithole.stage2.e2e;

import dev.rabbithole.testsupport.JarDaemon;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@link RestartPolicyCases} on stage 1 (the monolith and LXC, from stage 1's jar): one daemon for the class; the
 * daemon restart is a crash (SIGKILL), after which its containers died with it. Also our client's
 * {@code wait --condition}. Needs root, LXC, busybox-static and the docker CLI; skipped with a reason otherwise.
 */
class RestartPolicyOnStage1IT extends RestartPolicyCases {

    static Stage1JarDaemon daemon;

    @BeforeAll
    static void startDaemon() throws Exception {
        assumeTrue(JarDaemon.isRoot(), "containers need root (run sudo ./rabbithole test)");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox-static missing: ./rabbithole setup installs it");
        assumeTrue(Files.isRegularFile(Stage1JarDaemon.JAR), "stage 1's jar " + Stage1JarDaemon.JAR + " is not built");
        boolean haveDocker;
        try {
            haveDocker = JarDaemon.exec(List.of("docker", "--version")).exit() == 0;
        } catch (java.io.IOException e) {
            haveDocker = false;
        }
        assumeTrue(haveDocker, "the docker CLI is not installed");
        daemon = new Stage1JarDaemon();
        cli = daemon::docker;
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    @Override
    protected void restartDaemon() throws Exception {
        daemon.crash();
        daemon.start();
    }

    @Test
    void ourClientsWaitWithACondition() throws Exception {
        // the docker CLI starts it (quicker than a JVM); 5 s leave our client's JVM the time to ask before the end
        String id = daemon.docker("run", "-d", "--rm", "busybox", "sh", "-c", "sleep 5; exit 4").out().strip();
        JarDaemon.Result removed = daemon.client("wait", "--condition", "removed", id);
        assertThat(removed.out().strip()).as(removed.toString()).isEqualTo("4");
        assertThat(daemon.docker("inspect", id).exit()).isEqualTo(1);
        String next = daemon.docker("run", "-d", "busybox", "sh", "-c", "sleep 5; exit 6").out().strip();
        assertThat(daemon.client("wait", "--condition", "next-exit", next).out().strip()).isEqualTo("6");
        assertThat(daemon.client("wait", "--condition", "not-running", next).out().strip()).isEqualTo("6");
        JarDaemon.Result bad = daemon.client("wait", "--condition", "bogus", next);
        assertThat(bad.exit()).isEqualTo(1);
        assertThat(bad.err()).contains("invalid condition: \"bogus\"");
        JarDaemon.Result conflict = daemon.client("run", "--rm", "--restart", "always", "busybox", "true");
        assertThat(conflict.exit()).isEqualTo(125);
        assertThat(conflict.err()).contains("Conflicting options: --restart and --rm");
        daemon.docker("rm", next);
    }
}
