package dev.rabbithole.stage2.e2e;

import dev.rabbithole.testsupport.HostLeaks;
import dev.rabbithole.stage2.Main;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Stage 2 as a user meets it: the shaded jar's daemon with the native (libcontainer) exec driver on a temporary
 * socket, containers started with the jar's client, the kernel surface (namespaces, /proc, /dev, seccomp, capabilities, limits) checked from
 * inside the container (and the memory limit from the host's cgroup: libcontainer does not mount
 * /sys/fs/cgroup inside), the host checked for leftovers. Needs root and busybox-static; skipped otherwise.
 */
class NativeDriverIT {

    /** Docker's default 14 capabilities as /proc/PID/status prints CapEff. */
    static final String DOCKER_DEFAULT_CAPEFF = "00000000a80425fb";

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

    private static Stage2Daemon.Result run(String... args) throws Exception {
        return daemon.run(args);
    }

    @Test
    void theWorkloadIsPid1AndTheHostnameIsTheContainers() throws Exception {
        var r = run("--rm", "busybox", "sh", "-c", "echo $$; hostname");
        assertThat(r.exit()).as(r.toString()).isZero();
        String[] lines = r.out().trim().split("\n");
        assertThat(lines[0]).as(r.toString()).isEqualTo("1");
        // Docker's default hostname: the first 12 characters of the ID
        assertThat(lines[1]).as(r.toString()).matches("[0-9a-f]{12}");

        var named = run("--rm", "--hostname", "rabbit", "busybox", "hostname");
        assertThat(named.out().trim()).as(named.toString()).isEqualTo("rabbit");
        assertThat(Files.readString(Path.of("/proc/sys/kernel/hostname")).trim()).isNotEqualTo("rabbit");
    }

    @Test
    void onlyTheContainersProcessesAreVisibleAndProcSysIsReadOnly() throws Exception {
        var r = run("--rm", "busybox", "sh", "-c",
                "ls /proc | grep -c '^[0-9]'; echo 1 > /proc/sys/kernel/ns_last_pid 2>/dev/null && echo procsys-rw || echo procsys-ro;"
                + "touch /sys/x 2>/dev/null && echo sys-rw || echo sys-ro; cat /proc/kcore | wc -c; ls /dev");
        assertThat(r.exit()).as(r.toString()).isZero();
        String[] lines = r.out().split("\n");
        assertThat(Integer.parseInt(lines[0].trim())).as(r.toString()).isLessThanOrEqualTo(4);
        assertThat(r.out()).contains("procsys-ro", "sys-ro").doesNotContain("-rw");
        assertThat(lines[3].trim()).as("/proc/kcore is masked").isEqualTo("0");
        assertThat(List.of(lines)).contains("null", "zero", "full", "random", "urandom", "tty", "pts", "shm", "mqueue");
    }

