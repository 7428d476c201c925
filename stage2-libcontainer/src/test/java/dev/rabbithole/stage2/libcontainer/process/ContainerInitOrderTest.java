package dev.rabbithole.stage2.libcontainer.process;

import dev.rabbithole.stage2.libcontainer.TestConfigs;
import dev.rabbithole.stage2.libcontainer.configs.CapabilitySet;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.configs.ProcessConfig;
import dev.rabbithole.stage2.libcontainer.configs.Seccomp;
import dev.rabbithole.stage2.libcontainer.rootfs.RootfsSetup;
import dev.rabbithole.stage1.security.Capabilities;
import dev.rabbithole.stage1.security.SeccompProfiles;
import dev.rabbithole.stage2.execdriver.DockerProfiles;
import dev.rabbithole.stage2.libcontainer.seccomp.SeccompCompiler;
import dev.rabbithole.stage2.libcontainer.system.RecordingSyscalls;
import dev.rabbithole.stage2.libcontainer.system.Transcript;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The order of kernel calls an init makes, recorded without root (nothing reaches the kernel). */
class ContainerInitOrderTest {
    @TempDir
    Path tmp;

    private ContainerConfig config(ProcessConfig p) throws Exception {
        Path rootfs = TestConfigs.busyboxRootfs(tmp.resolve("rootfs"));
        return TestConfigs.config("abc", rootfs, p);
    }

    private static int indexOf(List<String> calls, String prefix) {
        for (int i = 0; i < calls.size(); i++) {
            if (calls.get(i).startsWith(prefix)) {
                return i;
            }
        }
        throw new AssertionError("no call starting with " + prefix + " in\n" + String.join("\n", calls));
    }

    @Test
    void rootfsThenPivotThenIdentityThenExec() throws Exception {
        ContainerConfig c = config(new ProcessConfig(List.of("/bin/sh", "-c", "echo"), List.of("A=1"), "/tmp",
                1000, 1000, List.of(2000)));
        Path state = tmp.resolve("state");
        RecordingSyscalls rec = new RecordingSyscalls();
        List<String> told = new ArrayList<>();
        List<RecordingSyscalls.Call> remaining = new ArrayList<>();
        new ContainerInit(rec, 40).run(c, null, new RootfsSetup.EtcFiles(state.resolve("hostname"),
                state.resolve("hosts"), state.resolve("resolv.conf")), (program, rest) -> {
                    told.add(program);
                    remaining.addAll(rest);
                });
        List<String> calls = rec.signatures();
        String root = c.rootfs().toString();

        assertThat(calls.get(0)).isEqualTo("mount(NULL, \"/\", NULL, MS_REC|MS_PRIVATE, NULL)");
        assertThat(calls.get(1)).isEqualTo("mount(\"" + root + "\", \"" + root + "\", NULL, MS_BIND|MS_REC, NULL)");
        assertThat(calls.get(2)).isEqualTo("mount(\"proc\", \"" + root + "/proc\", \"proc\", MS_NOSUID|MS_NODEV|MS_NOEXEC, NULL)");
        assertThat(calls.get(3)).startsWith("mount(\"sysfs\", \"" + root + "/sys\", \"sysfs\", MS_RDONLY|");
        assertThat(calls).contains("mknod(\"" + root + "/dev/null\", 020666, 1:3)",
                "mount(\"devpts\", \"" + root + "/dev/pts\", \"devpts\", MS_NOSUID|MS_NOEXEC, \"newinstance,ptmxmode=0666,mode=0620,gid=5\")",
                "symlink(\"pts/ptmx\", \"" + root + "/dev/ptmx\")",
                "mount(\"" + state.resolve("hosts") + "\", \"" + root + "/etc/hosts\", NULL, MS_BIND, NULL)");
        int tmpfsDev = indexOf(calls, "mount(\"tmpfs\", \"" + root + "/dev\"");
        assertThat(tmpfsDev).isLessThan(indexOf(calls, "mknod(\"" + root + "/dev/null\""));

        int pivot = calls.indexOf("pivot_root(\".\", \".\")");
        assertThat(calls.subList(pivot - 1, pivot + 3)).containsExactly("chdir(\"" + root + "\")",
                "pivot_root(\".\", \".\")", "umount2(\".\", MNT_DETACH)", "chdir(\"/\")");
        assertThat(indexOf(calls, "mount(\"/etc/resolv.conf\"".replace("/etc/resolv.conf", state.resolve("resolv.conf").toString())))
                .isLessThan(pivot);
        // masked and read-only paths are mounted after the pivot, on paths inside the new root
        // (after the pivot the paths are looked up in this host's /proc here: nothing is mounted for real)
        String maskedFile = java.util.stream.Stream.of("/proc/kcore", "/proc/keys", "/proc/timer_list")
                .filter(f -> java.nio.file.Files.isRegularFile(Path.of(f))).findFirst().orElseThrow();
        assertThat(indexOf(calls, "mount(\"/dev/null\", \"" + maskedFile + "\", NULL, MS_BIND, NULL)")).isGreaterThan(pivot);
        assertThat(indexOf(calls, "mount(\"/proc/sys\", \"/proc/sys\", NULL, MS_BIND|MS_REC, NULL)")).isGreaterThan(pivot);

        // lo comes up in the new network namespace (issue 7, item 4), before the capabilities go
        assertThat(calls.get(indexOf(calls, "sethostname") - 1)).isEqualTo("ioctl(SIOCSIFFLAGS, \"lo\", IFF_UP)");
        List<String> tail = calls.subList(indexOf(calls, "sethostname"), calls.size());
        assertThat(tail).containsExactly("sethostname(\"box-abc\")", "setrlimit(RLIMIT_NOFILE, 1024, 1024)",
                "setgroups([2000])", "setresgid(1000, 1000, 1000)", "setresuid(1000, 1000, 1000)",
                "prctl(PR_SET_NO_NEW_PRIVS, 1, 0)", "chdir(\"/tmp\")", "sigprocmask(SIG_SETMASK, {})",
                "prctl(PR_SET_PDEATHSIG, SIGKILL, 0)",
                "close_range(3, ~0U, CLOSE_RANGE_CLOEXEC)", "execve(\"/bin/sh\", [\"/bin/sh\", \"-c\", \"echo\"], <2 env>)"); // the env given and HOME, added as runc adds it
        assertThat(told).containsExactly("/bin/sh");
        // the hook is told the last calls before they are made, exactly as they will be made
        assertThat(remaining.stream().map(RecordingSyscalls.Call::signature).toList())
                .containsExactlyElementsOf(calls.subList(calls.size() - 2, calls.size()));
        assertThat(rec.transcript()).contains("pivot_root(\".\", \".\")").contains("detach the old root");
    }

