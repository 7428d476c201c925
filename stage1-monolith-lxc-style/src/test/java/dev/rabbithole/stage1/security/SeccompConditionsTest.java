package dev.rabbithole.stage1.security;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SeccompConditionsTest {

    private static final SeccompProfile PROFILE = SeccompProfiles.parse("""
            {"defaultAction":"SCMP_ACT_ERRNO","syscalls":[
              {"names":["read"],"action":"SCMP_ACT_ALLOW"},
              {"names":["unshare","mount"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN"]}},
              {"names":["both"],"action":"SCMP_ACT_ALLOW","includes":{"caps":["CAP_SYS_ADMIN","CAP_NET_ADMIN"]}},
              {"names":["clone3"],"action":"SCMP_ACT_ERRNO","errnoRet":38,"excludes":{"caps":["CAP_SYS_ADMIN"]}},
              {"names":["anyof"],"action":"SCMP_ACT_ALLOW","excludes":{"caps":["CAP_SYS_ADMIN","CAP_SYS_PTRACE"]}},
              {"names":["arch_prctl"],"action":"SCMP_ACT_ALLOW","includes":{"arches":["amd64","x32"]}},
              {"names":["not_s390"],"action":"SCMP_ACT_ALLOW","excludes":{"arches":["s390","s390x"]}},
              {"names":["ptrace"],"action":"SCMP_ACT_ALLOW","includes":{"minKernel":"4.8"}},
              {"names":["old_only"],"action":"SCMP_ACT_ALLOW","excludes":{"minKernel":"5.10"}}]}""");

    private static List<String> allowed(Set<String> caps, String arch, int major, int minor) {
        SeccompProfile p = SeccompConditions.resolve(PROFILE, new SeccompConditions.Facts(caps, arch, major, minor));
        assertThat(p.syscalls()).noneMatch(SeccompProfile.Rule::conditional);
        return p.syscalls().stream().flatMap(r -> r.names().stream()).toList();
    }

    private static Set<String> defaultsPlus(String... caps) {
        Set<String> s = new TreeSet<>(Capabilities.DOCKER_DEFAULT);
        s.addAll(List.of(caps));
        return s;
    }

    @Test
    void includesCapsNeedsEveryCapability() {
        assertThat(allowed(Capabilities.DOCKER_DEFAULT, "amd64", 6, 1)).doesNotContain("unshare", "mount", "both");
        assertThat(allowed(defaultsPlus("SYS_ADMIN"), "amd64", 6, 1)).contains("unshare", "mount")
                .doesNotContain("both");
        assertThat(allowed(defaultsPlus("SYS_ADMIN", "NET_ADMIN"), "amd64", 6, 1)).contains("both");
        // names with the prefix, any case, are the same capability
        assertThat(allowed(Set.of("cap_sys_admin"), "amd64", 6, 1)).contains("unshare");
    }

    @Test
    void excludesCapsDropsTheRuleForAnyOne() {
        assertThat(allowed(Capabilities.DOCKER_DEFAULT, "amd64", 6, 1)).contains("clone3", "anyof");
        assertThat(allowed(defaultsPlus("SYS_ADMIN"), "amd64", 6, 1)).doesNotContain("clone3", "anyof");
        assertThat(allowed(defaultsPlus("SYS_PTRACE"), "amd64", 6, 1)).contains("clone3").doesNotContain("anyof");
    }

    @Test
    void arches() {
        assertThat(allowed(Set.of(), "amd64", 6, 1)).contains("arch_prctl", "not_s390");
        assertThat(allowed(Set.of(), "arm64", 6, 1)).doesNotContain("arch_prctl").contains("not_s390");
        assertThat(allowed(Set.of(), "s390x", 6, 1)).doesNotContain("arch_prctl", "not_s390");
    }

    @Test
    void minKernelComparesMajorThenMinor() {
        assertThat(allowed(Set.of(), "amd64", 4, 8)).contains("ptrace", "old_only");
        assertThat(allowed(Set.of(), "amd64", 4, 7)).doesNotContain("ptrace");
        assertThat(allowed(Set.of(), "amd64", 3, 19)).doesNotContain("ptrace");
        assertThat(allowed(Set.of(), "amd64", 5, 0)).contains("ptrace");
        assertThat(allowed(Set.of(), "amd64", 5, 10)).doesNotContain("old_only");
        assertThat(allowed(Set.of(), "amd64", 5, 9)).contains("old_only");
    }

    @Test
    void keepsOrderActionsAndArgumentsAndLeavesNullAlone() {
        SeccompProfile p = SeccompConditions.resolve(PROFILE,
                new SeccompConditions.Facts(Capabilities.DOCKER_DEFAULT, "amd64", 6, 1));
        assertThat(p.defaultAction()).isEqualTo("SCMP_ACT_ERRNO");
        assertThat(p.syscalls().get(0).names()).containsExactly("read");
        assertThat(p.syscalls()).filteredOn(r -> r.names().contains("clone3"))
                .singleElement().satisfies(r -> assertThat(r.errnoRet()).isEqualTo(38));
        assertThat(SeccompConditions.resolve(null, SeccompConditions.Facts.host(Set.of()))).isNull();
    }

    @Test
    void kernelReleasesAsUnameGivesThem() {
        assertThat(SeccompConditions.kernelVersion("6.1.0-13-amd64")).containsExactly(6, 1);
        assertThat(SeccompConditions.kernelVersion("4.8")).containsExactly(4, 8);
        assertThat(SeccompConditions.kernelVersion("6.18.44-fc-v669")).containsExactly(6, 18);
        assertThat(SeccompConditions.kernelVersion("linux")).isNull();
        assertThatThrownBy(() -> SeccompConditions.checkMinKernel("4.8.1"))
                .isInstanceOf(InvalidParameterException.class).hasMessageContaining("MAJOR.MINOR");
    }

    @Test
    void dockersDefaultProfileForTheDefaultCapabilitiesAndWithSysAdmin() {
        SeccompConditions.Facts facts = new SeccompConditions.Facts(Capabilities.DOCKER_DEFAULT, "amd64", 6, 1);
        List<String> plain = SeccompConditions.resolve(SeccompProfiles.defaultProfile(), facts).syscalls().stream()
                .filter(r -> r.action().equals("SCMP_ACT_ALLOW")).flatMap(r -> r.names().stream()).toList();
        assertThat(plain).contains("ptrace", "arch_prctl", "modify_ldt", "chroot", "clone", "personality")
                .doesNotContain("unshare", "mount", "setns", "kcmp", "process_vm_readv", "reboot", "s390_runtime_instr",
                        "breakpoint");
        SeccompConditions.Facts old = new SeccompConditions.Facts(Capabilities.DOCKER_DEFAULT, "amd64", 4, 4);
        assertThat(SeccompConditions.resolve(SeccompProfiles.defaultProfile(), old).syscalls().stream()
                .flatMap(r -> r.names().stream())).doesNotContain("ptrace");
        SeccompConditions.Facts ptrace = new SeccompConditions.Facts(defaultsPlus("SYS_PTRACE"), "amd64", 4, 4);
        assertThat(SeccompConditions.resolve(SeccompProfiles.defaultProfile(), ptrace).syscalls().stream()
                .flatMap(r -> r.names().stream())).contains("ptrace", "kcmp", "process_vm_readv");
    }
}
