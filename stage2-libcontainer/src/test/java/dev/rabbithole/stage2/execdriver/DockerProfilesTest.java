package dev.rabbithole.stage2.execdriver;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage1.security.SeccompProfile;
import dev.rabbithole.stage2.libcontainer.configs.Seccomp;
import dev.rabbithole.stage2.libcontainer.configs.Seccomp.Action;
import dev.rabbithole.stage2.libcontainer.seccomp.Arch;
import dev.rabbithole.stage2.libcontainer.seccomp.BpfProgram;
import dev.rabbithole.stage2.libcontainer.seccomp.SeccompCompiler;
import org.junit.jupiter.api.Test;

import static dev.rabbithole.stage2.libcontainer.seccomp.BpfInterpreter.verdict;
import static dev.rabbithole.stage2.libcontainer.seccomp.SeccompCompiler.RET_ALLOW;
import static dev.rabbithole.stage2.libcontainer.seccomp.SeccompCompiler.RET_ERRNO;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The driver's translation of a Docker-format profile to libcontainer's config, compiled and run. */
class DockerProfilesTest {
    static final int EPERM = 1;

    @Test
    void dockerFormatProfileConvertsAndCompiles() throws Exception {
        String json = """
                {
                  "defaultAction": "SCMP_ACT_ALLOW",
                  "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
                  "syscalls": [
                    {"names": ["mount", "umount2", "no_such_syscall"], "action": "SCMP_ACT_ERRNO"},
                    {"names": ["keyctl"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38},
                    {"names": ["personality"], "action": "SCMP_ACT_ERRNO",
                     "args": [{"index": 0, "value": 8, "valueTwo": 0, "op": "SCMP_CMP_NE"}]},
                    {"names": ["reboot"], "action": "SCMP_ACT_KILL"}
                  ]
                }""";
        SeccompProfile profile = new ObjectMapper().readValue(json, SeccompProfile.class);
        Seccomp config = DockerProfiles.toConfig(profile);
        assertThat(config.defaultAction()).isEqualTo(Action.ALLOW);
        assertThat(config.rules().get(0).errno()).isEqualTo(EPERM);
        assertThat(config.rules().get(3).action()).isEqualTo(Action.KILL_THREAD);
        BpfProgram p = SeccompCompiler.compile(config);
        assertThat(p.warnings()).contains("syscall no_such_syscall unknown on x86_64, skipped");
        assertThat(verdict(p, Arch.X86_64, "mount")).isEqualTo(RET_ERRNO | EPERM);
        assertThat(verdict(p, Arch.X86_64, "umount2")).isEqualTo(RET_ERRNO | EPERM);
        assertThat(verdict(p, Arch.X86_64, "keyctl")).isEqualTo(RET_ERRNO | 38);
        assertThat(verdict(p, Arch.X86_64, "personality", 8)).isEqualTo(RET_ALLOW);
        assertThat(verdict(p, Arch.X86_64, "personality", 0)).isEqualTo(RET_ERRNO | EPERM);
        assertThat(verdict(p, Arch.X86_64, "reboot")).isEqualTo(SeccompCompiler.RET_KILL_THREAD);

        assertThatThrownBy(() -> DockerProfiles.action("SCMP_ACT_NOTIFY_ME")).hasMessageContaining("SCMP_ACT_NOTIFY_ME");
        assertThatThrownBy(() -> DockerProfiles.op("SCMP_CMP_ALMOST")).hasMessageContaining("SCMP_CMP_ALMOST");
    }

    @Test
    void conditionalRuleIsRefused() throws Exception {
        SeccompProfile profile = new ObjectMapper().readValue("""
                {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
                  {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_PTRACE"]}}]}""",
                SeccompProfile.class);
        assertThatThrownBy(() -> DockerProfiles.toConfig(profile)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("includes/excludes");
    }
}
