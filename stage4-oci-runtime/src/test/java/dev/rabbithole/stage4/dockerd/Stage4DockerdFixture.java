package dev.rabbithole.stage4.dockerd;

import dev.rabbithole.testsupport.HostFiles;
import dev.rabbithole.testsupport.JarDaemon;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;

/**
 * Stage 4's dockerd ({@code dev.rabbithole.stage4.Main dockerd} on the test's class path) on one temporary directory:
 * its data and exec roots, socket, a cgroup parent of its own, {@code --bridge none} (the host's network namespace),
 * and the containerd it supervises. This module's {@code bin} (our shim and {@code rabbithole-runc}) comes first on
 * its PATH. Everything is stopped by pid; {@link #close} also kills the shims started for this directory, unmounts
 * what is mounted below it and removes the cgroup parent.
 */
final class Stage4DockerdFixture implements AutoCloseable {

    final Path dir;
    final Path dataRoot;
    final Path execRoot;
    final Path socket;
    final String cgroupParent;
    private final Path log;
    private Process dockerd;

    Stage4DockerdFixture() throws IOException {
        dir = Files.createTempDirectory("rh-s4d-");
        dataRoot = dir.resolve("data");
        execRoot = dir.resolve("exec");
        socket = dir.resolve("docker.sock");
        log = dir.resolve("dockerd.log");
        cgroupParent = dir.getFileName().toString();
    }

    /** Skips the test class unless it runs as root with containerd's runc shim, runc and the docker CLI. */
    static void assumeCanRun() {
        Assumptions.assumeTrue(JarDaemon.isRoot(), "skipped: running containers through containerd needs root");
        for (String bin : List.of("runc", "docker")) {
            Assumptions.assumeTrue(find(bin).isPresent(),
                    "skipped: " + bin + " is not installed (Debian packages runc, docker.io)");
        }
        Assumptions.assumeTrue(Files.isExecutable(ourBin().resolve(Runtimes.OUR_BINARY)),
                "skipped: " + ourBin().resolve(Runtimes.OUR_BINARY) + " is missing");
    }

    /** @return an executable on the PATH (or in /usr/sbin, /usr/bin) */
    static Optional<Path> find(String name) {
        for (String d : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/usr/bin").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, name))) {
                return Optional.of(Path.of(d, name));
            }
        }
        return Optional.empty();
    }

    /** This module's {@code bin} directory: {@code containerd-shim-rabbithole-v2} and {@code rabbithole-runc}. */
    static Path ourBin() {
        return Path.of("bin").toAbsolutePath();
    }

    /**
     * Starts dockerd and waits until {@code docker version} answers.
     *
     * @param flags more flags ({@code --add-runtime}, {@code --default-runtime})
     */
    void start(List<String> flags) throws IOException {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/setsid",
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), "dev.rabbithole.stage4.Main", "dockerd",
                "--data-root", dataRoot.toString(), "-H", host(), "--exec-root", execRoot.toString(),
                "--cgroup-parent", cgroupParent, "--bridge", "none"));
        cmd.addAll(flags);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("PATH", ourBin() + ":" + System.getenv().getOrDefault("PATH", "/usr/sbin:/usr/bin:/sbin:/bin"));
        dockerd = pb.start();
        await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() -> {
            if (!dockerd.isAlive()) {
                throw new IllegalStateException("dockerd exited with " + dockerd.exitValue() + ":\n" + log());
            }
            return Files.exists(socket) && docker("version").exit() == 0;
        });
    }

    /** SIGTERM to dockerd, as an administrator's stop; waits for its end. */
    void stop() throws InterruptedException {
        if (dockerd != null && dockerd.isAlive()) {
            dockerd.destroy();
            if (!dockerd.waitFor(90, TimeUnit.SECONDS)) {
                dockerd.destroyForcibly();
                dockerd.waitFor();
            }
        }
    }

    String host() {
        return "unix://" + socket;
    }

    String log() {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    JarDaemon.Result docker(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("docker", "-H", host()));
        cmd.addAll(List.of(args));
        return JarDaemon.exec(cmd);
    }

    /**
     * @param runtime a runtime's name
     * @param id      a container ID
     * @return where that runtime keeps the container's state: {@code EXEC_ROOT/runtime-NAME/moby/ID}
     */
    Path runtimeState(String runtime, String id) {
        return execRoot.resolve("runtime-" + runtime).resolve("moby").resolve(id);
    }

    @Override
    public void close() throws Exception {
        stop();
        Path supervisedPid = execRoot.resolve("containerd/containerd.pid");
        if (Files.exists(supervisedPid)) {
            Optional<ProcessHandle> ctd = ProcessHandle.of(Long.parseLong(Files.readString(supervisedPid).trim()));
            ctd.ifPresent(ProcessHandle::destroy);
            ctd.ifPresent(p -> p.onExit().orTimeout(30, TimeUnit.SECONDS).exceptionally(t -> null).join());
        }
        // shims started for this directory's containerd (their command line names its socket) and their workloads
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            for (ProcessHandle p : all.toList()) {
                String cmd;
                try {
                    cmd = Files.readString(Path.of("/proc", String.valueOf(p.pid()), "cmdline")).replace('\0', ' ');
                } catch (IOException gone) {
                    continue;
                }
                if (cmd.contains("shim") && cmd.contains("-namespace") && cmd.contains(dir.toString())) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                }
            }
        }
        HostFiles.unmountUnder(dir);
        try (Stream<Path> hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path h : hierarchies.toList()) {
                Path parent = h.resolve(cgroupParent);
                if (Files.isDirectory(parent)) {
                    try (Stream<Path> walk = Files.walk(parent)) {
                        for (Path d : walk.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList()) {
                            try {
                                Files.deleteIfExists(d);
                            } catch (IOException busy) {
                                // a process still in it: not ours to force
                            }
                        }
                    }
                }
            }
        }
        HostFiles.deleteRecursively(dir);
    }
}
