package dev.rabbithole.stage3.dockerd;

import dev.rabbithole.testsupport.HostFiles;
import dev.rabbithole.testsupport.JarDaemon;
import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.awaitility.Awaitility.await;

/**
 * The processes of a stage-3 dockerd test, on one temporary directory: Debian's containerd 1.6 or ours, and our
 * dockerd ({@code dev.rabbithole.stage3.Main dockerd} on the test's class path), with a cgroup parent of its own.
 * Everything is stopped by pid; {@link #close} also kills the shims left under this directory's containerd sockets,
 * unmounts what is mounted below the directory and removes the cgroup parent.
 */
final class DockerdFixture implements AutoCloseable {

    final Path dir;
    final Path dataRoot;
    final Path execRoot;
    final Path socket;
    final String cgroupParent;
    Process containerd;
    Path containerdSocket;
    Process dockerd;
    /**
     * Start dockerd with its own defaults (no {@code --default-runtime}, no {@code --runtime-binary}) and this
     * module's {@code bin} directory first on its PATH: our shim and our runc, the whole stack ours.
     */
    boolean ourStack;
    /**
     * Words before dockerd's command, e.g. {@code NetworkNamespace#launcher()}: dockerd (and the containerd it
     * supervises, which inherits its namespaces) in a network namespace of the test's; empty for the host's. With a
     * launcher dockerd keeps its default bridge, else it gets {@code --bridge none}.
     */
    List<String> launcher = List.of();
    /** What the shim's command line shows (the tree's shim line): Debian's runc shim, or our jar's {@code shim}. */
    String shimCommand = "containerd-shim-runc-v2";
    private final Path dockerdLog;

    DockerdFixture() throws IOException {
        dir = Files.createTempDirectory("rh-s3d-");
        dataRoot = dir.resolve("data");
        execRoot = dir.resolve("exec");
        socket = dir.resolve("docker.sock");
        dockerdLog = dir.resolve("dockerd.log");
        cgroupParent = dir.getFileName().toString();
    }

    /** Skips the test class unless it runs as root with containerd, its runc shim, runc and the docker CLI. */
    static void assumeCanRun() {
        Assumptions.assumeTrue(JarDaemon.isRoot(), "skipped: running containers through containerd needs root");
        for (String bin : List.of("containerd", "containerd-shim-runc-v2", "runc", "docker")) {
            Assumptions.assumeTrue(DockerdMain.onPath(bin, System.getenv("PATH") + ":/usr/sbin:/usr/bin"),
                    "skipped: " + bin + " is not installed (Debian packages containerd, runc, docker.io)");
        }
    }

    /** Starts Debian's containerd 1.6 on this directory, with its own config (no CRI plugin). */
    void startDebianContainerd() throws IOException {
        containerdSocket = dir.resolve("ctd.sock");
        Path config = Files.writeString(dir.resolve("containerd.toml"), String.join("\n",
                "version = 2",
                "root = \"" + dir.resolve("ctd-root") + "\"",
                "state = \"" + dir.resolve("ctd-state") + "\"",
                "disabled_plugins = [\"io.containerd.grpc.v1.cri\"]",
                "[grpc]",
                "  address = \"" + containerdSocket + "\"",
                "[ttrpc]",
                "  address = \"" + containerdSocket + ".ttrpc\"",
                "[debug]",
                "  address = \"" + dir.resolve("ctd-debug.sock") + "\"", ""));
        containerd = new ProcessBuilder("containerd", "--config", config.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("containerd.log").toFile()).start();
        awaitSocket(containerd, containerdSocket, "containerd.log");
    }

    /** Starts our containerd ({@code rabbithole stage3 containerd}) on this directory. */
    void startOurContainerd() throws IOException {
        containerdSocket = dir.resolve("ctd.sock");
        containerd = new ProcessBuilder(java(), "-cp", System.getProperty("java.class.path"),
                "dev.rabbithole.stage3.Main", "containerd", "--address", containerdSocket.toString(),
                "--root", dir.resolve("ctd-root").toString(), "--state", dir.resolve("ctd-state").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("containerd.log").toFile()).start();
        awaitSocket(containerd, containerdSocket, "containerd.log");
    }

