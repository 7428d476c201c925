package dev.rabbithole.stage2.libcontainer.container;

import dev.rabbithole.stage1.security.SeccompProfiles;
import dev.rabbithole.stage2.libcontainer.TestConfigs;
import dev.rabbithole.stage2.libcontainer.capabilities.Capabilities;
import dev.rabbithole.stage2.libcontainer.configs.CapabilitySet;
import dev.rabbithole.stage2.libcontainer.configs.Cgroup;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.configs.ProcessConfig;
import dev.rabbithole.stage2.libcontainer.configs.Rlimit;
import dev.rabbithole.stage2.libcontainer.configs.Seccomp;
import dev.rabbithole.stage2.execdriver.DockerProfiles;
import dev.rabbithole.stage2.libcontainer.seccomp.SeccompCompiler;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The kernel surface every stage provides, checked from inside real containers (root): pid 1, hostname, /proc, /sys, /dev, masked and
 * read-only paths, /etc files, seccomp, capabilities, no_new_privs, uid/gid, env, cwd, rlimits; and what
 * {@link LinuxContainer#kernelCalls()} shows of such a start.
 */
class ContainerPropertiesRootTest extends RootContainerTests {

    /** Docker's defaults: the 14 capabilities, the default seccomp profile, no_new_privs. */
    ContainerConfig dockerLike(ProcessConfig p) {
        ContainerConfig c = TestConfigs.config(id(), rootfs, p);
        return TestConfigs.withSecurity(c, TestConfigs.dockerDefaultCaps(),
                DockerProfiles.toConfig(SeccompProfiles.defaultFor(dev.rabbithole.stage1.security.Capabilities.DOCKER_DEFAULT)));
    }

    @Test
    void everyPropertyOfSection6FromInside() throws Exception {
        String script = String.join("; ",
                "echo pid=$$", "echo host=$(hostname)",
                "echo procs=$(ls /proc | grep -E '^[0-9]+$' | wc -l)",
                "touch /sys/x 2>/dev/null && echo sys=rw || echo sys=ro",
                "echo dev=$(ls /dev | tr '\\n' ' ')",
                "grep -E ' /dev/(pts|shm|mqueue) ' /proc/self/mountinfo | wc -l | sed 's/^/devmounts=/'",
                "test -e /proc/kcore && echo kcore=$(cat /proc/kcore | wc -c) || echo kcore=absent",
                "echo keys=$(cat /proc/keys | wc -c)",
                "(echo 1 > /proc/sys/kernel/ns_last_pid) 2>/dev/null && echo procsys=rw || echo procsys=ro",
                "echo etc-hostname=$(cat /etc/hostname)",
                "grep -q localhost /etc/hosts && echo hosts=ok",
                "test -f /etc/resolv.conf && echo resolv=ok",
                "grep -E '^(Seccomp|CapEff|CapBnd|NoNewPrivs):' /proc/self/status | tr -d '\\t'",
                "id", "echo FOO=$FOO", "echo cwd=$(pwd)", "echo nofile=$(ulimit -n)");
        ContainerConfig c = TestConfigs.withRlimits(dockerLike(new ProcessConfig(List.of("sh", "-c", script),
                List.of("PATH=/bin", "FOO=bar baz"), "/tmp", 1000, 1001, List.of(2000))),
                List.of(new Rlimit("RLIMIT_NOFILE", 512, 512)));
        Result r = runWithEtcFiles(c);
        String out = r.stdout();
        assertThat(r.stderr()).isEmpty();
        assertThat(r.exitCode()).isZero();
        assertThat(out).contains("pid=1\n", "host=box-" + c.id() + "\n", "sys=ro\n", "procsys=ro\n",
                "etc-hostname=box-" + c.id() + "\n", "hosts=ok\n", "resolv=ok\n");
        // sh, ls, grep, wc and the subshell: only the container's own processes
        int procs = Integer.parseInt(out.replaceAll("(?s).*procs=(\\d+).*", "$1"));
        assertThat(procs).isBetween(1, 6);
        String dev = out.replaceAll("(?s).*dev=([^\n]*).*", "$1");
        assertThat(dev.split(" ")).contains("null", "zero", "full", "random", "urandom", "tty", "ptmx", "pts",
                "shm", "mqueue", "fd", "stdin", "stdout", "stderr");
        assertThat(dev).doesNotContain("kmsg", "mem ");
        assertThat(out).contains("devmounts=3\n");
        assertThat(out).containsPattern("kcore=(0|absent)\n").contains("keys=0\n");
        // unprivileged workload (uid 1000): no capabilities left, the bounding set is Docker's 14
        assertThat(out).contains("Seccomp:2\n", "NoNewPrivs:1\n", "CapEff:0000000000000000\n",
                "CapBnd:00000000a80425fb\n");
        assertThat(out).contains("uid=1000", "gid=1001", "groups=2000", "FOO=bar baz\n", "cwd=/tmp\n", "nofile=512\n");
    }

    @Test
    void rootInTheContainerHasDockersFourteenCapabilitiesAndOneFewerAfterADrop() throws Exception {
        String script = "grep CapEff /proc/self/status | tr -d '\\t'; touch /tmp/f; chown 1 /tmp/f && echo chown=ok";
        Result dflt = run(dockerLike(TestConfigs.sh(script)));
        assertThat(dflt.stdout()).contains("CapEff:00000000a80425fb\n", "chown=ok\n");

        Set<String> noChown = dev.rabbithole.stage2.execdriver.DockerCapabilities.DEFAULT.stream().map(Enum::name).filter(n -> !n.equals("CHOWN"))
                .collect(Collectors.toSet());
        ContainerConfig dropped = TestConfigs.withSecurity(TestConfigs.config(id(), rootfs, TestConfigs.sh(script)),
                CapabilitySet.of(noChown), DockerProfiles.toConfig(SeccompProfiles.defaultFor(dev.rabbithole.stage1.security.Capabilities.DOCKER_DEFAULT)));
        Result r = run(dropped);
        assertThat(r.stdout()).contains("CapEff:00000000a80425fa\n").doesNotContain("chown=ok");
        assertThat(r.stderr()).contains("chown: /tmp/f: Operation not permitted");
    }

    @Test
    void aProfileThatBlocksMkdirMakesMkdirFailWithEperm() throws Exception {
        Seccomp noMkdir = new Seccomp(Seccomp.Action.ALLOW, 0, List.of(), List.of(new Seccomp.Rule(
                List.of("mkdir", "mkdirat"), Seccomp.Action.ERRNO, 1, List.of())));
        ContainerConfig c = TestConfigs.withSecurity(TestConfigs.config(id(), rootfs,
                TestConfigs.sh("grep Seccomp: /proc/self/status; mkdir /tmp/x; touch /tmp/y && echo touch=ok")),
                null, noMkdir);
        Result r = run(c);
        assertThat(r.stderr()).contains("mkdir: can't create directory '/tmp/x': Operation not permitted");
        assertThat(r.stdout()).containsPattern("Seccomp:\\s+2").contains("touch=ok");
        assertThat(rootfs.resolve("tmp/x")).doesNotExist();
    }

    @Test
    void withoutNoNewPrivsTheFilterStillHoldsAndTheCapabilitiesToo() throws Exception {
        ContainerConfig base = dockerLike(TestConfigs.sh(
                "grep -E '^(Seccomp|NoNewPrivs|CapEff):' /proc/self/status | tr -d '\\t'"));
        ContainerConfig c = new ContainerConfig(base.id(), base.rootfs(), false, base.hostname(), base.namespaces(),
                base.mounts(), base.maskedPaths(), base.readonlyPaths(), base.cgroup(), base.capabilities(),
                base.seccomp(), false, base.rlimits(), base.process());
        Result r = run(c);
        assertThat(r.stdout()).contains("Seccomp:2\n", "NoNewPrivs:0\n", "CapEff:00000000a80425fb\n");
    }

    @Test
    void kernelCallsShowTheWholeStartOnOneScreen() throws Exception {
        ContainerConfig c = TestConfigs.withResources(dockerLike(TestConfigs.sh("true")),
                new Cgroup.Resources(64L << 20, 0, 512, 50_000, 100_000, null, null, 100));
        LinuxContainer container = create(c);
        assertThat(container.kernelCalls()).isEmpty();
        container.start();
        container.waitFor();
        List<String> lines = container.kernelCalls();
        String text = String.join("\n", lines);
        System.out.println("[libcontainer] kernel calls of a busybox start (" + lines.size() + " lines):\n" + text);
        assertThat(lines).hasSizeLessThanOrEqualTo(60);
        // the cgroup namespace is the init's to make, after its cgroup placement (below)
        assertThat(lines.get(0)).startsWith("unshare(CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWPID|CLONE_NEWNET)")
                .contains("new namespaces");
        assertThat(lines.get(1)).startsWith("posix_spawn(").contains("\"$JAVA_HOME/bin/java\"");
        assertThat(container.kernelCallsLegend()).containsEntry("$ID", c.id());
        // v1: one hierarchy per controller, v2: the unified one
        boolean v2 = hostCgroupV2();
        String memWrite = v2 ? "write(/sys/fs/cgroup/" + CGROUP_PARENT + "/$ID/memory.max"
                : "write(/sys/fs/cgroup/memory/" + CGROUP_PARENT + "/$ID/memory.limit_in_bytes";
        assertThat(text).contains(memWrite + ", 67108864)");
        assertThat(text).contains("/pids.max, 100)", v2 ? "/cpu.max, 50000 100000)" : "/cpu.cfs_quota_us, 50000)",
                "cgroup.procs, " + container.process().pid() + ")");
        int go = indexOf(lines, "write(init.sock, \"go\")");
        assertThat(indexOf(lines, "unshare(CLONE_NEWCGROUP)")).isGreaterThan(go);
        assertThat(go).isGreaterThan(indexOf(lines, memWrite))
                .isLessThan(indexOf(lines, "mount(NULL, \"/\", NULL, MS_REC|MS_PRIVATE, NULL)"));
        assertThat(text).contains("pivot_root(\".\", \".\")", "prctl(PR_CAPBSET_DROP, 27 capabilities)",
                "capset(0xa80425fb, 0xa80425fb, 0x0)", "prctl(PR_SET_PDEATHSIG, SIGKILL, 0)",
                "seccomp(SECCOMP_SET_MODE_FILTER, " + SeccompCompiler.compile(c.seccomp()).length() + " instructions)",
                "mknod(\"$ROOTFS/dev/{null,zero,full,random,urandom,tty}\"");
        // 64 MiB is under the init JVM's floor: 256 MiB before "go", then the configured 64 MiB: before the
        // execve when the init's usage fits under it (the usual case), else right after the execve
        int execve = indexOf(lines, "execve(\"/bin/sh\", [\"sh\", \"-c\", \"true\"]");
        assertThat(lines.get(indexOf(lines, memWrite))).contains(", 268435456)", "floor");
        int configured = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).contains(ContainerLimitsRootTest.memoryLimitFile() + ", 67108864)")) configured = i;
        }
        assertThat(configured).as(text).isGreaterThan(go);
        if (configured < execve) {
            assertThat(lines.get(configured)).contains("before the init's execve");
            assertThat(execve).isEqualTo(lines.size() - 1);
        } else {
            assertThat(configured).isEqualTo(execve + 1).isEqualTo(lines.size() - 1);
            assertThat(lines.get(configured)).contains("configured");
        }
        assertThat(lines).allMatch(l -> !l.contains(rootfs.toString()), "the rootfs is shown as $ROOTFS");
        assertThat(container.kernelCallsLegend()).containsEntry("$ROOTFS", rootfs.toString());
    }

    /** /etc/hosts and /etc/resolv.conf are the caller's policy: put into the state directory, as a driver does. */
    private Result runWithEtcFiles(ContainerConfig c) throws Exception {
        LinuxContainer container = create(c);
        Files.writeString(container.stateDir().resolve("hosts"), "127.0.0.1\tlocalhost\n");
        Files.writeString(container.stateDir().resolve("resolv.conf"), "nameserver 127.0.0.53\n");
        container.start();
        java.util.concurrent.CompletableFuture<String> stdout = drain(container.process().getInputStream());
        java.util.concurrent.CompletableFuture<String> stderr = drain(container.process().getErrorStream());
        return new Result(container.waitFor(), stdout.get(), stderr.get(), container);
    }

    private static int indexOf(List<String> lines, String prefix) {
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).startsWith(prefix)) {
                return i;
            }
        }
        throw new AssertionError("no line starting with " + prefix + " in\n" + String.join("\n", lines));
    }

    @Test
    void anEtcSymlinkToTheHostIsResolvedInsideTheRootfs() throws Exception {
        Path hostDir = Files.createDirectories(tmp.resolve("host-etc"));
        Files.walk(rootfs.resolve("etc")).sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        Files.createSymbolicLink(rootfs.resolve("etc"), hostDir);
        Result r = runWithEtcFiles(TestConfigs.config(id(), rootfs,
                TestConfigs.sh("cat /etc/hostname; grep -c localhost /etc/hosts")));
        assertThat(r.exitCode()).isZero();
        assertThat(r.stdout()).startsWith("box-t");
        try (var s = Files.list(hostDir)) {
            assertThat(s).as("nothing written to the host directory the link points at").isEmpty();
        }
        // the mount points were made where the link leads inside the rootfs
        assertThat(rootfs.resolve(hostDir.toString().substring(1)).resolve("hostname")).isRegularFile();
    }

    @Test
    void aProcSymlinkToTheRootIsRefusedAndNothingIsMounted() throws Exception {
        Files.delete(rootfs.resolve("proc"));
        Files.createSymbolicLink(rootfs.resolve("proc"), Path.of("/"));
        long mounts = mountinfoLines();
        LinuxContainer c = create(TestConfigs.config(id(), rootfs, TestConfigs.sh("true")));
        assertThatThrownBy(c::start).isInstanceOf(ContainerException.class)
                .hasMessageContaining("/proc in the rootfs is a symlink");
        assertThat(mountinfoLines()).isEqualTo(mounts);
        assertThat(Files.readSymbolicLink(rootfs.resolve("proc"))).isEqualTo(Path.of("/"));
        c.destroy();
        assertThat(testCgroups()).noneMatch(p -> p.endsWith(c.id()));
    }

    @Test
    void badConfigsAreRefusedWithAClearMessageAndLeaveNothing() throws Exception {
        long mounts = mountinfoLines();
        long children = children();
        List<String> ids = List.of(id(), id(), id(), id());
        ContainerConfig missing = TestConfigs.config(ids.get(0), tmp.resolve("missing"), TestConfigs.sh("true"));
        assertThatThrownBy(() -> create(missing))
                .isInstanceOf(ContainerException.class).hasMessage("rootfs " + tmp.resolve("missing") + ": no such directory");
        ContainerConfig badCap = TestConfigs.withSecurity(TestConfigs.config(ids.get(1), rootfs, TestConfigs.sh("true")),
                CapabilitySet.of(Set.of("CHOWN", "NOT_A_CAP")), null);
        assertThatThrownBy(() -> create(badCap))
                .isInstanceOf(ContainerException.class).hasMessage("unknown capability: NOT_A_CAP");
        ContainerConfig negative = TestConfigs.withResources(TestConfigs.config(ids.get(2), rootfs, TestConfigs.sh("true")),
                new Cgroup.Resources(-5, 0, 0, 0, 0, null, null, 0));
        assertThatThrownBy(() -> create(negative))
                .isInstanceOf(ContainerException.class).hasMessageStartingWith("invalid memory limit -5");
        ContainerConfig tiny = TestConfigs.withResources(TestConfigs.config(ids.get(3), rootfs, TestConfigs.sh("true")),
                new Cgroup.Resources(1024, 0, 0, 0, 0, null, null, 0));
        assertThatThrownBy(() -> create(tiny))
                .isInstanceOf(ContainerException.class).hasMessageContaining("minimum is 6 MiB");
        assertThat(stateDirs()).isZero();
        assertThat(mountinfoLines()).isEqualTo(mounts);
        assertThat(children()).isEqualTo(children);
        assertThat(cgroupsOf(ids)).isEmpty();
    }

    @Test
    void aCgroupTheKernelRefusesFailsStartAndLeavesNothing() throws Exception {
        // valid for the config, refused by the kernel: no CPU 99 on this machine
        ContainerConfig c = TestConfigs.withResources(TestConfigs.config(id(), rootfs, TestConfigs.sh("true")),
                new Cgroup.Resources(0, 0, 0, 0, 0, "99", null, 0));
        long mounts = mountinfoLines();
        LinuxContainer container = create(c);
        assertThatThrownBy(container::start).isInstanceOf(ContainerException.class)
                .hasMessageContaining("cpuset.cpus to 99");
        assertThat(container.process().isAlive()).isFalse();
        assertThat(testCgroups()).noneMatch(p -> p.endsWith(c.id()));
        container.destroy();
        assertThat(mountinfoLines()).isEqualTo(mounts);
        assertThat(container.stateDir()).doesNotExist();
    }
}
