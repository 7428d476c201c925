package dev.rabbithole.stage2.execdriver;

import dev.rabbithole.stage1.security.Capabilities;
import dev.rabbithole.stage1.security.SeccompConditions;
import dev.rabbithole.stage1.security.SeccompProfile;
import dev.rabbithole.stage1.security.SeccompProfiles;
import dev.rabbithole.stage2.libcontainer.seccomp.BpfProgram;
import dev.rabbithole.stage2.libcontainer.seccomp.SeccompCompiler;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the native driver's seccomp compiler leaves out of a profile, said once: the default profile names
 * architectures this compiler does not build for ({@code SCMP_ARCH_X86}, {@code SCMP_ARCH_X32}, {@code SCMP_ARCH_ARM})
 * and syscalls that only other architectures have ({@code _llseek}, {@code mmap2}, ...), which it skips, as
 * libseccomp skips names the kernel lacks. The same profile compiles for every container, so the daemon logs this
 * summary at its start, and the details per container only at debug level.
 */
public final class SeccompReport {
    private SeccompReport() { }

    private static final Pattern UNKNOWN = Pattern.compile("^syscall (\\S+) unknown on (\\S+), skipped$");

    /**
     * The summary for the default profile, decided for Docker's default capabilities on this host.
     *
     * @return one line: the program's length, the architectures left out, how many syscall names were skipped per
     *         architecture, with a few examples
     * @throws IllegalStateException the embedded profile is broken (a build error)
     */
    public static String defaultProfileSummary() {
        return summary("default seccomp profile", SeccompProfiles.defaultFor(Capabilities.DOCKER_DEFAULT));
    }

    /**
     * The summary for a profile whose conditions are decided.
     *
     * @param what    how to name the profile in the line
     * @param profile a profile without conditional rules (see {@link SeccompConditions#resolve})
     * @return one line, as {@link #defaultProfileSummary()}
     * @throws IllegalArgumentException the profile does not compile
     */
    public static String summary(String what, SeccompProfile profile) {
        BpfProgram program = SeccompCompiler.compile(DockerProfiles.toConfig(profile));
        return summary(what, program);
    }

    /**
     * The summary of a compiled program's warnings.
     *
     * @param what    how to name the profile in the line
     * @param program a program from {@link SeccompCompiler#compile}
     * @return one line
     */
    public static String summary(String what, BpfProgram program) {
        List<String> arches = new ArrayList<>();
        Map<String, List<String>> unknown = new TreeMap<>();
        List<String> other = new ArrayList<>();
        for (String w : program.warnings()) {
            Matcher m = UNKNOWN.matcher(w);
            if (m.matches()) {
                unknown.computeIfAbsent(m.group(2), k -> new ArrayList<>()).add(m.group(1));
            } else if (w.startsWith("architecture ")) {
                arches.add(w.split(" ")[1]);
            } else {
                other.add(w);
            }
        }
        StringBuilder line = new StringBuilder("seccomp: ").append(what).append(": ")
                .append(program.length()).append(" BPF instructions");
        if (!arches.isEmpty()) {
            line.append("; architectures not supported by this compiler, their syscalls are killed: ")
                    .append(String.join(", ", arches));
        }
        unknown.forEach((arch, names) -> line.append("; ").append(names.size()).append(" syscall names unknown on ")
                .append(arch).append(", skipped (").append(String.join(", ", names.subList(0, Math.min(5, names.size()))))
                .append(names.size() > 5 ? ", ..." : "").append(")"));
        other.forEach(w -> line.append("; ").append(w));
        return line.append(". Per container at debug level (-Drabbithole.log.level=debug).").toString();
    }
}
