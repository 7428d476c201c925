package dev.rabbithole.stage1.e2e;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.io.IOException;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The daemon as a long-running process: it does not leak a descriptor per connection, it survives running out of
 * descriptors (EMFILE) and serves again once they are free, SIGINT stops it as SIGTERM does even when it was
 * started with SIGINT ignored, the terminal's SIGINT does not reach its containers, and a user without access
 * to the socket or without root is told so. One daemon for the cases that do not stop it.
 */
class DaemonReliabilityIT {

    @TempDir
    static Path dir;
    static Stage1Daemon daemon;

    @BeforeAll
    static void startDaemon() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "the daemon needs root");
        assumeTrue(Files.isExecutable(Path.of("/usr/bin/lxc-execute")), "lxc-execute missing: ./rabbithole setup installs lxc");
        assumeTrue(onPath("docker") && onPath("prlimit") && onPath("setpriv") && onPath("setsid"),
                "needs the docker CLI and util-linux's prlimit, setpriv and setsid");
        daemon = new Stage1Daemon(dir.resolve("shared"));
    }

    @AfterAll
    static void stopDaemon() throws Exception {
        if (daemon != null) {
            daemon.stopAndRemoveLayers();
        }
    }

    static boolean onPath(String tool) {
        return Stream.of(System.getenv().getOrDefault("PATH", "/usr/bin:/bin").split(File.pathSeparator))
                .anyMatch(d -> Files.isExecutable(Path.of(d, tool)));
    }

    static long openFds(long pid) throws IOException {
        try (Stream<Path> fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return fds.count();
        }
    }

    static void prlimitNofile(long pid, long soft) throws Exception {
        var r = Stage1Daemon.exec(List.of("prlimit", "--pid", Long.toString(pid), "--nofile=" + soft + ":"));
        assertThat(r.exit()).as(r.toString()).isZero();
    }

    @Test
    void connectionsAreClosedWhenTheClientLeaves() throws Exception {
        daemon.docker("version");                   // first requests load classes, open the image store
        long before = openFds(daemon.pid());
        for (int i = 0; i < 20; i++) {
            var r = daemon.docker("version");
            assertThat(r.exit()).as(r.toString()).isZero();
        }
        var run = daemon.docker("run", "--rm", "busybox", "echo", "hi");  // attach (hijacked), wait, start
        assertThat(run.out()).as(run.toString()).isEqualTo("hi\n");
        // every client has exited: its connections must be gone from the daemon, not 20+ sockets more
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(openFds(daemon.pid())).isLessThanOrEqualTo(before + 2));
    }

    @Test
    void outOfDescriptorsTheDaemonAnswersAndServesAgainWhenTheyAreFree() throws Exception {
        long pid = daemon.pid();
        daemon.docker("version");
        long base = openFds(pid);
        List<SocketChannel> held = new ArrayList<>();
        try {
            // accept(2) fails with EMFILE once the limit is reached: clients wait in the backlog
            prlimitNofile(pid, base + 3);
            for (int i = 0; i < 10; i++) {
                held.add(SocketChannel.open(UnixDomainSocketAddress.of(daemon.socket)));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> openFds(pid) >= base + 3);
        } finally {
            for (SocketChannel ch : held) {
                ch.close();
            }
            prlimitNofile(pid, 20000);
        }
        // the clients left: the daemon closes their connections and accepts again (within Netty's 1 s retry)
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            var v = daemon.docker("version");
            assertThat(v.exit()).as(v.toString()).isZero();
        });

        // an operation that needs descriptors fails with an answer that says why, and nothing hangs
        daemon.docker("version");
        long now = openFds(pid);
        var failed = Stage1Daemon.exec(List.of("true"));
        try {
            prlimitNofile(pid, now + 4);
            failed = daemon.docker("run", "--rm", "busybox", "true");
        } finally {
            prlimitNofile(pid, 20000);
        }
        assertThat(failed.exit()).as(failed.toString()).isNotZero();
        assertThat(failed.err()).as(failed.toString()).containsIgnoringCase("too many open files");
        for (String id : daemon.docker("ps", "-aq").out().split("\\s+")) {
            if (!id.isBlank()) {
                daemon.docker("rm", "-f", id);
            }
        }
        var ok = daemon.docker("run", "--rm", "busybox", "echo", "again");
        assertThat(ok.out()).as(ok.toString()).isEqualTo("again\n");
    }

    @Test
    void aUserWithoutAccessToTheSocketIsToldPermissionDenied() throws Exception {
        List<String> nobody = List.of("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups");
        List<String> version = new ArrayList<>(nobody);
        version.addAll(List.of("java", "-jar", Stage1Daemon.JAR.toAbsolutePath().toString(), "-H", daemon.host(), "version"));
        var r = Stage1Daemon.exec(version);
        assertThat(r.exit()).as(r.toString()).isEqualTo(1);
        assertThat(r.err()).as(r.toString()).contains("permission denied while trying to connect to the rabbithole "
                + "daemon socket at " + daemon.host()).doesNotContain("Is the daemon running");

        List<String> run = new ArrayList<>(nobody);
        run.addAll(List.of("java", "-jar", Stage1Daemon.JAR.toAbsolutePath().toString(), "-H", daemon.host(),
                "run", "--rm", "busybox", "true"));
        var rr = Stage1Daemon.exec(run);
        assertThat(rr.exit()).as(rr.toString()).isEqualTo(126);   // docker run's exit code for it
        assertThat(rr.err()).contains("permission denied while trying to connect");
    }

    @Test
    void aDaemonStartedWithoutRootSaysItNeedsRoot() throws Exception {
        Path d = Files.createTempDirectory("rh-noroot");
        try {
            Files.setPosixFilePermissions(d, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
            var r = Stage1Daemon.exec(List.of("setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                    "java", "-jar", Stage1Daemon.JAR.toAbsolutePath().toString(), "daemon",
                    "--bridge", "none", "--data-root", d.resolve("data").toString(), "-H", "unix://" + d.resolve("d.sock")));
            assertThat(r.exit()).as(r.toString()).isEqualTo(1);
            assertThat(r.err()).as(r.toString()).contains("needs to be started as root").doesNotContain("cannot lock");
            assertThat(d.resolve("data")).doesNotExist();
        } finally {
            dev.rabbithole.stage1.storage.FileTrees.deleteRecursively(d);
        }
    }

    @Test
    void sigintStopsADaemonThatWasStartedWithSigintIgnored() throws Exception {
        // what `daemon &` in a non-interactive script does: the shell sets SIGINT to SIG_IGN, exec keeps it
        Stage1Daemon ignoring = new Stage1Daemon(dir.resolve("ignoring"),
                List.of("/bin/sh", "-c", "trap '' INT; exec \"$0\" \"$@\""));
        try {
            assertThat(Files.readString(Path.of("/proc/" + ignoring.pid() + "/status")))
                    .as("the daemon runs as java, not as a shell").contains("Name:\tjava");
            Stage1Daemon.exec(List.of("kill", "-INT", Long.toString(ignoring.pid())));
            assertThat(ignoring.process().waitFor(60, TimeUnit.SECONDS)).as("the daemon stops on SIGINT").isTrue();
            assertThat(ignoring.socket).as("its shutdown removed the socket").doesNotExist();
        } finally {
            ignoring.stopAndRemoveLayers();
        }
    }

    @Test
    void theTerminalsSigintReachesTheDaemonNotItsContainers() throws Exception {
        // the daemon leads its own process group, as in a terminal where Ctrl-C signals the foreground group
        Stage1Daemon foreground = new Stage1Daemon(dir.resolve("foreground"), List.of("setsid"));
        try {
            var started = foreground.docker("run", "-d", "--name", "sleeper", "busybox", "sleep", "300");
            assertThat(started.exit()).as(started.toString()).isZero();
            long containerPid = Long.parseLong(foreground.docker("inspect", "-f", "{{.State.Pid}}", "sleeper").out().trim());
            assertThat(session(containerPid)).as("the container has a session of its own")
                    .isNotEqualTo(session(foreground.pid()));

            Stage1Daemon.exec(List.of("kill", "-INT", "--", "-" + foreground.pid()));
            assertThat(foreground.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
            foreground.start();
            var exit = foreground.docker("inspect", "-f", "{{.State.ExitCode}}", "sleeper");
            // 137: the daemon killed it at shutdown; 130 would be the terminal's SIGINT reaching the workload
            assertThat(exit.out().trim()).as(exit.toString()).isEqualTo("137");
            foreground.docker("rm", "-f", "sleeper");
        } finally {
            foreground.stopAndRemoveLayers();
        }
    }

    /** @return the session id of a process: field 6 of /proc/PID/stat (proc(5)) */
    static long session(long pid) throws IOException {
        String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(fields[3]);           // state ppid pgrp session
    }
}
