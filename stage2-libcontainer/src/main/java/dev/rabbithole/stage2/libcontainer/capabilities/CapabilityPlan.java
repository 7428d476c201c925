package dev.rabbithole.stage2.libcontainer.capabilities;

import dev.rabbithole.stage2.libcontainer.configs.CapabilitySet;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Set;

/**
 * What the container init must hand to the kernel to give the workload its capabilities, computed from a
 * {@link CapabilitySet}: pure data, the init makes the calls (through JNA) in this order, on the thread that
 * will execve:
 * <ol>
 *   <li>{@link #boundingDrops()}: {@code prctl(PR_CAPBSET_DROP, cap)} for each capability not in the bounding
 *       set (needs CAP_SETPCAP, so before capset drops it);</li>
 *   <li>{@link #capset()}: {@code capset(hdr, data)} with the effective, permitted and inheritable sets;</li>
 *   <li>{@link #ambientRaises()}: {@code prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, cap)} for each ambient
 *       capability (each must already be permitted and inheritable).</li>
 * </ol>
 * Sources: capabilities(7), capget(2)/capset(2), prctl(2), runc's {@code libcontainer/capabilities}.
 *
 * @param bounding      the bounding set to keep
 * @param effective     the effective set
 * @param permitted     the permitted set
 * @param inheritable   the inheritable set
 * @param ambient       the ambient set
 * @param kernelLastCap the running kernel's highest capability number (see {@link Capabilities#kernelLastCap()})
 */
public record CapabilityPlan(Set<Capability> bounding, Set<Capability> effective, Set<Capability> permitted,
                             Set<Capability> inheritable, Set<Capability> ambient, int kernelLastCap) {

    /** prctl(2) option: drop one capability from the calling thread's bounding set. */
    public static final int PR_CAPBSET_DROP = 24;
    /** prctl(2) option: read or change the ambient set. */
    public static final int PR_CAP_AMBIENT = 47;
    /** PR_CAP_AMBIENT sub-operation: raise one capability. */
    public static final int PR_CAP_AMBIENT_RAISE = 2;
    /** capset(2) header version for 64-bit capability sets (two data structs). */
    public static final int LINUX_CAPABILITY_VERSION_3 = 0x20080522;

    /**
     * The plan for a config's capability sets.
     *
     * @param set           names without (or with) {@code CAP_}
     * @param kernelLastCap the running kernel's highest capability number
     * @throws IllegalArgumentException an unknown capability name
     */
    public static CapabilityPlan of(CapabilitySet set, int kernelLastCap) {
        return new CapabilityPlan(Capabilities.parseAll(set.bounding()), Capabilities.parseAll(set.effective()),
                Capabilities.parseAll(set.permitted()), Capabilities.parseAll(set.inheritable()),
                Capabilities.parseAll(set.ambient()), kernelLastCap);
    }

    /** One prctl(2) call: {@code prctl(option, arg2, arg3, 0, 0)}. */
    public record PrctlCall(int option, long arg2, long arg3) {
    }

    /**
     * The capset(2) arguments for a 64-bit capability set ({@code _LINUX_CAPABILITY_VERSION_3}):
     * {@code struct __user_cap_header_struct { u32 version; int pid; }} and two
     * {@code struct __user_cap_data_struct { u32 effective, permitted, inheritable; }}, the first for
     * capabilities 0..31 and the second for 32..63.
     *
     * @param version  {@link #LINUX_CAPABILITY_VERSION_3}
     * @param pid      0 = the calling thread
     * @param low      bits 0..31 of each set
     * @param high     bits 32..63 of each set
     */
    public record Capset(int version, int pid, CapData low, CapData high) {
        /** The header as 8 native-order bytes. */
        public byte[] headerBytes() {
            return ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putInt(version).putInt(pid).array();
        }

        /** The two data structs as 24 native-order bytes (low struct first). */
        public byte[] dataBytes() {
            ByteBuffer b = ByteBuffer.allocate(24).order(ByteOrder.nativeOrder());
            for (int w : dataWords()) {
                b.putInt(w);
            }
            return b.array();
        }

        /** The six 32-bit words of the data array: low effective, permitted, inheritable, then high ones. */
        public int[] dataWords() {
            return new int[] {low.effective(), low.permitted(), low.inheritable(),
                    high.effective(), high.permitted(), high.inheritable()};
        }
    }

    /**
     * One {@code struct __user_cap_data_struct}: 32 bits of each set.
     *
     * @param effective   effective bits
     * @param permitted   permitted bits
     * @param inheritable inheritable bits
     */
    public record CapData(int effective, int permitted, int inheritable) {
    }

    /**
     * The PR_CAPBSET_DROP calls: each capability number 0..{@code kernelLastCap} not in the bounding set, in
     * increasing order. Numbers above {@link Capability#LAST} (a newer kernel) are dropped too.
     */
    public List<PrctlCall> boundingDrops() {
        List<PrctlCall> calls = new ArrayList<>();
        long keep = Capabilities.mask(bounding);
        for (int n = 0; n <= kernelLastCap; n++) {
            if (n >= 64 || (keep & (1L << n)) == 0) {
                calls.add(new PrctlCall(PR_CAPBSET_DROP, n, 0));
            }
        }
        return Collections.unmodifiableList(calls);
    }

    /** The capset(2) arguments for pid 0 (the calling thread). */
    public Capset capset() {
        long e = Capabilities.mask(effective);
        long p = Capabilities.mask(permitted);
        long i = Capabilities.mask(inheritable);
        return new Capset(LINUX_CAPABILITY_VERSION_3, 0,
                new CapData((int) e, (int) p, (int) i),
                new CapData((int) (e >>> 32), (int) (p >>> 32), (int) (i >>> 32)));
    }

    /** The PR_CAP_AMBIENT_RAISE calls, one per ambient capability, in increasing order. */
    public List<PrctlCall> ambientRaises() {
        List<PrctlCall> calls = new ArrayList<>();
        for (Capability c : Capability.values()) {
            if (ambient.contains(c)) calls.add(new PrctlCall(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c.number));
        }
        return Collections.unmodifiableList(calls);
    }

    /** The effective mask as /proc/PID/status prints it ({@code CapEff}). */
    public String effectiveHex() {
        return Capabilities.toHex(Capabilities.mask(effective));
    }

    /** The bounding mask as /proc/PID/status prints it ({@code CapBnd}) after the drops. */
    public String boundingHex() {
        return Capabilities.toHex(Capabilities.mask(bounding));
    }
}
