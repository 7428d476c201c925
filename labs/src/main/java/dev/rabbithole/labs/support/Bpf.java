package dev.rabbithole.labs.support;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import java.util.List;

/**
 * Classic BPF programs for seccomp, as the kernel reads them: {@code struct sock_filter} (u16 code,
 * u8 jt, u8 jf, u32 k; 8 bytes) in an array behind a {@code struct sock_fprog} (u16 len, then a
 * pointer). Follows linux/filter.h and seccomp(2).
 */
public final class Bpf {
    private Bpf() {}

    /**
     * One instruction.
     *
     * @param code the opcode (BPF_LD|BPF_W|BPF_ABS, BPF_JMP|BPF_JEQ|BPF_K, BPF_RET|BPF_K, ...)
     * @param jt   instructions to skip when a jump's condition holds
     * @param jf   instructions to skip when it does not
     * @param k    the operand: an offset, a constant, a return value
     */
    public record Insn(int code, int jt, int jf, int k) {}

    /** @return a non-jump instruction (BPF_STMT in filter.h) */
    public static Insn stmt(int code, int k) { return new Insn(code, 0, 0, k); }

    /** @return a jump instruction (BPF_JUMP in filter.h) */
    public static Insn jump(int code, int k, int jt, int jf) { return new Insn(code, jt, jf, k); }

    /**
     * Lays out a program in native memory.
     *
     * @param program the instructions, at most 4096
     * @return a {@code struct sock_fprog}; keep a reference to it until the prctl call returned
     */
    public static Memory fprog(List<Insn> program) {
        Memory insns = new Memory(8L * program.size());
        for (int i = 0; i < program.size(); i++) {
            Insn in = program.get(i);
            insns.setShort(8L * i, (short) in.code());
            insns.setByte(8L * i + 2, (byte) in.jt());
            insns.setByte(8L * i + 3, (byte) in.jf());
            insns.setInt(8L * i + 4, in.k());
        }
        Memory prog = new Memory(2L * Native.POINTER_SIZE) {
            @SuppressWarnings("unused") private final Memory keep = insns;
        };
        prog.clear();
        prog.setShort(0, (short) program.size());
        prog.setPointer(Native.POINTER_SIZE, insns);
        return prog;
    }
}
