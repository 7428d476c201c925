package dev.rabbithole.stage1.execdriver.lxc;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.execdriver.ContainerProcess;
import dev.rabbithole.stage1.security.Capabilities;
import dev.rabbithole.stage1.security.SeccompProfile;
import dev.rabbithole.stage1.security.SeccompProfiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Real containers through lxc-execute; needs root, lxc and a static busybox. */
class LxcExecDriverTest {

    @TempDir Path tmp;
    final LxcExecDriver driver = new LxcExecDriver();
    final List<Command> started = new ArrayList<>();
    Path rootfs;

    @BeforeEach
    void requirements() throws IOException {
        assumeTrue("root".equals(System.getProperty("user.name")), "needs root: lxc-execute creates namespaces and cgroups");
        assumeTrue(LxcExecDriver.which("lxc-execute").isPresent(), "lxc-execute missing: apt-get install lxc");
        assumeTrue(LxcExecDriver.which("setpriv").isPresent(), "setpriv missing: apt-get install util-linux");
        assumeTrue(TestRootfs.hostBusybox() != null, "no static busybox: apt-get install busybox-static");
        rootfs = TestRootfs.create(tmp.resolve("rootfs"));
    }

    @AfterEach
    void noLeftovers() throws IOException {
        for (Command c : started) {
            driver.cleanup(c.id(), c.stateDir());
            assertThat(LxcExecDriver.LxcCgroups.leftovers(c.id())).as("cgroups of %s", c.id()).isEmpty();
            assertThat(Files.readString(Path.of("/proc/self/mountinfo"))).doesNotContain(c.id());
        }
    }

    Command command(Set<String> caps, SeccompProfile seccomp, Command.Resources r, String user, String... args) {
        byte[] b = new byte[32];
        ThreadLocalRandom.current().nextBytes(b);
        String id = HexFormat.of().formatHex(b);
        Command c = new Command(id, rootfs, tmp.resolve(id.substring(0, 12)), List.of(args), List.of("PATH=/bin"),
                "/", user, id.substring(0, 12), r, caps, false, seccomp);
        started.add(c);
        return c;
    }

    Command command(String... args) {
        return command(Capabilities.resolve(null, null, false), SeccompProfiles.defaultProfile(),
                Command.Resources.NONE, "", args);
    }

    /** A command with everything default but the working directory, no-new-privileges and limits. */
    Command command(String workdir, boolean noNewPrivileges, Command.Resources r, String... args) {
        Command c = command(Capabilities.resolve(null, null, false), SeccompProfiles.defaultProfile(), r, "", args);
        return new Command(c.id(), c.rootfs(), c.stateDir(), c.args(), c.env(), workdir, c.user(), c.hostname(),
                c.resources(), c.capabilities(), c.privileged(), c.seccomp(), noNewPrivileges);
    }

    record Result(int exit, String out, String err) { }

