package dev.rabbithole.stage2.libcontainer.seccomp;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Runs a seccomp BPF program the way the kernel does (for the opcodes the compiler emits), decoding it from
 * the {@code sock_filter} bytes so the bytes themselves are what is tested.
 */
public final class BpfInterpreter {
    private BpfInterpreter() { }

    /**
     * The verdict for one syscall: builds {@code struct seccomp_data} and runs the program's bytes.
     *
     * @param auditArch the {@code AUDIT_ARCH_*} value; {@code nr} the syscall number; {@code args} its arguments
     * @return the filter's return value ({@code SECCOMP_RET_*} with its data bits)
     */
    public static int verdict(BpfProgram program, int auditArch, int nr, long... args) {
        ByteBuffer data = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        data.putInt(0, nr).putInt(4, auditArch).putLong(8, 0x401000L);
        for (int i = 0; i < args.length; i++) {
            data.putLong(16 + 8 * i, args[i]);
        }
        return run(program.toBytes(), data);
    }

    /** The verdict for a syscall by name on {@code arch}; throws if the name is not in its table. */
    public static int verdict(BpfProgram program, Arch arch, String syscall, long... args) {
        return verdict(program, arch.auditArch, SyscallTable.of(arch).number(syscall).orElseThrow(), args);
    }

    /** Runs the raw program; throws on an out-of-range jump, an unknown opcode or falling off the end. */
    static int run(byte[] bytes, ByteBuffer data) {
        ByteBuffer p = ByteBuffer.wrap(bytes).order(ByteOrder.nativeOrder());
        int n = bytes.length / 8;
        int a = 0;
        int pc = 0;
        for (int steps = 0; steps <= n; steps++) {
            if (pc < 0 || pc >= n) {
                throw new IllegalStateException("pc " + pc + " outside program of " + n);
            }
            int code = Short.toUnsignedInt(p.getShort(pc * 8));
            int jt = Byte.toUnsignedInt(p.get(pc * 8 + 2));
            int jf = Byte.toUnsignedInt(p.get(pc * 8 + 3));
            int k = p.getInt(pc * 8 + 4);
            pc++;
            switch (code) {
                case 0x20 -> a = data.getInt(k);
                case 0x54 -> a &= k;
                case 0x05 -> pc += k;
                case 0x15 -> pc += a == k ? jt : jf;
                case 0x25 -> pc += Integer.compareUnsigned(a, k) > 0 ? jt : jf;
                case 0x35 -> pc += Integer.compareUnsigned(a, k) >= 0 ? jt : jf;
                case 0x45 -> pc += (a & k) != 0 ? jt : jf;
                case 0x06 -> {
                    return k;
                }
                default -> throw new IllegalStateException("unknown opcode 0x" + Integer.toHexString(code));
            }
        }
        throw new IllegalStateException("program did not return (backward jump?)");
    }

    /** Checks every jump lands inside the program and every conditional offset fits in a byte. */
    static void assertJumpsValid(BpfProgram program) {
        List<BpfInsn> insns = program.instructions();
        for (int pc = 0; pc < insns.size(); pc++) {
            BpfInsn i = insns.get(pc);
            if (i.code() == BpfInsn.JMP_JA) {
                check(pc + 1 + i.k() < insns.size(), pc);
            } else if (i.isConditionalJump()) {
                check(pc + 1 + i.jtOffset() < insns.size() && pc + 1 + i.jfOffset() < insns.size(), pc);
            }
        }
    }

    private static void check(boolean ok, int pc) {
        if (!ok) {
            throw new AssertionError("jump at " + pc + " leaves the program");
        }
    }
}
