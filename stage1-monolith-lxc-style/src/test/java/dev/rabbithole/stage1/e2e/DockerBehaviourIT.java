package dev.rabbithole.stage1.e2e;

import dev.rabbithole.stage1.daemon.Platforms;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Issue 7, items 4, 6 and 7 on stage 1, through the real docker CLI, each checked against what Debian's dockerd
 * 20.10 does: loopback is up, the daemon's /etc files are bound, State.Pid is the container's pid 1,
 * {@code --stop-signal}, {@code --stop-timeout}, {@code --platform} and {@code --init}. Needs root, LXC and the
 * docker CLI; skipped with a reason otherwise.
 */
class DockerBehaviourIT {

    /** A server on 127.0.0.1 and a client of it, inside one container; prints {@code got pong} when they met. */
    static final String LOOPBACK_SERVER = "nc -l -p 8080 -e echo pong & for i in $(seq 50); do "
            + "r=$(nc -w 2 127.0.0.1 8080 </dev/null) && [ -n \"$r\" ] && break; sleep 0.1; done; echo \"got $r\"";

    @TempDir
    static Path dir;
    static Stage1Daemon daemon;

    @BeforeAll
    static void startDaemon() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "stage-1 containers need root");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/lxc-execute")), "lxc-execute missing: ./rabbithole setup installs lxc");
        boolean haveDocker;
        try {
            haveDocker = Stage1Daemon.exec(List.of("docker", "--version")).exit() == 0;
        } catch (java.io.IOException e) {
            haveDocker = false;
        }
        assumeTrue(haveDocker, "the docker CLI is not installed");
        daemon = new Stage1Daemon(dir);
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.stopAndRemoveLayers();
        }
    }

    @Test
    void loopbackIsUp() throws Exception {
        var link = daemon.docker("run", "--rm", "busybox", "ip", "link", "show", "lo");
        assertThat(link.out()).as(link.toString()).contains("UP");
        var ping = daemon.docker("run", "--rm", "busybox", "ping", "-c1", "-W2", "127.0.0.1");
        assertThat(ping.exit()).as(ping.toString()).isZero();
        var server = daemon.docker("run", "--rm", "busybox", "sh", "-c", LOOPBACK_SERVER);
        assertThat(server.out()).as(server.toString()).isEqualTo("got pong\n");
    }

    @Test
    void etcFilesAreTheDaemons() throws Exception {
        var r = daemon.docker("run", "--rm", "--hostname", "etcbox", "busybox", "sh", "-c",
                "cat /etc/hostname; echo ---; cat /etc/hosts; echo ---; cat /etc/resolv.conf");
        assertThat(r.exit()).as(r.toString()).isZero();
        String[] parts = r.out().split("---\n");
        assertThat(parts[0]).isEqualTo("etcbox\n");
        assertThat(parts[1]).contains("127.0.0.1\tlocalhost\n", "::1\tlocalhost ip6-localhost ip6-loopback\n",
                "\tetcbox\n");
        // the host's nameservers but the loopback ones, which would point into the container itself
        assertThat(parts[2]).contains("nameserver ").doesNotContain("nameserver 127.").doesNotContain("nameserver ::1");
    }

    @Test
    void statePidIsTheContainersPid1() throws Exception {
        var run = daemon.docker("run", "-d", "--name", "pid1", "--hostname", "pidbox", "busybox", "sleep", "60");
        assertThat(run.exit()).as(run.toString()).isZero();
        try {
            String pid = daemon.docker("inspect", "-f", "{{.State.Pid}}", "pid1").out().trim();
            var uts = Stage1Daemon.exec(List.of("nsenter", "-t", pid, "-u", "hostname"));
            assertThat(uts.out()).as(uts.toString()).isEqualTo("pidbox\n");
            // its namespaces are the container's: pid 1 of its own pid namespace (NSpid ends in 1)
            assertThat(Files.readString(Path.of("/proc", pid, "status"))).containsPattern("NSpid:\\s+" + pid + "\\s+1\n");
            assertThat(Files.readSymbolicLink(Path.of("/proc", pid, "ns", "net")))
                    .isNotEqualTo(Files.readSymbolicLink(Path.of("/proc/self/ns/net")));
        } finally {
            daemon.docker("rm", "-f", "pid1");
        }
    }

    @Test
    void stopSendsTheStopSignalAndWaitsTheStopTimeout() throws Exception {
        var run = daemon.docker("run", "-d", "--name", "usr1", "--stop-signal", "USR1", "busybox", "sh", "-c",
                "trap 'echo got usr1; exit 7' USR1; while true; do sleep 0.1; done");
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(daemon.docker("inspect", "-f", "{{.Config.StopSignal}}", "usr1").out()).isEqualTo("USR1\n");
        assertThat(daemon.docker("stop", "usr1").exit()).isZero();
        assertThat(daemon.docker("logs", "usr1").out()).isEqualTo("got usr1\n");
        assertThat(daemon.docker("inspect", "-f", "{{.State.ExitCode}}", "usr1").out()).isEqualTo("7\n");
        daemon.docker("rm", "usr1");

        // a workload that ignores SIGTERM: SIGKILL after --stop-timeout (2 s), not Docker's default 10 s
        run = daemon.docker("run", "-d", "--name", "deaf", "--stop-timeout", "2", "busybox", "sh", "-c",
                "trap '' TERM; while true; do sleep 0.1; done");
        assertThat(run.exit()).as(run.toString()).isZero();
        long t0 = System.nanoTime();
        assertThat(daemon.docker("stop", "deaf").exit()).isZero();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertThat(ms).isBetween(1_900L, 8_000L);
        assertThat(daemon.docker("inspect", "-f", "{{.State.ExitCode}}", "deaf").out()).isEqualTo("137\n");
        daemon.docker("rm", "deaf");

        var bad = daemon.docker("run", "--rm", "--stop-signal", "SIGFOO", "busybox", "true");
        assertThat(bad.exit()).isEqualTo(125);
        assertThat(bad.err()).contains("Invalid signal: SIGFOO");
    }

    @Test
    void platformMustMatchTheImage() throws Exception {
        String host = Platforms.host().toString();
        String other = host.equals("linux/arm64") ? "linux/amd64" : "linux/arm64";
        var wrong = daemon.docker("run", "--rm", "--platform", other, "busybox", "true");
        assertThat(wrong.exit()).as(wrong.toString()).isEqualTo(125);
        assertThat(wrong.err()).contains("image with reference busybox was found but does not match the specified "
                + "platform: wanted " + other + ", actual: " + host);
        var right = daemon.docker("run", "--rm", "--platform", host, "busybox", "true");
        assertThat(right.exit()).as(right.toString()).isZero();
    }

    @Test
    void initIsLxcsOwn() throws Exception {
        // lxc-execute always runs LXC's init as pid 1: --init has nothing to add, the workload is its child
        var r = daemon.docker("run", "--rm", "--init", "busybox", "sh", "-c", "echo $$");
        assertThat(r.exit()).as(r.toString()).isZero();
        assertThat(r.out()).isEqualTo("2\n");
    }
}
