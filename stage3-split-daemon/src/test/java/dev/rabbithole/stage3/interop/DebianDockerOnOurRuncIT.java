package dev.rabbithole.stage3.interop;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Docker's whole stack on our runtime: Debian's dockerd 20.10, the containerd 1.6 it starts and
 * {@code containerd-shim-runc-v2}, with {@code rabbithole-runc} registered as a runtime ({@code runtimes} in
 * daemon.json, {@code docker run --runtime rh}): the shim runs our create, start, state, kill, pause, resume,
 * update and delete on the
 * config.json Docker writes (its seccomp profile, capabilities, device rules, sysctls, memory limit). Needs
 * root, dockerd, containerd, the docker CLI and a static busybox. dockerd runs on roots of its own under a
 * temporary directory, with a cgroup parent of its own, no bridge, no iptables.
 */
class DebianDockerOnOurRuncIT {
    static final Path WRAPPER = Path.of("bin/rabbithole-runc").toAbsolutePath();
    static Path dir;
    static Process dockerd;
    static String cgroupParent;

    @BeforeAll
    static void startDockerd() throws Exception {
        Assumptions.assumeTrue(Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid")),
                "skipped: dockerd needs root");
        for (String bin : List.of("/usr/sbin/dockerd", "/usr/bin/docker", "/usr/bin/containerd", "/bin/busybox")) {
            Assumptions.assumeTrue(Files.isExecutable(Path.of(bin)), "skipped: " + bin + " is missing (Debian "
                    + "packages docker.io, containerd, busybox-static)");
        }
        Assumptions.assumeTrue(Files.isRegularFile(Path.of("target/rabbithole-stage3.jar")),
                "skipped: target/rabbithole-stage3.jar is missing (mvn package)");
        dir = Files.createTempDirectory("rh-dockerd-runc").toRealPath();
        cgroupParent = dir.getFileName().toString();
        Files.writeString(dir.resolve("daemon.json"), "{\"runtimes\": {\"rh\": {\"path\": \"" + WRAPPER + "\"}}}\n");
        dockerd = new ProcessBuilder("/usr/sbin/dockerd", "--config-file", dir.resolve("daemon.json").toString(),
                "--data-root", dir.resolve("data").toString(), "--exec-root", dir.resolve("exec").toString(),
                "-H", "unix://" + dir.resolve("docker.sock"), "--pidfile", dir.resolve("docker.pid").toString(),
                "--cgroup-parent", "/" + cgroupParent, "--bridge=none", "--iptables=false")
                .redirectErrorStream(true).redirectOutput(dir.resolve("dockerd.log").toFile()).start();
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200)).until(() -> {
            assertThat(dockerd.isAlive()).as("dockerd: %s", Files.readString(dir.resolve("dockerd.log"))).isTrue();
            return docker("version").code == 0;
        });
        Path rootfs = Files.createDirectories(dir.resolve("rootfs/bin"));
        Files.copy(Path.of("/bin/busybox"), rootfs.resolve("busybox"));
        for (String applet : List.of("sh", "cat", "grep", "sleep", "echo")) {
            Files.createSymbolicLink(rootfs.resolve(applet), Path.of("busybox"));
        }
        assertThat(run(List.of("tar", "-C", dir.resolve("rootfs").toString(), "-cf", dir.resolve("rootfs.tar").toString(),
                ".")).code).isZero();
        Result imported = docker("import", "-c", "ENV PATH=/bin", dir.resolve("rootfs.tar").toString(), "rh-busybox");
        assertThat(imported.code).as(imported.out).isZero();
    }

    @AfterAll
    static void stopDockerd() throws Exception {
        if (dockerd == null) {
            return;
        }
        List<ProcessHandle> children = dockerd.descendants().toList();
        dockerd.destroy();
        if (!dockerd.waitFor(30, TimeUnit.SECONDS)) {
            dockerd.destroyForcibly().waitFor();
        }
        for (ProcessHandle child : children) {
            child.destroyForcibly();
            child.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(t -> null).join();
        }
        List<String> mounts = new ArrayList<>();
        for (String line : Files.readAllLines(Path.of("/proc/self/mountinfo"))) {
            String point = line.split(" ")[4];
            if (point.startsWith(dir.toString())) {
                mounts.add(point);
            }
        }
        mounts.sort(Comparator.reverseOrder());
        for (String m : mounts) {
            run(List.of("umount", "-l", m));
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
        try (Stream<Path> hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path h : hierarchies.toList()) {
                Path parent = h.resolve(cgroupParent);
                if (Files.isDirectory(parent)) {
                    try (Stream<Path> walk = Files.walk(parent)) {
                        for (Path sub : walk.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList()) {
                            Files.deleteIfExists(sub);
                        }
                    }
                }
            }
        }
    }

    @Test
    void dockerRunOnOurRuntimeGivesTheOutputAndTheExitStatus() throws Exception {
        Result r = docker("run", "--rm", "--runtime", "rh", "rh-busybox", "sh", "-c", "echo hi from rabbithole-runc; exit 5");
        assertThat(r.code).as(r.out).isEqualTo(5);
        assertThat(r.out).isEqualTo("hi from rabbithole-runc\n");
    }

    @Test
    void dockersSpecIsAppliedAndStopWorks() throws Exception {
        Result run = docker("run", "-d", "--runtime", "rh", "-m", "64m", "rh-busybox", "sh", "-c",
                "grep -E '^(CapEff|Seccomp|NoNewPrivs):' /proc/self/status; "
                        + "echo port start $(cat /proc/sys/net/ipv4/ip_unprivileged_port_start); "
                        + "cat /sys/fs/cgroup/memory/memory.limit_in_bytes; echo ready; exec sleep 1000");
        assertThat(run.code).as(run.out).isZero();
        String id = run.out.trim();
        try {
            await().atMost(Duration.ofSeconds(30)).until(() -> docker("logs", id).out.contains("ready"));
            String logs = docker("logs", id).out;
            assertThat(logs).contains("CapEff:\t00000000a80425fb") // Docker's default capabilities
                    .contains("Seccomp:\t2")                          // Docker's default seccomp profile
                    .contains("port start 0")                         // Docker 20.10's default sysctl
                    .contains(Long.toString(64L << 20));
            assertThat(docker("inspect", "-f", "{{.State.Status}} {{.HostConfig.Runtime}}", id).out.trim())
                    .isEqualTo("running rh");
            // docker pause / unpause / update: the shim's runc pause, resume, update --resources -
            assertThat(docker("pause", id).code).isZero();
            assertThat(docker("inspect", "-f", "{{.State.Status}}", id).out.trim()).isEqualTo("paused");
            assertThat(docker("unpause", id).code).isZero();
            assertThat(docker("inspect", "-f", "{{.State.Status}}", id).out.trim()).isEqualTo("running");
            Result update = docker("update", "-m", "128m", "--memory-swap", "256m", id);
            assertThat(update.code).as(update.out).isZero();
            assertThat(Files.readString(Path.of("/sys/fs/cgroup/memory", cgroupParent, id, "memory.limit_in_bytes")).trim())
                    .isEqualTo(Long.toString(128L << 20));
            assertThat(docker("stop", "-t", "1", id).code).isZero();
            assertThat(docker("inspect", "-f", "{{.State.ExitCode}}", id).out.trim()).isEqualTo("137");
        } finally {
            docker("rm", "-f", id);
        }
    }

    record Result(int code, String out) {
    }

    static Result docker(String... args) throws Exception {
        List<String> c = new ArrayList<>(List.of("/usr/bin/docker", "-H", "unix://" + dir.resolve("docker.sock")));
        c.addAll(List.of(args));
        return run(c);
    }

    static Result run(List<String> command) throws IOException, InterruptedException {
        Path out = Files.createTempFile("rh-docker", ".out");
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return new Result(-1, Files.readString(out));
            }
            return new Result(p.exitValue(), Files.readString(out));
        } finally {
            Files.deleteIfExists(out);
        }
    }
}