    /** {@link #run}, failing if the container has not ended (output closed, exit reported) within 20 s. */
    Result runBounded(Command c) throws Exception {
        return java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return run(c);
            } catch (Exception e) {
                throw new java.util.concurrent.CompletionException(e);
            }
        }).get(20, java.util.concurrent.TimeUnit.SECONDS);
    }

    Result run(Command c) throws Exception {
        ContainerProcess p = driver.start(c);
        var err = new java.util.concurrent.CompletableFuture<String>();
        Thread t = new Thread(() -> {
            try {
                err.complete(new String(p.stderr().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                err.completeExceptionally(e);
            }
        });
        t.start();
        String out = new String(p.stdout().readAllBytes(), StandardCharsets.UTF_8);
        int exit = p.waitFor();
        return new Result(exit, out, err.get());
    }

    @Test
    void workloadIsPid2UnderLxcInitWithItsOwnHostnameAndProc() throws Exception {
        Command c = command("/bin/sh", "-c", "echo $$; hostname; ls /proc | grep '^[0-9]' | wc -l; cat /proc/1/cmdline");
        Result r = run(c);
        List<String> lines = r.out().lines().toList();
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(lines.get(0)).isEqualTo("2");                       // LXC's init is pid 1
        assertThat(lines.get(1)).isEqualTo(c.hostname());
        // init, sh, ls, grep, wc: /proc shows the container's processes only
        assertThat(Integer.parseInt(lines.get(2).trim())).isLessThanOrEqualTo(6);
        assertThat(lines.get(3)).startsWith("init");
    }

    @Test
    void memoryAndPidsLimitsApplyInsideAndOnTheHost() throws Exception {
        Command c = command(Capabilities.resolve(null, null, false), SeccompProfiles.defaultProfile(),
                new Command.Resources(64L << 20, 500_000_000, 42, 0), "",
                "/bin/sh", "-c", "cat /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids/pids.max "
                        + "/sys/fs/cgroup/cpu/cpu.cfs_quota_us; sleep 100");
        assumeTrue(Files.exists(Path.of("/sys/fs/cgroup/memory/memory.limit_in_bytes")), "needs the v1 memory controller");
        ContainerProcess p = driver.start(c);
        Path hostMemory = Path.of("/sys/fs/cgroup/memory/lxc.payload." + c.id() + "/memory.limit_in_bytes");
        assertThat(Files.readString(hostMemory).trim()).isEqualTo(Long.toString(64L << 20));
        // read what the container printed before killing it (on a loaded machine cat may not have run yet)
        java.io.BufferedReader out = new java.io.BufferedReader(
                new java.io.InputStreamReader(p.stdout(), StandardCharsets.UTF_8));
        List<String> lines = List.of(out.readLine(), out.readLine(), out.readLine());
        p.signal(9);
        assertThat(p.waitFor()).isEqualTo(137);
        assertThat(lines).containsExactly(Long.toString(64L << 20), "42", "50000");
        assertThat(hostMemory).doesNotExist();
    }

    @Test
    void seccompAndCapabilities() throws Exception {
        String script = "grep -E '^(Seccomp|CapEff):' /proc/self/status";
        Result r = run(command("/bin/sh", "-c", script));
        assertThat(r.out()).contains("Seccomp:\t2").contains("CapEff:\t00000000a80425fb");

        Set<String> dropped = Capabilities.resolve(null, List.of("NET_RAW"), false);
        r = run(command(dropped, SeccompProfiles.defaultProfile(), Command.Resources.NONE, "", "/bin/sh", "-c", script));
        assertThat(r.out()).contains("CapEff:\t" + Capabilities.capEffHex(dropped));
        assertThat(Capabilities.capEffHex(dropped)).isEqualTo("00000000a80405fb");
    }

    @Test
    void unshareNeedsSysAdminAsUnderDockersProfile() throws Exception {
        // Docker 20.10: the default profile allows unshare only with CAP_SYS_ADMIN (includes.caps)
        Result denied = run(command("unshare", "-u", "true"));
        assertThat(denied.exit()).isNotZero();
        assertThat(denied.err()).contains("Operation not permitted");

        Set<String> sysAdmin = Capabilities.resolve(List.of("SYS_ADMIN"), null, false);
        Result allowed = run(command(sysAdmin, SeccompProfiles.defaultProfile(), Command.Resources.NONE, "",
                "unshare", "-u", "true"));
        assertThat(allowed.exit()).as(allowed.err()).isZero();

        // without the capability the kernel refuses even where seccomp would not
        Result noCap = run(command(Capabilities.DOCKER_DEFAULT, null, Command.Resources.NONE, "",
                "unshare", "-u", "true"));
        assertThat(noCap.exit()).isNotZero();
    }

    @Test
    void exitCodesAndSignals() throws Exception {
        assertThat(run(command("true")).exit()).isZero();
        assertThat(run(command("/bin/sh", "-c", "exit 3")).exit()).isEqualTo(3);

        ContainerProcess term = driver.start(command("sleep", "100"));
        term.signal(15);
        assertThat(term.waitFor()).isEqualTo(143);

        Command killed = command(Capabilities.resolve(null, null, false), SeccompProfiles.defaultProfile(),
                Command.Resources.NONE, "nobody", "sleep", "100");
        ContainerProcess kill = driver.start(killed);
        long workload = ((LxcExecDriver.LxcProcess) kill).workloadPid();
        assertThat(Files.readString(Path.of("/proc/" + workload + "/status"))).containsPattern("Uid:\\s+65534");
        kill.signal(9);
        assertThat(kill.waitFor()).isEqualTo(137);
        assertThat(ProcessHandle.of(workload)).isEmpty();
        assertThat(ProcessHandle.of(kill.pid())).isEmpty();
        kill.signal(15);                                                      // gone: still success
    }

    /**
     * Many short containers, each with its own exit status. With {@code --device} the autodev hook's processes
     * take the container's first pids, so the workload is not pid 2; the watcher once took the hook's shell for
     * the workload (or decided the workload had gone) and SIGKILLed the real one: 137 for a workload that was
     * still sleeping its 100 ms (two rounds of the watcher), although it would have exited with its own status.
     */
    @Test
    void everyShortContainerReportsItsWorkloadsOwnExitStatus() throws Exception {
        List<String> wrong = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            int code = i % 4;
            Result plain = runBounded(command("/bin/sh", "-c", "exit " + code));
            Result t = runBounded(command("true"));
            Command base = command("/bin/sh", "-c", "test -c /dev/n && echo node; echo pid $$; sleep 0.1; exit " + (code + 10));
            Command dev = new Command(base.id(), base.rootfs(), base.stateDir(), base.args(), base.env(),
                    base.workingDir(), base.user(), base.hostname(), base.resources(), base.capabilities(),
                    base.privileged(), base.seccomp(), base.noNewPrivileges(),
                    List.of(new dev.rabbithole.stage1.execdriver.DeviceMapping("/dev/null", "/dev/n", "rwm")));
            Result d = runBounded(dev);
            if (plain.exit() != code || t.exit() != 0 || d.exit() != code + 10 || !d.out().startsWith("node\npid ")) {
                wrong.add("round " + i + ": exit " + code + " -> " + plain.exit() + ", true -> " + t.exit()
                        + ", --device exit " + (code + 10) + " -> " + d.exit() + " " + d.out().replace('\n', ' '));
            }
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void theContainerEndsWithItsWorkloadAndTakesBackgroundProcessesWithIt() throws Exception {
        // LXC's init alone would wait 30 s for the sleep; Docker ends the container when the main process exits
        Command c = command("/bin/sh", "-c", "sleep 30 & echo bye; exit 3");
        Result r = runBounded(c);                 // stdout closes only when the sleep, which holds it, is dead
        assertThat(r.exit()).as(r.err()).isEqualTo(3);
        assertThat(r.out()).isEqualTo("bye\n");
        assertThat(LxcExecDriver.LxcCgroups.leftovers(c.id())).isEmpty();

        assertThat(runBounded(command("/bin/sh", "-c", "sleep 30 & kill -9 $$")).exit()).isEqualTo(137);
        assertThat(runBounded(command("/bin/sh", "-c", "sleep 30 & kill -TERM $$")).exit()).isEqualTo(143);
    }

    @Test
    void noNewPrivilegesSetsTheBit() throws Exception {
        String script = "grep NoNewPrivs /proc/self/status";
        Result with = run(command("/", true, Command.Resources.NONE, "/bin/sh", "-c", script));
        assertThat(with.out()).as(with.err()).isEqualTo("NoNewPrivs:\t1\n");
        Result without = run(command("/", false, Command.Resources.NONE, "/bin/sh", "-c", script));
        assertThat(without.out()).as(without.err()).isEqualTo("NoNewPrivs:\t0\n");
    }

    @Test
    void programsThatCannotBeExecutedAreRefusedWithDockersMessages() throws IOException {
        assertThatThrownBy(() -> driver.start(command("/etc")))
                .isInstanceOf(InvalidParameterException.class).hasMessage("exec: \"/etc\": permission denied");
        Files.writeString(rootfs.resolve("bin/script"), "#!/bin/sh\necho hi\n");   // 0644: no execute bit
        assertThatThrownBy(() -> driver.start(command("/bin/script")))
                .isInstanceOf(InvalidParameterException.class).hasMessage("exec: \"/bin/script\": permission denied");
        // on PATH, directories and files without an execute bit are skipped, as exec.LookPath does
        assertThatThrownBy(() -> driver.start(command("script")))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("executable file not found in $PATH");
        // a symlink to a host program resolves inside the rootfs, where there is none
        Path hostOnly = LxcExecDriver.which("lxc-execute").orElseThrow();
        Files.createSymbolicLink(rootfs.resolve("bin/abs"), hostOnly);
        Files.createSymbolicLink(rootfs.resolve("bin/rel"), Path.of("../../../../../../../.." + hostOnly));
        for (String link : List.of("/bin/abs", "/bin/rel")) {
            assertThatThrownBy(() -> driver.start(command(link))).isInstanceOf(InvalidParameterException.class)
                    .hasMessage("exec: \"" + link + "\": stat " + link + ": no such file or directory");
        }
        // the message the client maps to 126
        assertThat(dev.rabbithole.stage1.client.RunCommand.startErrorExitCode("exec: \"/etc\": permission denied"))
                .isEqualTo(126);
    }

    @Test
    void aMissingWorkingDirectoryIsCreatedInsideTheRootfs() throws Exception {
        Result r = run(command("/new/work/dir", false, Command.Resources.NONE, "pwd"));
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo("/new/work/dir\n");
        assertThat(rootfs.resolve("new/work/dir")).isDirectory();

        // through a symlink that points at the host: created inside the rootfs, not on the host
        Path host = Files.createDirectories(tmp.resolve("host-side"));
        Files.createSymbolicLink(rootfs.resolve("escape"), host);
        Result escaped = run(command("/escape/made", false, Command.Resources.NONE, "pwd"));
        assertThat(escaped.exit()).as(escaped.err()).isZero();
        assertThat(host.resolve("made")).doesNotExist();
        assertThat(rootfs.resolve(host.toString().substring(1)).resolve("made")).isDirectory();

        assertThatThrownBy(() -> driver.start(command("/etc/passwd", false, Command.Resources.NONE, "pwd")))
                .isInstanceOf(InvalidParameterException.class)
                .hasMessage("Cannot mkdir: /etc/passwd is not a directory");
        assertThatThrownBy(() -> driver.start(command("/etc/passwd/sub", false, Command.Resources.NONE, "pwd")))
                .isInstanceOf(InvalidParameterException.class)
                .hasMessage("Cannot mkdir: /etc/passwd/sub is not a directory");
    }

    @Test
    void anOomKillIsReported() throws Exception {
        assumeTrue(Files.exists(Path.of("/sys/fs/cgroup/memory/memory.oom_control"))
                || Files.exists(Path.of("/sys/fs/cgroup/memory.events")), "needs the memory controller");
        // the shell doubles a string until the 16 MiB limit: the OOM killer takes the shell, the workload
        Command hog = command("/", false, new Command.Resources(16L << 20, 0, 0, 0),
                "/bin/sh", "-c", "x=0123456789abcdef; while :; do x=$x$x; done");
        ContainerProcess p = driver.start(hog);
        assertThat(p.waitFor()).isEqualTo(137);
        assertThat(p.oomKilled()).isTrue();

        ContainerProcess fine = driver.start(command("/", false, new Command.Resources(16L << 20, 0, 0, 0), "true"));
        assertThat(fine.waitFor()).isZero();
        assertThat(fine.oomKilled()).isFalse();
    }

    @Test
    void errorsBeforeAndDuringStart() {
        assertThatThrownBy(() -> driver.start(command("nosuchprogram")))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("executable file not found");
        assertThatThrownBy(() -> driver.start(command(Capabilities.resolve(null, null, false), null,
                Command.Resources.NONE, "ghost", "true")))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("unable to find user ghost");
    }

    @Test
    void cleanupKillsWhatADeadDaemonLeft() throws Exception {
        // the guard's SIGTERM (what the kernel sends when the daemon dies) tears the container down
        Command c = command(Capabilities.resolve(null, null, false), SeccompProfiles.defaultProfile(),
                Command.Resources.NONE, "nobody", "sleep", "100");
        LxcExecDriver.LxcProcess p = (LxcExecDriver.LxcProcess) driver.start(c);
        long workload = p.workloadPid();
        ProcessHandle guard = ProcessHandle.of(p.lxcExecutePid()).flatMap(ProcessHandle::parent).orElseThrow();
        new ProcessBuilder("kill", "-TERM", Long.toString(guard.pid())).start().waitFor();
        p.waitFor();
        assertThat(ProcessHandle.of(workload)).isEmpty();
        assertThat(LxcExecDriver.LxcCgroups.leftovers(c.id())).isEmpty();

        // a monitor killed outright leaves the container (its init runs as nobody) and cgroups: cleanup removes them
        Command c2 = command(Capabilities.resolve(null, null, false), SeccompProfiles.defaultProfile(),
                Command.Resources.NONE, "nobody", "sleep", "100");
        LxcExecDriver.LxcProcess p2 = (LxcExecDriver.LxcProcess) driver.start(c2);
        long workload2 = p2.workloadPid();
        ProcessHandle.of(p2.lxcExecutePid()).orElseThrow().destroyForcibly(); // SIGKILL lxc-execute
        p2.waitFor();
        assertThat(ProcessHandle.of(workload2)).isPresent();                  // LXC did not take it down
        driver.cleanup(c2.id(), c2.stateDir());
        assertThat(ProcessHandle.of(workload2)).isEmpty();
        assertThat(LxcExecDriver.LxcCgroups.leftovers(c2.id())).isEmpty();
        driver.cleanup(c2.id(), c2.stateDir());                               // idempotent
    }

    @Test
    void aDaemonKilledWithSigkillTakesItsContainerWithIt() throws Exception {
        Command c = command("unused");
        Path javaBin = Path.of(System.getProperty("java.home"), "bin", "java");
        Process daemon = new ProcessBuilder(javaBin.toString(), "-cp", System.getProperty("java.class.path"),
                DaemonStandIn.class.getName(), rootfs.toString(), c.stateDir().toString(), c.id(), "nobody")
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        String line = new java.io.BufferedReader(new java.io.InputStreamReader(daemon.getInputStream())).readLine();
        assertThat(line).as("the stand-in printed the workload pid").isNotNull();
        long workload = Long.parseLong(line.trim());
        assertThat(ProcessHandle.of(workload)).isPresent();
        daemon.destroyForcibly();                                             // SIGKILL the "daemon"
        daemon.waitFor();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(ProcessHandle.of(workload)).isEmpty();
            assertThat(LxcExecDriver.LxcCgroups.leftovers(c.id())).isEmpty();
        });
    }
}
