package dev.rabbithole.stage2.libcontainer.container;

import dev.rabbithole.stage2.libcontainer.TestConfigs;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.configs.ProcessConfig;
import dev.rabbithole.stage2.libcontainer.system.JnaSyscalls;
import dev.rabbithole.stage2.libcontainer.system.Syscalls;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Real containers from a busybox rootfs: checked from inside (their output) and from outside (host leftovers). */
class LinuxContainerTest {
    @TempDir
    Path tmp;
    Path rootfs;
    Path stateRoot;
    final List<LinuxContainer> started = new ArrayList<>();

    @BeforeEach
    void needRootAndBusybox() throws IOException {
        assumeTrue(TestConfigs.isRoot(), "needs root: unshare, mount, pivot_root");
        assumeTrue(TestConfigs.haveBusybox(), "needs /bin/busybox (Debian busybox-static)");
        rootfs = TestConfigs.busyboxRootfs(tmp.resolve("rootfs"));
        stateRoot = tmp.resolve("state");
    }

    @AfterEach
    void destroyAll() throws Exception {
        for (LinuxContainer c : started) {
            c.destroy();
        }
    }

    record Result(int exitCode, String stdout, String stderr) { }

    private LinuxContainer create(ContainerConfig config) throws ContainerException {
        LinuxContainer c = LinuxContainer.create(config, stateRoot, new LinuxContainer.Options(new JnaSyscalls(),
                CgroupApplier.NONE, InitCommand.current(), Duration.ofSeconds(30), LinuxContainer.Stdio.PIPES));
        started.add(c);
        return c;
    }

    private static String id() {
        return "t" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
    }

