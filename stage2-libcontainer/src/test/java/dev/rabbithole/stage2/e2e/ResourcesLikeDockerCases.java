package dev.rabbithole.stage2.e2e;

import dev.rabbithole.testsupport.JarDaemon;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 12 item 3, runtime side, through the real docker CLI: {@code docker pause}/{@code unpause} (the cgroup
 * freezer), {@code docker update} (memory and pids limits reach the container's cgroup files and stop a fork bomb),
 * {@code docker stats} (the memory limit of the update) and {@code docker top}. The expected outputs and messages
 * are what Debian's dockerd 20.10 printed for the same commands on the same busybox root filesystem (a cgroup v1
 * host; the cases skip on another).
 *
 * <p>Shared with stage 3 through this module's test jar; a subclass starts one daemon and sets {@link #cli}.
 */
public abstract class ResourcesLikeDockerCases {

    /** Set by the subclass's {@code @BeforeAll} once its daemon answers. */
    protected static DockerCli cli;

    /**
     * First the attack: the container writes THAWED to its own freezer (refused: its cgroup files are mounted
     * read-only, as Docker mounts them; a paused container could never thaw itself); then it counts.
     */
    private static final String COUNTER = "echo THAWED > /sys/fs/cgroup/freezer/freezer.state || echo refused >&2; "
            + "i=0; while true; do i=$((i+1)); echo $i; sleep 0.1; done";

    private static void assumeCgroupV1() {
        assumeTrue(Files.isDirectory(Path.of("/sys/fs/cgroup/freezer")) && Files.isDirectory(Path.of("/sys/fs/cgroup/pids")),
                "these cases read cgroup v1 files (freezer, memory, pids) and this host has no v1 hierarchies");
    }

    private static JarDaemon.Result ok(String... args) throws Exception {
        JarDaemon.Result r = cli.docker(args);
        assertThat(r.exit()).as("docker " + String.join(" ", args) + "\n" + r).isZero();
        return r;
    }

    private static long lastCount(String name) throws Exception {
        String[] lines = ok("logs", name).out().strip().split("\n");
        String last = lines[lines.length - 1].strip();
        return last.isEmpty() ? 0 : Long.parseLong(last);
    }

    /** The freezer state of the container's cgroup as the host sees it, from its pid 1's /proc/PID/cgroup. */
    private static String freezerState(String name) throws Exception {
        String pid = ok("inspect", "-f", "{{.State.Pid}}", name).out().strip();
        for (String line : Files.readAllLines(Path.of("/proc", pid, "cgroup"))) {
            String[] f = line.split(":", 3);
            if (f.length == 3 && List.of(f[1].split(",")).contains("freezer")) {
                return Files.readString(Path.of("/sys/fs/cgroup/freezer" + f[2], "freezer.state")).strip();
            }
        }
        throw new AssertionError("no freezer cgroup for pid " + pid);
    }

    // tag::pause-case[]
    @Test
    public void pauseFreezesTheContainerAndUnpauseResumesIt() throws Exception {
        assumeCgroupV1();
        String name = "counter-" + System.nanoTime();
        ok("run", "-d", "--name", name, "busybox", "sh", "-c", COUNTER);
        try {
            await().atMost(Duration.ofSeconds(20)).until(() -> lastCount(name) >= 2);
            var attack = ok("logs", name);
            assertThat(attack.err()).as(attack.toString()).contains("Read-only file system").contains("refused");
            ok("pause", name);
            // from outside: the kernel's freezer says FROZEN; docker shows it paused
            assertThat(freezerState(name)).isEqualTo("FROZEN");
            assertThat(ok("inspect", "-f", "{{.State.Status}} {{.State.Running}} {{.State.Paused}}", name).out().strip())
                    .isEqualTo("paused true true");
            assertThat(ok("ps", "--filter", "name=" + name, "--format", "{{.Status}}").out()).contains("(Paused)");
            // the counter stands still while frozen
            long frozenAt = lastCount(name);
            await().during(Duration.ofMillis(800)).atMost(Duration.ofSeconds(3)).until(() -> lastCount(name) == frozenAt);
            // Docker's refusals for a paused container
            var exec = cli.docker("exec", name, "true");
            assertThat(exec.exit()).as(exec.toString()).isEqualTo(1);
            assertThat(exec.err()).contains("Container " + name + " is paused, unpause the container before exec");
            var again = cli.docker("pause", name);
            assertThat(again.err()).as(again.toString()).contains("is already paused");
            var start = cli.docker("start", name);
            assertThat(start.err()).as(start.toString()).contains("cannot start a paused container, try unpause instead");
            var rm = cli.docker("rm", name);
            assertThat(rm.err()).as(rm.toString()).contains("You cannot remove a paused container");
            var attach = cli.docker("attach", name);
            assertThat(attach.err()).as(attach.toString()).contains("You cannot attach to a paused container, unpause it first");

            ok("unpause", name);
            assertThat(freezerState(name)).isEqualTo("THAWED");
            await().atMost(Duration.ofSeconds(10)).until(() -> lastCount(name) > frozenAt);
            assertThat(ok("inspect", "-f", "{{.State.Status}} {{.State.Paused}}", name).out().strip()).isEqualTo("running false");
            var notPaused = cli.docker("unpause", name);
            assertThat(notPaused.err()).as(notPaused.toString()).contains("is not paused");

            // docker kill of a paused container: the signal is delivered and the container thawed (dockerd's)
            ok("pause", name);
            ok("kill", name);
            assertThat(ok("inspect", "-f", "{{.State.Status}} {{.State.Paused}} {{.State.ExitCode}}", name).out().strip())
                    .isEqualTo("exited false 137");
        } finally {
            cli.docker("rm", "-f", name);
        }
    }
    // end::pause-case[]