    @Test
    void theMemoryLimitIsTheHostCgroupsWhileTheContainerRuns() throws Exception {
        var started = run("-d", "-m", "64m", "--cpus", "0.5", "--pids-limit", "50", "busybox", "sleep", "60");
        assertThat(started.exit()).as(started.toString()).isZero();
        String id = started.out().trim();
        try {
            Path v1 = Stage2Daemon.nativeCgroupFile("memory", id, "memory.limit_in_bytes");
            Path limit = Files.exists(v1) ? v1 : Path.of("/sys/fs/cgroup/rabbithole", id, "memory.max");
            assertThat(Files.readString(limit).trim()).isEqualTo(String.valueOf(64L * 1024 * 1024));
            Path quota = Stage2Daemon.nativeCgroupFile("cpu", id, "cpu.cfs_quota_us");
            if (Files.exists(quota)) {
                assertThat(Files.readString(quota).trim()).isEqualTo("50000");
                assertThat(Files.readString(quota.resolveSibling("cpu.cfs_period_us")).trim()).isEqualTo("100000");
                assertThat(Files.readString(Stage2Daemon.nativeCgroupFile("pids", id, "pids.max")).trim()).isEqualTo("50");
            }
        } finally {
            assertThat(daemon.client("rm", "-f", id).exit()).isZero();
        }
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(HostLeaks.cgroups(id)).isEmpty());
    }

    @Test
    void seccompIsInstalledAndDecidedForTheCapabilitiesAsDockers() throws Exception {
        var status = run("--rm", "busybox", "grep", "Seccomp:", "/proc/self/status");
        assertThat(status.out()).as(status.toString()).matches("(?s)Seccomp:\\s+2\\s*");

        var blocked = run("--rm", "busybox", "unshare", "-u", "true");
        assertThat(blocked.exit()).as(blocked.toString()).isNotZero();
        assertThat(blocked.err()).as(blocked.toString()).containsIgnoringCase("not permitted");

        // Docker 20.10's profile allows unshare with CAP_SYS_ADMIN (includes.caps), and still not swapoff
        var allowed = run("--rm", "--cap-add", "SYS_ADMIN", "busybox", "unshare", "-u", "true");
        assertThat(allowed.exit()).as(allowed.toString()).isZero();
        var swapoff = run("--rm", "--cap-add", "SYS_ADMIN", "busybox", "swapoff", "/nonexistent");
        assertThat(swapoff.err()).as(swapoff.toString()).contains("Operation not permitted");
        var unconfined = run("--rm", "--cap-add", "SYS_ADMIN", "--security-opt", "seccomp=unconfined",
                "busybox", "swapoff", "/nonexistent");
        assertThat(unconfined.err()).as(unconfined.toString()).contains("No such file or directory");
    }

    @Test
    void capabilitiesAreDockersDefaultAndCapDropRemovesOne() throws Exception {
        var r = run("--rm", "busybox", "grep", "CapEff:", "/proc/self/status");
        assertThat(r.out().trim()).as(r.toString()).endsWith(DOCKER_DEFAULT_CAPEFF);
        var dropped = run("--rm", "--cap-drop", "NET_RAW", "busybox", "grep", "CapEff:", "/proc/self/status");
        assertThat(dropped.out().trim()).as(dropped.toString()).endsWith("00000000a80405fb");
    }

    @Test
    void exitCodesAreTheWorkloadsAnd128PlusTheSignal() throws Exception {
        assertThat(run("--rm", "busybox", "true").exit()).isZero();
        assertThat(run("--rm", "busybox", "sh", "-c", "exit 3").exit()).isEqualTo(3);
        // pid 1 of a pid namespace gets only the signals it has a handler for, from inside: SIGKILL to itself
        // does nothing, as under Docker without --init
        var self = run("--rm", "busybox", "sh", "-c", "kill -9 $$; echo survived");
        assertThat(self.out()).as(self.toString()).isEqualTo("survived\n");
        var started = run("-d", "--name", "killed", "busybox", "sleep", "60");
        assertThat(started.exit()).as(started.toString()).isZero();
        assertThat(daemon.client("kill", "killed").exit()).isZero();
        var waited = daemon.client("wait", "killed");
        assertThat(waited.out().trim()).as(waited.toString()).isEqualTo("137");
        assertThat(daemon.client("rm", "killed").exit()).isZero();
    }

    @Test
    void aProcessOverItsMemoryLimitIsOomKilledAndRunExits137() throws Exception {
        // tail keeps the "line" it reads from /dev/zero, which never ends: it grows until the OOM killer comes
        var r = run("--rm", "-m", "32m", "busybox", "tail", "/dev/zero");
        assertThat(r.exit()).as(r.toString()).isEqualTo(137);
    }

    @Test
    void aForkLoopStopsAtThePidsLimit() throws Exception {
        String loop = "for i in $(seq 1 30); do sleep 30 & done; echo done";
        // busybox sh reports the failed fork and, depending on where it failed, goes on or exits 2
        var limited = run("--rm", "--pids-limit", "10", "busybox", "sh", "-c", loop);
        assertThat(limited.err()).as(limited.toString()).contains("can't fork");

        var free = run("--rm", "busybox", "sh", "-c", loop.replace("sleep 30", "sleep 1"));
        assertThat(free.out()).as(free.toString()).isEqualTo("done\n");
        assertThat(free.err()).as(free.toString()).doesNotContain("can't fork");
    }

    @Test
    void limitsTheInitJvmWouldExceedApplyToTheWorkloadOnly() throws Exception {
        // the init JVM needs more than 6 MiB and a dozen tasks; the workload gets the limits after its execve
        var r = run("--rm", "-m", "6m", "--pids-limit", "2", "busybox", "echo", "small");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo("small\n");
        // the pids limit is written before the execve: the workload's first instruction is under it already
        // (the floor, 64, until the parent's write after the execve, before: a fork loop could get past it)
        String pidsMax = Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers")) ? "/sys/fs/cgroup/pids.max"
                : "/sys/fs/cgroup/pids/pids.max";
        var first = run("--rm", "--pids-limit", "2", "busybox", "cat", pidsMax);
        assertThat(first.out()).as(first.toString()).isEqualTo("2\n");
    }

    @Test
    void aProfileThatBlocksMkdirMakesMkdirFailWithEperm() throws Exception {
        Path profile = dir.resolve("no-mkdir.json");
        Files.writeString(profile, "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\",\"mkdirat\"],"
                + "\"action\":\"SCMP_ACT_ERRNO\"}]}");
        var r = run("--rm", "--security-opt", "seccomp=" + profile, "busybox", "mkdir", "/tmp/x");
        assertThat(r.exit()).as(r.toString()).isNotZero();
        assertThat(r.err()).as(r.toString()).contains("Operation not permitted");
        var fine = run("--rm", "busybox", "mkdir", "/tmp/x");
        assertThat(fine.exit()).as(fine.toString()).isZero();
    }

    @Test
    void badInputIsAClearErrorAndLeavesNothing() throws Exception {
        Set<String> before = daemon.startedIds();
        var cap = run("--rm", "--name", "badcap", "--cap-add", "BOGUS", "busybox", "true");
        assertThat(cap.exit()).as(cap.toString()).isEqualTo(125);
        assertThat(cap.err()).as(cap.toString()).containsIgnoringCase("capability").contains("BOGUS");
        var memory = run("--rm", "--name", "badmem", "-m", "1k", "busybox", "true");
        assertThat(memory.exit()).as(memory.toString()).isEqualTo(125);
        assertThat(memory.err()).as(memory.toString()).contains("Minimum memory limit allowed is 6MB");
        var notMemory = run("--rm", "-m", "lots", "busybox", "true");
        assertThat(notMemory.exit()).as(notMemory.toString()).isEqualTo(125);
        assertThat(notMemory.err()).as(notMemory.toString()).contains("invalid argument \"lots\"");
        var missing = run("--rm", "--name", "nocmd", "busybox", "no-such-program");
        assertThat(missing.exit()).as(missing.toString()).isEqualTo(127);
        assertThat(missing.err()).as(missing.toString()).contains("executable file not found");

        var ps = daemon.client("ps", "-a");
        assertThat(ps.out()).doesNotContain("badcap", "badmem", "nocmd");
        Set<String> started = new HashSet<>(daemon.startedIds());
        started.removeAll(before);
        for (String id : started) {
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertNoLeak(id));
        }
    }

    @Test
    void fiftyRunRmCyclesLeaveNoMountCgroupProcessOrStateBehind() throws Exception {
        Set<String> before = daemon.startedIds();
        for (int i = 0; i < 50; i++) {
            // the client's run in this JVM (50 client JVM starts would take minutes): the same requests
            ByteArrayOutputStream err = new ByteArrayOutputStream();
            int rc = Main.execute(new String[] {"-H", daemon.host(), "run", "--rm", "busybox", "true"},
                    new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
                    new PrintStream(err, true, StandardCharsets.UTF_8), Map.of());
            assertThat(rc).as("cycle " + i + ": " + err.toString(StandardCharsets.UTF_8)).isZero();
        }
        Set<String> ids = new HashSet<>(daemon.startedIds());
        ids.removeAll(before);
        assertThat(ids).hasSize(50);
        for (String id : ids) {
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertNoLeak(id));
        }
        assertThat(daemon.client("ps", "-aq").out()).isBlank();
    }

    @Test
    void runExplainPrintsTheKernelCallsOfTheStartInOrder() throws Exception {
        // without no_new_privs (Docker's default) the filter goes in while the init still holds CAP_SYS_ADMIN
        List<String> lines = explain("busybox", "true");
        int unshare = indexOfFirst(lines, "unshare(");
        int pivot = indexOfFirst(lines, "pivot_root(");
        int seccomp = indexOfFirst(lines, "seccomp(");
        int bounding = indexOfFirst(lines, "prctl(PR_CAPBSET_DROP");
        int capset = indexOfFirst(lines, "capset(");
        int execve = indexOfFirst(lines, "execve(");
        String all = String.join("\n", lines);
        assertThat(unshare).as(all).isNotNegative();
        assertThat(lines.get(unshare)).contains("CLONE_NEWPID");
        // a new init gets its mount namespace with the others, a pooled one makes it once taken: before pivot_root
        assertThat(lines.subList(unshare, pivot)).as(all).anySatisfy(l -> assertThat(l).contains("CLONE_NEWNS"));
        assertThat(pivot).as(all).isGreaterThan(unshare);
        assertThat(seccomp).as(all).isGreaterThan(pivot);
        assertThat(bounding).as(all).isGreaterThan(seccomp);
        assertThat(capset).as(all).isGreaterThan(bounding);
        assertThat(execve).as(all).isGreaterThan(capset);
        assertThat(lines.get(execve)).contains("\"true\"");
        assertThat(all).doesNotContain("PR_SET_NO_NEW_PRIVS");
        assertThat(lines.size()).as("one screen").isLessThan(80);
        assertThat(daemon.client("ps", "-aq").out()).as("--rm with --explain still removes").isBlank();
    }

    @Test
    void withNoNewPrivilegesTheFilterGoesInLastBeforeExecve() throws Exception {
        List<String> lines = explain("--security-opt", "no-new-privileges", "busybox", "true");
        String all = String.join("\n", lines);
        int pivot = indexOfFirst(lines, "pivot_root(");
        int capset = indexOfFirst(lines, "capset(");
        int noNewPrivs = indexOfFirst(lines, "prctl(PR_SET_NO_NEW_PRIVS");
        int seccomp = indexOfFirst(lines, "seccomp(");
        int execve = indexOfFirst(lines, "execve(");
        assertThat(pivot).as(all).isNotNegative();
        assertThat(capset).as(all).isGreaterThan(pivot);
        assertThat(noNewPrivs).as(all).isGreaterThan(capset);
        assertThat(seccomp).as(all).isGreaterThan(noNewPrivs);
        assertThat(execve).as(all).isEqualTo(seccomp + 1);
    }

    private static List<String> explain(String... args) throws Exception {
        List<String> argv = new java.util.ArrayList<>(List.of("--rm", "--explain"));
        argv.addAll(List.of(args));
        var r = run(argv.toArray(String[]::new));
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.err()).as(r.toString()).contains("Kernel calls that started").contains("native-0.1");
        return r.err().lines().map(String::trim).toList();
    }

    @Test
    void runExplainReachesTheDriverThroughTheApi() throws Exception {
        var r = run("--rm", "--explain", "busybox", "true");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.err()).as(r.toString()).contains("Kernel calls that started").contains("native-0.1");
        assertThat(daemon.client("ps", "-aq").out()).as("--rm with --explain still removes").isBlank();
    }

    private static int indexOfFirst(List<String> lines, String prefix) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }

    private static void assertNoLeak(String id) throws Exception {
        assertThat(HostLeaks.processes(id)).as("processes of " + id).isEmpty();
        assertThat(HostLeaks.mounts(id)).as("mounts of " + id).isEmpty();
        assertThat(HostLeaks.cgroups(id)).as("cgroups of " + id).isEmpty();
        assertThat(HostLeaks.files(daemon.dataRoot, id)).as("files of " + id + " in the data root").isEmpty();
        assertThat(HostLeaks.files(daemon.execRoot, id)).as("files of " + id + " in the exec root").isEmpty();
    }
}