    @Test
    void capabilitiesAroundTheUidChangeAndSeccompLast() throws Exception {
        ContainerConfig base = config(new ProcessConfig(List.of("/bin/sh"), List.of(), "/", 1000, 1000, List.of()));
        ContainerConfig c = new ContainerConfig(base.id(), base.rootfs(), false, null, base.namespaces(), List.of(),
                List.of(), List.of(), base.cgroup(), CapabilitySet.of(Set.of("CHOWN")),
                new Seccomp(Seccomp.Action.ALLOW, 1, List.of(), List.of()), true, List.of(), base.process());
        RecordingSyscalls rec = new RecordingSyscalls();
        new ContainerInit(rec, 2).run(c, new byte[16], RootfsSetup.EtcFiles.NONE, (p, rest) -> { });
        List<String> calls = rec.signatures();
        List<String> tail = calls.subList(indexOf(calls, "prctl(PR_CAPBSET_DROP"), calls.size());
        assertThat(tail).containsExactly("prctl(PR_CAPBSET_DROP, 1, 0)", "prctl(PR_CAPBSET_DROP, 2, 0)",
                "prctl(PR_SET_KEEPCAPS, 1, 0)", "setgroups([])", "setresgid(1000, 1000, 1000)",
                "setresuid(1000, 1000, 1000)", "capset(0x1, 0x1, 0x0)", "prctl(PR_SET_KEEPCAPS, 0, 0)",
                "prctl(PR_SET_NO_NEW_PRIVS, 1, 0)", "chdir(\"/\")", "sigprocmask(SIG_SETMASK, {})",
                "prctl(PR_SET_PDEATHSIG, SIGKILL, 0)", "close_range(3, ~0U, CLOSE_RANGE_CLOEXEC)",
                "seccomp(SECCOMP_SET_MODE_FILTER, 2 instructions)", "execve(\"/bin/sh\", [\"/bin/sh\"], <1 env>)");
    }

    @Test
    void dockersDefaultCapabilitiesDropTheOtherTwentySevenAndTheFilterIsTheCompiledProfile() throws Exception {
        ContainerConfig base = config(TestConfigs.sh("true"));
        Seccomp profile = DockerProfiles.toConfig(SeccompProfiles.defaultFor(Capabilities.DOCKER_DEFAULT));
        ContainerConfig c = new ContainerConfig(base.id(), base.rootfs(), false, null, base.namespaces(), List.of(),
                base.maskedPaths(), base.readonlyPaths(), base.cgroup(), TestConfigs.dockerDefaultCaps(), profile,
                true, List.of(), base.process());
        RecordingSyscalls rec = new RecordingSyscalls();
        new ContainerInit(rec, 40).run(c, null, RootfsSetup.EtcFiles.NONE, (p, rest) -> { });
        List<String> calls = rec.signatures();
        assertThat(calls.stream().filter(l -> l.startsWith("prctl(PR_CAPBSET_DROP")).count()).isEqualTo(27);
        assertThat(calls).contains("capset(0xa80425fb, 0xa80425fb, 0x0)");
        int length = SeccompCompiler.compile(profile).length();
        assertThat(calls.get(calls.size() - 2)).isEqualTo("seccomp(SECCOMP_SET_MODE_FILTER, " + length + " instructions)");
        List<String> lines = Transcript.lines(rec.calls(), Map.of(c.rootfs().toString(), "$ROOTFS"));
        assertThat(lines).anyMatch(l -> l.matches("prctl\\(PR_CAPBSET_DROP, 27 capabilities\\) +drop from the bounding set.*"));
        assertThat(lines).anyMatch(l -> l.startsWith("mknod(\"$ROOTFS/dev/{null,zero,full,random,urandom,tty}\", 020666, "
                + "{1:3,1:5,1:7,1:8,1:9,5:0})"));
    }

