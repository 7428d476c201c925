package dev.rabbithole.stage4.runc;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage2.libcontainer.capabilities.Capability;

import java.util.List;

/**
 * {@code rabbithole-runc features}: the runtime-spec 1.2 features document (features.md, features-linux.md) for
 * what stage 4's runtime implements: the spec versions it reads, the six hooks (createContainer and
 * startContainer are run by the container's init, see {@link Stage4Extension}), the mount options libcontainer's mount parser knows, the namespaces, capabilities, cgroup drivers, seccomp actions,
 * operators, architectures and filter flags {@link Stage4SpecConverter} accepts; AppArmor, SELinux, Intel RDT and
 * id-mapped mounts as disabled (their fields are refused at create).
 */
public final class Stage4Features {

    /** The newest runtime-spec version whose config.json this runtime reads. */
    public static final String OCI_VERSION_MAX = "1.2.0";

    private Stage4Features() {
    }

    /**
     * @return the document
     */
    public static ObjectNode document() {
        ObjectMapper json = new ObjectMapper();
        ObjectNode f = json.createObjectNode();
        f.put("ociVersionMin", "1.0.0");
        f.put("ociVersionMax", OCI_VERSION_MAX);
        add(f.putArray("hooks"), "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop");
        add(f.putArray("mountOptions"), "bind", "defaults", "dev", "exec", "noatime", "nodev", "noexec", "nosuid",
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
        cgroup.put("rdma", false);
        ObjectNode seccomp = linux.putObject("seccomp");
        seccomp.put("enabled", true);
        add(seccomp.putArray("actions"), "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS",
                "SCMP_ACT_KILL_THREAD", "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_TRAP");
        add(seccomp.putArray("operators"), "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_LE", "SCMP_CMP_LT",
                "SCMP_CMP_MASKED_EQ", "SCMP_CMP_NE");
        add(seccomp.putArray("archs"), "SCMP_ARCH_AARCH64", "SCMP_ARCH_X86_64");
        add(seccomp.putArray("knownFlags"), "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");
        add(seccomp.putArray("supportedFlags"), "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                "SECCOMP_FILTER_FLAG_SPEC_ALLOW");
        // this runtime applies no LSM label, whatever the host has: a profile or label is refused at create
        linux.putObject("apparmor").put("enabled", false);
        linux.putObject("selinux").put("enabled", false);
        linux.putObject("intelRdt").put("enabled", false);
        linux.putObject("mountExtensions").putObject("idmap").put("enabled", false);
        f.putArray("potentiallyUnsafeConfigAnnotations");
        ObjectNode annotations = f.putObject("annotations");
        annotations.put("org.opencontainers.runc.checkpoint.enabled", "false");
        annotations.put("dev.rabbithole.runtime", "stage 4 runc on stage 2's libcontainer");
        return f;
    }

    /**
     * Prints the document with runc's four-space indent.
     *
     * @param out where to
     * @return 0
     */
    public static int print(java.io.PrintStream out) {
        out.println(dev.rabbithole.stage3.runc.GoJson.indent(document(), "    "));
        return 0;
    }

    private static void add(ArrayNode a, String... values) {
        List.of(values).forEach(a::add);
    }
}
