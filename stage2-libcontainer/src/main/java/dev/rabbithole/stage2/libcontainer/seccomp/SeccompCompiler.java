package dev.rabbithole.stage2.libcontainer.seccomp;

import dev.rabbithole.stage2.libcontainer.configs.Seccomp;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.TreeMap;

/**
 * Compiles a {@link Seccomp} config to a classic BPF program, what libseccomp does for runc.
 *
 * <p>The program reads {@code struct seccomp_data} (linux/seccomp.h): {@code int nr} at offset 0,
 * {@code u32 arch} at 4, {@code u64 instruction_pointer} at 8, {@code u64 args[6]} at 16 + 8*i, each 64-bit
 * argument as two 32-bit words (low word first: little-endian). Its shape:
 * <pre>
 *   ld [4]                         arch check: one jeq per listed architecture, anything else is killed
 *   per architecture:
 *     ld [0]                       the syscall number
 *     (x86_64) jge #0x40000000     the x32 ABI: gets an errno
 *     per syscall: jeq #nr          then its rules in order, each: argument checks, ret action
 *     ret default
 * </pre>
 * Conditional jumps reach at most 255 instructions; a farther target goes through an unconditional
 * {@code ja} (32-bit offset). The program is generated back to front, so every target's distance is known
 * when its jump is written. Sources: seccomp(2), linux/filter.h, Documentation/userspace-api/seccomp_filter.rst,
 * libseccomp's {@code seccomp_rule_add(3)} for the comparison semantics (unsigned 64-bit).
 */
public final class SeccompCompiler {
    private static final System.Logger LOG = System.getLogger(SeccompCompiler.class.getName());

    /** {@code SECCOMP_RET_KILL_PROCESS}: kill the whole process (Linux 4.14). */
    public static final int RET_KILL_PROCESS = 0x80000000;
    /** {@code SECCOMP_RET_KILL_THREAD} (formerly SECCOMP_RET_KILL): kill the calling thread. */
    public static final int RET_KILL_THREAD = 0x00000000;
    /** {@code SECCOMP_RET_TRAP}: send SIGSYS. */
    public static final int RET_TRAP = 0x00030000;
    /** {@code SECCOMP_RET_ERRNO}: fail with the errno in the low 16 bits. */
    public static final int RET_ERRNO = 0x00050000;
    /** {@code SECCOMP_RET_TRACE}: notify a ptrace tracer, data in the low 16 bits. */
    public static final int RET_TRACE = 0x7ff00000;
    /** {@code SECCOMP_RET_LOG}: allow and log (Linux 4.14). */
    public static final int RET_LOG = 0x7ffc0000;
    /** {@code SECCOMP_RET_ALLOW}: run the syscall. */
    public static final int RET_ALLOW = 0x7fff0000;
    /** {@code __X32_SYSCALL_BIT}: x32 ABI syscall numbers on x86_64 have this bit set. */
    public static final int X32_SYSCALL_BIT = 0x40000000;
    /** EPERM, the errno used when a config says ERRNO without one for the x32 rejection. */
    public static final int EPERM = 1;

    private static final int OFF_NR = 0;
    private static final int OFF_ARCH = 4;
    private static final int OFF_ARGS = 16;

    private SeccompCompiler() { }

    /**
     * Compiles for the architectures the config lists, or for the host's ({@link Arch#host()}) when the list is
     * empty. Syscall names an architecture lacks are skipped (with a warning in {@link BpfProgram#warnings()} and
     * the log at debug level), as Docker does for syscalls the kernel does not know; so are architectures this compiler does not
     * support ({@code SCMP_ARCH_X86}, {@code SCMP_ARCH_X32}, ...), whose calls are then killed.
     *
     * @param config the filter
     * @return a program that passed {@link BpfProgram#validate()}
     * @throws IllegalArgumentException the program would exceed {@link BpfProgram#BPF_MAXINSNS}, an argument index
     *                                  outside 0..5, or no supported architecture is listed
     */
    public static BpfProgram compile(Seccomp config) {
        List<String> warnings = new ArrayList<>();
        Set<Arch> arches = new LinkedHashSet<>();
        List<String> names = config.architectures() == null ? List.of() : config.architectures();
        for (String name : names) {
            Arch.ofScmpName(name).ifPresentOrElse(arches::add,
                    () -> warn(warnings, "architecture " + name + " not supported, its syscalls are killed"));
        }
        if (names.isEmpty()) {
            arches.add(Arch.host());
        }
        if (arches.isEmpty()) {
            throw new IllegalArgumentException("no supported architecture in " + names);
        }
        return compile(config, List.copyOf(arches), warnings);
    }

