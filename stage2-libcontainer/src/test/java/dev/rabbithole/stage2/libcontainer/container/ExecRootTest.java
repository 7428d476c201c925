package dev.rabbithole.stage2.libcontainer.container;

import dev.rabbithole.stage2.libcontainer.TestConfigs;
import dev.rabbithole.stage2.libcontainer.configs.CapabilitySet;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.configs.ExecConfig;
import dev.rabbithole.stage2.libcontainer.configs.ProcessConfig;
import dev.rabbithole.stage2.libcontainer.configs.Seccomp;
import dev.rabbithole.stage2.libcontainer.system.JnaSyscalls;
import dev.rabbithole.stage2.libcontainer.system.SyscallException;
import dev.rabbithole.stage2.libcontainer.system.Terminals;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * {@link LinuxContainer#exec}, as {@code runc exec}: a process started in a running container joins its
 * namespaces and cgroup, gets the capabilities and seccomp filter asked for, a terminal through a console socket,
 * no descriptor of the exec JVM, and an exec into a stopped container fails leaving nothing.
 */
class ExecRootTest extends RootContainerTests {
    private static final List<String> NAMESPACES = List.of("mnt", "uts", "ipc", "net", "pid", "cgroup");

    @BeforeEach
    void moreApplets() throws IOException {
        for (String applet : List.of("tty", "test", "sort", "tail")) {
            Files.createSymbolicLink(rootfs.resolve("bin").resolve(applet), Path.of("busybox"));
        }
    }

    private LinuxContainer.Options options() {
        return new LinuxContainer.Options(new JnaSyscalls(), CgroupApplier.HOST, InitCommand.current(), INIT_TIMEOUT,
                LinuxContainer.Stdio.PIPES);
    }

    /** A running container whose workload sleeps. */
    private LinuxContainer sleeper() throws Exception {
        String id = id();
        LinuxContainer c = LinuxFactory.create(stateRoot, id, TestConfigs.config(id, rootfs,
                TestConfigs.sh("exec sleep 1000").withParentDeathSignal(0)), options());
        created.add(c);
        c.start();
        return c;
    }

    private static String ns(long pid, String name) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc", Long.toString(pid), "ns", name)).toString();
    }

    private static ProcessConfig sh(String script) {
        return new ProcessConfig(List.of("sh", "-c", script), List.of("PATH=/bin"), "/", 0, 0, List.of(), 0);
    }

    @Test
    void theProcessJoinsTheNamespacesAndTheCgroupAndGetsItsSecurity() throws Exception {
        LinuxContainer c = sleeper();
        // loaded as another process (runc exec) would: from state.json
        LinuxContainer loaded = LinuxFactory.load(stateRoot, c.id(), options());
        Seccomp noMkdir = new Seccomp(Seccomp.Action.ALLOW, 0, List.of(), List.of(new Seccomp.Rule(
                List.of("mkdir", "mkdirat"), Seccomp.Action.ERRNO, 1, List.of())));
        ExecConfig exec = ExecConfig.of(sh("echo pid=$$; hostname; cat /proc/self/cgroup | sort;"
                        + " grep -E '^(CapEff|Seccomp|NoNewPrivs|SigBlk|SigIgn):' /proc/self/status | tr -d '\\t';"
                        + " mkdir /tmp/x || echo mkdir=refused; read line; exit 3"))
                .withSecurity(CapabilitySet.of(Set.of("CHOWN", "KILL")), noMkdir);
        ExecProcess p = loaded.exec(exec, LinuxContainer.Stdio.PIPES);
        CompletableFuture<String> out = drain(p.process().getInputStream());
        CompletableFuture<String> err = drain(p.process().getErrorStream());
        long init = c.pid();
        // from outside, while it waits on its stdin: the same namespaces and cgroups as the container's init
        for (String n : NAMESPACES) {
            assertThat(ns(p.pid(), n)).as(n).isEqualTo(ns(init, n));
        }
        assertThat(ns(p.pid(), "pid")).isNotEqualTo(ns(ProcessHandle.current().pid(), "pid"));
        assertThat(Files.readString(Path.of("/proc", Long.toString(p.pid()), "cgroup")))
                .isEqualTo(Files.readString(Path.of("/proc", Long.toString(init), "cgroup")));
        // the exec JVM's descriptors did not leak: only the stdio (runc's CVE-2024-21626 advisory). Read once the
        // shell waits in `read`: while it runs the script's pipelines it holds their pipe ends (fd 3, 4) for a moment
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).untilAsserted(() -> {
            try (Stream<Path> fds = Files.list(Path.of("/proc", Long.toString(p.pid()), "fd"))) {
                assertThat(fds.map(f -> f.getFileName().toString()).sorted().toList()).containsExactly("0", "1", "2");
            }
        });
        p.process().getOutputStream().write("go\n".getBytes(StandardCharsets.UTF_8));
        p.process().getOutputStream().close();
        assertThat(p.waitFor()).isEqualTo(3);
        String o = out.get();
        assertThat(o).contains("pid=" + p.pidInContainer() + "\n", "box-" + c.id() + "\n", "CapEff:0000000000000021\n",
                "Seccomp:2\n", "NoNewPrivs:1\n", "mkdir=refused\n", "SigBlk:0000000000000000\n");
        assertThat(p.pidInContainer()).isGreaterThan(1);
        // in the cgroup namespace of the container, whose root is the container's cgroup
        assertThat(o.lines().filter(l -> l.matches("\\d+:.*")).toList()).isNotEmpty()
                .allSatisfy(l -> assertThat(l).endsWith(":/"));
        assertThat(err.get()).contains("mkdir");
        System.out.println("exec start (first), microseconds: " + p.startMicros());
    }

    @Test
    void aContainerWithLimitsTooSmallForAJvmTakesAnExecAndItsLimitsApply() throws Exception {
        // the exec JVM joins the cgroup right before its execve: 8 MiB and 6 tasks do not hold a JVM, they hold sh
        String id = id();
        LinuxContainer c = LinuxFactory.create(stateRoot, id, TestConfigs.withResources(TestConfigs.config(id, rootfs,
                        TestConfigs.sh("exec sleep 1000").withParentDeathSignal(0)),
                new dev.rabbithole.stage2.libcontainer.configs.Cgroup.Resources(8L << 20, 0, 0, 0, 0, null, null, 6)),
                options());
        created.add(c);
        c.start();
        ExecProcess p = c.exec(ExecConfig.of(sh("cat /proc/self/cgroup | grep -E 'memory|pids'; echo ok")),
                LinuxContainer.Stdio.PIPES);
        CompletableFuture<String> out = drain(p.process().getInputStream());
        assertThat(p.waitFor()).isZero();
        assertThat(out.get()).endsWith("ok\n");
        Path pids = cgroupDir(c, "pids");
        assertThat(Files.readString(pids.resolve("pids.max")).trim()).isEqualTo("6");
        // the limit holds for the exec'd process: it cannot fork past 6 tasks
        ExecProcess fork = c.exec(ExecConfig.of(sh("for i in 1 2 3 4 5 6 7 8; do sleep 5 & done; wait; echo done")),
                LinuxContainer.Stdio.PIPES);
        CompletableFuture<String> err = drain(fork.process().getErrorStream());
        drain(fork.process().getInputStream());
        fork.waitFor();
        assertThat(err.get()).containsIgnoringCase("resource temporarily unavailable");
    }

    @Test
    void aDockerLengthIdUnderADeepRootStillExecs() throws Exception {
        // a root of 30 bytes and 64 hex characters: ROOT/ID/init.sock fits the 107 bytes of a unix socket path,
        // ROOT/ID/exec-XXXXXXXX.sock does not
        String id = (id() + "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef").substring(0, 64);
        Path base = Files.createTempDirectory(Path.of("/tmp"), "rh");
        Path deepRoot = base.resolve("s".repeat(30 - base.toString().length() - 1));
        assertThat(deepRoot.toString()).hasSize(30);
        try {
            ContainerConfig t = TestConfigs.config(id, rootfs, TestConfigs.sh("exec sleep 1000").withParentDeathSignal(0));
            ContainerConfig config = new ContainerConfig(id, t.rootfs(), false, "box", t.namespaces(), t.mounts(),
                    t.maskedPaths(), t.readonlyPaths(), t.cgroup(), t.capabilities(), t.seccomp(), t.noNewPrivileges(),
                    t.rlimits(), t.process()); // a hostname has at most 64 bytes
            LinuxContainer c = LinuxFactory.create(deepRoot, id, config, options());
            created.add(c);
            c.start();
            assertThat(c.stateDir().resolve("exec-12345678.sock").toString().length()).isGreaterThan(107);
            long before = tmpExecDirs();
            ExecProcess p = c.exec(ExecConfig.of(sh("exit 6")), LinuxContainer.Stdio.PIPES);
            assertThat(p.waitFor()).isEqualTo(6);
            assertThat(tmpExecDirs()).isEqualTo(before);
            c.destroy();
        } finally {
            Files.deleteIfExists(deepRoot);
            Files.deleteIfExists(base);
        }
    }

    private static long tmpExecDirs() throws IOException {
        try (Stream<Path> s = Files.list(Path.of(System.getProperty("java.io.tmpdir")))) {
            return s.filter(f -> f.getFileName().toString().startsWith("rh-exec")).count();
        }
    }

    @Test
    void withoutSecuritySettingsTheProcessGetsTheContainers() throws Exception {
        LinuxContainer c = sleeper();
        ExecProcess p = c.exec(ExecConfig.of(sh("grep -E '^(CapEff|Seccomp):' /proc/self/status | tr -d '\\t'; id -u")),
                LinuxContainer.Stdio.PIPES);
        CompletableFuture<String> out = drain(p.process().getInputStream());
        assertThat(p.waitFor()).isZero();
        // TestConfigs.config: no capability sets (root's full set), no seccomp
        assertThat(out.get()).contains("Seccomp:0\n", "0\n").doesNotContain("CapEff:0000000000000000");
    }

    @Test
    void theHostIsOutOfReach() throws Exception {
        LinuxContainer c = sleeper();
        String script = "ls /proc/1/root/; echo ---; readlink /proc/self/root; readlink /proc/self/cwd; ls /proc/$$/fd; echo ---;"
                + " cat /proc/1/cmdline | tr '\\0' ' '; echo; ls /proc | grep -E '^[0-9]+$' | wc -l";
        ExecProcess p = c.exec(ExecConfig.of(new ProcessConfig(List.of("sh", "-c", script), List.of("PATH=/bin"), "/bin",
                0, 0, List.of(), 0)), LinuxContainer.Stdio.PIPES);
        CompletableFuture<String> out = drain(p.process().getInputStream());
        assertThat(p.waitFor()).isZero();
        String o = out.get();
        String[] parts = o.split("---\n");
        // the container's root: the busybox rootfs, not the host's /usr, /home, /boot
        assertThat(parts[0]).contains("bin").doesNotContain("usr", "home", "boot");
        assertThat(parts[1]).isEqualTo("/\n/bin\n0\n1\n2\n");
        // pid 1 is the container's sleep; the process sees its own pid namespace: pid 1, the shell and its pipe, not the host's
        assertThat(parts[2]).startsWith("sleep 1000");
        assertThat(Integer.parseInt(parts[2].lines().toList().get(1).trim())).isLessThan(10);
        // as another user, the init's root is not even readable
        ExecProcess user = c.exec(ExecConfig.of(new ProcessConfig(List.of("sh", "-c", "id -u; ls /proc/1/root/"),
                List.of("PATH=/bin"), "/", 1000, 1000, List.of(), 0)), LinuxContainer.Stdio.PIPES);
        CompletableFuture<String> uout = drain(user.process().getInputStream());
        CompletableFuture<String> uerr = drain(user.process().getErrorStream());
        assertThat(user.waitFor()).isNotZero();
        assertThat(uout.get()).isEqualTo("1000\n");
        assertThat(uerr.get()).contains("Permission denied");
    }

    @Test
    void theContainerCannotReachTheHostThroughTheExecJvmWhileItStarts() throws Exception {
        // a container with Docker's default capabilities watches /proc for the exec JVM (in its pid namespace, still
        // holding the host's root until its setns and execve) and tries to list the host's root through it
        String id = id();
        // the host's root has usr, home, boot, var, ...; the exec JVM's cwd on the host is the state directory
        // (state.json); its descriptors from 3 up are the JVM's (jars, sockets); 0, 1, 2 are the process's stdio
        String watch = "while true; do for d in /proc/[0-9]*; do"
                + " if grep -q 'Exec[M]ain' $d/cmdline 2>/dev/null; then echo saw;"
                + " ls $d/root/ $d/cwd/ 2>/dev/null | grep -qE '^(usr|home|boot|var|lib|state.json)$' && echo LEAK $d;"
                + " for f in $d/fd/*; do case $f in */fd/[012]) continue;; esac;"
                + " readlink $f 2>/dev/null | grep -q . && echo FD $f; cat $f </dev/null"
                + " >/dev/null 2>&1 && echo READ $f; done; fi; done; done";
        LinuxContainer c = LinuxFactory.create(stateRoot, id, TestConfigs.withSecurity(TestConfigs.config(id, rootfs,
                sh(watch)), TestConfigs.dockerDefaultCaps(), null), options());
        created.add(c);
        c.start();
        CompletableFuture<String> out = drain(c.process().getInputStream());
        for (int i = 0; i < 3; i++) {
            ExecProcess p = c.exec(ExecConfig.of(sh("true")), LinuxContainer.Stdio.PIPES);
            closeQuietly(p.process().getOutputStream());
            assertThat(p.waitFor()).isZero();
        }
        c.signal(9);
        c.waitFor();
        String o = out.get();
        System.out.println("the container saw the exec JVM " + o.lines().filter(l -> l.equals("saw")).count() + " times");
        // the fd numbers may be listed (the directory is root's; the container runs as root), not followed or read
        assertThat(o).doesNotContain("LEAK", "FD ", "READ");
    }

    @Test
    void aTerminalIsMadeInTheContainerAndItsMasterSentOverTheConsoleSocket() throws Exception {
        LinuxContainer c = sleeper();
        Path sock = tmp.resolve("console.sock");
        int listening = Terminals.listenUnix(sock.toString());
        try {
            CompletableFuture<Terminals.Received> master = CompletableFuture.supplyAsync(() -> {
                int conn = Terminals.accept(listening);
                try {
                    return Terminals.receiveFd(conn);
                } finally {
                    Terminals.closeQuietly(conn);
                }
            });
            ExecProcess p = c.exec(ExecConfig.of(sh("tty; test -t 0 && echo stdin-is-a-tty; ls -l /proc/self/fd/1; exit 4"))
                    .withTerminal(true, sock.toString()), new LinuxContainer.Stdio(Redirect.PIPE, Redirect.DISCARD,
                    Redirect.DISCARD));
            Terminals.Received m = master.get(30, TimeUnit.SECONDS);
            assertThat(m.name()).isEqualTo("/dev/ptmx"); // as runc sends it
            String o = readAll(m.fd());
            assertThat(p.waitFor()).isEqualTo(4);
            assertThat(o).containsPattern("^/dev/pts/\\d+\r\n").contains("stdin-is-a-tty\r\n");
            assertThat(o).doesNotContain("not a tty");
        } finally {
            Terminals.closeQuietly(listening);
        }
    }

    @Test
    void aContainerCreatedWithATerminalGetsItsPtyAndSendsTheMaster() throws Exception {
        Path sock = tmp.resolve("create-console.sock");
        int listening = Terminals.listenUnix(sock.toString());
        try {
            CompletableFuture<Terminals.Received> master = CompletableFuture.supplyAsync(() -> {
                int conn = Terminals.accept(listening);
                try {
                    return Terminals.receiveFd(conn);
                } finally {
                    Terminals.closeQuietly(conn);
                }
            });
            String id = id();
            LinuxContainer c = LinuxFactory.create(stateRoot, id, TestConfigs.config(id, rootfs,
                    sh("tty; test -t 0 && test -t 1 && echo tty-ok; exit 5").withTerminal(sock.toString())),
                    new LinuxContainer.Options(new JnaSyscalls(), CgroupApplier.HOST, InitCommand.current(),
                            INIT_TIMEOUT, new LinuxContainer.Stdio(Redirect.PIPE, Redirect.DISCARD, Redirect.DISCARD)));
            created.add(c);
            Terminals.Received m = master.get(30, TimeUnit.SECONDS); // sent during create, before start
            assertThat(m.name()).isEqualTo("/dev/ptmx");
            c.start();
            String o = readAll(m.fd());
            assertThat(c.waitFor()).isEqualTo(5);
            assertThat(o).isEqualTo("/dev/pts/0\r\ntty-ok\r\n");
        } finally {
            Terminals.closeQuietly(listening);
        }
    }

    /** Reads a pty master until the slave is closed everywhere (read(2) then fails with EIO). */
    private static String readAll(int fd) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[4096];
        try {
            while (true) {
                int n = Terminals.read(fd, buf);
                if (n <= 0) {
                    break;
                }
                out.write(buf, 0, n);
            }
        } catch (SyscallException eio) {
            // the slave's last holder exited
        } finally {
            Terminals.closeQuietly(fd);
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    @Test
    void anExecIntoAStoppedOrUnknownContainerFailsAndLeavesNothing() throws Exception {
        LinuxContainer c = sleeper();
        long before = children();
        // a program that is not there: the process's own error, nothing left
        assertThatThrownBy(() -> c.exec(ExecConfig.of(new ProcessConfig(List.of("nosuch"), List.of("PATH=/bin"), "/", 0, 0,
                List.of(), 0)), LinuxContainer.Stdio.PIPES))
                .isInstanceOf(ContainerException.class)
                .hasMessageContaining("executable file not found")
                .satisfies(e -> assertThat(((ContainerException) e).kind()).isEqualTo(ContainerException.Kind.INIT_FAILED));
        assertThat(children()).isEqualTo(before);
        assertThat(execSockets(c)).isEmpty();
        c.signal(9);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(10))
                .until(() -> c.state().status() == Status.STOPPED);
        long left = children();
        assertThatThrownBy(() -> c.exec(ExecConfig.of(sh("true")), LinuxContainer.Stdio.PIPES))
                .isInstanceOf(ContainerException.class).hasMessageContaining("stopped")
                .satisfies(e -> assertThat(((ContainerException) e).kind())
                        .isEqualTo(ContainerException.Kind.INCORRECT_STATUS));
        assertThat(children()).isEqualTo(left);
        assertThat(execSockets(c)).isEmpty();
        assertThatThrownBy(() -> LinuxFactory.load(stateRoot, "nosuch", options()))
                .satisfies(e -> assertThat(((ContainerException) e).kind()).isEqualTo(ContainerException.Kind.NOT_EXIST));
        assertThatThrownBy(() -> c.exec(ExecConfig.of(sh("true")).withTerminal(true, null), LinuxContainer.Stdio.PIPES))
                .satisfies(e -> assertThat(((ContainerException) e).kind())
                        .isEqualTo(ContainerException.Kind.INVALID_CONFIG));
    }

    private static List<Path> execSockets(LinuxContainer c) throws IOException {
        try (Stream<Path> s = Files.list(c.stateDir())) {
            return s.filter(f -> f.getFileName().toString().startsWith("exec-")).toList();
        }
    }

    @Test
    void execStartTime() throws Exception {
        LinuxContainer c = sleeper();
        List<Long> micros = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            long t0 = System.nanoTime();
            ExecProcess p = c.exec(ExecConfig.of(sh("true")), new LinuxContainer.Stdio(Redirect.PIPE, Redirect.DISCARD,
                    Redirect.DISCARD));
            closeQuietly(p.process().getOutputStream());
            assertThat(p.waitFor()).isZero();
            micros.add((System.nanoTime() - t0) / 1000);
            System.out.println("exec steps, microseconds: " + p.steps());
        }
        Collections.sort(micros);
        System.out.println("exec of `true`, call to exit, microseconds, sorted: " + micros + " median "
                + (micros.get(4) + micros.get(5)) / 2);
        // with the start-time cache a daemon (or runc) uses: JNA unpacked once, the libc path given, a class archive
        LinuxContainer cached = LinuxFactory.load(stateRoot, c.id(), new LinuxContainer.Options(new JnaSyscalls(),
                CgroupApplier.HOST, InitCommand.current().withCache(tmp.resolve("init-cache")), INIT_TIMEOUT,
                LinuxContainer.Stdio.PIPES));
        List<Long> withCache = new ArrayList<>();
        for (int i = 0; i < 13; i++) {
            long t0 = System.nanoTime();
            ExecProcess p = cached.exec(ExecConfig.of(sh("true")), new LinuxContainer.Stdio(Redirect.PIPE,
                    Redirect.DISCARD, Redirect.DISCARD));
            closeQuietly(p.process().getOutputStream());
            assertThat(p.waitFor()).isZero();
            if (i >= 3) { // the first ones train the archive in the background
                withCache.add((System.nanoTime() - t0) / 1000);
                System.out.println("exec steps with the cache, microseconds: " + p.steps());
            }
        }
        Collections.sort(withCache);
        System.out.println("exec of `true` with the init cache, microseconds, sorted: " + withCache + " median "
                + (withCache.get(4) + withCache.get(5)) / 2);
    }

    private static void closeQuietly(OutputStream s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // the process may have exited
        }
    }
}
