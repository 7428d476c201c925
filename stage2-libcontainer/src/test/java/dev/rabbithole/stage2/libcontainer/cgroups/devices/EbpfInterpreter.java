package dev.rabbithole.stage2.libcontainer.cgroups.devices;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Runs a cgroup device eBPF program the way the kernel would, for the instructions {@link DeviceFilter} emits,
 * decoding the {@code struct bpf_insn} bytes so the bytes themselves are what is tested. It also refuses what
 * the kernel's verifier refuses for such a program: an unknown opcode, a backward or out-of-range jump, a read
 * of a register never written, a context load other than a u32 at offset 0, 4 or 8 through r1, an exit with
 * r0 unset, falling off the end.
 */
public final class EbpfInterpreter {
    private EbpfInterpreter() { }

    /**
     * The program's verdict for one access.
     *
     * @param program {@code struct bpf_insn[]}, little-endian
     * @param type    {@code 'c'} or {@code 'b'}
     * @param major   major number
     * @param minor   minor number
     * @param access  {@code r}, {@code w}, {@code m} combined, as the kernel asks (an O_RDWR open: {@code rw})
     * @return true when the program returns 1 (allow)
     */
    public static boolean allows(byte[] program, char type, long major, long minor, String access) {
        int accessType = (type == 'b' ? DeviceFilter.DEV_BLOCK : DeviceFilter.DEV_CHAR)
                | (DeviceFilter.access(access) << 16);
        long r0 = run(program, accessType, (int) major, (int) minor);
        if (r0 != 0 && r0 != 1) {
            throw new IllegalStateException("a device program returns 0 or 1, this one " + r0);
        }
        return r0 == 1;
    }

    /** Runs the program on {@code struct bpf_cgroup_dev_ctx {u32 access_type, major, minor}}; returns r0. */
    static long run(byte[] bytes, int accessType, int major, int minor) {
        ByteBuffer p = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer ctx = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN)
                .putInt(0, accessType).putInt(4, major).putInt(8, minor);
        int n = bytes.length / 8;
        long[] reg = new long[11];
        boolean[] set = new boolean[11];
        boolean r1IsCtx = true;
        set[1] = true;
        set[10] = true;
        int pc = 0;
        while (true) {
            if (pc < 0 || pc >= n) {
                throw new IllegalStateException("pc " + pc + " outside the program of " + n + " instructions");
            }
            int code = Byte.toUnsignedInt(p.get(pc * 8));
            int regs = Byte.toUnsignedInt(p.get(pc * 8 + 1));
            int dst = regs & 0xf;
            int src = regs >>> 4;
            short off = p.getShort(pc * 8 + 2);
            int imm = p.getInt(pc * 8 + 4);
            pc++;
            switch (code) {
                case DeviceFilter.LDX_MEM_W -> {
                    if (src != 1 || !r1IsCtx || (off != 0 && off != 4 && off != 8)) {
                        throw new IllegalStateException("invalid context access r" + src + " + " + off);
                    }
                    reg[dst] = Integer.toUnsignedLong(ctx.getInt(off));
                    set[dst] = true;
                    if (dst == 1) {
                        r1IsCtx = false;
                    }
                }
                case DeviceFilter.MOV64_X -> {
                    read(set, src);
                    reg[dst] = reg[src];
                    set[dst] = true;
                    if (dst == 1) {
                        r1IsCtx = src == 1 && r1IsCtx;
                    }
                }
                case DeviceFilter.MOV64_K -> {
                    reg[dst] = imm;                // sign-extended, as the kernel does
                    set[dst] = true;
                    if (dst == 1) {
                        r1IsCtx = false;
                    }
                }
                case DeviceFilter.AND64_K -> {
                    read(set, dst);
                    reg[dst] &= imm;
                }
                case DeviceFilter.RSH64_K -> {
                    read(set, dst);
                    reg[dst] >>>= imm;
                }
                case DeviceFilter.JEQ_K, DeviceFilter.JNE_K -> {
                    read(set, dst);
                    if (off < 0) {
                        throw new IllegalStateException("backward jump at " + (pc - 1));
                    }
                    boolean eq = reg[dst] == (long) imm;
                    if (eq == (code == DeviceFilter.JEQ_K)) {
                        pc += off;
                    }
                }
                case DeviceFilter.EXIT -> {
                    read(set, 0);
                    return reg[0];
                }
                default -> throw new IllegalStateException("unknown opcode 0x" + Integer.toHexString(code));
            }
        }
    }

    private static void read(boolean[] set, int r) {
        if (r > 10 || !set[r]) {
            throw new IllegalStateException("R" + r + " !read_ok");
        }
    }
}
