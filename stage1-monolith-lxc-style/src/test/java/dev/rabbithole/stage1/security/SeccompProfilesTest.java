package dev.rabbithole.stage1.security;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SeccompProfilesTest {

    @Test
    void defaultProfileAllowsAllButDockersDenyList() {
        SeccompProfile p = SeccompProfiles.defaultProfile();
        assertThat(p.defaultAction()).isEqualTo("SCMP_ACT_ALLOW");
        List<String> denied = p.syscalls().stream().filter(r -> r.action().equals("SCMP_ACT_ERRNO"))
                .flatMap(r -> r.names().stream()).toList();
        assertThat(denied).contains("mount", "umount2", "unshare", "setns", "keyctl", "ptrace", "reboot",
                "kexec_load", "init_module", "bpf", "open_by_handle_at", "move_mount", "fsopen", "userfaultfd")
                .doesNotContain("chroot", "clone3", "personality", "clone");
        assertThat(p.syscalls()).allSatisfy(r -> assertThat(r.errnoRet()).isEqualTo(1));
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
