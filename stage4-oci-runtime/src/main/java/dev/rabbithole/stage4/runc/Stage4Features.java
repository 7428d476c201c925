package dev.rabbithole.stage4.runc;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage3.runc.FeaturesCommand;

import java.util.List;

/**
 * {@code rabbithole-runc features}: the runtime-spec 1.2 features document (features.md, features-linux.md) for
 * what stage 4's runtime implements. It is stage 3's document ({@link FeaturesCommand#document()}) grown by what
 * stage 4 adds: spec versions up to {@value #OCI_VERSION_MAX}, the six hooks (createContainer and startContainer
 * are run by the container's init, see {@link Stage4Extension}), the seccomp filter flags
 * {@link Stage4SpecConverter} accepts, and Intel RDT, id-mapped mounts and RDMA cgroups as disabled (their fields
 * are refused at create); AppArmor and SELinux stay disabled whatever the host has.
 */
public final class Stage4Features {

    /** The newest runtime-spec version whose config.json this runtime reads. */
    public static final String OCI_VERSION_MAX = "1.2.0";

    private Stage4Features() {
    }

    /**
     * @return the document, keys in runc's order
     */
    public static ObjectNode document() {
        ObjectNode f = FeaturesCommand.document();
        f.put("ociVersionMax", OCI_VERSION_MAX);
        add(f.putArray("hooks"), "prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop");
        add(f.putArray("mountOptions"), "bind", "defaults", "dev", "exec", "noatime", "nodev", "noexec", "nosuid",
                "private", "rbind", "relatime", "ro", "rprivate", "rshared", "rslave", "runbindable", "rw", "shared",
                "slave", "strictatime", "suid", "sync", "unbindable");
        ObjectNode linux = (ObjectNode) f.get("linux");
        ((ObjectNode) linux.get("cgroup")).put("rdma", false);
        ObjectNode seccomp = (ObjectNode) linux.get("seccomp");
        add(seccomp.putArray("knownFlags"), "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV");
        add(seccomp.putArray("supportedFlags"), "SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                "SECCOMP_FILTER_FLAG_SPEC_ALLOW");
        linux.putObject("intelRdt").put("enabled", false);
        linux.putObject("mountExtensions").putObject("idmap").put("enabled", false);
        ObjectNode annotations = (ObjectNode) f.remove("annotations"); // after potentiallyUnsafeConfigAnnotations
        f.putArray("potentiallyUnsafeConfigAnnotations");
        annotations.put("dev.rabbithole.runtime", "stage 4 runc on stage 2's libcontainer");
        f.set("annotations", annotations);
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