    /**
     * Compiles for the given architectures, ignoring the config's list.
     *
     * @param config the filter
     * @param arches architectures accepted, the first checked first (put the host's first)
     * @throws IllegalArgumentException as {@link #compile(Seccomp)}
     */
    public static BpfProgram compile(Seccomp config, List<Arch> arches) {
        return compile(config, arches, new ArrayList<>());
    }

    private static BpfProgram compile(Seccomp config, List<Arch> arches, List<String> warnings) {
        Emitter e = new Emitter();
        int defaultRet = ret(config.defaultAction(), config.defaultErrno());

        // Back to front: the architectures' blocks, last first; then the kill for unknown architectures;
        // then the arch check that jumps into them.
        int[] archStart = new int[arches.size()];
        for (int a = arches.size() - 1; a >= 0; a--) {
            archStart[a] = emitArchBlock(e, arches.get(a), config, defaultRet, warnings);
        }
        // tag::bpf-arch-check[]
        // Anything but the listed architectures is killed: a syscall number means something else there
        // (i386's 39 is mkdir, x86_64's is getpid), so the rules below cannot be trusted for it.
        int kill = e.ret(RET_KILL_PROCESS, "unknown architecture: kill");
        int next = kill;
        for (int a = arches.size() - 1; a >= 0; a--) {
            Arch arch = arches.get(a);
            next = e.jump(BpfInsn.JMP_JEQ_K, arch.auditArch, archStart[a], next, "AUDIT_ARCH_" + arch.name());
        }
        e.load(OFF_ARCH, "A = seccomp_data.arch");
        // end::bpf-arch-check[]

        // a name missing on one architecture is normal (aarch64 has no mkdir); missing on all is worth a warning
        // (debug level: the same profile compiles for every container; a daemon reports its own summary once)
        for (String name : missingEverywhere(config, arches)) {
            LOG.log(System.Logger.Level.DEBUG, "seccomp: syscall " + name + " unknown on every architecture, skipped");
        }
        BpfProgram program = new BpfProgram(e.instructions(), e.comments(), warnings);
        if (program.length() > BpfProgram.BPF_MAXINSNS) {
            throw new IllegalArgumentException("seccomp profile compiles to " + program.length()
                    + " BPF instructions, more than the kernel's BPF_MAXINSNS " + BpfProgram.BPF_MAXINSNS);
        }
        return program.validate();
    }

    /** Emits one architecture's block; returns the index of its first instruction. */
    private static int emitArchBlock(Emitter e, Arch arch, Seccomp config, int defaultRet, List<String> warnings) {
        SyscallTable table = SyscallTable.of(arch);
        // syscall number -> its rules in config order (first match wins); sorted by number for a stable listing
        Map<Integer, List<Seccomp.Rule>> bySyscall = new TreeMap<>();
        Map<Integer, String> names = new TreeMap<>();
        for (Seccomp.Rule rule : config.rules() == null ? List.<Seccomp.Rule>of() : config.rules()) {
            for (String name : rule.names()) {
                OptionalInt nr = table.number(name);
                if (nr.isEmpty()) {
                    warnings.add("syscall " + name + " unknown on " + arch.name().toLowerCase(Locale.ROOT)
                            + ", skipped");
                    continue;
                }
                bySyscall.computeIfAbsent(nr.getAsInt(), k -> new ArrayList<>()).add(rule);
                names.put(nr.getAsInt(), name);
            }
        }

        int defaultLabel = e.ret(defaultRet, "default: " + describe(defaultRet));
        int next = defaultLabel;
        List<Integer> numbers = new ArrayList<>(bySyscall.keySet());
        Collections.reverse(numbers);
        for (int nr : numbers) {
            next = emitSyscall(e, nr, names.get(nr), bySyscall.get(nr), defaultLabel, next);
        }
        if (arch == Arch.X86_64) {
            // x32 ABI calls share the arch value with x86_64 but number syscalls from 0x40000000 up
            int x32Errno = config.defaultAction() == Seccomp.Action.ERRNO && config.defaultErrno() > 0
                    ? config.defaultErrno() : EPERM;
            e.ret(RET_ERRNO | x32Errno, "x32 ABI: errno " + x32Errno);
            e.jump(BpfInsn.JMP_JGE_K, X32_SYSCALL_BIT, e.last(), next, "x32 syscall?");
        }
        return e.load(OFF_NR, "A = seccomp_data.nr (" + arch.name().toLowerCase(Locale.ROOT) + ")");
    }

