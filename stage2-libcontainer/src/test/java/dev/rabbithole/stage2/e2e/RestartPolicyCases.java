package dev.rabbithole.stage2.e2e;

import dev.rabbithole.testsupport.JarDaemon;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 12, item 3, through the real docker CLI: restart policies ({@code --restart}) with the daemon's exit monitor
 * and back-off, restarts at the daemon's start, {@code docker restart}, {@code docker rename} and
 * {@code docker wait --condition}. What is expected is what Debian's dockerd 20.10.24 did for the same commands:
 * {@code on-failure:2} of {@code exit 3} ends exited after three runs with RestartCount 2 and the events
 * create, start, die, start, die, start, die; an {@code always} container killed from outside comes back, one
 * stopped with {@code docker stop} does not; {@code docker restart} gives a new pid and StartedAt; a restarting
 * container is refused by {@code rm} with "You cannot remove a restarting container" and removed by
 * {@code rm -f}, leaving no process and no cgroup.
 *
 * <p>The cases, shared by stages 1, 2 and 3 through this module's test jar; a subclass starts one daemon for the
 * class, sets {@link #cli}, and restarts the daemon as its stage does in {@link #restartDaemon}.
 */
public abstract class RestartPolicyCases {

    /** Set by the subclass's {@code @BeforeAll} once its daemon answers. */
    protected static DockerCli cli;

    /**
     * Stops the daemon as the stage's case says (SIGTERM or SIGKILL) and starts it again on the same roots; returns
     * once it answers.
     *
     * @throws Exception it did not come back
     */
    protected abstract void restartDaemon() throws Exception;

    private static final Duration LONG = Duration.ofSeconds(30);
    /** A workload that runs until SIGTERM. */
    private static final String TERMINABLE = "trap 'exit 0' TERM; while true; do sleep 0.2; done";

    static JarDaemon.Result ok(String... args) throws IOException, InterruptedException {
        JarDaemon.Result r = cli.docker(args);
        assertThat(r.exit()).as("docker %s: %s", String.join(" ", args), r).isZero();
        return r;
    }

    static String inspect(String id, String format) throws IOException, InterruptedException {
        return ok("inspect", "-f", format, id).out().strip();
    }

    static String status(String id) {
        try {
            return inspect(id, "{{.State.Status}}");
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    public void onFailureWithAMaximumRunsThreeTimesThenStaysExited() throws Exception {
        long since = Instant.now().getEpochSecond() - 1;
        String id = ok("run", "-d", "--restart", "on-failure:2", "busybox", "sh", "-c", "exit 3").out().strip();
        await().atMost(LONG).until(() -> inspect(id, "{{.State.Status}} {{.RestartCount}}").equals("exited 2"));
        assertThat(inspect(id, "{{.State.ExitCode}} {{.State.Restarting}} {{.HostConfig.RestartPolicy.Name}}"
                + " {{.HostConfig.RestartPolicy.MaximumRetryCount}}")).isEqualTo("3 false on-failure 2");
        String events = ok("events", "--since", Long.toString(since), "--until",
                Long.toString(Instant.now().getEpochSecond() + 1), "--filter", "container=" + id,
                "--format", "{{.Action}}").out();
        assertThat(events.strip().split("\n")).containsExactly("create", "start", "die", "start", "die", "start", "die");
        ok("rm", id);
    }

    @Test
    public void alwaysComesBackAfterAnOutsideKillButNotAfterDockerStop() throws Exception {
        String id = ok("run", "-d", "--restart", "always", "busybox", "sleep", "1000").out().strip();
        long pid = Long.parseLong(inspect(id, "{{.State.Pid}}"));
        ProcessHandle.of(pid).orElseThrow().destroyForcibly();        // SIGKILL from outside the engine
        await().atMost(LONG).until(() -> {
            String s = inspect(id, "{{.State.Status}} {{.RestartCount}} {{.State.Pid}}");
            return s.startsWith("running 1 ") && !s.endsWith(" " + pid);
        });
        ok("stop", "-t", "1", id);
        assertThat(status(id)).isEqualTo("exited");
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(3))    // past the back-off: still exited
                .until(() -> status(id).equals("exited"));
        ok("rm", id);
    }

    @Test
    public void aDaemonRestartBringsAnAlwaysContainerBack() throws Exception {
        // they end on SIGTERM (a pid 1 without a handler ignores it): stage 3's restore stops what it finds alive
        String always = ok("run", "-d", "--restart", "always", "busybox", "sh", "-c", TERMINABLE).out().strip();
        String unlessStopped = ok("run", "-d", "--restart", "unless-stopped", "busybox", "sleep", "1000").out().strip();
        String none = ok("run", "-d", "busybox", "sh", "-c", TERMINABLE).out().strip();
        ok("stop", "-t", "0", unlessStopped);
        long pid = Long.parseLong(inspect(always, "{{.State.Pid}}"));
        restartDaemon();
        // a new process: stages 1 and 2 lost it with the daemon, stage 3's restore stopped what it found alive
        await().atMost(LONG).until(() -> inspect(always, "{{.State.Status}} {{.State.Pid}}").matches("running [0-9]+")
                && !inspect(always, "{{.State.Pid}}").equals(Long.toString(pid)));
        assertThat(status(unlessStopped)).as("stopped by the user: stays stopped").isEqualTo("exited");
        assertThat(status(none)).isEqualTo("exited");
        ok("rm", "-f", always, unlessStopped, none);
    }

    @Test
    public void restartGivesANewProcessAndStartedAt() throws Exception {
        String id = ok("run", "-d", "busybox", "sleep", "1000").out().strip();
        String before = inspect(id, "{{.State.Pid}} {{.State.StartedAt}}");
        ok("restart", "-t", "1", id);
        String[] after = inspect(id, "{{.State.Pid}} {{.State.StartedAt}} {{.State.Status}}").split(" ");
        String[] was = before.split(" ");
        assertThat(after[0]).isNotEqualTo(was[0]);
        assertThat(after[1]).isNotEqualTo(was[1]);
        assertThat(after[2]).isEqualTo("running");
        String created = ok("create", "busybox", "true").out().strip();
        ok("restart", created);                                   // created: just started
        await().atMost(LONG).until(() -> status(created).equals("exited"));
        ok("rm", "-f", id, created);
    }

    @Test
    public void renameAsDockerSaysIt() throws Exception {
        String id = ok("run", "-d", "--name", "rp-old", "busybox", "sleep", "1000").out().strip();
        String other = ok("create", "--name", "rp-other", "busybox", "true").out().strip();
        ok("rename", "rp-old", "rp-new");
        assertThat(ok("ps", "--filter", "id=" + id, "--format", "{{.Names}}").out().strip()).isEqualTo("rp-new");
        JarDaemon.Result taken = cli.docker("rename", "rp-new", "rp-other");
        assertThat(taken.exit()).isEqualTo(1);
        assertThat(taken.err()).contains("Error when allocating new name: Conflict. The container name \"/rp-other\""
                + " is already in use by container \"" + other + "\"");
        JarDaemon.Result same = cli.docker("rename", "rp-new", "rp-new");
        assertThat(same.err()).contains("Renaming a container with the same name as its current name");
        ok("rm", "-f", id, other);
    }

    @Test
    public void runRmWaitsForTheRemovalAndWaitOnARestartingContainerReturnsItsNextExit() throws Exception {
        // docker run --rm waits with condition=removed: the exit code, and the container is gone
        JarDaemon.Result rm = cli.docker("run", "--rm", "--name", "rp-removed", "busybox", "sh", "-c", "exit 4");
        assertThat(rm.exit()).as(rm.toString()).isEqualTo(4);
        assertThat(cli.docker("inspect", "rp-removed").exit()).isEqualTo(1);
        // docker wait (condition not-running) on a container its policy keeps restarting: its next exit
        String id = ok("run", "-d", "--restart", "always", "busybox", "sh", "-c", "sleep 1; exit 7").out().strip();
        assertThat(ok("wait", id).out().strip()).isEqualTo("7");
        assertThat(status(id)).isIn("restarting", "running");
        ok("rm", "-f", id);
    }

    @Test
    public void aRestartingContainerIsRefusedByRmAndRemovedByRmForceLeavingNothing() throws Exception {
        String id = ok("run", "-d", "--restart", "always", "busybox", "sh", "-c", "sleep 0.2; exit 5").out().strip();
        await().atMost(LONG).pollInterval(Duration.ofMillis(20)).until(() -> status(id).equals("restarting"));
        JarDaemon.Result refused = cli.docker("rm", id);
        // it may have started again meanwhile: running or restarting, both refused
        assertThat(refused.err()).containsPattern("You cannot remove a (restarting|running) container " + id
                + ". Stop the container before attempting removal or force remove");
        ok("rm", "-f", id);
        assertThat(cli.docker("inspect", id).exit()).isEqualTo(1);
        await().atMost(Duration.ofSeconds(10)).until(() -> leftovers(id).isEmpty());
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(3))   // past the back-off: nothing starts
                .until(() -> leftovers(id).isEmpty());
    }

    @Test
    public void badPoliciesAreRefusedWithDockersMessages() throws Exception {
        JarDaemon.Result bogus = cli.docker("run", "-d", "--restart", "bogus", "busybox", "true");
        assertThat(bogus.exit()).isEqualTo(125);
        assertThat(bogus.err()).contains("Error response from daemon: invalid restart policy 'bogus'");
        JarDaemon.Result count = cli.docker("run", "-d", "--restart", "always:3", "busybox", "true");
        assertThat(count.err()).contains("maximum retry count cannot be used with restart policy 'always'");
        JarDaemon.Result negative = cli.docker("run", "-d", "--restart", "on-failure:-1", "busybox", "true");
        assertThat(negative.err()).contains("maximum retry count cannot be negative");
    }

    /**
     * What of a container is left on the host: processes whose cgroup names its ID, and cgroup directories whose
     * name holds it (LXC's {@code lxc.payload.ID}, libcontainer's and runc's {@code .../ID}), in every hierarchy.
     */
    static List<String> leftovers(String id) throws IOException {
        List<String> found = new ArrayList<>();
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : procs.filter(p -> p.getFileName().toString().matches("[0-9]+")).toList()) {
                try {
                    if (Files.readString(p.resolve("cgroup")).contains(id)) {
                        found.add("process " + p.getFileName());
                    }
                } catch (IOException gone) {
                    // exited meanwhile
                }
            }
        }
        try (Stream<Path> tree = Files.walk(Path.of("/sys/fs/cgroup"), 4)) {
            tree.filter(Files::isDirectory).filter(d -> d.getFileName() != null
                    && d.getFileName().toString().contains(id)).forEach(d -> found.add("cgroup " + d));
        } catch (java.io.UncheckedIOException e) {
            // a cgroup removed while walking: look again on the next poll
            found.add("(walk interrupted: " + e.getMessage() + ")");
        }
        return found;
    }
}
