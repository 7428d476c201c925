package dev.rabbithole.stage1.security;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Set;

/**
 * The default seccomp profile and the parser for Docker-format profile JSON (moby {@code profiles/seccomp},
 * the format {@code docker run --security-opt seccomp=FILE.json} takes).
 */
public final class SeccompProfiles {
    private SeccompProfiles() { }

    /** The actions of Docker's profile format (libseccomp's {@code SCMP_ACT_*}). */
    public static final Set<String> ACTIONS = Set.of(
            "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_TRAP",
            "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY");

    /** The comparison operators of Docker's profile format (libseccomp's {@code SCMP_CMP_*}). */
    public static final Set<String> OPERATORS = Set.of(
            "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT",
            "SCMP_CMP_MASKED_EQ");

    private static final String RESOURCE = "default-seccomp.json";
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .configure(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES, false);

    /**
     * The default profile, Docker 20.10's: an allowlist (every syscall not listed fails with EPERM) of about 350
     * syscalls, plus rules that depend on the container ({@code mount}, {@code unshare}, {@code setns}, ... with
     * {@code CAP_SYS_ADMIN}; {@code ptrace} from Linux 4.8 or with {@code CAP_SYS_PTRACE}; {@code arch_prctl} on
     * x86; {@code clone} without namespace flags unless {@code CAP_SYS_ADMIN}). Decide those with
     * {@link SeccompConditions#resolve} before an exec driver uses the profile. Loaded from the resource
     * {@code default-seccomp.json} beside this class.
     *
     * @throws IllegalStateException the resource is missing or broken (a build error)
     */
    public static SeccompProfile defaultProfile() {
        try (InputStream in = SeccompProfiles.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("resource " + RESOURCE + " missing from the jar");
            }
            return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The default profile as a container with these capabilities gets it on this host: {@link #defaultProfile()}
     * with its conditions decided by {@link SeccompConditions#resolve} for the host's architecture and kernel.
     *
     * @param capabilities the container's capabilities, names without {@code CAP_} ({@link Capabilities#resolve})
     * @return a profile without conditional rules
     * @throws IllegalStateException the resource is broken or the kernel version unreadable
     */
    public static SeccompProfile defaultFor(java.util.Set<String> capabilities) {
        return SeccompConditions.resolve(defaultProfile(), SeccompConditions.Facts.host(capabilities));
    }

    /**
     * Parses a Docker-format profile and checks its actions and operators.
     *
     * @param json the profile's text (the docker CLI inlines the file's text in {@code SecurityOpt})
     * @throws InvalidParameterException malformed JSON, a missing {@code defaultAction}, an unknown action or
     *         operator, an argument index outside 0..5, a {@code minKernel} that is not {@code MAJOR.MINOR}
     */
    public static SeccompProfile parse(String json) {
        SeccompProfile profile;
        try {
            profile = MAPPER.readValue(json, SeccompProfile.class);
        } catch (JsonProcessingException e) {
            throw new InvalidParameterException("decoding seccomp profile failed: " + e.getOriginalMessage(), e);
        }
        if (profile == null || profile.defaultAction() == null) {
            throw new InvalidParameterException("decoding seccomp profile failed: no defaultAction");
        }
        checkAction(profile.defaultAction());
        if (profile.syscalls() != null) {
            for (SeccompProfile.Rule rule : profile.syscalls()) {
                checkAction(rule.action());
                if (rule.names() == null || rule.names().isEmpty()) {
                    throw new InvalidParameterException("seccomp profile: a rule without syscall names");
                }
                for (SeccompProfile.Filter f : new SeccompProfile.Filter[] {rule.includes(), rule.excludes()}) {
                    if (f != null) {
                        SeccompConditions.checkMinKernel(f.minKernel());
                    }
                }
                if (rule.args() != null) {
                    for (SeccompProfile.Arg arg : rule.args()) {
                        if (arg.index() < 0 || arg.index() > 5) {
                            throw new InvalidParameterException(
                                    "seccomp profile: argument index " + arg.index() + " outside 0..5");
                        }
                        if (!OPERATORS.contains(arg.op())) {
                            throw new InvalidParameterException(
                                    "seccomp profile: unknown operator \"" + arg.op() + "\"");
                        }
                    }
                }
            }
        }
        return profile;
    }

    private static void checkAction(String action) {
        if (!ACTIONS.contains(action)) {
            throw new InvalidParameterException("seccomp profile: unknown action \"" + action + "\"");
        }
    }
}
