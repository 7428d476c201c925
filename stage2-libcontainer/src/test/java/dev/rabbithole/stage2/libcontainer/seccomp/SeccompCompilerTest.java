package dev.rabbithole.stage2.libcontainer.seccomp;

import dev.rabbithole.stage2.libcontainer.configs.Seccomp;
import dev.rabbithole.stage2.libcontainer.configs.Seccomp.Action;
import dev.rabbithole.stage2.libcontainer.configs.Seccomp.ArgCondition;
import dev.rabbithole.stage2.libcontainer.configs.Seccomp.Op;
import dev.rabbithole.stage2.libcontainer.configs.Seccomp.Rule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static dev.rabbithole.stage2.libcontainer.seccomp.BpfInterpreter.verdict;
import static dev.rabbithole.stage2.libcontainer.seccomp.SeccompCompiler.RET_ALLOW;
import static dev.rabbithole.stage2.libcontainer.seccomp.SeccompCompiler.RET_ERRNO;
import static dev.rabbithole.stage2.libcontainer.seccomp.SeccompCompiler.RET_KILL_PROCESS;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SeccompCompilerTest {
    static final int EPERM = 1;
    static final List<String> X86_64 = List.of("SCMP_ARCH_X86_64");
    static final List<String> BOTH = List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64");

    static Rule rule(Action action, int errno, String... names) {
        return new Rule(List.of(names), action, errno, List.of());
    }

    static Seccomp denyMkdirMountUnshare(List<String> arches) {
        return new Seccomp(Action.ALLOW, 0, arches,
                List.of(rule(Action.ERRNO, EPERM, "mkdir", "mount", "unshare")));
    }

    @Test
    void blocksMkdirMountUnshareWithEpermAndAllowsTheRest() {
        BpfProgram p = SeccompCompiler.compile(denyMkdirMountUnshare(X86_64));
        for (String blocked : List.of("mkdir", "mount", "unshare")) {
            assertThat(verdict(p, Arch.X86_64, blocked)).as(blocked).isEqualTo(RET_ERRNO | EPERM);
        }
        for (String allowed : List.of("read", "write", "mkdirat", "umount2", "getpid", "execve", "clone")) {
            assertThat(verdict(p, Arch.X86_64, allowed)).as(allowed).isEqualTo(RET_ALLOW);
        }
        // every number in the table, and a few past it
        for (Map.Entry<String, Integer> e : SyscallTable.of(Arch.X86_64).all().entrySet()) {
            boolean blocked = List.of("mkdir", "mount", "unshare").contains(e.getKey());
            assertThat(verdict(p, Arch.X86_64.auditArch, e.getValue()))
                    .as(e.getKey()).isEqualTo(blocked ? RET_ERRNO | EPERM : RET_ALLOW);
        }
        assertThat(verdict(p, Arch.X86_64.auditArch, 999)).isEqualTo(RET_ALLOW);
    }

    @Test
    void theSameProfileForAarch64UsesItsNumbersAndSkipsMkdirWithAWarning() {
        BpfProgram p = SeccompCompiler.compile(denyMkdirMountUnshare(BOTH));
        assertThat(p.warnings()).containsExactly("syscall mkdir unknown on aarch64, skipped");
        assertThat(verdict(p, Arch.AARCH64, "mount")).isEqualTo(RET_ERRNO | EPERM);   // 40 on aarch64
        assertThat(verdict(p, Arch.AARCH64, "unshare")).isEqualTo(RET_ERRNO | EPERM); // 97
        assertThat(verdict(p, Arch.AARCH64, "mkdirat")).isEqualTo(RET_ALLOW);
        assertThat(verdict(p, Arch.AARCH64.auditArch, 165)).as("x86_64's mount number on aarch64")
                .isEqualTo(RET_ALLOW);
        assertThat(verdict(p, Arch.X86_64, "mount")).isEqualTo(RET_ERRNO | EPERM);
        assertThat(verdict(p, Arch.X86_64.auditArch, 40)).as("aarch64's mount number on x86_64 is sendfile")
                .isEqualTo(RET_ALLOW);
    }

    @Test
    void anUnlistedArchitectureIsKilled() {
        BpfProgram p = SeccompCompiler.compile(denyMkdirMountUnshare(X86_64));
        int auditArchI386 = 0x40000003;
        assertThat(verdict(p, auditArchI386, 39)).isEqualTo(RET_KILL_PROCESS);
        assertThat(verdict(p, Arch.AARCH64.auditArch, 172)).isEqualTo(RET_KILL_PROCESS);
    }

    @Test
    void unsupportedArchitecturesAreSkippedWithAWarning() {
        BpfProgram p = SeccompCompiler.compile(new Seccomp(Action.ALLOW, 0,
                List.of("SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"), List.of()));
        assertThat(p.warnings()).hasSize(2).allMatch(w -> w.contains("not supported"));
        assertThat(verdict(p, 0x40000003, 20)).isEqualTo(RET_KILL_PROCESS);
        assertThatThrownBy(() -> SeccompCompiler.compile(new Seccomp(Action.ALLOW, 0, List.of("SCMP_ARCH_MIPS"),
                List.of()))).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SCMP_ARCH_MIPS");
    }

    @Test
    void x32SyscallsGetAnErrnoEvenUnderAnAllowDefault() {
        BpfProgram p = SeccompCompiler.compile(denyMkdirMountUnshare(X86_64));
        assertThat(verdict(p, Arch.X86_64.auditArch, 0x40000000 | 39)).isEqualTo(RET_ERRNO | EPERM);
        assertThat(verdict(p, Arch.X86_64.auditArch, 0x40000000 | 83)).isEqualTo(RET_ERRNO | EPERM);
        BpfProgram enosys = SeccompCompiler.compile(new Seccomp(Action.ERRNO, 38, X86_64,
                List.of(rule(Action.ALLOW, 0, "getpid"))));
        assertThat(verdict(enosys, Arch.X86_64.auditArch, 0x40000000 | 39)).isEqualTo(RET_ERRNO | 38);
        assertThat(verdict(enosys, Arch.X86_64, "getpid")).isEqualTo(RET_ALLOW);
        assertThat(verdict(enosys, Arch.X86_64, "getppid")).isEqualTo(RET_ERRNO | 38);
    }

    @Test
    void personalityIsAllowedOnlyWithTheQueryArgument() {
        Seccomp config = new Seccomp(Action.ERRNO, EPERM, X86_64, List.of(
                new Rule(List.of("personality"), Action.ALLOW, 0,
                        List.of(new ArgCondition(0, 0xffffffffL, 0, Op.EQ))),
                new Rule(List.of("personality"), Action.ALLOW, 0,
                        List.of(new ArgCondition(0, 0x0020008L, 0, Op.EQ))),
                rule(Action.ALLOW, 0, "read", "write")));
        BpfProgram p = SeccompCompiler.compile(config);
        assertThat(verdict(p, Arch.X86_64, "personality", 0xffffffffL)).isEqualTo(RET_ALLOW);
        assertThat(verdict(p, Arch.X86_64, "personality", 0x0020008L)).isEqualTo(RET_ALLOW);
        assertThat(verdict(p, Arch.X86_64, "personality", 0L)).isEqualTo(RET_ERRNO | EPERM);
        assertThat(verdict(p, Arch.X86_64, "personality", 0x1_ffffffffL)).as("high word differs")
                .isEqualTo(RET_ERRNO | EPERM);
        assertThat(verdict(p, Arch.X86_64, "read")).isEqualTo(RET_ALLOW);
        assertThat(verdict(p, Arch.X86_64, "getpid")).isEqualTo(RET_ERRNO | EPERM);
    }

    @ParameterizedTest
    @EnumSource(Op.class)
    void every64BitComparisonAgreesWithJava(Op op) {
        long[] interesting = {0, 1, 2, 0xffffffffL, 0x1_00000000L, 0x1_00000001L, 0x7fffffff_ffffffffL,
                0x80000000_00000000L, -1L, 0x12345678_9abcdef0L, 0x12345678_00000000L, 0x12345677_ffffffffL};
        Random random = new Random(42);
        List<Long> values = new ArrayList<>();
        for (long v : interesting) {
            values.add(v);
        }
        for (int i = 0; i < 8; i++) {
            values.add(random.nextLong());
        }
        for (long v : values) {
            long two = op == Op.MASKED_EQ ? (v & 0x0000ffff_0000ff00L) : 0;
            BpfProgram p = SeccompCompiler.compile(new Seccomp(Action.ERRNO, EPERM, X86_64, List.of(
                    new Rule(List.of("ioctl"), Action.ALLOW, 0, List.of(new ArgCondition(3, v, two, op))))));
            for (long arg : values) {
                boolean expected = switch (op) {
                    case EQ -> arg == v;
                    case NE -> arg != v;
                    case LT -> Long.compareUnsigned(arg, v) < 0;
                    case LE -> Long.compareUnsigned(arg, v) <= 0;
                    case GT -> Long.compareUnsigned(arg, v) > 0;
                    case GE -> Long.compareUnsigned(arg, v) >= 0;
                    case MASKED_EQ -> (arg & v) == two;
                };
                assertThat(verdict(p, Arch.X86_64, "ioctl", 0, 0, 0, arg))
                        .as("%016x %s %016x", arg, op, v).isEqualTo(expected ? RET_ALLOW : RET_ERRNO | EPERM);
            }
        }
    }

    @Test
    void conditionsOfARuleAllMustHoldAndTheFirstMatchingRuleWins() {
        long cloneNewUser = 0x10000000L;
        Seccomp config = new Seccomp(Action.ALLOW, 0, X86_64, List.of(
                new Rule(List.of("clone"), Action.ERRNO, EPERM,
                        List.of(new ArgCondition(0, cloneNewUser, cloneNewUser, Op.MASKED_EQ))),
                new Rule(List.of("socket"), Action.ERRNO, 97,
                        List.of(new ArgCondition(0, 16, 0, Op.EQ), new ArgCondition(2, 9, 0, Op.EQ))),
                rule(Action.ERRNO, 13, "socket"),
                rule(Action.ALLOW, 0, "socket")));
        BpfProgram p = SeccompCompiler.compile(config);
        assertThat(verdict(p, Arch.X86_64, "clone", 0x10000000L | 17)).isEqualTo(RET_ERRNO | EPERM);
        assertThat(verdict(p, Arch.X86_64, "clone", 17)).isEqualTo(RET_ALLOW);
        assertThat(verdict(p, Arch.X86_64, "socket", 16, 3, 9)).isEqualTo(RET_ERRNO | 97);
        assertThat(verdict(p, Arch.X86_64, "socket", 16, 3, 0)).as("second condition fails: next rule")
                .isEqualTo(RET_ERRNO | 13);
        assertThat(verdict(p, Arch.X86_64, "socket", 2, 1, 9)).isEqualTo(RET_ERRNO | 13);
    }

    @Test
    void actionsReturnTheKernelsValues() {
        assertThat(SeccompCompiler.ret(Action.ALLOW, 0)).isEqualTo(0x7fff0000);
        assertThat(SeccompCompiler.ret(Action.ERRNO, 1)).isEqualTo(0x00050001);
        assertThat(SeccompCompiler.ret(Action.KILL_PROCESS, 0)).isEqualTo(0x80000000);
        assertThat(SeccompCompiler.ret(Action.KILL_THREAD, 0)).isZero();
        assertThat(SeccompCompiler.ret(Action.TRAP, 0)).isEqualTo(0x00030000);
        assertThat(SeccompCompiler.ret(Action.TRACE, 7)).isEqualTo(0x7ff00007);
        assertThat(SeccompCompiler.ret(Action.LOG, 0)).isEqualTo(0x7ffc0000);
        BpfProgram p = SeccompCompiler.compile(new Seccomp(Action.KILL_THREAD, 0, X86_64, List.of(
                rule(Action.TRAP, 0, "ptrace"), rule(Action.LOG, 0, "getpid"), rule(Action.TRACE, 5, "getppid"),
                rule(Action.KILL_PROCESS, 0, "reboot"))));
        assertThat(verdict(p, Arch.X86_64, "ptrace")).isEqualTo(0x00030000);
        assertThat(verdict(p, Arch.X86_64, "getpid")).isEqualTo(0x7ffc0000);
        assertThat(verdict(p, Arch.X86_64, "getppid")).isEqualTo(0x7ff00005);
        assertThat(verdict(p, Arch.X86_64, "reboot")).isEqualTo(0x80000000);
        assertThat(verdict(p, Arch.X86_64, "read")).isZero();
    }

    @Test
    void aBigProfileStaysWithinTheLimitsAndItsLongJumpsWork() {
        List<String> names = new ArrayList<>(SyscallTable.of(Arch.X86_64).all().keySet()).subList(0, 300);
        Seccomp config = new Seccomp(Action.ERRNO, EPERM, BOTH, List.of(
                new Rule(List.copyOf(names), Action.ALLOW, 0, List.of())));
        BpfProgram p = SeccompCompiler.compile(config);
        assertThat(p.length()).isLessThanOrEqualTo(BpfProgram.BPF_MAXINSNS);
        BpfInterpreter.assertJumpsValid(p);
        assertThat(p.instructions()).as("the arch check needs a long jump past x86_64's block")
                .anyMatch(i -> i.code() == BpfInsn.JMP_JA);
        for (String name : names) {
            assertThat(verdict(p, Arch.X86_64, name)).as(name).isEqualTo(RET_ALLOW);
            SyscallTable.of(Arch.AARCH64).number(name).ifPresent(nr ->
                    assertThat(verdict(p, Arch.AARCH64.auditArch, nr)).as("aarch64 " + name).isEqualTo(RET_ALLOW));
        }
        assertThat(verdict(p, Arch.X86_64, "pidfd_open")).isEqualTo(RET_ERRNO | EPERM);
    }

    @Test
    void aSyscallWithManyConditionalRulesReachesTheNextSyscallThroughLongJumps() {
        List<Rule> rules = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            rules.add(new Rule(List.of("ioctl"), Action.ERRNO, i + 1, List.of(new ArgCondition(1, i, 0, Op.EQ))));
        }
        rules.add(rule(Action.ERRNO, 77, "getpid"));
        rules.add(rule(Action.ERRNO, 78, "read"));
        BpfProgram p = SeccompCompiler.compile(new Seccomp(Action.ALLOW, 0, X86_64, rules));
        BpfInterpreter.assertJumpsValid(p);
        for (int i : new int[] {0, 1, 50, 99}) {
            assertThat(verdict(p, Arch.X86_64, "ioctl", 3, i)).isEqualTo(RET_ERRNO | (i + 1));
        }
        assertThat(verdict(p, Arch.X86_64, "ioctl", 3, 100)).isEqualTo(RET_ALLOW);
        assertThat(verdict(p, Arch.X86_64, "getpid")).isEqualTo(RET_ERRNO | 77);
        assertThat(verdict(p, Arch.X86_64, "read")).isEqualTo(RET_ERRNO | 78);
        assertThat(verdict(p, Arch.X86_64, "write")).isEqualTo(RET_ALLOW);
    }

    @Test
    void aProgramOverBpfMaxinsnsIsRejectedWithAClearMessage() {
        List<Rule> rules = new ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            rules.add(new Rule(List.of("ioctl"), Action.ERRNO, 1, List.of(new ArgCondition(1, i, 0, Op.EQ))));
        }
        assertThatThrownBy(() -> SeccompCompiler.compile(new Seccomp(Action.ALLOW, 0, X86_64, rules)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("BPF_MAXINSNS 4096");
        assertThatThrownBy(() -> SeccompCompiler.compile(new Seccomp(Action.ALLOW, 0, X86_64, List.of(
                new Rule(List.of("ioctl"), Action.ERRNO, 1, List.of(new ArgCondition(6, 0, 0, Op.EQ)))))))
                .hasMessageContaining("index 6");
    }

    @Test
    void bytesAreSockFilterStructsAndTheListingNamesSyscalls() {
        BpfProgram p = SeccompCompiler.compile(denyMkdirMountUnshare(X86_64));
        byte[] b = p.toBytes();
        assertThat(b).hasSize(8 * p.length());
        // ld [4]: code 0x0020, jt 0, jf 0, k 4, little-endian
        assertThat(java.util.Arrays.copyOf(b, 8)).containsExactly(0x20, 0, 0, 0, 4, 0, 0, 0);
        String listing = p.disassemble();
        assertThat(listing).contains("ld   [4]", "AUDIT_ARCH_X86_64", "jeq  #0x53", "mkdir",
                "ret  #0x50001", "ret  #0x80000000", "x32");
        assertThat(listing.lines()).hasSize(p.length());
    }
}