    @Test
    public void pauseOfAStoppedContainerIsRefused() throws Exception {
        String name = "created-" + System.nanoTime();
        ok("create", "--name", name, "busybox", "true");
        try {
            var pause = cli.docker("pause", name);
            assertThat(pause.exit()).isEqualTo(1);
            assertThat(pause.err()).as(pause.toString()).containsPattern("Container [0-9a-f]{64} is not running");
            var top = cli.docker("top", name);
            assertThat(top.err()).as(top.toString()).containsPattern("Container [0-9a-f]{64} is not running");
            var unpause = cli.docker("unpause", name);
            assertThat(unpause.err()).as(unpause.toString()).containsPattern("Container [0-9a-f]{64} is not paused");
        } finally {
            cli.docker("rm", "-f", name);
        }
    }

    // tag::update-case[]
    @Test
    public void updateReachesTheCgroupAndStopsAForkBomb() throws Exception {
        assumeCgroupV1();
        String name = "bomb-" + System.nanoTime();
        // inside: wait for the new pids limit, print both limits as the container's cgroup files show them, then fork
        // 40 sleeps: the 20-task limit stops the shell with "can't fork" (exit 2), as on Docker
        ok("run", "-d", "--name", name, "busybox", "sh", "-c",
                "until [ \"$(cat /sys/fs/cgroup/pids/pids.max)\" = 20 ]; do sleep 0.1; done; "
                        + "echo \"limits $(cat /sys/fs/cgroup/memory/memory.limit_in_bytes) $(cat /sys/fs/cgroup/pids/pids.max)\"; "
                        + "i=0; while [ $i -lt 40 ]; do sleep 300 & i=$((i+1)); done; echo bombed; exec sleep 300");
        try {
            // Docker's rule: a container created without -m has no memory+swap limit to stay under
            var refused = cli.docker("update", "--memory", "64m", name);
            assertThat(refused.err()).as(refused.toString()).contains("Memory limit should be smaller than already set "
                    + "memoryswap limit, update the memoryswap at the same time");
            var tooSmall = cli.docker("update", "--memory", "2m", name);
            assertThat(tooSmall.err()).as(tooSmall.toString()).contains("Minimum memory limit allowed is 6MB");

            ok("update", "--memory", "64m", "--memory-swap", "128m", "--pids-limit", "20", name);
            assertThat(ok("inspect", "-f", "{{.HostConfig.Memory}} {{.HostConfig.MemorySwap}} {{.HostConfig.PidsLimit}}",
                    name).out().strip()).isEqualTo("67108864 134217728 20");
            await().atMost(Duration.ofSeconds(30)).until(() ->
                    ok("inspect", "-f", "{{.State.Status}}", name).out().strip().equals("exited"));
            var logs = ok("logs", name);
            assertThat(logs.out()).as(logs.toString()).contains("limits 67108864 20").doesNotContain("bombed");
            assertThat(logs.err()).as(logs.toString()).contains("can't fork");
            assertThat(ok("inspect", "-f", "{{.State.ExitCode}}", name).out().strip()).isEqualTo("2");
            // a new start keeps the updated limits (they are the container's HostConfig now)
            ok("start", name);
            await().atMost(Duration.ofSeconds(30)).until(() -> ok("logs", name).out().split("limits 67108864 20", -1).length == 3
                    && ok("inspect", "-f", "{{.State.Status}}", name).out().strip().equals("exited"));
        } finally {
            cli.docker("rm", "-f", name);
        }
    }
    // end::update-case[]

    @Test
    public void statsShowTheUpdatedLimitAndTopListsTheProcesses() throws Exception {
        assumeCgroupV1();
        String name = "sleeper-" + System.nanoTime();
        // a busy loop in the background (CPU % above 0) and a sleep to find in top
        ok("run", "-d", "--name", name, "busybox", "sh", "-c", "while :; do :; done & exec sleep 1000");
        try {
            ok("update", "--memory", "64m", "--memory-swap", "-1", "--cpus", "0.5", name);
            String stats = ok("stats", "--no-stream", "--format", "{{.MemUsage}}|{{.PIDs}}|{{.CPUPerc}}", name).out().strip();
            assertThat(stats).matches("[0-9.]+[KMG]?i?B / 64MiB\\|[1-9][0-9]*\\|[0-9.]+%").doesNotEndWith("|0.00%");
            AtomicReference<JarDaemon.Result> top = new AtomicReference<>();
            top.set(ok("top", name));
            assertThat(top.get().out().split("\n")[0]).startsWith("UID").contains("PID").contains("CMD");
            assertThat(top.get().out()).contains("sleep 1000");
            var custom = ok("top", name, "-o", "pid,comm");
            String[] lines = custom.out().strip().split("\n");
            assertThat(lines[0].strip().split("\\s+")).containsExactly("PID", "COMMAND");
            assertThat(custom.out()).containsPattern("(?m)^[0-9]+\\s+sleep\\s*$");
        } finally {
            cli.docker("rm", "-f", name);
        }
    }
}
