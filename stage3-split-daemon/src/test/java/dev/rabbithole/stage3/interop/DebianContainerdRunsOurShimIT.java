package dev.rabbithole.stage3.interop;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The real containerd (Debian's containerd 1.6, on temporary directories and sockets, the CRI plugin off) runs our
 * shim, {@code containerd-shim-rabbithole-v2}, as the runtime {@code io.containerd.rabbithole.v2}, found on its
 * PATH, and Debian's {@code ctr} drives it: run with output and exit code, exec, ps, kill; a shim killed with SIGKILL
 * is cleaned up by containerd through our shim binary's {@code delete}. Needs root, containerd, ctr, runc, a static
 * busybox and the built jar.
 */
class DebianContainerdRunsOurShimIT {

    static final String NS = "rabbithole-it";
    static final String RUNTIME = "io.containerd.rabbithole.v2";
    static Path base;
    static Process containerd;

    @BeforeAll
    static void startContainerd() throws Exception {
        Assumptions.assumeTrue(Integer.valueOf(0).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid")),
                "skipped: containerd needs root");
        for (String bin : List.of("/usr/bin/containerd", "/usr/bin/ctr", "/usr/sbin/runc")) {
            Assumptions.assumeTrue(Files.isExecutable(Path.of(bin)), "skipped: " + bin + " is not installed (Debian packages containerd, runc)");
        }
        Assumptions.assumeTrue(Files.isRegularFile(Path.of("/bin/busybox")), "skipped: /bin/busybox is missing (busybox-static)");
        Assumptions.assumeTrue(Files.isRegularFile(Path.of("target/rabbithole-stage3.jar")),
                "skipped: target/rabbithole-stage3.jar is not built (mvn package)");
        base = Files.createTempDirectory("rh-s3dctd");
        Path bin = Files.createDirectories(base.resolve("rootfs/bin"));
        Files.copy(Path.of("/bin/busybox"), bin.resolve("busybox"));
        for (String tool : List.of("sh", "sleep", "echo")) {
            Files.createSymbolicLink(bin.resolve(tool), Path.of("busybox"));
        }
        Files.writeString(base.resolve("config.toml"), String.join("\n",
                "version = 2",
                "root = \"" + base.resolve("root") + "\"",
                "state = \"" + base.resolve("state") + "\"",
                "[grpc]", "  address = \"" + base.resolve("c.sock") + "\"",
                "[ttrpc]", "  address = \"" + base.resolve("c.sock.ttrpc") + "\"",
                "[plugins.\"io.containerd.grpc.v1.cri\"]", "  disable = true", ""));
        ProcessBuilder pb = new ProcessBuilder("/usr/bin/containerd", "--config", base.resolve("config.toml").toString())
                .redirectErrorStream(true).redirectOutput(base.resolve("containerd.log").toFile());
        pb.environment().put("PATH", Path.of("bin").toAbsolutePath() + ":" + System.getenv("PATH"));
        containerd = pb.start();
        await().atMost(Duration.ofSeconds(60)).until(() -> {
            assertThat(containerd.isAlive()).as("containerd died: %s", Files.readString(base.resolve("containerd.log"))).isTrue();
            return Files.exists(base.resolve("c.sock")) && ctr(false, "version").status == 0;
        });
    }

    @AfterAll
    static void stop() throws Exception {
        if (base == null) {
            return;
        }
        if (containerd != null) {
            containerd.destroy();
            containerd.waitFor(20, TimeUnit.SECONDS);
        }
        System.out.println("Debian's containerd's log:\n" + Files.readString(base.resolve("containerd.log")));
        try (Stream<Path> hierarchies = Files.list(Path.of("/sys/fs/cgroup"))) {
            for (Path h : hierarchies.toList()) {
                try {
                    Files.deleteIfExists(h.resolve(NS)); // runc leaves the empty namespace cgroup
                } catch (IOException e) {
                    // in use
                }
            }
        }
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(base.toString());
        try (Stream<Path> walk = Files.walk(base)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }

    record Result(int status, String out, String err) {
    }

    static Result ctr(boolean check, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("/usr/bin/ctr", "--address", base.resolve("c.sock").toString(), "-n", NS));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).start();
        p.getOutputStream().close();
        CompletableFuture<String> err = CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                return "";
            }
        });
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        Result r = new Result(p.exitValue(), out, err.join());
        if (check) {
            assertThat(r.status).as("ctr %s: %s%s", String.join(" ", args), out, r.err).isZero();
        }
        return r;
    }

    @Test
    void debiansContainerdRunsExecsAndCleansUpOurShim() throws Exception {
        String rootfs = base.resolve("rootfs").toString();
        Result run = ctr(false, "run", "--rm", "--runtime", RUNTIME, "--rootfs", rootfs, "once", "/bin/sh", "-c",
                "echo hi from pid $$; exit 3");
        assertThat(run.out).isEqualTo("hi from pid 1\n");
        assertThat(run.status).as("ctr run's exit status is the task's: %s", run.err).isEqualTo(3);

        ctr(true, "run", "-d", "--runtime", RUNTIME, "--rootfs", rootfs, "long", "/bin/sleep", "300");
        String ls = ctr(true, "tasks", "ls").out;
        assertThat(ls).containsPattern("(?m)^long +[0-9]+ +RUNNING");
        long pid = Long.parseLong(ls.replaceAll("(?s).*\nlong +([0-9]+) .*", "$1"));
        long shim = ProcessHandle.of(pid).orElseThrow().parent().orElseThrow().pid();
        assertThat(Files.readString(Path.of("/proc/" + shim + "/cmdline")).replace('\0', ' '))
                .as("the task's parent is our shim's JVM").contains("rabbithole-stage3.jar shim");
        Result exec = ctr(false, "tasks", "exec", "--exec-id", "e1", "long", "/bin/sh", "-c", "echo exec ok; exit 5");
        assertThat(exec.out).isEqualTo("exec ok\n");
        assertThat(exec.status).isEqualTo(5);
        assertThat(ctr(true, "tasks", "ps", "long").out).containsPattern("(?m)^" + pid + " ");

        // SIGKILL to our shim: containerd sees the connection close and runs our binary's delete
        ProcessHandle.of(shim).orElseThrow().destroyForcibly();
        await().atMost(Duration.ofSeconds(20)).until(() -> ProcessHandle.of(pid).isEmpty());
        await().atMost(Duration.ofSeconds(20)).until(() -> !ctr(true, "tasks", "ls").out.contains("long"));
        ctr(true, "containers", "rm", "long");
        assertThat(ctr(true, "containers", "ls").out).doesNotContain("long").doesNotContain("once");
        assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(base.toString());
        try (Stream<Path> s = Files.list(base.resolve("s"))) {
            assertThat(s).as("no shim socket left").isEmpty();
        }
    }
}
