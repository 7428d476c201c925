package dev.rabbithole.stage2.libcontainer.seccomp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * A compiled seccomp filter: the instructions of a {@code struct sock_fprog} (linux/filter.h), ready for
 * {@code prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)} or {@code seccomp(SECCOMP_SET_MODE_FILTER, 0, &prog)}
 * (seccomp(2)).
 *
 * @param instructions the program, at most {@link #BPF_MAXINSNS}
 * @param comments     one comment per instruction (null when none), shown by {@link #disassemble()}
 * @param warnings     what the compiler skipped (unknown syscall names, unsupported architectures)
 */
public record BpfProgram(List<BpfInsn> instructions, List<String> comments, List<String> warnings) {

    /** The kernel's limit on a classic BPF program's length (linux/bpf_common.h). */
    public static final int BPF_MAXINSNS = 4096;
    /** {@code sizeof(struct seccomp_data)}: nr, arch, instruction_pointer, args[6]. */
    public static final int SECCOMP_DATA_SIZE = 64;

    /** Copies the lists; {@code comments} must be as long as {@code instructions}. */
    public BpfProgram {
        instructions = List.copyOf(instructions);
        comments = Collections.unmodifiableList(new ArrayList<>(comments));
        warnings = List.copyOf(warnings);
        if (comments.size() != instructions.size()) {
            throw new IllegalArgumentException("one comment per instruction");
        }
    }

    /** The number of instructions ({@code sock_fprog.len}). */
    public int length() {
        return instructions.size();
    }

    /**
     * The {@code struct sock_filter} array: 8 bytes per instruction ({@code u16 code, u8 jt, u8 jf, u32 k}) in
     * the platform's byte order (little-endian on x86_64 and aarch64).
     */
    public byte[] toBytes() {
        ByteBuffer b = ByteBuffer.allocate(instructions.size() * 8).order(ByteOrder.nativeOrder());
        for (BpfInsn i : instructions) {
            b.putShort(i.code()).put(i.jt()).put(i.jf()).putInt(i.k());
        }
        return b.array();
    }

    /**
     * Checks what the kernel's {@code bpf_check_classic} and {@code seccomp_check_filter} check: 1 to
     * {@link #BPF_MAXINSNS} instructions, only the opcodes this compiler emits, jumps that land inside the
     * program, word loads aligned inside {@code seccomp_data}, and a {@code ret} at the end.
     *
     * @return this
     * @throws IllegalStateException the first violation, naming the instruction
     */
    public BpfProgram validate() {
        int n = instructions.size();
        if (n == 0 || n > BPF_MAXINSNS) {
            throw new IllegalStateException("seccomp program has " + n + " instructions; the kernel accepts 1.."
                    + BPF_MAXINSNS + " (BPF_MAXINSNS)");
        }
        for (int pc = 0; pc < n; pc++) {
            BpfInsn i = instructions.get(pc);
            switch (i.code()) {
                case BpfInsn.LD_W_ABS -> {
                    if (i.k() < 0 || i.k() > SECCOMP_DATA_SIZE - 4 || (i.k() & 3) != 0) {
                        throw new IllegalStateException(pc + ": load outside seccomp_data: " + i.k());
                    }
                }
                case BpfInsn.ALU_AND_K, BpfInsn.RET_K -> { }
                case BpfInsn.JMP_JA -> {
                    if (Integer.toUnsignedLong(i.k()) >= n - pc - 1) {
                        throw new IllegalStateException(pc + ": ja +" + Integer.toUnsignedLong(i.k())
                                + " leaves the program of " + n);
                    }
                }
                case BpfInsn.JMP_JEQ_K, BpfInsn.JMP_JGT_K, BpfInsn.JMP_JGE_K, BpfInsn.JMP_JSET_K -> {
                    if (pc + 1 + Math.max(i.jtOffset(), i.jfOffset()) >= n) {
                        throw new IllegalStateException(pc + ": jump leaves the program of " + n);
                    }
                }
                default -> throw new IllegalStateException(pc + ": opcode 0x" + Integer.toHexString(i.code())
                        + " not allowed");
            }
        }
        if (instructions.get(n - 1).code() != BpfInsn.RET_K) {
            throw new IllegalStateException("seccomp program does not end with ret");
        }
        return this;
    }

    // tag::bpf-disassemble[]
    /**
     * A listing in the style of {@code bpf_dbg} / {@code seccomp-tools}: one line per instruction with
     * absolute jump targets, e.g. {@code 0001  jeq  #0xc000003e  jt 0002  jf 0009  ; AUDIT_ARCH_X86_64}.
     */
    public String disassemble() {
        StringBuilder sb = new StringBuilder();
        for (int pc = 0; pc < instructions.size(); pc++) {
            BpfInsn i = instructions.get(pc);
            String text = switch (i.code()) {
                case BpfInsn.LD_W_ABS -> "ld   [" + i.k() + "]";
                case BpfInsn.ALU_AND_K -> "and  #" + hex(i.k());
                case BpfInsn.JMP_JA -> String.format(Locale.ROOT, "ja   %04d", pc + 1 + i.k());
                case BpfInsn.JMP_JEQ_K, BpfInsn.JMP_JGT_K, BpfInsn.JMP_JGE_K, BpfInsn.JMP_JSET_K ->
                        String.format(Locale.ROOT, "%-4s #%-11s jt %04d  jf %04d", jumpName(i.code()), hex(i.k()),
                                pc + 1 + i.jtOffset(), pc + 1 + i.jfOffset());
                case BpfInsn.RET_K -> "ret  #" + hex(i.k());
                default -> String.format(Locale.ROOT, "0x%02x %d %d %s", i.code(), i.jtOffset(), i.jfOffset(), hex(i.k()));
            };
            sb.append(String.format(Locale.ROOT, "%04d  %-40s", pc, text));
            String c = comments.get(pc);
            if (c != null) {
                sb.append("; ").append(c);
            }
            sb.append(System.lineSeparator());
        }
        return sb.toString().replaceAll(" +" + System.lineSeparator(), System.lineSeparator());
    }
    // end::bpf-disassemble[]

    private static String jumpName(short code) {
        return switch (code) {
            case BpfInsn.JMP_JEQ_K -> "jeq";
            case BpfInsn.JMP_JGT_K -> "jgt";
            case BpfInsn.JMP_JGE_K -> "jge";
            default -> "jset";
        };
    }

    private static String hex(int k) {
        return "0x" + Integer.toHexString(k);
    }
}
