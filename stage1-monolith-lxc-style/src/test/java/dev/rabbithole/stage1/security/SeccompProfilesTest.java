package dev.rabbithole.stage1.security;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SeccompProfilesTest {

    @Test
    void defaultProfileIsAnAllowlistWithDockersConditionalRules() {
        SeccompProfile p = SeccompProfiles.defaultProfile();
        assertThat(p.defaultAction()).isEqualTo("SCMP_ACT_ERRNO");
        assertThat(p.defaultErrnoRet()).isEqualTo(1);
        List<String> always = p.syscalls().stream().filter(r -> !r.conditional() && r.args() == null)
                .flatMap(r -> r.names().stream()).toList();
        assertThat(always).contains("read", "write", "execve", "capset", "setgroups", "chown", "adjtimex")
                .doesNotContain("mount", "umount2", "unshare", "setns", "keyctl", "ptrace", "reboot", "kexec_load",
                        "init_module", "bpf", "open_by_handle_at", "move_mount", "fsopen", "userfaultfd", "clone",
                        "clone3", "personality", "chroot", "arch_prctl", "syslog", "sethostname");
        assertThat(namesWith(p, "CAP_SYS_ADMIN")).contains("mount", "umount2", "unshare", "setns", "clone",
                "clone3", "bpf", "sethostname", "setdomainname", "syslog", "quotactl", "fsopen", "open_tree");
        assertThat(namesWith(p, "CAP_SYS_PTRACE")).containsExactlyInAnyOrder("kcmp", "pidfd_getfd",
                "process_madvise", "process_vm_readv", "process_vm_writev", "ptrace");
        assertThat(namesWith(p, "CAP_SYS_CHROOT")).containsExactly("chroot");
        assertThat(namesWith(p, "CAP_SYS_BOOT")).containsExactly("reboot");
        assertThat(namesWith(p, "CAP_SYS_MODULE")).containsExactlyInAnyOrder("init_module", "finit_module",
                "delete_module");
        assertThat(p.syscalls()).anySatisfy(r -> {
            assertThat(r.names()).containsExactly("ptrace");
            assertThat(r.includes().minKernel()).isEqualTo("4.8");
        });
        assertThat(p.syscalls()).anySatisfy(r -> {
            assertThat(r.names()).containsExactly("arch_prctl");
            assertThat(r.includes().arches()).containsExactlyInAnyOrder("amd64", "x32");
        });
        assertThat(p.syscalls()).anySatisfy(r -> {
            assertThat(r.names()).containsExactly("clone3");
            assertThat(r.errnoRet()).isEqualTo(38);                    // ENOSYS: glibc falls back to clone
            assertThat(r.excludes().caps()).containsExactly("CAP_SYS_ADMIN");
        });
    }

    private static List<String> namesWith(SeccompProfile p, String cap) {
        return p.syscalls().stream()
                .filter(r -> r.includes() != null && r.includes().caps() != null && r.includes().caps().contains(cap))
                .flatMap(r -> r.names().stream()).toList();
    }

    @Test
    void rejectsABadMinKernel() {
        assertThatThrownBy(() -> SeccompProfiles.parse("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":["
                + "{\"names\":[\"ptrace\"],\"action\":\"SCMP_ACT_ALLOW\",\"includes\":{\"minKernel\":\"four\"}}]}"))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("invalid minKernel \"four\"");
    }

    @Test
    void parsesDockerFormat() {
        SeccompProfile p = SeccompProfiles.parse("""
                {"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,"syscalls":[
                  {"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]},
                  {"names":["read","write"],"action":"SCMP_ACT_ALLOW","comment":"ignored"}]}""");
        assertThat(p.defaultErrnoRet()).isEqualTo(38);
        assertThat(p.syscalls()).hasSize(2);
        assertThat(p.syscalls().get(0).args().get(0).value()).isEqualTo(8);
    }

    @Test
    void rejectsMalformedJsonAndUnknownActions() {
        assertThatThrownBy(() -> SeccompProfiles.parse("{\"defaultAction\":"))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("decoding seccomp profile failed");
        assertThatThrownBy(() -> SeccompProfiles.parse("{\"defaultAction\":\"SCMP_ACT_MAYBE\"}"))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("unknown action \"SCMP_ACT_MAYBE\"");
        assertThatThrownBy(() -> SeccompProfiles.parse(
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mount\"],\"action\":\"NOPE\"}]}"))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("unknown action \"NOPE\"");
        assertThatThrownBy(() -> SeccompProfiles.parse("{\"syscalls\":[]}"))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("no defaultAction");
    }
}
