package dev.rabbithole.stage4.distribution;

import dev.rabbithole.testsupport.JarDaemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.awaitility.Awaitility.await;

/**
 * Stage 4's dockerd ({@code dev.rabbithole.stage4.Main dockerd} on the test's class path) on a temporary directory,
 * with the containerd it supervises, and the docker CLI pointed at it with a config directory of its own
 * ({@code DOCKER_CONFIG}: what {@code docker login} writes). Stopped by pid.
 */
final class Stage4Daemon implements AutoCloseable {
    final Path dir;
    final Path dataRoot;
    final Path execRoot;
    final Path socket;
    final Path dockerConfig;
    private final Process dockerd;

    Stage4Daemon(Path dir, String... flags) throws IOException {
        this.dir = Files.createDirectories(dir);
        this.dataRoot = dir.resolve("data");
        this.execRoot = dir.resolve("exec");
        this.socket = dir.resolve("docker.sock");
        this.dockerConfig = Files.createDirectories(dir.resolve("docker-config"));
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/setsid",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path"),
                "dev.rabbithole.stage4.Main", "dockerd", "--data-root", dataRoot.toString(), "-H", host(),
                "--exec-root", execRoot.toString(), "--bridge", "none", "--cgroup-parent", dir.getFileName().toString()));
        cmd.addAll(List.of(flags));
        dockerd = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("dockerd.log").toFile())).start();
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() -> {
            if (!dockerd.isAlive()) throw new IllegalStateException("dockerd exited: " + log());
            return Files.exists(socket) && docker("version").exit() == 0;
        });
    }

    String host() {
        return "unix://" + socket;
    }

    String log() {
        try {
            return Files.readString(dir.resolve("dockerd.log"));
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** Runs the docker CLI against this dockerd. */
    JarDaemon.Result docker(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("docker", "-H", host()));
        cmd.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        Map<String, String> env = pb.environment();
        env.put("DOCKER_CONFIG", dockerConfig.toString());
        Path out = Files.createTempFile(dir, "out", ".txt");
        Path err = Files.createTempFile(dir, "err", ".txt");
        Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile())).start();
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor();
        }
        JarDaemon.Result r = new JarDaemon.Result(p.exitValue(), Files.readString(out), Files.readString(err));
        Files.delete(out);
        Files.delete(err);
        return r;
    }

    /** @return the files in the store's blob directory and staging area: what a failed pull must not change */
    List<String> storeFiles() throws IOException {
        List<String> files = new ArrayList<>();
        for (String sub : List.of("blobs/sha256", "tmp")) {
            Path d = dataRoot.resolve("image").resolve(sub);
            if (!Files.isDirectory(d)) continue;
            try (var s = Files.list(d)) {
                s.forEach(p -> files.add(sub + "/" + p.getFileName()));
            }
        }
        java.util.Collections.sort(files);
        return files;
    }

    @Override
    public void close() throws Exception {
        dockerd.destroy();
        if (!dockerd.waitFor(90, TimeUnit.SECONDS)) {
            dockerd.destroyForcibly();
            dockerd.waitFor();
        }
        Path supervisedPid = execRoot.resolve("containerd/containerd.pid");
        if (Files.exists(supervisedPid)) {
            ProcessHandle.of(Long.parseLong(Files.readString(supervisedPid).trim())).ifPresent(h -> {
                h.destroy();
                h.onExit().orTimeout(30, TimeUnit.SECONDS).exceptionally(t -> null).join();
            });
        }
    }
}
