package dev.rabbithole.stage1.e2e;

import dev.rabbithole.testsupport.HostLeaks;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Stage 1 as a user meets it: the shaded jar's daemon on a temporary socket, containers started with the
 * jar's client, every property checked from inside the container and the host checked for leftovers.
 * Needs root, lxc-execute and busybox-static (the test command installs them); skipped with a reason otherwise.
 */
class Stage1EndToEndIT {

    /** Docker's default 14 capabilities as /proc/PID/status prints CapEff. */
    static final String DOCKER_DEFAULT_CAPEFF = "00000000a80425fb";

    @TempDir
    static Path dir;
    static Stage1Daemon daemon;

    @BeforeAll
    static void startDaemon() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "stage-1 containers need root (run sudo ./rabbithole test)");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/lxc-execute")), "lxc-execute missing: ./rabbithole setup installs lxc");
        daemon = new Stage1Daemon(dir);
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.stopAndRemoveLayers();
        }
    }

    private static Stage1Daemon.Result run(String... args) throws Exception {
        String[] full = new String[args.length + 1];
        full[0] = "run";
        System.arraycopy(args, 0, full, 1, args.length);
        return daemon.client(full);
    }

    @Test
    void workloadHasItsOwnPidNamespace() throws Exception {
        var r = run("--rm", "busybox", "sh", "-c", "echo $$; ls /proc | grep -c '^[0-9]'");
        assertThat(r.exit()).as(r.toString()).isZero();
        String[] lines = r.out().trim().split("\n");
        // lxc-execute runs LXC's init as pid 1 and the workload as pid 2
        assertThat(lines[0]).as(r.toString()).isEqualTo("2");
        // only init, sh and ls exist in this pid namespace
        assertThat(Integer.parseInt(lines[1].trim())).as(r.toString()).isLessThanOrEqualTo(4);
    }

    @Test
    void hostnameIsTheContainers() throws Exception {
        var r = run("--rm", "--hostname", "rabbit", "busybox", "hostname");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out().trim()).isEqualTo("rabbit");
        String host = Files.readString(Path.of("/proc/sys/kernel/hostname")).trim();
        assertThat(host).isNotEqualTo("rabbit");
    }

    @Test
    void memoryLimitIsTheCgroups() throws Exception {
        var r = run("--rm", "-m", "64m", "busybox", "sh", "-c",
                "cat /sys/fs/cgroup/memory/memory.limit_in_bytes 2>/dev/null || cat /sys/fs/cgroup/memory.max");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out().trim()).isEqualTo(String.valueOf(64L * 1024 * 1024));
    }

    @Test
    void seccompFilterIsInstalled() throws Exception {
        var r = run("--rm", "busybox", "grep", "Seccomp:", "/proc/self/status");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).matches("(?s)Seccomp:\\s+2\\s*");
    }

    @Test
    void seccompBlocksUnshareUnlessSysAdminAsDockersProfile() throws Exception {
        var blocked = run("--rm", "busybox", "unshare", "-u", "true");
        assertThat(blocked.exit()).as(blocked.toString()).isNotZero();
        assertThat(blocked.err()).as(blocked.toString()).containsIgnoringCase("not permitted");

        // Docker 20.10's default profile allows unshare with CAP_SYS_ADMIN (includes.caps)
        var allowed = run("--rm", "--cap-add", "SYS_ADMIN", "busybox", "unshare", "-u", "true");
        assertThat(allowed.exit()).as(allowed.toString()).isZero();
        var swapoff = run("--rm", "--cap-add", "SYS_ADMIN", "busybox", "swapoff", "/nonexistent");
        assertThat(swapoff.err()).as("not in Docker's profile: " + swapoff).contains("Operation not permitted");

        var noCap = run("--rm", "--security-opt", "seccomp=unconfined", "busybox", "unshare", "-u", "true");
        assertThat(noCap.exit()).as("without CAP_SYS_ADMIN unshare fails on capabilities alone: " + noCap).isNotZero();
    }

    @Test
    void capabilitiesAreDockersDefaultAndCapDropRemovesOne() throws Exception {
        var r = run("--rm", "busybox", "grep", "CapEff:", "/proc/self/status");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out().trim()).endsWith(DOCKER_DEFAULT_CAPEFF);

        var dropped = run("--rm", "--cap-drop", "NET_RAW", "busybox", "grep", "CapEff:", "/proc/self/status");
        assertThat(dropped.out().trim()).as(dropped.toString()).endsWith("00000000a80405fb");
    }

    @Test
    void exitCodesAreTheWorkloads() throws Exception {
        assertThat(run("--rm", "busybox", "true").exit()).isZero();
        assertThat(run("--rm", "busybox", "sh", "-c", "exit 3").exit()).isEqualTo(3);
        assertThat(run("--rm", "busybox", "sh", "-c", "kill -9 $$").exit()).isEqualTo(137);
    }

    @Test
    void daemonSurvivesACrashingContainer() throws Exception {
        var crash = run("--rm", "busybox", "sh", "-c", "kill -SEGV $$");
        assertThat(crash.exit()).as(crash.toString()).isEqualTo(139);
        var after = run("--rm", "busybox", "echo", "still here");
        assertThat(after.out().trim()).as(after.toString()).isEqualTo("still here");
    }

    @Test
    void removeLeavesNothingOnTheHost() throws Exception {
        var started = run("-d", "--name", "leaky", "-m", "32m", "busybox", "sleep", "30");
        assertThat(started.exit()).as(started.toString()).isZero();
        String id = started.out().trim();
        assertThat(id).matches("[0-9a-f]{64}");
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() ->
                assertThat(HostLeaks.processes(id)).as("container is running").isNotEmpty());

        var rm = daemon.client("rm", "-f", "leaky");
        assertThat(rm.exit()).as(rm.toString()).isZero();
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(HostLeaks.processes(id)).isEmpty();
            assertThat(HostLeaks.mounts(id)).isEmpty();
            assertThat(HostLeaks.cgroups(id)).isEmpty();
            assertThat(HostLeaks.cgroups(id.substring(0, 12))).isEmpty();
        });
        assertThat(daemon.client("inspect", "leaky").exit()).isNotZero();
    }

    @Test
    void namesAreUniqueAndMissingContainersAreReported() throws Exception {
        assertThat(run("--name", "twice", "busybox", "true").exit()).isZero();
        var again = run("--name", "twice", "busybox", "true");
        assertThat(again.exit()).isNotZero();
        assertThat(again.err()).contains("already in use");
        assertThat(daemon.client("rm", "twice").exit()).isZero();

        var gone = daemon.client("logs", "no-such-container");
        assertThat(gone.exit()).isEqualTo(1);
        assertThat(gone.err()).contains("No such container: no-such-container");
    }

    @Test
    void stateAndLogsSurviveADaemonRestart() throws Exception {
        var r = run("--name", "persist", "busybox", "sh", "-c", "echo kept; echo err >&2");
        assertThat(r.exit()).as(r.toString()).isZero();
        daemon.stop();
        daemon.start();
        var ps = daemon.client("ps", "-a");
        assertThat(ps.out()).contains("persist");
        var logs = daemon.client("logs", "persist");
        assertThat(logs.out()).isEqualTo("kept\n");
        assertThat(logs.err()).isEqualTo("err\n");
        assertThat(daemon.client("rm", "persist").exit()).isZero();
    }

    @Test
    void theContainerEndsWithItsMainProcess() throws Exception {
        // LXC's init would wait for the sleep (the client gives up after 120 s); Docker ends the container at once
        var r = run("--rm", "busybox", "sh", "-c", "sleep 300 & echo bye; exit 3");
        assertThat(r.exit()).as(r.toString()).isEqualTo(3);
        assertThat(r.out()).isEqualTo("bye\n");
        var killed = run("--rm", "busybox", "sh", "-c", "sleep 300 & kill -9 $$");
        assertThat(killed.exit()).as(killed.toString()).isEqualTo(137);
    }

    @Test
    void noNewPrivilegesIsEnforcedAndUnknownSecurityOptionsRefused() throws Exception {
        var with = run("--rm", "--security-opt", "no-new-privileges", "busybox", "grep", "NoNewPrivs", "/proc/self/status");
        assertThat(with.out()).as(with.toString()).matches("NoNewPrivs:\\s+1\\s*");
        var without = run("--rm", "busybox", "grep", "NoNewPrivs", "/proc/self/status");
        assertThat(without.out()).as(without.toString()).matches("NoNewPrivs:\\s+0\\s*");
        var bogus = run("--rm", "--security-opt", "bogus=1", "busybox", "true");
        assertThat(bogus.exit()).as(bogus.toString()).isEqualTo(125);
        assertThat(bogus.err()).contains("invalid --security-opt 2: \"bogus=1\"");
    }

    @Test
    void programsThatCannotRunExit126() throws Exception {
        var dir = run("--rm", "busybox", "/etc");
        assertThat(dir.exit()).as(dir.toString()).isEqualTo(126);
        assertThat(dir.err()).contains("exec: \"/etc\": permission denied");
        var noExec = run("--rm", "busybox", "/etc/passwd");
        assertThat(noExec.exit()).as(noExec.toString()).isEqualTo(126);
    }

    @Test
    void aMissingWorkingDirectoryIsCreated() throws Exception {
        var made = run("--rm", "-w", "/made/here", "busybox", "sh", "-c", "pwd; stat -c %U /made/here");
        assertThat(made.exit()).as(made.toString()).isZero();
        assertThat(made.out()).isEqualTo("/made/here\nroot\n");
        var file = run("--rm", "-w", "/etc/passwd", "busybox", "pwd");
        assertThat(file.exit()).as(file.toString()).isNotZero();
        assertThat(file.err()).contains("Cannot mkdir: /etc/passwd is not a directory");
    }

    @Test
    void homeIsThePasswdEntrys() throws Exception {
        assertThat(run("--rm", "busybox", "sh", "-c", "echo $HOME").out()).isEqualTo("/root\n");
        assertThat(run("--rm", "-u", "nobody", "busybox", "sh", "-c", "echo $HOME").out()).isEqualTo("/home\n");
        assertThat(run("--rm", "-u", "4242", "busybox", "sh", "-c", "echo $HOME").out()).isEqualTo("/\n");
        assertThat(run("--rm", "-e", "HOME=/mine", "busybox", "sh", "-c", "echo $HOME").out()).isEqualTo("/mine\n");
    }

    @Test
    void anOomKillIsReported() throws Exception {
        var r = run("--name", "hog", "-m", "16m", "busybox", "sh", "-c", "x=0123456789abcdef; while :; do x=$x$x; done");
        assertThat(r.exit()).as(r.toString()).isEqualTo(137);
        var inspect = daemon.client("inspect", "hog");
        assertThat(inspect.out()).as(inspect.toString()).containsPattern("\"OOMKilled\"\\s*:\\s*true");
        assertThat(daemon.client("rm", "hog").exit()).isZero();
    }
}
