package dev.rabbithole.stage3.runc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage2.libcontainer.capabilities.Capability;
import picocli.CommandLine.Command;

import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code runc features} (runc-features(8), the runtime-spec's features.md draft as runc 1.1 prints it): what
 * this runtime implements, with runc's four-space indent. No hooks; the mount options libcontainer's mount
 * parser knows; the namespaces, capabilities, cgroup drivers and seccomp actions, comparisons and architectures
 * {@link SpecConverter} accepts; neither AppArmor nor SELinux.
 */
@Command(name = "features", description = "show the enabled features")
public final class FeaturesCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        System.out.println(GoJson.indent(document(), "    "));
        return 0;
    }

    /**
     * The features document of stage 3's runc, which a later stage's runtime grows.
     *
     * @return a new document, keys in runc's order
     */
    public static ObjectNode document() {
        ObjectMapper json = new ObjectMapper();
        ObjectNode f = json.createObjectNode();
        f.put("ociVersionMin", "1.0.0");
        f.put("ociVersionMax", "1.0.2-dev");
        f.putArray("hooks");
        add(f.putArray("mountOptions"), "bind", "defaults", "dev", "exec", "nodev", "noexec", "nosuid", "noatime",
                "private", "rbind", "relatime", "ro", "rprivate", "rshared", "rslave", "runbindable", "rw", "shared",
                "slave", "strictatime", "suid", "sync", "unbindable");
        ObjectNode linux = f.putObject("linux");
        add(linux.putArray("namespaces"), "cgroup", "ipc", "mount", "network", "pid", "uts");
        ArrayNode caps = linux.putArray("capabilities");
        for (Capability c : Capability.values()) {
            caps.add("CAP_" + c.name());
        }
        ObjectNode cgroup = linux.putObject("cgroup");
        cgroup.put("v1", true);
        cgroup.put("v2", true);
        cgroup.put("systemd", false);
        cgroup.put("systemdUser", false);
        ObjectNode seccomp = linux.putObject("seccomp");
        seccomp.put("enabled", true);
        add(seccomp.putArray("actions"), "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
                "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP");
        add(seccomp.putArray("operators"), "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
                "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE");
        add(seccomp.putArray("archs"), "SCMP_ARCH_AARCH64", "SCMP_ARCH_X86_64");
        linux.putObject("apparmor").put("enabled", false);
        linux.putObject("selinux").put("enabled", false);
        ObjectNode annotations = f.putObject("annotations");
        annotations.put("org.opencontainers.runc.checkpoint.enabled", "false");
        annotations.put("dev.rabbithole.runtime", "stage 3 runc on stage 2's libcontainer");
        return f;
    }

    private static void add(ArrayNode a, String... values) {
        List.of(values).forEach(a::add);
    }
}
