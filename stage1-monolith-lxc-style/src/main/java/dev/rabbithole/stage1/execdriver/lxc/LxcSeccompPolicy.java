package dev.rabbithole.stage1.execdriver.lxc;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.security.SeccompProfile;

import java.util.List;

/**
 * Renders a Docker-format {@link SeccompProfile} as an LXC seccomp policy, version 2
 * (lxc.container.conf(5), "SECCOMP CONFIGURATION"; the file {@code lxc.seccomp.profile} names).
 * <p>
 * The format: line 1 {@code 2}; line 2 {@code denylist} (everything not listed is allowed) or
 * {@code allowlist ACTION} (everything not listed gets ACTION); then an architecture section,
 * {@code [all]} for every architecture LXC loads (on x86_64: x86_64, i386 and x32); then one line per
 * syscall, {@code NAME ACTION [ARG]...}, ACTION one of {@code allow}, {@code kill}, {@code trap},
 * {@code errno N}, an argument condition {@code [INDEX,VALUE,OP]} or, for {@code SCMP_CMP_MASKED_EQ},
 * {@code [INDEX,VALUE,SCMP_CMP_MASKED_EQ,MASK]}. LXC skips syscall names its libseccomp does not know
 * (logged at INFO), as Docker does.
 */
public final class LxcSeccompPolicy {
    private LxcSeccompPolicy() { }

    // tag::lxc-seccomp[]
    /**
     * The policy text for a profile.
     *
     * @param profile a parsed profile (see {@code SeccompProfiles.parse}) whose conditions are decided
     *                (see {@code SeccompConditions.resolve})
     * @return the text of the policy file, lines ending in {@code \n}
     * @throws InvalidParameterException an action LXC 5.0 cannot express ({@code SCMP_ACT_TRACE},
     *         {@code SCMP_ACT_LOG}, {@code SCMP_ACT_NOTIFY}) or an unknown action
     * @throws IllegalArgumentException a rule still carries {@code includes} or {@code excludes}
     */
    public static String render(SeccompProfile profile) {
        StringBuilder out = new StringBuilder("2\n");
        if (profile.defaultAction().equals("SCMP_ACT_ALLOW")) {
            out.append("denylist\n");                     // not listed: allowed
        } else {
            out.append("allowlist ")                      // not listed: the default action
               .append(action(profile.defaultAction(), profile.defaultErrnoRet())).append('\n');
        }
        out.append("[all]\n");
        String defaultAction = action(profile.defaultAction(), profile.defaultErrnoRet());
        for (SeccompProfile.Rule rule : profile.syscalls() == null ? List.<SeccompProfile.Rule>of()
                                                                    : profile.syscalls()) {
            if (rule.conditional()) {
                throw new IllegalArgumentException("seccomp rule for " + rule.names()
                        + " still has includes/excludes: resolve the profile for the container first");
            }
            String action = action(rule.action(), rule.errnoRet());
            if (action.equals(defaultAction)) {
                continue;                                 // libseccomp refuses a rule that repeats the default
            }
            StringBuilder args = new StringBuilder();
            for (SeccompProfile.Arg arg : rule.args() == null ? List.<SeccompProfile.Arg>of() : rule.args()) {
                args.append(' ').append(condition(arg));
            }
            for (String name : rule.names()) {
                out.append(name).append(' ').append(action).append(args).append('\n');
            }
        }
        return out.toString();
    }

    /** Docker's {@code SCMP_ACT_*} as LXC's action word. */
    static String action(String scmpAction, Integer errnoRet) {
        return switch (scmpAction) {
            case "SCMP_ACT_ALLOW" -> "allow";
            case "SCMP_ACT_ERRNO" -> "errno " + (errnoRet == null ? 1 : errnoRet);   // EPERM by default
            case "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS" -> "kill";
            case "SCMP_ACT_TRAP" -> "trap";
            case "SCMP_ACT_TRACE", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY" -> throw new InvalidParameterException(
                    "seccomp action " + scmpAction + " is not supported by the lxc exec driver");
            default -> throw new InvalidParameterException("seccomp profile: unknown action \"" + scmpAction + "\"");
        };
    }

    /**
     * An argument condition. Docker's JSON follows libseccomp: for {@code SCMP_CMP_MASKED_EQ} {@code value}
     * is the mask and {@code valueTwo} the expected result; LXC writes the expected value second and the
     * mask fourth.
     */
    static String condition(SeccompProfile.Arg arg) {
        if (arg.op().equals("SCMP_CMP_MASKED_EQ")) {
            return "[" + arg.index() + "," + Long.toUnsignedString(arg.valueTwo()) + ",SCMP_CMP_MASKED_EQ,"
                    + Long.toUnsignedString(arg.value()) + "]";
        }
        return "[" + arg.index() + "," + Long.toUnsignedString(arg.value()) + "," + arg.op() + "]";
    }
    // end::lxc-seccomp[]
}