    private Result run(ProcessConfig p) throws Exception {
        LinuxContainer c = create(TestConfigs.config(id(), rootfs, p));
        c.start();
        int code = c.waitFor();
        String out = new String(c.process().getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(c.process().getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        return new Result(code, out, err);
    }

    private static List<String> hostMountsUnder(Path dir) throws IOException {
        return Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
                .filter(l -> l.contains(dir.toString())).toList();
    }

    @Test
    void theWorkloadIsPid1WithTheConfiguredHostname() throws Exception {
        Result r = run(TestConfigs.sh("echo $$; hostname; cat /etc/hostname"));
        assertThat(r.stderr()).isEmpty();
        String[] lines = r.stdout().split("\n");
        assertThat(lines[0]).isEqualTo("1");
        assertThat(lines[1]).startsWith("box-t");
        assertThat(lines[2]).isEqualTo(lines[1]);
        assertThat(r.exitCode()).isZero();
    }

    @Test
    void procShowsOnlyTheContainersProcesses() throws Exception {
        Result r = run(TestConfigs.sh("ls /proc | grep -E '^[0-9]+$'; cat /proc/1/cmdline; echo"));
        List<String> lines = Arrays.asList(r.stdout().split("\n"));
        List<Integer> pids = lines.stream().filter(l -> l.matches("[0-9]+")).map(Integer::valueOf).toList();
        // sh (pid 1), ls and grep; the numbers after 1 are not small: the init JVM's threads used pids too
        assertThat(pids).contains(1).hasSizeBetween(2, 3);
        assertThat(r.stdout()).contains("sh\0-c\0");
    }

    @Test
    void sysIsReadOnlyAndProcPathsAreMaskedOrReadOnly() throws Exception {
        Result r = run(TestConfigs.sh(
                "touch /sys/x 2>/dev/null && echo sys-writable || echo sys-ro;"
                + "echo kcore=$(cat /proc/kcore | wc -c);"
                + "echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null && echo procsys-writable || echo procsys-ro;"
                + "grep ' /sys ' /proc/self/mountinfo; ls /"));
        assertThat(r.stdout()).contains("sys-ro", "kcore=0", "procsys-ro").doesNotContain("writable");
        assertThat(r.stdout()).containsPattern(" /sys ro,");
        assertThat(r.stdout()).doesNotContain(".oldroot");
    }

    @Test
    void devHasTheDefaultDevicesAndNothingElse() throws Exception {
        Result r = run(TestConfigs.sh("ls /dev; echo zero=$(head -c 5 /dev/zero | wc -c); echo x > /dev/null && echo null-ok;"
                + "readlink /dev/ptmx; grep ' /dev/pts ' /proc/self/mountinfo"));
        assertThat(r.stdout().split("\n")).contains("null", "zero", "full", "random", "urandom", "tty", "ptmx",
                "pts", "shm", "mqueue", "fd", "stdin", "stdout", "stderr");
        assertThat(r.stdout()).doesNotContain("sda").doesNotContain("kmsg");
        assertThat(r.stdout()).contains("zero=5", "null-ok", "pts/ptmx", "ptmxmode=666");
    }

    @Test
    void uidGidEnvAndCwdAreTheConfigs() throws Exception {
        Result r = run(new ProcessConfig(List.of("sh", "-c", "id; echo FOO=$FOO; pwd; grep -E 'SigBlk|CapEff|NoNewPrivs' /proc/self/status"),
                List.of("PATH=/bin", "FOO=bar"), "/tmp", 1000, 1001, List.of(2000)));
        assertThat(r.stdout()).contains("uid=1000", "gid=1001", "2000", "FOO=bar\n", "\n/tmp\n");
        assertThat(r.stdout()).containsPattern("SigBlk:\\s+0+\n");
        assertThat(r.stdout()).containsPattern("NoNewPrivs:\\s+1");
    }

    @Test
    void exitCodesPassThrough() throws Exception {
        assertThat(run(TestConfigs.sh("exit 3")).exitCode()).isEqualTo(3);
    }

    @Test
    void sigkillFromOutsideGives137() throws Exception {
        LinuxContainer c = create(TestConfigs.config(id(), rootfs, TestConfigs.sh("echo ready; sleep 1000")));
        c.start();
        new BufferedReader(new InputStreamReader(c.process().getInputStream())).readLine();
        c.signal(Syscalls.SIGKILL);
        assertThat(c.waitFor()).isEqualTo(137);
        assertThat(c.state().status()).isEqualTo(Status.STOPPED);
        assertThat(c.state().exitCode()).isEqualTo(137);
    }

    @Test
    void pid1IgnoresSigtermWithoutAHandlerAndTakesItWithOne() throws Exception {
        LinuxContainer plain = create(TestConfigs.config(id(), rootfs, TestConfigs.sh("echo ready; read x; echo survived")));
        plain.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(plain.process().getInputStream()));
        assertThat(out.readLine()).isEqualTo("ready");
        plain.signal(Syscalls.SIGTERM); // dropped by the kernel: pid 1 has no handler
        try (OutputStream in = plain.process().getOutputStream()) {
            in.write("go\n".getBytes(StandardCharsets.UTF_8));
        }
        assertThat(out.readLine()).isEqualTo("survived");
        assertThat(plain.waitFor()).isZero();

        LinuxContainer trapping = create(TestConfigs.config(id(), rootfs,
                TestConfigs.sh("trap 'exit 42' TERM; echo ready; while :; do sleep 1; done")));
        trapping.start();
        assertThat(new BufferedReader(new InputStreamReader(trapping.process().getInputStream())).readLine())
                .isEqualTo("ready");
        trapping.signal(Syscalls.SIGTERM);
        assertThat(trapping.waitFor()).isEqualTo(42);
    }

    @Test
    void aMissingRootfsIsRefusedAtCreateAndLeavesNothing() throws Exception {
        String id = id();
        assertThatThrownBy(() -> create(TestConfigs.config(id, tmp.resolve("missing"), TestConfigs.sh("true"))))
                .isInstanceOf(ContainerException.class)
                .hasMessageContaining("rootfs").hasMessageContaining("no such directory");
        assertThat(stateRoot.resolve(id)).doesNotExist();
    }

    @Test
    void aBadCwdFailsWithTheInitsMessageAndLeavesNothing() throws Exception {
        LinuxContainer c = create(TestConfigs.config(id(), rootfs,
                new ProcessConfig(List.of("sh"), List.of("PATH=/bin"), "/nonexistent", 0, 0, List.of())));
        assertThatThrownBy(c::start).isInstanceOf(ContainerException.class)
                .hasMessageStartingWith("chdir: No such file or directory");
        long pid = c.process().pid();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(hostMountsUnder(rootfs)).isEmpty();
        c.destroy();
        assertThat(c.stateDir()).doesNotExist();
    }

    @Test
    void anUnknownProgramIsReportedLikeDocker() throws Exception {
        LinuxContainer c = create(TestConfigs.config(id(), rootfs,
                new ProcessConfig(List.of("nope"), List.of("PATH=/bin"), "/", 0, 0, List.of())));
        assertThatThrownBy(c::start).hasMessageContaining("\"nope\": executable file not found in $PATH");
    }

    @Test
    void destroyLeavesNothingAndIsIdempotent() throws Exception {
        LinuxContainer c = create(TestConfigs.config(id(), rootfs, TestConfigs.sh("echo ready; sleep 1000")));
        c.start();
        new BufferedReader(new InputStreamReader(c.process().getInputStream())).readLine();
        long pid = c.process().pid();
        assertThat(Files.readString(c.stateDir().resolve("state.json"))).contains("\"RUNNING\"", "\"pid\":" + pid);
        assertThat(Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "ns", "pid")))
                .isNotEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/pid")));
        c.destroy();
        c.destroy();
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(c.stateDir()).doesNotExist();
        assertThat(hostMountsUnder(rootfs)).isEmpty();
        assertThat(c.state().status()).isEqualTo(Status.DESTROYED);
    }

    @Test
    void startTimeOfShEcho() throws Exception {
        long t0 = System.nanoTime();
        Result r = run(TestConfigs.sh("echo"));
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(r.exitCode()).isZero();
        System.out.println("[libcontainer] create+start+wait of sh -c echo: " + ms + " ms");
    }
}