    // tag::bpf-syscall-rule[]
    /**
     * Emits {@code jeq #nr} and the syscall's rules: each rule's argument checks fall through to its
     * {@code ret} when they all hold and jump to the next rule when one fails; after the last rule, the default.
     * A rule without conditions always matches, so rules after it are dropped.
     *
     * @return the index of the {@code jeq}
     */
    private static int emitSyscall(Emitter e, int nr, String name, List<Seccomp.Rule> rules, int defaultLabel,
                                   int nextSyscall) {
        int end = rules.size();
        for (int i = 0; i < rules.size(); i++) {
            if (rules.get(i).args() == null || rules.get(i).args().isEmpty()) {
                end = i + 1;
                break;
            }
        }
        int onFail = defaultLabel;
        for (int i = end - 1; i >= 0; i--) {
            Seccomp.Rule rule = rules.get(i);
            int r = ret(rule.action(), rule.errno());
            int start = e.ret(r, name + ": " + describe(r));
            List<Seccomp.ArgCondition> args = rule.args() == null ? List.of() : rule.args();
            for (int c = args.size() - 1; c >= 0; c--) {
                start = emitCondition(e, args.get(c), start, onFail);
            }
            onFail = start;
        }
        return e.jump(BpfInsn.JMP_JEQ_K, nr, onFail, nextSyscall, name);
    }

    /**
     * Emits one 64-bit comparison of {@code args[index]} as two 32-bit ones, high word first (unsigned).
     *
     * @return the index of its first instruction
     */
    private static int emitCondition(Emitter e, Seccomp.ArgCondition c, int ok, int fail) {
        if (c.index() < 0 || c.index() > 5) {
            throw new IllegalArgumentException("seccomp argument index " + c.index() + " outside 0..5");
        }
        int lo = OFF_ARGS + 8 * c.index();
        int hi = lo + 4;
        int vHi = (int) (c.value() >>> 32);
        int vLo = (int) c.value();
        String what = "args[" + c.index() + "] " + c.op() + " " + Long.toUnsignedString(c.value(), 16);
        switch (c.op()) {
            case EQ -> {
                e.jump(BpfInsn.JMP_JEQ_K, vLo, ok, fail, null);
                e.load(lo, null);
                e.jump(BpfInsn.JMP_JEQ_K, vHi, e.last(), fail, null);
            }
            case NE -> {
                e.jump(BpfInsn.JMP_JEQ_K, vLo, fail, ok, null);
                e.load(lo, null);
                e.jump(BpfInsn.JMP_JEQ_K, vHi, e.last(), ok, null);
            }
            case MASKED_EQ -> {
                e.jump(BpfInsn.JMP_JEQ_K, (int) c.valueTwo(), ok, fail, null);
                e.stmt(BpfInsn.ALU_AND_K, vLo, null);
                e.load(lo, null);
                e.jump(BpfInsn.JMP_JEQ_K, (int) (c.valueTwo() >>> 32), e.last(), fail, null);
                e.stmt(BpfInsn.ALU_AND_K, vHi, null);
                what = "args[" + c.index() + "] & " + Long.toUnsignedString(c.value(), 16) + " == "
                        + Long.toUnsignedString(c.valueTwo(), 16);
            }
            case GT, GE -> {
                // hi > vHi: true; hi == vHi: compare lo; hi < vHi: false
                e.jump(c.op() == Seccomp.Op.GT ? BpfInsn.JMP_JGT_K : BpfInsn.JMP_JGE_K, vLo, ok, fail, null);
                e.load(lo, null);
                e.jump(BpfInsn.JMP_JEQ_K, vHi, e.last(), fail, null);
                e.jump(BpfInsn.JMP_JGT_K, vHi, ok, e.last(), null);
            }
            case LT, LE -> {
                // hi < vHi: true; hi == vHi: compare lo; hi > vHi: false
                e.jump(c.op() == Seccomp.Op.LT ? BpfInsn.JMP_JGE_K : BpfInsn.JMP_JGT_K, vLo, fail, ok, null);
                e.load(lo, null);
                e.jump(BpfInsn.JMP_JEQ_K, vHi, e.last(), fail, null);
                e.jump(BpfInsn.JMP_JGE_K, vHi, e.last(), ok, null);
            }
            default -> throw new IllegalArgumentException("unknown comparison " + c.op());
        }
        return e.load(hi, what);
    }
    // end::bpf-syscall-rule[]

