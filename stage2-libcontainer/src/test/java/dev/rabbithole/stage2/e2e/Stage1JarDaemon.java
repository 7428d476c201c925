package dev.rabbithole.stage2.e2e;

import dev.rabbithole.stage1.storage.FileTrees;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * The stage-1 daemon from stage 1's shaded jar ({@code java -jar rabbithole-stage1.jar daemon}), on a data root
 * and socket under a temporary directory of its own, for tests of stage 2's module that compare both stages.
 * {@link #close} stops it (SIGTERM), unmounts what is left under its directory and removes it.
 */
final class Stage1JarDaemon implements AutoCloseable {

    /** Stage 1's shaded jar, from the system property {@code rabbithole.stage1.jar} (set by this module's pom). */
    static final Path JAR = Path.of(System.getProperty("rabbithole.stage1.jar",
            "../stage1-monolith-lxc-style/target/rabbithole-stage1.jar"));

    final Path dir;
    final Path socket;
    private final Process daemon;
    private final Path log;

    /** Starts the daemon and waits until it answers {@code docker version} (at most 60 s). */
    Stage1JarDaemon() throws IOException {
        this.dir = Files.createTempDirectory("rh-stage1-");
        this.socket = dir.resolve("docker.sock");
        this.log = dir.resolve("daemon.log");
        daemon = new ProcessBuilder("java", "-jar", JAR.toString(), "daemon",
                "--data-root", dir.resolve("data").toString(), "--host", host())
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        try {
            await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
                if (!daemon.isAlive()) {
                    throw new IllegalStateException("stage-1 daemon exited with " + daemon.exitValue() + ":\n" + log());
                }
                return Files.exists(socket)
                        && Stage2Daemon.exec(List.of("docker", "-H", host(), "version")).exit() == 0;
            });
        } catch (RuntimeException e) {
            try {
                close();
            } catch (IOException | InterruptedException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    String host() {
        return "unix://" + socket;
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no daemon log: " + e + ")";
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        if (daemon.isAlive()) {
            daemon.destroy();
            if (!daemon.waitFor(60, TimeUnit.SECONDS)) {
                daemon.destroyForcibly();
                daemon.waitFor();
            }
        }
        DebianDockerd.unmountUnder(dir);
        FileTrees.deleteRecursively(dir);
    }
}
