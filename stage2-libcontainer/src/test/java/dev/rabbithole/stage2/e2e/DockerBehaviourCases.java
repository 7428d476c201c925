package dev.rabbithole.stage2.e2e;

import dev.rabbithole.stage1.daemon.Platforms;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 7, items 4 to 7, through the real docker CLI, each checked against what
 * Debian's dockerd 20.10 does: loopback is up, an OOM kill is State.OOMKilled, the daemon's /etc files,
 * {@code --init} (tini at /sbin/docker-init as pid 1), {@code --stop-signal}, {@code --stop-timeout} and
 * {@code --platform}.
 *
 * <p>The cases, shared with stage 3 through this module's test jar; a subclass starts the daemon and sets
 * {@link #cli}.
 */
public abstract class DockerBehaviourCases {

    /** Set by the subclass's {@code @BeforeAll} once its daemon answers. */
    protected static DockerCli cli;

    /** A server on 127.0.0.1 and a client of it, inside one container; prints {@code got pong} when they met. */
    public static final String LOOPBACK_SERVER = "nc -l -p 8080 -e echo pong & for i in $(seq 50); do "
            + "r=$(nc -w 2 127.0.0.1 8080 </dev/null) && [ -n \"$r\" ] && break; sleep 0.1; done; echo \"got $r\"";

    @Test
    public void loopbackIsUp() throws Exception {
        var link = cli.docker("run", "--rm", "busybox", "ip", "link", "show", "lo");
        assertThat(link.out()).as(link.toString()).contains("UP");
        var ping = cli.docker("run", "--rm", "busybox", "ping", "-c1", "-W2", "127.0.0.1");
        assertThat(ping.exit()).as(ping.toString()).isZero();
        var server = cli.docker("run", "--rm", "busybox", "sh", "-c", LOOPBACK_SERVER);
        assertThat(server.out()).as(server.toString()).isEqualTo("got pong\n");
    }

    @Test
    public void anOomKillIsReported() throws Exception {
        // -m 6m, Docker's minimum: the init JVM runs under its floor, the workload under 6 MiB, and doubling a
        // string soon needs more
        var oom = cli.docker("run", "--name", "oom", "-m", "6m", "busybox", "sh", "-c",
                "x=a; while true; do x=$x$x; done");
        assertThat(oom.exit()).as(oom.toString()).isEqualTo(137);
        var state = cli.docker("inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}}", "oom");
        assertThat(state.out()).as(state.toString()).isEqualTo("true 137\n");
        cli.docker("rm", "oom");

        var fine = cli.docker("run", "--name", "fine", "-m", "6m", "busybox", "true");
        assertThat(fine.exit()).as(fine.toString()).isZero();
        assertThat(cli.docker("inspect", "-f", "{{.State.OOMKilled}}", "fine").out()).isEqualTo("false\n");
        cli.docker("rm", "fine");
    }

    @Test
    public void etcFilesAreTheDaemons() throws Exception {
        var r = cli.docker("run", "--rm", "--hostname", "etcbox", "busybox", "sh", "-c",
                "cat /etc/hostname; echo ---; cat /etc/hosts; echo ---; cat /etc/resolv.conf");
        assertThat(r.exit()).as(r.toString()).isZero();
        String[] parts = r.out().split("---\n");
        assertThat(parts[0]).isEqualTo("etcbox\n");
        assertThat(parts[1]).contains("127.0.0.1\tlocalhost\n", "::1\tlocalhost ip6-localhost ip6-loopback\n",
                "\tetcbox\n");
        assertThat(parts[2]).contains("nameserver ").doesNotContain("nameserver 127.").doesNotContain("nameserver ::1");
    }

    @Test
    public void initIsTiniAsPid1() throws Exception {
        var r = cli.docker("run", "--rm", "--init", "busybox", "sh", "-c",
                "tr '\\0' ' ' < /proc/1/cmdline; echo; echo $$; grep -c ' /sbin/docker-init ro,' /proc/self/mountinfo");
        assertThat(r.exit()).as(r.toString()).isZero();
        String[] lines = r.out().split("\n");
        assertThat(lines[0]).startsWith("/sbin/docker-init -- sh -c ");
        assertThat(lines[1]).isNotEqualTo("1");                       // the workload is tini's child
        assertThat(lines[2]).isEqualTo("1");                           // bound read-only, as Docker binds it
        // tini forwards docker stop's SIGTERM to a workload that would ignore it as pid 1: no 10 s wait
        var run = cli.docker("run", "-d", "--name", "inited", "--init", "busybox", "sleep", "60");
        assertThat(run.exit()).as(run.toString()).isZero();
        long t0 = System.nanoTime();
        assertThat(cli.docker("stop", "inited").exit()).isZero();
        assertThat((System.nanoTime() - t0) / 1_000_000).isLessThan(5_000L);
        assertThat(cli.docker("inspect", "-f", "{{.State.ExitCode}}", "inited").out()).isEqualTo("143\n");
        cli.docker("rm", "inited");
    }

    @Test
    public void stopSendsTheStopSignalAndWaitsTheStopTimeout() throws Exception {
        var run = cli.docker("run", "-d", "--name", "usr1", "--stop-signal", "USR1", "busybox", "sh", "-c",
                "trap 'echo got usr1; exit 7' USR1; echo ready; while true; do sleep 0.1; done");
        assertThat(run.exit()).as(run.toString()).isZero();
        // the trap is set once "ready" is out: a signal before it would meet sh's default action
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20))
                .until(() -> cli.docker("logs", "usr1").out().contains("ready"));
        assertThat(cli.docker("stop", "usr1").exit()).isZero();
        assertThat(cli.docker("logs", "usr1").out()).isEqualTo("ready\ngot usr1\n");
        assertThat(cli.docker("inspect", "-f", "{{.State.ExitCode}}", "usr1").out()).isEqualTo("7\n");
        cli.docker("rm", "usr1");

        // pid 1 without a TERM handler ignores SIGTERM: SIGKILL after --stop-timeout (2 s), not the default 10 s
        run = cli.docker("run", "-d", "--name", "deaf", "--stop-timeout", "2", "busybox", "sleep", "60");
        assertThat(run.exit()).as(run.toString()).isZero();
        long t0 = System.nanoTime();
        assertThat(cli.docker("stop", "deaf").exit()).isZero();
        assertThat((System.nanoTime() - t0) / 1_000_000).isBetween(1_900L, 8_000L);
        assertThat(cli.docker("inspect", "-f", "{{.State.ExitCode}}", "deaf").out()).isEqualTo("137\n");
        cli.docker("rm", "deaf");
    }

    @Test
    public void platformMustMatchTheImage() throws Exception {
        String host = Platforms.host().toString();
        String other = host.equals("linux/arm64") ? "linux/amd64" : "linux/arm64";
        var wrong = cli.docker("run", "--rm", "--platform", other, "busybox", "true");
        assertThat(wrong.exit()).as(wrong.toString()).isEqualTo(125);
        assertThat(wrong.err()).contains("image with reference busybox was found but does not match the specified "
                + "platform: wanted " + other + ", actual: " + host);
        assertThat(cli.docker("run", "--rm", "--platform", host, "busybox", "true").exit()).isZero();
    }
}