    private void awaitSocket(Process p, Path sock, String log) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
            if (!p.isAlive()) {
                throw new IllegalStateException("exited with " + p.exitValue() + ": " + read(dir.resolve(log)));
            }
            return Files.exists(sock);
        });
    }

    static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * Starts our dockerd and waits until {@code docker version} answers.
     *
     * @param flags more flags ({@code --live-restore}); without {@link #containerdSocket} dockerd supervises its own
     */
    void startDockerd(String... flags) throws IOException {
        List<String> cmd = new ArrayList<>(launcher);
        cmd.addAll(List.of("/usr/bin/setsid", java(), "-cp", System.getProperty("java.class.path"),
                "dev.rabbithole.stage3.Main", "dockerd", "--data-root", dataRoot.toString(), "-H", host(),
                "--exec-root", execRoot.toString(), "--cgroup-parent", cgroupParent));
        if (!ourStack) {
            cmd.addAll(List.of("--default-runtime", DockerdMain.RUNC_SHIM, "--runtime-binary", "runc"));
        }
        if (containerdSocket != null) {
            cmd.addAll(List.of("--containerd", containerdSocket.toString()));
        }
        if (!List.of(flags).contains("--bridge") && launcher.isEmpty()) {
            cmd.addAll(List.of("--bridge", "none"));   // in the host's network namespace: no bridge, no rules
        }
        cmd.addAll(List.of(flags));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(dockerdLog.toFile()));
        if (ourStack) {
            pb.environment().put("PATH", ourBin() + ":" + System.getenv("PATH"));
        }
        dockerd = pb.start();
        await().atMost(Duration.ofSeconds(90)).pollInterval(Duration.ofMillis(200)).until(() -> {
            if (!dockerd.isAlive()) {
                throw new IllegalStateException("dockerd exited with " + dockerd.exitValue() + ":\n" + log());
            }
            return Files.exists(socket) && docker("version").exit() == 0;
        });
    }

    /** SIGKILL to dockerd, as a crash. */
    void killDockerd() throws InterruptedException {
        dockerd.destroyForcibly();
        dockerd.waitFor();
    }

    /** SIGTERM to dockerd, as an administrator's stop; waits for its end. */
    void stopDockerd() throws InterruptedException {
        if (dockerd != null && dockerd.isAlive()) {
            dockerd.destroy();
            if (!dockerd.waitFor(90, TimeUnit.SECONDS)) {
                dockerd.destroyForcibly();
                dockerd.waitFor();
            }
        }
    }

    /** This module's {@code bin} directory: {@code containerd-shim-rabbithole-v2} and {@code rabbithole-runc}. */
    static Path ourBin() {
        return Path.of("bin").toAbsolutePath();
    }

    String host() {
        return "unix://" + socket;
    }

    String log() {
        return read(dockerdLog);
    }

    static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            return "(" + e + ")";
        }
    }

    JarDaemon.Result docker(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("docker", "-H", host()));
        cmd.addAll(List.of(args));
        return JarDaemon.exec(cmd);
    }

    /** The container's rootfs as the host sees it (the overlay mount dockerd made). */
    Path rootfs(String id) {
        return dataRoot.resolve("overlay2").resolve(id).resolve("merged");
    }

    @Override
    public void close() throws Exception {
        stopDockerd();
        Path supervisedPid = execRoot.resolve("containerd/containerd.pid");
        if (Files.exists(supervisedPid)) {
            ProcessHandle.of(Long.parseLong(Files.readString(supervisedPid).trim())).ifPresent(ProcessHandle::destroy);
        }
        if (containerd != null && containerd.isAlive()) {
            containerd.destroy();
            if (!containerd.waitFor(30, TimeUnit.SECONDS)) {
                containerd.destroyForcibly();
            }
        }
        // shims started for this directory's containerd (their command line names its socket) and their workloads
        try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
            for (ProcessHandle p : all.toList()) {
                String cmd = read(Path.of("/proc", String.valueOf(p.pid()), "cmdline")).replace('\0', ' ');
                if ((cmd.contains("containerd-shim") || cmd.contains(" shim -namespace ")) && cmd.contains(dir.toString())) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly();
                }
            }
        }
        List<String> mounts = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .map(l -> l.split(" ")[4]).filter(m -> m.startsWith(dir.toString())).toList();
        for (int i = mounts.size() - 1; i >= 0; i--) {
            JarDaemon.exec(List.of("umount", "-l", mounts.get(i)));
        }
        try (Stream<Path> hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path h : hierarchies.toList()) {
                Path parent = h.resolve(cgroupParent);
                if (Files.isDirectory(parent)) {
                    try (Stream<Path> kids = Files.list(parent)) {
                        for (Path k : kids.filter(Files::isDirectory).toList()) {
                            Files.deleteIfExists(k);
                        }
                    } catch (IOException e) {
                        // busy: not ours to force
                    }
                    try {
                        Files.deleteIfExists(parent);
                    } catch (IOException e) {
                        // busy
                    }
                }
            }
        }
        HostFiles.deleteRecursively(dir);
    }
}
