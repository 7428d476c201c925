package dev.rabbithole.stage1.execdriver.lxc;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.security.Capabilities;
import dev.rabbithole.stage1.security.SeccompProfiles;
import org.junit.jupiter.api.Test;

import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LxcSeccompPolicyTest {

    @Test
    void defaultProfileIsDockersAllowlistDecidedForTheContainer() {
        String text = LxcSeccompPolicy.render(SeccompProfiles.defaultFor(Capabilities.DOCKER_DEFAULT));
        assertThat(text).startsWith("2\nallowlist errno 1\n[all]\n");
        assertThat(text.lines()).contains("read allow", "chroot allow", "clone3 errno 38",
                        "clone allow [0,0,SCMP_CMP_MASKED_EQ,2114060288]")
                .noneMatch(l -> l.startsWith("mount ") || l.startsWith("unshare ") || l.startsWith("setns "));

        Set<String> sysAdmin = new TreeSet<>(Capabilities.DOCKER_DEFAULT);
        sysAdmin.add("SYS_ADMIN");
        String admin = LxcSeccompPolicy.render(SeccompProfiles.defaultFor(sysAdmin));
        assertThat(admin.lines()).contains("mount allow", "unshare allow", "setns allow", "clone allow")
                .doesNotContain("clone3 errno 38");
    }

    @Test
    void refusesAProfileWhoseConditionsAreNotDecided() {
        assertThatThrownBy(() -> LxcSeccompPolicy.render(SeccompProfiles.defaultProfile()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("includes/excludes");
    }

    @Test
    void allowlistWithArgumentConditions() {
        String text = LxcSeccompPolicy.render(SeccompProfiles.parse("""
                {"defaultAction":"SCMP_ACT_ERRNO","defaultErrnoRet":38,"syscalls":[
                  {"names":["personality"],"action":"SCMP_ACT_ALLOW","args":[{"index":0,"value":8,"op":"SCMP_CMP_EQ"}]},
                  {"names":["clone"],"action":"SCMP_ACT_ALLOW",
                   "args":[{"index":0,"value":2114060288,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}]},
                  {"names":["read","write"],"action":"SCMP_ACT_ALLOW"},
                  {"names":["chmod"],"action":"SCMP_ACT_ERRNO","errnoRet":38},
                  {"names":["reboot"],"action":"SCMP_ACT_KILL_PROCESS"}]}"""));
        assertThat(text).isEqualTo("""
                2
                allowlist errno 38
                [all]
                personality allow [0,8,SCMP_CMP_EQ]
                clone allow [0,0,SCMP_CMP_MASKED_EQ,2114060288]
                read allow
                write allow
                reboot kill
                """);
    }

    @Test
    void refusesWhatLxcCannotExpress() {
        assertThatThrownBy(() -> LxcSeccompPolicy.render(SeccompProfiles.parse(
                "{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"ptrace\"],\"action\":\"SCMP_ACT_TRACE\"}]}")))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("not supported by the lxc exec driver");
    }
}
