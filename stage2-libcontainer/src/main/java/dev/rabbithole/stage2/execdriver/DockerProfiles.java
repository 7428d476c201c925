package dev.rabbithole.stage2.execdriver;

import dev.rabbithole.stage1.security.SeccompProfile;
import dev.rabbithole.stage2.libcontainer.configs.Seccomp;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Converts a Docker-format profile (stage 1's {@link SeccompProfile}, what {@code --security-opt seccomp=FILE}
 * takes) to libcontainer's {@link Seccomp}, as moby's {@code profiles/seccomp} hands a profile to runc:
 * {@code SCMP_ACT_*} to actions, {@code SCMP_CMP_*} to comparisons, {@code SCMP_ARCH_*} kept by name; a
 * missing {@code errnoRet} means EPERM (1). The Docker format is the exec driver's business: libcontainer takes the
 * complete {@link Seccomp} only and knows nothing of stage 1.
 */
public final class DockerProfiles {
    private DockerProfiles() { }

    /** EPERM, Docker's errno when a profile gives none. */
    public static final int EPERM = 1;

    /**
     * The libcontainer config for a Docker profile.
     *
     * @param profile the parsed profile
     * @return the config; rules without names are dropped
     * @throws IllegalArgumentException an unknown {@code SCMP_ACT_*} or {@code SCMP_CMP_*} (message names it), or
     *         a rule that still has {@code includes}/{@code excludes}: which rules apply to a container is Docker's
     *         policy, decided by the caller before (stage 1's {@code SeccompConditions.resolve})
     */
    public static Seccomp toConfig(SeccompProfile profile) {
        List<Seccomp.Rule> rules = new ArrayList<>();
        if (profile.syscalls() != null) {
            for (SeccompProfile.Rule r : profile.syscalls()) {
                if (r.names() == null || r.names().isEmpty()) {
                    continue;
                }
                if (r.conditional()) {
                    throw new IllegalArgumentException("rule for " + r.names()
                            + " still has includes/excludes: resolve the profile for the container first");
                }
                List<Seccomp.ArgCondition> args = new ArrayList<>();
                if (r.args() != null) {
                    for (SeccompProfile.Arg a : r.args()) {
                        args.add(new Seccomp.ArgCondition(a.index(), a.value(), a.valueTwo(), op(a.op())));
                    }
                }
                rules.add(new Seccomp.Rule(List.copyOf(r.names()), action(r.action()), errno(r.errnoRet()),
                        List.copyOf(args)));
            }
        }
        return new Seccomp(action(profile.defaultAction()), errno(profile.defaultErrnoRet()),
                profile.architectures() == null ? List.of() : List.copyOf(profile.architectures()), rules);
    }

    /**
     * A libseccomp action name as an action.
     *
     * @param name {@code SCMP_ACT_ALLOW}, {@code SCMP_ACT_ERRNO}, {@code SCMP_ACT_KILL} (kills the thread, as in
     *             libseccomp), {@code SCMP_ACT_KILL_THREAD}, {@code SCMP_ACT_KILL_PROCESS}, {@code SCMP_ACT_TRAP},
     *             {@code SCMP_ACT_TRACE}, {@code SCMP_ACT_LOG}
     * @throws IllegalArgumentException another name
     */
    public static Seccomp.Action action(String name) {
        String n = name == null ? "" : name.toUpperCase(Locale.ROOT);
        return switch (n) {
            case "SCMP_ACT_ALLOW" -> Seccomp.Action.ALLOW;
            case "SCMP_ACT_ERRNO" -> Seccomp.Action.ERRNO;
            case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD" -> Seccomp.Action.KILL_THREAD;
            case "SCMP_ACT_KILL_PROCESS" -> Seccomp.Action.KILL_PROCESS;
            case "SCMP_ACT_TRAP" -> Seccomp.Action.TRAP;
            case "SCMP_ACT_TRACE" -> Seccomp.Action.TRACE;
            case "SCMP_ACT_LOG" -> Seccomp.Action.LOG;
            default -> throw new IllegalArgumentException("unknown seccomp action: " + name);
        };
    }

    /**
     * A libseccomp comparison name as a comparison.
     *
     * @param name {@code SCMP_CMP_EQ}, {@code _NE}, {@code _LT}, {@code _LE}, {@code _GT}, {@code _GE},
     *             {@code _MASKED_EQ}
     * @throws IllegalArgumentException another name
     */
    public static Seccomp.Op op(String name) {
        String n = name == null ? "" : name.toUpperCase(Locale.ROOT);
        if (!n.startsWith("SCMP_CMP_")) {
            throw new IllegalArgumentException("unknown seccomp comparison: " + name);
        }
        try {
            return Seccomp.Op.valueOf(n.substring("SCMP_CMP_".length()));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown seccomp comparison: " + name, e);
        }
    }

    private static int errno(Integer errnoRet) {
        return errnoRet == null ? EPERM : errnoRet;
    }
}
