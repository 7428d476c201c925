package dev.rabbithole.stage2.libcontainer.seccomp;

/**
 * One classic BPF instruction, {@code struct sock_filter} of linux/filter.h: a 16-bit opcode, two 8-bit
 * relative jump offsets (taken when true / false, counted from the next instruction) and a 32-bit constant.
 *
 * @param code opcode, e.g. {@link #LD_W_ABS}
 * @param jt   jump offset if true, 0..255 (stored as an unsigned byte)
 * @param jf   jump offset if false, 0..255
 * @param k    the constant: load offset, compared value, jump offset for {@code ja}, or return value
 */
public record BpfInsn(short code, byte jt, byte jf, int k) {
    /** {@code BPF_LD | BPF_W | BPF_ABS}: A = 32-bit word at offset k of seccomp_data. */
    public static final short LD_W_ABS = 0x20;
    /** {@code BPF_ALU | BPF_AND | BPF_K}: A &amp;= k. */
    public static final short ALU_AND_K = 0x54;
    /** {@code BPF_JMP | BPF_JA}: jump k instructions forward, always. */
    public static final short JMP_JA = 0x05;
    /** {@code BPF_JMP | BPF_JEQ | BPF_K}: A == k. */
    public static final short JMP_JEQ_K = 0x15;
    /** {@code BPF_JMP | BPF_JGT | BPF_K}: A &gt; k, unsigned. */
    public static final short JMP_JGT_K = 0x25;
    /** {@code BPF_JMP | BPF_JGE | BPF_K}: A &gt;= k, unsigned. */
    public static final short JMP_JGE_K = 0x35;
    /** {@code BPF_JMP | BPF_JSET | BPF_K}: (A &amp; k) != 0. */
    public static final short JMP_JSET_K = 0x45;
    /** {@code BPF_RET | BPF_K}: return k (the seccomp action). */
    public static final short RET_K = 0x06;

    /** A non-jump instruction. */
    public static BpfInsn stmt(short code, int k) {
        return new BpfInsn(code, (byte) 0, (byte) 0, k);
    }

    /**
     * A conditional jump.
     *
     * @throws IllegalArgumentException an offset outside 0..255
     */
    public static BpfInsn jump(short code, int k, int jt, int jf) {
        if (jt < 0 || jt > 255 || jf < 0 || jf > 255) {
            throw new IllegalArgumentException("jump offsets must be 0..255, got jt=" + jt + " jf=" + jf);
        }
        return new BpfInsn(code, (byte) jt, (byte) jf, k);
    }

    /** {@link #jt} as an unsigned offset. */
    public int jtOffset() {
        return Byte.toUnsignedInt(jt);
    }

    /** {@link #jf} as an unsigned offset. */
    public int jfOffset() {
        return Byte.toUnsignedInt(jf);
    }

    /** Whether this is a conditional jump (jt/jf used). */
    public boolean isConditionalJump() {
        return (code & 0x07) == 0x05 && code != JMP_JA;
    }
}
