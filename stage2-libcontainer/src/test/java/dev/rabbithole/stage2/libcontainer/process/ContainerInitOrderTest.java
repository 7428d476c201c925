package dev.rabbithole.stage2.libcontainer.process;

import dev.rabbithole.stage2.libcontainer.TestConfigs;
import dev.rabbithole.stage2.libcontainer.configs.CapabilitySet;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.configs.ProcessConfig;
import dev.rabbithole.stage2.libcontainer.configs.Seccomp;
import dev.rabbithole.stage2.libcontainer.rootfs.RootfsSetup;
import dev.rabbithole.stage2.libcontainer.system.RecordingSyscalls;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
        new ContainerInit(rec, null, null).run(c, new RootfsSetup.EtcFiles(state.resolve("hostname"),
                state.resolve("hosts"), state.resolve("resolv.conf")), told::add);
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
        assertThat(indexOf(calls, "mount(\"/dev/null\", \"/proc/kcore\", NULL, MS_BIND, NULL)")).isGreaterThan(pivot);
        assertThat(indexOf(calls, "mount(\"/proc/sys\", \"/proc/sys\", NULL, MS_BIND|MS_REC, NULL)")).isGreaterThan(pivot);

        List<String> tail = calls.subList(indexOf(calls, "sethostname"), calls.size());
        assertThat(tail).containsExactly("sethostname(\"box-abc\")", "setrlimit(7, 1024, 1024)",
                "setgroups([2000])", "setresgid(1000, 1000, 1000)", "setresuid(1000, 1000, 1000)",
                "prctl(PR_SET_NO_NEW_PRIVS, 1, 0)", "chdir(\"/tmp\")", "sigprocmask(SIG_SETMASK, {})",
                "close_range(3, ~0U, CLOSE_RANGE_CLOEXEC)", "execve(\"/bin/sh\", [\"/bin/sh\", \"-c\", \"echo\"], <1 env>)");
        assertThat(told).containsExactly("/bin/sh");
        assertThat(rec.transcript()).contains("pivot_root(\".\", \".\")").contains("detach the old root");
    }

    @Test
    void capabilitiesAroundTheUidChangeAndSeccompLast() throws Exception {
        CapabilityResolver caps = new CapabilityResolver() {
            @Override
            public long mask(Set<String> names) {
                return names.contains("CHOWN") ? 1L : 0L; // CAP_CHOWN = 0
            }

            @Override
            public int lastCap() {
                return 2;
            }
        };
        SeccompCompiler compiler = s -> new byte[16];
        ContainerConfig base = config(new ProcessConfig(List.of("/bin/sh"), List.of(), "/", 1000, 1000, List.of()));
        ContainerConfig c = new ContainerConfig(base.id(), base.rootfs(), false, null, base.namespaces(), List.of(),
                List.of(), List.of(), base.cgroup(), CapabilitySet.of(Set.of("CHOWN")),
                new Seccomp(Seccomp.Action.ALLOW, 1, List.of(), List.of()), true, List.of(), base.process());
        RecordingSyscalls rec = new RecordingSyscalls();
        new ContainerInit(rec, caps, compiler).run(c, RootfsSetup.EtcFiles.NONE, p -> { });
        List<String> calls = rec.signatures();
        List<String> tail = calls.subList(indexOf(calls, "prctl(PR_CAPBSET_DROP"), calls.size());
        assertThat(tail).containsExactly("prctl(PR_CAPBSET_DROP, 1, 0)", "prctl(PR_CAPBSET_DROP, 2, 0)",
                "prctl(PR_SET_KEEPCAPS, 1, 0)", "setgroups([])", "setresgid(1000, 1000, 1000)",
                "setresuid(1000, 1000, 1000)", "capset(0x1, 0x1, 0x0)", "prctl(PR_SET_KEEPCAPS, 0, 0)",
                "prctl(PR_SET_NO_NEW_PRIVS, 1, 0)", "chdir(\"/\")", "sigprocmask(SIG_SETMASK, {})",
                "close_range(3, ~0U, CLOSE_RANGE_CLOEXEC)", "seccomp(SECCOMP_SET_MODE_FILTER, <2 instructions>)",
                "execve(\"/bin/sh\", [\"/bin/sh\"], <0 env>)");
    }

    @Test
    void aSeccompFilterWithoutACompilerIsRefusedBeforeAnyMount() throws Exception {
        ContainerConfig base = config(TestConfigs.sh("true"));
        ContainerConfig c = new ContainerConfig(base.id(), base.rootfs(), false, null, base.namespaces(), List.of(),
                List.of(), List.of(), base.cgroup(), null,
                new Seccomp(Seccomp.Action.ERRNO, 1, List.of(), List.of()), true, List.of(), base.process());
        RecordingSyscalls rec = new RecordingSyscalls();
        assertThatThrownBy(() -> new ContainerInit(rec, null, null).run(c, RootfsSetup.EtcFiles.NONE, p -> { }))
                .hasMessageContaining("no SeccompCompiler");
        assertThat(rec.calls()).isEmpty();
    }

    @Test
    void aMissingRootfsFailsBeforeAnyMount() {
        ContainerConfig c = TestConfigs.config("x", tmp.resolve("nope"), TestConfigs.sh("true"));
        RecordingSyscalls rec = new RecordingSyscalls();
        assertThatThrownBy(() -> new ContainerInit(rec, null, null).run(c, RootfsSetup.EtcFiles.NONE, p -> { }))
                .hasMessageContaining("no such directory");
        assertThat(rec.calls()).isEmpty();
    }

    @Test
    void theConfigCrossesThePipeAsJson() throws Exception {
        ContainerConfig c = config(TestConfigs.sh("echo hi"));
        InitMessage m = new InitMessage(InitMessage.CONFIG, c, "/s/hostname", null, null, null, null);
        String json = InitChannel.JSON.writeValueAsString(m);
        assertThat(json).doesNotContain("\"error\"");
        assertThat(InitChannel.JSON.readValue(json, InitMessage.class)).isEqualTo(m);
        assertThat(InitChannel.JSON.writeValueAsString(InitMessage.error("pivot_root: Invalid argument")))
                .isEqualTo("{\"type\":\"error\",\"error\":\"pivot_root: Invalid argument\"}");
    }
}
