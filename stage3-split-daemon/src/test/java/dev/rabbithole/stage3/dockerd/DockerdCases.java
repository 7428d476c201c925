package dev.rabbithole.stage3.dockerd;

import dev.rabbithole.stage1.security.Capabilities;
import dev.rabbithole.testsupport.HostLeaks;
import dev.rabbithole.testsupport.JarDaemon;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The docker CLI against our dockerd over a containerd (the subclass starts which): the cases every containerd
 * under our dockerd must pass. One dockerd for the class ({@link #fx}).
 */
abstract class DockerdCases {

    static DockerdFixture fx;

    static JarDaemon.Result docker(String... args) throws Exception {
        return fx.docker(args);
    }

    @Test
    void runRmEchoPrintsHi() throws Exception {
        JarDaemon.Result r = docker("run", "--rm", "busybox", "echo", "hi");
        assertThat(r.exit()).as("%s\n%s", r, fx.log()).isZero();
        assertThat(r.out()).isEqualTo("hi\n");
    }

    @Test
    void exitCodesAreTheWorkloads() throws Exception {
        assertThat(docker("run", "--rm", "busybox", "sh", "-c", "exit 7").exit()).isEqualTo(7);
        String id = docker("run", "-d", "busybox", "sleep", "30").out().trim();
        assertThat(docker("kill", id).exit()).isZero();
        assertThat(docker("wait", id).out()).isEqualTo("137\n");
        assertThat(docker("inspect", "-f", "{{.State.ExitCode}}", id).out()).isEqualTo("137\n");
        docker("rm", id);
        JarDaemon.Result missing = docker("run", "--rm", "busybox", "nosuchcmd");
        assertThat(missing.exit()).isEqualTo(127);
        // runc's own message, passed on by the shim, containerd and dockerd (Docker's is the same)
        assertThat(missing.err()).contains("OCI runtime create failed").contains("executable file not found");
    }

    @Test
    void hostnameAndEtcFiles() throws Exception {
        JarDaemon.Result r = docker("run", "--rm", "--hostname", "rabbit", "busybox", "sh", "-c",
                "hostname; grep rabbit /etc/hosts; cat /etc/hostname");
        assertThat(r.out()).isEqualTo("rabbit\n127.0.1.1\trabbit\nrabbit\n");
    }

    @Test
    void capabilitiesAndSeccompAreDockersDefault() throws Exception {
        JarDaemon.Result r = docker("run", "--rm", "busybox", "grep", "-E",
                "^(Seccomp|NoNewPrivs|CapInh|CapPrm|CapEff|CapBnd|CapAmb):", "/proc/self/status");
        // what Debian's dockerd 20.10 shows, and stage 2
        String caps = Capabilities.capEffHex(Capabilities.DOCKER_DEFAULT);
        assertThat(r.out()).contains("CapInh:\t0000000000000000", "CapPrm:\t" + caps, "CapEff:\t" + caps,
                "CapBnd:\t" + caps, "CapAmb:\t0000000000000000", "NoNewPrivs:\t0", "Seccomp:\t2");
        // from inside: what the default profile and the missing CAP_SYS_ADMIN forbid fails
        JarDaemon.Result escape = docker("run", "--rm", "busybox", "sh", "-c",
                "mount -t tmpfs none /mnt && echo MOUNTED; unshare -m true && echo UNSHARED; echo done");
        assertThat(escape.out()).isEqualTo("done\n");
        assertThat(escape.err()).contains("Operation not permitted");
        assertThat(docker("run", "--rm", "busybox", "sh", "-c", "echo 1 > /proc/sysrq-trigger").exit())
                .as("read-only").isNotZero();
    }

    @Test
    void memoryLimitIsInTheCgroup() throws Exception {
        assertThat(docker("run", "--rm", "-m", "64m", "busybox", "cat",
                "/sys/fs/cgroup/memory/memory.limit_in_bytes").out()).isEqualTo("67108864\n");
        String id = docker("run", "-d", "-m", "48m", "--pids-limit", "50", "busybox", "sleep", "30").out().trim();
        try {
            Path memory = Path.of("/sys/fs/cgroup/memory", fx.cgroupParent, id, "memory.limit_in_bytes");
            assertThat(memory).as("from outside").content().isEqualTo("50331648\n");
            assertThat(Path.of("/sys/fs/cgroup/pids", fx.cgroupParent, id, "pids.max")).content().isEqualTo("50\n");
        } finally {
            docker("rm", "-f", id);
        }
    }

    @Test
    void anOomKillIsStateOomKilled() throws Exception {
        JarDaemon.Result oom = docker("run", "--name", "oom-" + fx.cgroupParent, "-m", "6m", "busybox", "sh", "-c",
                "x=a; while true; do x=$x$x; done");
        assertThat(oom.exit()).as("%s", oom).isEqualTo(137);
        assertThat(docker("inspect", "-f", "{{.State.OOMKilled}} {{.State.ExitCode}}", "oom-" + fx.cgroupParent).out())
                .isEqualTo("true 137\n");
        docker("rm", "oom-" + fx.cgroupParent);
        JarDaemon.Result fine = docker("run", "--name", "fine-" + fx.cgroupParent, "-m", "6m", "busybox", "true");
        assertThat(fine.exit()).isZero();
        assertThat(docker("inspect", "-f", "{{.State.OOMKilled}}", "fine-" + fx.cgroupParent).out()).isEqualTo("false\n");
        docker("rm", "fine-" + fx.cgroupParent);
    }

    @Test
    void detachedContainerLogsStopsAndLeavesNothing() throws Exception {
        JarDaemon.Result run = docker("run", "-d", "busybox", "sh", "-c",
                "trap 'echo bye; exit 3' TERM; echo start; while true; do echo tick; sleep 0.2; done");
        assertThat(run.exit()).as("%s", run).isZero();
        String id = run.out().trim();
        await().atMost(Duration.ofSeconds(20)).until(() -> docker("logs", id).out().contains("tick"));
        assertThat(docker("ps", "--no-trunc").out()).contains(id);
        long pid = Long.parseLong(docker("inspect", "-f", "{{.State.Pid}}", id).out().trim());
        assertThat(ProcessHandle.of(pid)).isPresent();
        assertThat(Path.of(fx.execRoot.toString(), "containerd", id, "init-stdout")).exists();

        assertThat(docker("stop", id).exit()).isZero();
        assertThat(docker("inspect", "-f", "{{.State.Status}} {{.State.ExitCode}}", id).out()).isEqualTo("exited 3\n");
        assertThat(docker("logs", id).out()).startsWith("start\ntick\n").endsWith("tick\nbye\n");
        assertThat(ProcessHandle.of(pid)).isEmpty();
        assertThat(docker("rm", id).exit()).isZero();

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertThat(HostLeaks.mounts(id)).as("mounts").isEmpty();
            assertThat(HostLeaks.cgroups(id)).as("cgroups").isEmpty();
            assertThat(HostLeaks.processes(id)).as("processes (the shim names the ID)").isEmpty();
            assertThat(HostLeaks.files(fx.execRoot, id)).as("FIFOs").isEmpty();
            assertThat(HostLeaks.files(fx.dataRoot, id)).as("data").isEmpty();
        });
        Path ctdState = fx.dir.resolve("ctd-state");
        if (Files.exists(ctdState)) {
            assertThat(HostLeaks.files(ctdState, id)).as("containerd's bundle").isEmpty();
        }
    }

    @Test
    void treeShowsDockerdContainerdShimAndWorkload() throws Exception {
        String id = docker("run", "-d", "busybox", "sh", "-c", "sleep 300 & wait").out().trim();
        try {
            long pid = Long.parseLong(docker("inspect", "-f", "{{.State.Pid}}", id).out().trim());
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
            int rc = TreeMain.run(new String[] {id.substring(0, 12), "-H", fx.host()}, new java.io.PrintStream(out, true),
                    new java.io.PrintStream(err, true));
            String tree = out.toString();
            assertThat(rc).as("%s%s", tree, err).isZero();
            assertThat(tree).containsPattern("(?m)^dockerd +" + fx.dockerd.pid() + " ");
            long containerd = fx.containerd != null ? fx.containerd.pid()
                    : Long.parseLong(Files.readString(fx.execRoot.resolve("containerd/containerd.pid")).trim());
            assertThat(tree).containsPattern("(?m)^containerd +" + containerd + " ");
            assertThat(tree).containsPattern("(?m)^shim +" + TreeMain.ppid(pid) + " .*"
                    + java.util.regex.Pattern.quote(fx.shimCommand) + " .*" + id);
            assertThat(tree).containsPattern("(?m)^  workload +" + pid + " +sh -c sleep 300 & wait");
            assertThat(tree).containsPattern("(?m)^ +[0-9]+ +sleep 300$");
            assertThat(tree).containsPattern("(?m)^runc +- +not running");
        } finally {
            docker("rm", "-f", id);
        }
        assertThat(TreeMain.run(new String[] {"nosuch", "-H", fx.host()}, System.out, new java.io.PrintStream(
                new java.io.ByteArrayOutputStream()))).isEqualTo(1);
    }

    @Test
    void execJoinsTheContainerThroughTasksExec() throws Exception {
        String id = docker("run", "-d", "busybox", "sleep", "300").out().trim();
        // a second client of the same containerd, namespace and roots, in this JVM: the Engine API's exec
        // endpoints are another part of stage 3; this drives ContainerRuntime.exec directly
        Path ctd = fx.containerdSocket != null ? fx.containerdSocket : fx.execRoot.resolve("containerd/containerd.sock");
        ContainerdRuntime runtime = new ContainerdRuntime(new ContainerdRuntime.Options(ctd, "moby",
                DockerdMain.RUNC_SHIM, "runc", fx.execRoot, fx.cgroupParent, false),
                fx.dataRoot.resolve("containers")::resolve);
        try {
            var p = runtime.exec(id, "e".repeat(64), new dev.rabbithole.stage1.daemon.ExecSpec(
                    java.util.List.of("sh", "-c", "id -u; echo $FOO; pwd; cat /proc/1/cmdline; echo; "
                            + "grep -E '^(CapEff|Seccomp):' /proc/self/status; echo oops >&2; exit 3"),
                    java.util.List.of("PATH=/bin", "FOO=bar"), "nobody", "/tmp", false, false, false));
            String out = new String(p.stdout().readAllBytes());
            String err = new String(p.stderr().readAllBytes());
            assertThat(p.waitFor()).isEqualTo(3);
            assertThat(out).isEqualTo("65534\nbar\n/tmp\nsleep\0" + "300\0\nCapEff:\t0000000000000000\nSeccomp:\t2\n");
            assertThat(err).isEqualTo("oops\n");

            var root = runtime.exec(id, "f".repeat(64), new dev.rabbithole.stage1.daemon.ExecSpec(
                    java.util.List.of("grep", "-E", "^(CapEff|Seccomp):", "/proc/self/status"),
                    java.util.List.of("PATH=/bin"), "", "", false, false, false));
            assertThat(new String(root.stdout().readAllBytes())).isEqualTo("CapEff:\t"
                    + Capabilities.capEffHex(Capabilities.DOCKER_DEFAULT) + "\nSeccomp:\t2\n");
            assertThat(root.waitFor()).isZero();
            assertThat(HostLeaks.files(fx.execRoot, "e".repeat(64))).as("the exec's FIFOs").isEmpty();
        } finally {
            runtime.close();
            docker("rm", "-f", id);
        }
    }

    @Test
    void privilegedAndInit() throws Exception {
        String all = Capabilities.capEffHex(OciSpec.allCapabilities());
        String bounding = Files.readAllLines(Path.of("/proc/self/status")).stream()
                .filter(l -> l.startsWith("CapBnd:")).findFirst().orElseThrow().substring("CapBnd:".length()).trim();
        JarDaemon.Result privileged = docker("run", "--rm", "--privileged", "busybox", "sh", "-c",
                "grep -E '^(CapEff|Seccomp):' /proc/self/status; ls /dev | grep -c .");
        if (!bounding.equals(all)) {
            // a host whose own bounding set lacks a capability the kernel knows (a sandbox): runc cannot grant it,
            // and Debian's dockerd 20.10 fails the same way here (it asks for every capability the kernel knows)
            assertThat(privileged.exit()).isEqualTo(125);
            assertThat(privileged.err()).contains("unable to apply caps: operation not permitted");
        } else {
            assertThat(privileged.out()).startsWith("CapEff:\t" + all + "\nSeccomp:\t0\n");
            JarDaemon.Result plain = docker("run", "--rm", "busybox", "sh", "-c", "ls /dev | grep -c .");
            assertThat(Integer.parseInt(privileged.out().lines().reduce((a, b) -> b).orElseThrow().trim()))
                    .as("a privileged container gets the host's devices")
                    .isGreaterThan(Integer.parseInt(plain.out().trim()));
        }
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(Path.of("/usr/bin/tini-static"))
                || Files.isExecutable(Path.of("/usr/bin/docker-init")), "--init needs tini (Debian package tini)");
        JarDaemon.Result init = docker("run", "--rm", "--init", "busybox", "cat", "/proc/1/cmdline");
        assertThat(init.out()).as("%s", init).isEqualTo("/sbin/docker-init\0--\0cat\0/proc/1/cmdline\0");
    }
}
