package dev.rabbithole.labs.check;

/**
 * The usual mistakes that show in what the runtime printed when the container did not start: a kernel call that
 * failed, recognised by the call's name in the stack trace and the errno JNA puts in its message ("[22] Invalid
 * argument"). The other mistakes are recognised by each lab's checker from the state it observes.
 */
final class Hints {
    private Hints() {}

    private static final java.util.regex.Pattern FRAME = java.util.regex.Pattern.compile("Lab\\d\\d\\.java:(\\d+)\\)");

    // the line of the attendee's source where the exception was thrown (its first LabNN.java frame), or ""
    static String failingLine(String output, java.nio.file.Path source) {
        java.util.regex.Matcher m = FRAME.matcher(output);
        if (!m.find()) return "";
        java.util.List<String> lines = Proc.lines(source);
        int n = Integer.parseInt(m.group(1));
        return n >= 1 && n <= lines.size() ? lines.get(n - 1).strip() : "";
    }

    /**
     * Adds a hint to the report for each known mistake the runtime's output shows.
     *
     * @param output what the runtime (parent and init) printed
     * @param source the attendee's LabNN.java, to see which call failed
     * @param report the report
     */
    static void fromRuntimeOutput(String output, java.nio.file.Path source, Report report) {
        String line = failingLine(output, source);
        boolean pivot = line.contains("pivot_root") || output.contains("pivot_root");
        if (pivot && output.contains("LastErrorException: [22]")) {
            report.hint("pivot-root-shared", "pivot_root failed with EINVAL (pivot_root(2)): / or the new root's parent mount is "
                    + "shared, as systemd makes / on most hosts, and pivot_root refuses to move shared mounts: make every mount "
                    + "private first, recursively: mount(null, \"/\", null, MS_REC | MS_PRIVATE, null)");
        }
        if (pivot && output.contains("LastErrorException: [16]")) {
            report.hint("pivot-root-not-a-mount", "pivot_root failed with EBUSY (pivot_root(2)): the new root is on the same mount "
                    + "as the current root. Make it a mount point of its own first: bind-mount the rootfs onto itself "
                    + "(MS_BIND | MS_REC)");
        }
        if (output.contains("nsenter") && output.contains("Cannot find device")) {
            report.hint("veth-not-moved", "the container's end of the veth is not in the container's network namespace: "
                    + "ip link add PEERVETH type veth peer name CTRVETH netns PID puts it there; without netns PID both ends "
                    + "stay where ip ran: in the peer namespace with ip -n PEERNS, in the host's without it (never do that)");
        }
        boolean seccomp = line.contains("PR_SET_SECCOMP") || output.contains("seccomp(");
        if (seccomp && output.contains("LastErrorException: [13]")) {
            report.hint("seccomp-before-nnp", "installing the seccomp filter failed with EACCES (seccomp(2)): without CAP_SYS_ADMIN, "
                    + "and the capabilities are dropped by then, the kernel wants no_new_privs first: "
                    + "prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), then prctl(PR_SET_SECCOMP, ...)");
        }
    }
}
