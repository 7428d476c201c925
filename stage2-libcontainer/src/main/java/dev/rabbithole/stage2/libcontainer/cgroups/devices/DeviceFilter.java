package dev.rabbithole.stage2.libcontainer.cgroups.devices;

import dev.rabbithole.stage2.libcontainer.configs.DeviceRule;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * The device rules of a container as cgroup v2 needs them: an eBPF program of type
 * {@code BPF_PROG_TYPE_CGROUP_DEVICE}, attached to the container's cgroup, that the kernel runs on every
 * mknod(2) and open(2) of a device node by a process of the cgroup. cgroup v2 has no {@code devices.allow}
 * file; runc builds the same kind of program in {@code libcontainer/cgroups/devices} (its devicefilter).
 *
 * <p>The rules are first evaluated as cgroup v1 would evaluate them, one after the other
 * ({@link #effective}): an {@code a} rule sets the default (allow or deny everything) and forgets the rules
 * before it; any other rule is an exception to the default, or removes one. The program then tests the
 * exceptions and returns the default when none matches, so a rule list means the same on both versions.
 *
 * <p>The program's input is {@code struct bpf_cgroup_dev_ctx} (include/uapi/linux/bpf.h): {@code u32
 * access_type} (device type in the low 16 bits, {@code BPF_DEVCG_DEV_BLOCK} 1 or {@code BPF_DEVCG_DEV_CHAR} 2;
 * requested access in the high 16, {@code BPF_DEVCG_ACC_MKNOD} 1, {@code _READ} 2, {@code _WRITE} 4),
 * {@code u32 major}, {@code u32 minor}. It returns 1 to allow, 0 to deny (the call fails with EPERM).
 * Sources: Documentation/admin-guide/cgroup-v2.rst ("Device controller"), Documentation/bpf/ (instruction set),
 * security/device_cgroup.c for the v1 semantics.
 */
public final class DeviceFilter {
    private DeviceFilter() { }

    /** {@code BPF_DEVCG_DEV_BLOCK}: the device type of a block device in {@code access_type}. */
    public static final int DEV_BLOCK = 1;
    /** {@code BPF_DEVCG_DEV_CHAR}: the device type of a character device. */
    public static final int DEV_CHAR = 2;
    /** {@code BPF_DEVCG_ACC_MKNOD}, shifted into {@code access_type}'s high 16 bits by the kernel. */
    public static final int ACC_MKNOD = 1;
    /** {@code BPF_DEVCG_ACC_READ}. */
    public static final int ACC_READ = 2;
    /** {@code BPF_DEVCG_ACC_WRITE}. */
    public static final int ACC_WRITE = 4;

    /**
     * One exception to the default: a device type, numbers and the access bits it covers.
     *
     * @param type   {@code 'c'} or {@code 'b'}
     * @param major  major number or {@link DeviceRule#WILDCARD}
     * @param minor  minor number or {@link DeviceRule#WILDCARD}
     * @param access {@link #ACC_MKNOD} | {@link #ACC_READ} | {@link #ACC_WRITE} bits
     */
    public record Excepted(char type, long major, long minor, int access) { }

    /**
     * What a rule list amounts to: a default and its exceptions, as the kernel's cgroup v1 devices controller
     * keeps them (its {@code behavior} and {@code exceptions} list).
     *
     * @param defaultAllow true when everything not excepted is allowed (after {@code a} was allowed)
     * @param exceptions   devices that get the opposite verdict, in the order they were added
     */
    public record Effective(boolean defaultAllow, List<Excepted> exceptions) {
        /**
         * The verdict for one access, as the kernel's v1 controller decides it: with a deny default, one
         * exception must cover the device and every requested access bit; with an allow default, any exception
         * that covers the device and one requested bit denies.
         *
         * @param type   {@code 'c'} or {@code 'b'}
         * @param major  major number
         * @param minor  minor number
         * @param access the requested bits ({@link #ACC_READ} | {@link #ACC_WRITE} for an O_RDWR open)
         * @return true when allowed
         */
        public boolean allows(char type, long major, long minor, int access) {
            for (Excepted e : exceptions) {
                boolean device = e.type() == type && (e.major() == DeviceRule.WILDCARD || e.major() == major)
                        && (e.minor() == DeviceRule.WILDCARD || e.minor() == minor);
                if (!device) {
                    continue;
                }
                if (!defaultAllow && (access & ~e.access()) == 0) {
                    return true;
                }
                if (defaultAllow && (access & e.access()) != 0) {
                    return false;
                }
            }
            return defaultAllow;
        }
    }

    /**
     * The access bits of a permissions string.
     *
     * @param permissions r, w, m combined
     * @return {@link #ACC_READ} | {@link #ACC_WRITE} | {@link #ACC_MKNOD} bits
     * @throws IllegalArgumentException another letter
     */
    public static int access(String permissions) {
        int bits = 0;
        for (char ch : permissions.toCharArray()) {
            bits |= switch (ch) {
                case 'm' -> ACC_MKNOD;
                case 'r' -> ACC_READ;
                case 'w' -> ACC_WRITE;
                default -> throw new IllegalArgumentException("device permission " + ch + ": r, w or m");
            };
        }
        return bits;
    }

    // tag::device-rules-effective[]
    /**
     * Evaluates rules in order, as successive writes to cgroup v1's {@code devices.allow} and
     * {@code devices.deny} would: {@code a} sets the default and clears the exceptions; a rule whose verdict
     * differs from the default adds an exception (merging access bits into one for the same device); a rule
     * whose verdict is the default takes its access bits out of the exception for the same device. The cgroup
     * starts as the kernel makes it: everything allowed, no exception.
     *
     * @param rules the rules, validated ({@link DeviceRule#validate()})
     * @return the default and the exceptions
     * @throws IllegalArgumentException an invalid rule
     */
    public static Effective effective(List<DeviceRule> rules) {
        boolean defaultAllow = true;
        List<Excepted> exceptions = new ArrayList<>();
        for (DeviceRule r : rules) {
            r.validate();
            if (r.type() == 'a') {
                defaultAllow = r.allow();
                exceptions.clear();
                continue;
            }
            int bits = access(r.permissions());
            int same = -1;
            for (int i = 0; i < exceptions.size(); i++) {
                Excepted e = exceptions.get(i);
                if (e.type() == r.type() && e.major() == r.major() && e.minor() == r.minor()) {
                    same = i;
                }
            }
            if (r.allow() != defaultAllow) {
                if (same >= 0) {
                    Excepted e = exceptions.get(same);
                    exceptions.set(same, new Excepted(e.type(), e.major(), e.minor(), e.access() | bits));
                } else {
                    exceptions.add(new Excepted(r.type(), r.major(), r.minor(), bits));
                }
            } else if (same >= 0) {
                Excepted e = exceptions.get(same);
                int left = e.access() & ~bits;
                if (left == 0) {
                    exceptions.remove(same);
                } else {
                    exceptions.set(same, new Excepted(e.type(), e.major(), e.minor(), left));
                }
            }
        }
        return new Effective(defaultAllow, List.copyOf(exceptions));
    }
    // end::device-rules-effective[]

    // eBPF opcodes (Documentation/bpf/standardization/instruction-set.rst): class | operation | source
    static final int LDX_MEM_W = 0x61;   // BPF_LDX | BPF_MEM | BPF_W: dst = *(u32 *)(src + off)
    static final int MOV64_X = 0xbf;     // BPF_ALU64 | BPF_MOV | BPF_X: dst = src
    static final int MOV64_K = 0xb7;     // BPF_ALU64 | BPF_MOV | BPF_K: dst = imm
    static final int AND64_K = 0x57;     // BPF_ALU64 | BPF_AND | BPF_K: dst &= imm
    static final int RSH64_K = 0x77;     // BPF_ALU64 | BPF_RSH | BPF_K: dst >>= imm
    static final int JEQ_K = 0x15;       // BPF_JMP | BPF_JEQ | BPF_K: if dst == imm goto pc + 1 + off
    static final int JNE_K = 0x55;       // BPF_JMP | BPF_JNE | BPF_K: if dst != imm goto pc + 1 + off
    static final int EXIT = 0x95;        // BPF_JMP | BPF_EXIT: return r0

    /** One instruction: {@code struct bpf_insn} (u8 code, u8 dst_reg:4 src_reg:4, s16 off, s32 imm). */
    record Insn(int code, int dst, int src, int off, int imm) { }

    /**
     * The compiled program.
     *
     * @param insns     the instructions
     * @param effective what the rules amounted to
     */
    public record Program(List<Insn> insns, Effective effective) {
        /** @return {@code struct bpf_insn[]}: 8 bytes per instruction, little-endian (x86_64, aarch64) */
        public byte[] toBytes() {
            ByteBuffer b = ByteBuffer.allocate(insns.size() * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (Insn i : insns) {
                b.put((byte) i.code()).put((byte) ((i.src() << 4) | i.dst())).putShort((short) i.off())
                        .putInt(i.imm());
            }
            return b.array();
        }

        /** @return the number of instructions */
        public int size() {
            return insns.size();
        }
    }

    // tag::device-filter[]
    /**
     * Compiles rules into a cgroup device program. Registers: r1 points to the context on entry; r2 holds the
     * requested access bits, r3 the device type, r4 the major, r5 the minor. Each exception is one block that
     * jumps to the next block at the first field that does not match and otherwise returns its verdict; the
     * last two instructions return the default.
     *
     * @param rules the device rules, in order
     * @return the program
     * @throws IllegalArgumentException an invalid rule, or a device number above 2^31-1 (an immediate is a
     *                                  signed 32-bit number)
     */
    public static Program compile(List<DeviceRule> rules) {
        Effective eff = effective(rules);
        List<Insn> p = new ArrayList<>();
        p.add(new Insn(LDX_MEM_W, 2, 1, 0, 0));      // r2 = ctx->access_type
        p.add(new Insn(MOV64_X, 3, 2, 0, 0));        // r3 = r2
        p.add(new Insn(AND64_K, 3, 0, 0, 0xffff));   // r3 &= 0xffff: the device type
        p.add(new Insn(RSH64_K, 2, 0, 0, 16));       // r2 >>= 16: the access bits
        p.add(new Insn(LDX_MEM_W, 4, 1, 4, 0));      // r4 = ctx->major
        p.add(new Insn(LDX_MEM_W, 5, 1, 8, 0));      // r5 = ctx->minor
        int verdict = eff.defaultAllow() ? 0 : 1;    // an exception's verdict is the opposite of the default
        for (Excepted e : eff.exceptions()) {
            List<Insn> block = new ArrayList<>();    // jumps hold -1 until the block's length is known
            block.add(new Insn(JNE_K, 3, 0, -1, e.type() == 'b' ? DEV_BLOCK : DEV_CHAR));
            if (eff.defaultAllow()) {
                // deny when one requested bit is covered: skip when (access & covered) == 0
                block.add(new Insn(MOV64_X, 1, 2, 0, 0));
                block.add(new Insn(AND64_K, 1, 0, 0, e.access()));
                block.add(new Insn(JEQ_K, 1, 0, -1, 0));
            } else if (e.access() != (ACC_MKNOD | ACC_READ | ACC_WRITE)) {
                // allow when every requested bit is covered: skip when (access & ~covered) != 0
                block.add(new Insn(MOV64_X, 1, 2, 0, 0));
                block.add(new Insn(AND64_K, 1, 0, 0, ~e.access() & 7));
                block.add(new Insn(JNE_K, 1, 0, -1, 0));
            }
            if (e.major() != DeviceRule.WILDCARD) {
                block.add(new Insn(JNE_K, 4, 0, -1, immediate(e.major())));
            }
            if (e.minor() != DeviceRule.WILDCARD) {
                block.add(new Insn(JNE_K, 5, 0, -1, immediate(e.minor())));
            }
            block.add(new Insn(MOV64_K, 0, 0, 0, verdict));
            block.add(new Insn(EXIT, 0, 0, 0, 0));
            for (int i = 0; i < block.size(); i++) {   // a failed test goes to the first insn after the block
                Insn in = block.get(i);
                if (in.off() == -1) {
                    block.set(i, new Insn(in.code(), in.dst(), in.src(), block.size() - i - 1, in.imm()));
                }
            }
            p.addAll(block);
        }
        p.add(new Insn(MOV64_K, 0, 0, 0, eff.defaultAllow() ? 1 : 0));
        p.add(new Insn(EXIT, 0, 0, 0, 0));
        return new Program(List.copyOf(p), eff);
    }
    // end::device-filter[]

    private static int immediate(long n) {
        if (n < 0 || n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("device number " + n + " does not fit an eBPF immediate");
        }
        return (int) n;
    }

    /**
     * The program as text, one instruction per line ({@code   6: if r3 != 2 goto +4}), for people and the book.
     *
     * @param program a compiled program
     * @return the lines, each ending in a newline
     */
    public static String disassemble(Program program) {
        StringBuilder sb = new StringBuilder();
        int pc = 0;
        for (Insn i : program.insns()) {
            sb.append(String.format("%3d: ", pc++)).append(switch (i.code()) {
                case LDX_MEM_W -> "r" + i.dst() + " = *(u32 *)(r" + i.src() + " + " + i.off() + ")";
                case MOV64_X -> "r" + i.dst() + " = r" + i.src();
                case MOV64_K -> "r" + i.dst() + " = " + i.imm();
                case AND64_K -> "r" + i.dst() + " &= 0x" + Integer.toHexString(i.imm());
                case RSH64_K -> "r" + i.dst() + " >>= " + i.imm();
                case JEQ_K -> "if r" + i.dst() + " == " + i.imm() + " goto +" + i.off();
                case JNE_K -> "if r" + i.dst() + " != " + i.imm() + " goto +" + i.off();
                case EXIT -> "exit";
                default -> "0x" + Integer.toHexString(i.code());
            }).append('\n');
        }
        return sb.toString();
    }
}