    /**
     * The 32-bit value a filter returns for an action (seccomp(2), SECCOMP_RET_*).
     *
     * @param action the action
     * @param errno  for ERRNO the errno, for TRACE the data passed to the tracer; low 16 bits used
     */
    public static int ret(Seccomp.Action action, int errno) {
        return switch (action) {
            case ALLOW -> RET_ALLOW;
            case ERRNO -> RET_ERRNO | (errno & 0xffff);
            case KILL_PROCESS -> RET_KILL_PROCESS;
            case KILL_THREAD -> RET_KILL_THREAD;
            case TRAP -> RET_TRAP;
            case TRACE -> RET_TRACE | (errno & 0xffff);
            case LOG -> RET_LOG;
        };
    }

    /** A return value's name, e.g. {@code ERRNO(1)}, {@code ALLOW}. */
    public static String describe(int ret) {
        int action = ret & 0xffff0000;
        int data = ret & 0xffff;
        return switch (action) {
            case RET_ALLOW -> "ALLOW";
            case RET_ERRNO -> "ERRNO(" + data + ")";
            case RET_KILL_PROCESS -> "KILL_PROCESS";
            case RET_KILL_THREAD -> "KILL_THREAD";
            case RET_TRAP -> "TRAP";
            case RET_TRACE -> "TRACE(" + data + ")";
            case RET_LOG -> "LOG";
            default -> "0x" + Integer.toHexString(ret);
        };
    }

    private static Set<String> missingEverywhere(Seccomp config, List<Arch> arches) {
        Set<String> missing = new java.util.TreeSet<>();
        for (Seccomp.Rule rule : config.rules() == null ? List.<Seccomp.Rule>of() : config.rules()) {
            for (String name : rule.names()) {
                if (arches.stream().noneMatch(a -> SyscallTable.of(a).number(name).isPresent())) {
                    missing.add(name);
                }
            }
        }
        return missing;
    }

    private static void warn(List<String> warnings, String message) {
        warnings.add(message);
        LOG.log(System.Logger.Level.DEBUG, "seccomp: " + message);
    }

    /**
     * Writes instructions back to front. Positions are indices into the reversed list; an instruction emitted
     * at index {@code n} jumping to index {@code t} needs the forward offset {@code n - t - 1}.
     */
    private static final class Emitter {
        private final List<BpfInsn> rev = new ArrayList<>();
        private final List<String> notes = new ArrayList<>();

        /** The index of the last emitted instruction: the one that follows the next emitted. */
        int last() {
            return rev.size() - 1;
        }

        int add(BpfInsn insn, String note) {
            rev.add(insn);
            notes.add(note);
            return rev.size() - 1;
        }

        int ret(int k, String note) {
            return add(BpfInsn.stmt(BpfInsn.RET_K, k), note);
        }

        int load(int offset, String note) {
            return add(BpfInsn.stmt(BpfInsn.LD_W_ABS, offset), note);
        }

        int stmt(short code, int k, String note) {
            return add(BpfInsn.stmt(code, k), note);
        }

        private int ja(int target) {
            return add(BpfInsn.stmt(BpfInsn.JMP_JA, rev.size() - target - 1), "long jump");
        }

        /** A conditional jump to two already emitted targets, through {@code ja} trampolines when too far. */
        int jump(short code, int k, int whenTrue, int whenFalse, String note) {
            if (rev.size() - whenFalse - 1 > 255) {
                whenFalse = ja(whenFalse);
            }
            if (rev.size() - whenTrue - 1 > 255) {
                whenTrue = ja(whenTrue);
            }
            int n = rev.size();
            return add(BpfInsn.jump(code, k, n - whenTrue - 1, n - whenFalse - 1), note);
        }

        List<BpfInsn> instructions() {
            List<BpfInsn> out = new ArrayList<>(rev);
            Collections.reverse(out);
            return out;
        }

        List<String> comments() {
            List<String> out = new ArrayList<>(notes);
            Collections.reverse(out);
            return out;
        }
    }
}
