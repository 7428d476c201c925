package dev.rabbithole.stage2.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The native driver's warm init pool as a user meets it: {@code daemon} keeps {@code --init-pool} (2 by default)
 * inits started ahead; {@code info} shows them and their memory, {@code run --explain} says a container's
 * init came from the pool, and stopping the daemon leaves no pooled process and no socket directory.
 */
class InitPoolIT {
    @TempDir
    static Path dir;
    static Stage2Daemon daemon;

    @BeforeAll
    static void startDaemon() throws Exception {
        assumeTrue(Stage2Daemon.isRoot(), "native containers need root (run sudo ./rabbithole test)");
        assumeTrue(Files.isExecutable(Path.of("/bin/busybox")), "busybox-static missing: ./rabbithole setup installs it");
        daemon = new Stage2Daemon(dir, "native");
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.close();
        }
    }

    private static List<Long> pooledInits() {
        return ProcessHandle.of(daemon.pid()).orElseThrow().descendants()
                .filter(h -> h.info().arguments().map(a -> List.of(a).contains("--pooled")).orElse(false))
                .map(ProcessHandle::pid).toList();
    }

    @Test
    void infoShowsThePoolAndExplainSaysTheInitCameFromIt() throws Exception {
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(500)).until(() ->
                daemon.client("info").out().contains("Init Pool: 2 idle of 2"));
        var info = daemon.client("info");
        assertThat(info.out()).containsPattern("Init Pool PSS: [1-9][0-9.]* MB");
        assertThat(pooledInits()).hasSize(2);
        var r = daemon.run("--rm", "--explain", "busybox", "true");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out() + r.err()).contains("pool(take").contains("unshare(CLONE_NEWCGROUP)");
        var name = daemon.run("--rm", "--hostname", "from-pool", "busybox", "hostname");
        assertThat(name.out().trim()).isEqualTo("from-pool");
    }

    @Test
    void stoppingTheDaemonLeavesNoPooledInit() throws Exception {
        await().atMost(Duration.ofSeconds(120)).until(() -> pooledInits().size() == 2);
        List<Long> pooled = pooledInits();
        daemon.stop();
        assertThat(pooled).allSatisfy(p -> assertThat(ProcessHandle.of(p).map(ProcessHandle::isAlive).orElse(false))
                .as("pooled init %d after the daemon stopped", p).isFalse());
        assertThat(daemon.execRoot.resolve("init-pool")).doesNotExist();
        daemon.start();
    }
}
