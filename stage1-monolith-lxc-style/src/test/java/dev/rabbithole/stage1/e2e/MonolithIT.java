package dev.rabbithole.stage1.e2e;

import dev.rabbithole.testsupport.HostLeaks;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.HexFormat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** What the monolith cannot hide: its containers die with it; and what it must refuse: a malicious image. */
class MonolithIT {

    @TempDir
    Path dir;
    Stage1Daemon daemon;

    @BeforeEach
    void startDaemon() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "stage-1 containers need root");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/lxc-execute")), "lxc-execute missing: ./rabbithole setup installs lxc");
        daemon = new Stage1Daemon(dir);
    }

    @AfterEach
    void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.stopAndRemoveLayers();
        }
    }

    @Test
    void aKilledDaemonTakesItsContainersWithIt() throws Exception {
        var started = daemon.client("run", "-d", "--name", "orphan", "busybox", "sleep", "300");
        assertThat(started.exit()).as(started.toString()).isZero();
        String id = started.out().trim();
        await().atMost(Duration.ofSeconds(20)).until(() -> !HostLeaks.processes(id).isEmpty());

        daemon.crash();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(HostLeaks.processes(id)).as("the container died with its daemon").isEmpty());

        Instant beforeRestart = Instant.now();

        // a new daemon finds the container's record, marks it exited and cleans up after it
        daemon.start();
        var inspect = daemon.client("inspect", "orphan");
        assertThat(inspect.out()).as(inspect.toString()).containsPattern("\"Running\"\\s*:\\s*false");
        // FinishedAt is when the container ended (LXC's stop hook ran then), not when the new daemon noticed
        Matcher finished = Pattern.compile("\"FinishedAt\"\\s*:\\s*\"([^\"]+)\"").matcher(inspect.out());
        assertThat(finished.find()).as(inspect.toString()).isTrue();
        assertThat(Instant.parse(finished.group(1))).as(inspect.toString()).isBefore(beforeRestart);
        assertThat(daemon.client("rm", "orphan").exit()).isZero();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(HostLeaks.mounts(id)).isEmpty();
            assertThat(HostLeaks.cgroups(id)).isEmpty();
        });
    }

    @Test
    void aSecondDaemonOnTheSameDataRootOrSocketRefusesToStart() throws Exception {
        var started = daemon.client("run", "-d", "--name", "keep", "busybox", "sleep", "300");
        assertThat(started.exit()).as(started.toString()).isZero();
        String id = started.out().trim();
        await().atMost(Duration.ofSeconds(20)).until(() -> !HostLeaks.processes(id).isEmpty());

        var sameRoot = secondDaemon(daemon.dataRoot, dir.resolve("other.sock"));
        assertThat(sameRoot.exit()).as(sameRoot.toString()).isNotZero();
        assertThat(sameRoot.out() + sameRoot.err()).as(sameRoot.toString())
                .contains("another daemon (pid " + daemon.pid() + ") is using the data root");

        var sameSocket = secondDaemon(dir.resolve("data2"), daemon.socket);
        assertThat(sameSocket.exit()).as(sameSocket.toString()).isNotZero();
        assertThat(sameSocket.out() + sameSocket.err()).as(sameSocket.toString())
                .contains("another daemon is listening on unix://" + daemon.socket + ": stop it first");

        // the first daemon still serves its socket, and its container still runs
        var inspect = daemon.client("inspect", "keep");
        assertThat(inspect.out()).as(inspect.toString()).containsPattern("\"Running\"\\s*:\\s*true");
        assertThat(HostLeaks.processes(id)).isNotEmpty();
        assertThat(daemon.client("rm", "-f", "keep").exit()).isZero();
    }

    /** Runs another daemon from the jar; it must exit on its own (a minute is far more than a refusal takes). */
    private static Stage1Daemon.Result secondDaemon(Path dataRoot, Path socket) throws Exception {
        Path out = Files.createTempFile("rh-second", ".txt");
        try {
            Process p = new ProcessBuilder("java", "-jar", Stage1Daemon.JAR.toString(), "daemon",
                    "--bridge", "none", "--data-root", dataRoot.toString(), "--host", "unix://" + socket)
                    .redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroy();                       // SIGTERM: let it shut down what it wrongly started
                p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS);
                return new Stage1Daemon.Result(-1, "still running after 60 s\n" + Files.readString(out), "");
            }
            return new Stage1Daemon.Result(p.exitValue(), Files.readString(out), "");
        } finally {
            Files.deleteIfExists(out);
        }
    }

    @Test
    void aLayerThatEscapesItsRootfsIsRefused() throws Exception {
        Path outside = dir.resolve("outside");
        Files.createDirectories(outside);
        Path archive = dir.resolve("evil.tar");
        writeDockerSave(archive, layer("../../../../../../../../" + outside.toString().substring(1) + "/pwned"));

        // refused at load, as Docker does, not at the first run
        var load = daemon.client("load", "-i", archive.toString());
        assertThat(load.exit()).as(load.toString()).isEqualTo(1);
        assertThat(load.err()).as(load.toString()).contains("refusing layer entry").contains("pwned");
        var images = daemon.client("images");
        assertThat(images.out()).as("no tag, no image").doesNotContain("evil");
        var run = daemon.client("run", "--rm", "evil:latest", "true");
        assertThat(run.exit()).as(run.toString()).isEqualTo(125);
        assertThat(run.err()).contains("evil");
        assertThat(outside).isEmptyDirectory();
        assertThat(Files.exists(Path.of("/pwned"))).isFalse();
    }

    /** A layer tar with one regular file at {@code path}, which may try to escape. */
    private static byte[] layer(String path) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(bytes)) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            byte[] body = "owned\n".getBytes(StandardCharsets.UTF_8);
            TarArchiveEntry e = new TarArchiveEntry(path, true);
            e.setSize(body.length);
            e.setMode(0644);
            tar.putArchiveEntry(e);
            tar.write(body);
            tar.closeArchiveEntry();
        }
        return bytes.toByteArray();
    }

    /** A {@code docker save} archive: manifest.json, the config, one uncompressed layer. */
    private static void writeDockerSave(Path archive, byte[] layer) throws Exception {
        String diffId = "sha256:" + sha256(layer);
        String config = "{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"sh\"]},"
                + "\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"" + diffId + "\"]}}";
        byte[] configBytes = config.getBytes(StandardCharsets.UTF_8);
        String configName = sha256(configBytes) + ".json";
        String manifest = "[{\"Config\":\"" + configName + "\",\"RepoTags\":[\"evil:latest\"],\"Layers\":[\"l1/layer.tar\"]}]";
        try (OutputStream out = Files.newOutputStream(archive);
             TarArchiveOutputStream tar = new TarArchiveOutputStream(out)) {
            put(tar, configName, configBytes);
            put(tar, "l1/layer.tar", layer);
            put(tar, "manifest.json", manifest.getBytes(StandardCharsets.UTF_8));
        }
    }

    private static void put(TarArchiveOutputStream tar, String name, byte[] body) throws IOException {
        TarArchiveEntry e = new TarArchiveEntry(name);
        e.setSize(body.length);
        tar.putArchiveEntry(e);
        tar.write(body);
        tar.closeArchiveEntry();
    }

    private static String sha256(byte[] data) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
    }
}
