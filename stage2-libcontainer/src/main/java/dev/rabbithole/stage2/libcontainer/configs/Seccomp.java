package dev.rabbithole.stage2.libcontainer.configs;

import java.util.List;

/**
 * A seccomp filter to compile to BPF, as runc's {@code configs.Seccomp} and the runtime-spec's "linux.seccomp".
 *
 * @param defaultAction   action for syscalls no rule matches
 * @param defaultErrno    errno returned by a default {@link Action#ERRNO}
 * @param architectures   audit architectures accepted ({@code SCMP_ARCH_X86_64}, {@code SCMP_ARCH_AARCH64}); others are killed
 * @param rules           rules, first match wins
 */
public record Seccomp(Action defaultAction, int defaultErrno, List<String> architectures, List<Rule> rules) {

    /** Seccomp return actions (seccomp(2), SECCOMP_RET_*). */
    public enum Action { ALLOW, ERRNO, KILL_PROCESS, KILL_THREAD, TRAP, TRACE, LOG }

    /**
     * @param names  syscall names
     * @param action what happens on a match
     * @param errno  errno for {@link Action#ERRNO}
     * @param args   conditions on arguments, all must hold; empty for none
     */
    public record Rule(List<String> names, Action action, int errno, List<ArgCondition> args) {
    }

    /**
     * A condition on one syscall argument (64-bit compare).
     *
     * @param index    argument 0..5
     * @param value    compared value (for MASKED_EQ: the mask)
     * @param valueTwo for MASKED_EQ: the expected (arg &amp; mask)
     * @param op       comparison
     */
    public record ArgCondition(int index, long value, long valueTwo, Op op) {
    }

    /** Comparisons, as libseccomp's SCMP_CMP_*. */
    public enum Op { EQ, NE, LT, LE, GT, GE, MASKED_EQ }
}
