package dev.rabbithole.stage1.security;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decides the conditional rules of a Docker-format seccomp profile for one container, before an exec driver turns
 * the profile into an LXC policy or a BPF program: what moby's {@code profiles/seccomp} does when it builds a
 * container's spec ({@code setupSeccomp}). A rule's {@code includes} and {@code excludes} name capabilities,
 * architectures and a minimum kernel version; Docker's default profile allows {@code unshare}, {@code mount},
 * {@code setns}, ... only with {@code CAP_SYS_ADMIN}, {@code arch_prctl} only on x86, {@code ptrace} only from
 * Linux 4.8 (or with {@code CAP_SYS_PTRACE}).
 *
 * <p>The rules, as moby's: a rule is dropped when
 * <ul>
 * <li>{@code excludes.arches} holds the host's architecture, or {@code excludes.caps} holds any capability the
 *     container has, or the running kernel is at least {@code excludes.minKernel};</li>
 * <li>{@code includes.arches} is given and does not hold the host's architecture, or {@code includes.caps} holds a
 *     capability the container lacks, or the running kernel is older than {@code includes.minKernel}.</li>
 * </ul>
 * Every other rule is kept, without its conditions; the order of the rules is kept.
 */
public final class SeccompConditions {
    private SeccompConditions() { }

    private static final Pattern KERNEL = Pattern.compile("^(\\d+)\\.(\\d+)");

    /**
     * The facts a profile is resolved against.
     *
     * @param capabilities the container's capabilities (its bounding set), names without {@code CAP_}
     *                     ({@code SYS_ADMIN}), as {@link Capabilities#resolve} returns them
     * @param arch         the host's architecture as Docker names it ({@code amd64}, {@code arm64}; see
     *                     {@link #hostArch()})
     * @param kernelMajor  the running kernel's first version number (6 for 6.1.0-13-amd64)
     * @param kernelMinor  its second (1 for 6.1.0-13-amd64)
     */
    public record Facts(Set<String> capabilities, String arch, int kernelMajor, int kernelMinor) {

        /**
         * The facts of a container on this host: its capabilities, the JVM's architecture and the running kernel
         * ({@code os.version}, which is uname(2)'s release).
         *
         * @param capabilities names without {@code CAP_}
         * @throws IllegalStateException the kernel release does not start with {@code MAJOR.MINOR}
         */
        public static Facts host(Set<String> capabilities) {
            int[] kernel = kernelVersion(System.getProperty("os.version", ""));
            if (kernel == null) {
                throw new IllegalStateException("cannot read the kernel version from \""
                        + System.getProperty("os.version") + "\"");
            }
            return new Facts(capabilities, hostArch(), kernel[0], kernel[1]);
        }
    }

    // tag::seccomp-conditions[]
    /**
     * The profile with its conditions decided: the rules that apply to this container, none conditional.
     *
     * @param profile a parsed profile; may be null (no filter), which is returned as is
     * @param facts   the container's capabilities, the host's architecture, the running kernel
     * @return a profile whose rules carry no {@code includes} or {@code excludes}
     * @throws InvalidParameterException a {@code minKernel} that is not {@code MAJOR.MINOR}
     */
    public static SeccompProfile resolve(SeccompProfile profile, Facts facts) {
        if (profile == null || profile.syscalls() == null) {
            return profile;
        }
        Set<String> caps = new TreeSet<>();
        facts.capabilities().forEach(c -> caps.add(withPrefix(c)));       // the profile says CAP_SYS_ADMIN
        List<SeccompProfile.Rule> kept = new ArrayList<>();
        for (SeccompProfile.Rule rule : profile.syscalls()) {
            if (applies(rule, caps, facts)) {
                kept.add(new SeccompProfile.Rule(rule.names(), rule.action(), rule.errnoRet(), rule.args()));
            }
        }
        return new SeccompProfile(profile.defaultAction(), profile.defaultErrnoRet(), profile.architectures(),
                List.copyOf(kept));
    }

    private static boolean applies(SeccompProfile.Rule rule, Set<String> caps, Facts facts) {
        SeccompProfile.Filter ex = rule.excludes();
        if (ex != null) {
            if (has(ex.arches()) && ex.arches().contains(facts.arch())) {
                return false;
            }
            if (has(ex.caps()) && ex.caps().stream().anyMatch(c -> caps.contains(withPrefix(c)))) {
                return false;                                               // any one of them excludes
            }
            if (ex.minKernel() != null && !ex.minKernel().isEmpty() && atLeast(facts, ex.minKernel())) {
                return false;
            }
        }
        SeccompProfile.Filter in = rule.includes();
        if (in != null) {
            if (has(in.arches()) && !in.arches().contains(facts.arch())) {
                return false;
            }
            if (has(in.caps()) && !in.caps().stream().allMatch(c -> caps.contains(withPrefix(c)))) {
                return false;                                               // every one of them is needed
            }
            if (in.minKernel() != null && !in.minKernel().isEmpty() && !atLeast(facts, in.minKernel())) {
                return false;
            }
        }
        return true;
    }
    // end::seccomp-conditions[]

    /**
     * Whether the running kernel (the facts') is at least a version; patch levels and suffixes are ignored, as in
     * Docker ({@code 4.8} is met by {@code 4.8.0-1-amd64}).
     *
     * @param version {@code MAJOR.MINOR}
     * @throws InvalidParameterException another form
     */
    static boolean atLeast(Facts facts, String version) {
        int[] v = kernelVersion(version);
        if (v == null || !version.matches("\\d+\\.\\d+")) {
            throw new InvalidParameterException("seccomp profile: invalid minKernel \"" + version
                    + "\", expected MAJOR.MINOR such as \"4.8\"");
        }
        return facts.kernelMajor() != v[0] ? facts.kernelMajor() > v[0] : facts.kernelMinor() >= v[1];
    }

    /**
     * Checks a {@code minKernel} of a profile at parse time.
     *
     * @param version the value; null or empty is accepted (no condition)
     * @throws InvalidParameterException not {@code MAJOR.MINOR}
     */
    public static void checkMinKernel(String version) {
        if (version != null && !version.isEmpty() && !version.matches("\\d{1,9}\\.\\d{1,9}")) {
            throw new InvalidParameterException("seccomp profile: invalid minKernel \"" + version
                    + "\", expected MAJOR.MINOR such as \"4.8\"");
        }
    }

    /**
     * The host's architecture as Docker's profiles name it (Go's {@code GOARCH} mapped by moby:
     * {@code amd64}, {@code arm64}, {@code x86}, {@code arm}, {@code ppc64le}, {@code s390x}, ...), from the JVM's
     * {@code os.arch}.
     *
     * @return the name; {@code os.arch} itself for an architecture not in the table
     */
    public static String hostArch() {
        String a = System.getProperty("os.arch", "").toLowerCase(Locale.ROOT);
        return switch (a) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64", "arm64" -> "arm64";
            case "x86", "i386", "i486", "i586", "i686" -> "x86";
            case "arm", "armv7l" -> "arm";
            default -> a;
        };
    }

    /** @return {MAJOR, MINOR} of a release such as {@code 6.1.0-13-amd64}, or null */
    static int[] kernelVersion(String release) {
        Matcher m = KERNEL.matcher(release == null ? "" : release);
        if (!m.find()) {
            return null;
        }
        try {
            return new int[] {Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))};
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static boolean has(List<String> list) {
        return list != null && !list.isEmpty();
    }

    private static String withPrefix(String cap) {
        String upper = cap.trim().toUpperCase(Locale.ROOT);
        return upper.startsWith("CAP_") ? upper : "CAP_" + upper;
    }
}