    @Test
    void withoutNoNewPrivsTheFilterGoesOnBeforeTheCapabilitiesAreDropped() throws Exception {
        ContainerConfig base = config(TestConfigs.sh("true"));
        ContainerConfig c = new ContainerConfig(base.id(), base.rootfs(), false, null, base.namespaces(), List.of(),
                List.of(), List.of(), base.cgroup(), TestConfigs.dockerDefaultCaps(),
                new Seccomp(Seccomp.Action.ALLOW, 1, List.of(), List.of()), false, List.of(), base.process());
        RecordingSyscalls rec = new RecordingSyscalls();
        new ContainerInit(rec, 40).run(c, null, RootfsSetup.EtcFiles.NONE, (p, rest) -> { });
        List<String> calls = rec.signatures();
        assertThat(indexOf(calls, "seccomp(")).isLessThan(indexOf(calls, "prctl(PR_CAPBSET_DROP"));
        assertThat(calls).noneMatch(l -> l.startsWith("prctl(PR_SET_NO_NEW_PRIVS"));
        assertThat(calls.stream().filter(l -> l.startsWith("seccomp(")).count()).isEqualTo(1);
    }

    @Test
    void aMissingRootfsFailsBeforeAnyMount() {
        ContainerConfig c = TestConfigs.config("x", tmp.resolve("nope"), TestConfigs.sh("true"));
        RecordingSyscalls rec = new RecordingSyscalls();
        assertThatThrownBy(() -> new ContainerInit(rec, 40).run(c, null, RootfsSetup.EtcFiles.NONE, (p, r) -> { }))
                .hasMessageContaining("no such directory");
        assertThat(rec.calls()).isEmpty();
    }

    @Test
    void messagesCrossTheSocketIntact() throws Exception {
        ContainerConfig base = config(new ProcessConfig(List.of("sh", "-c", "echo hi"), List.of("A=1", "B=ü"), "/tmp",
                1000, 1001, List.of(2000, 2001)));
        ContainerConfig c = new ContainerConfig(base.id(), base.rootfs(), true, base.hostname(), base.namespaces(),
                List.of(new dev.rabbithole.stage2.libcontainer.configs.Mount("/src", "/dst", "bind", List.of("rbind", "ro"))),
                base.maskedPaths(), base.readonlyPaths(), null, TestConfigs.dockerDefaultCaps(), null, true,
                base.rlimits(), base.process());
        InitMessage exec = InitMessage.exec("/bin/sh", List.of(new RecordingSyscalls.Call("chdir", List.of("\"/\""), "why"),
                new RecordingSyscalls.Call("mount", List.of("a", "b"), "", "No such file or directory")),
                Map.of("connected", 5L));
        try (var server = java.nio.channels.ServerSocketChannel.open(java.net.StandardProtocolFamily.UNIX)) {
            Path socket = tmp.resolve("s.sock");
            server.bind(java.net.UnixDomainSocketAddress.of(socket));
            try (InitChannel client = InitChannel.connect(socket); InitChannel peer = new InitChannel(server.accept())) {
                client.send(InitMessage.config(c, "/s/hostname", null, "/s/resolv.conf", new byte[] {1, 2, 3, 4, 5, 6, 7, 8}));
                client.send(InitMessage.go());
                client.send(exec);
                client.send(InitMessage.error("pivot_root: Invalid argument"));
                InitMessage back = peer.receive();
                assertThat(back.config()).isEqualTo(c);
                assertThat(back.hostname()).isEqualTo("/s/hostname");
                assertThat(back.hosts()).isNull();
                assertThat(back.seccomp()).containsExactly(1, 2, 3, 4, 5, 6, 7, 8);
                assertThat(peer.receive().type()).isEqualTo(InitMessage.GO);
                InitMessage e = peer.receive();
                assertThat(e.calls()).isEqualTo(exec.calls());
                assertThat(e.timings()).isEqualTo(exec.timings());
                assertThat(e.path()).isEqualTo("/bin/sh");
                assertThat(peer.receive().error()).isEqualTo("pivot_root: Invalid argument");
                client.close();
                assertThat(peer.receive()).isNull();
            }
        }
    }
}
