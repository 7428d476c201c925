package dev.rabbithole.stage2.libcontainer.capabilities;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/**
 * Capability sets as 64-bit masks, the way /proc/PID/status prints them ({@code CapEff: 00000000a80425fb}).
 * Source: capabilities(7), proc(5) ({@code CapInh}, {@code CapPrm}, {@code CapEff}, {@code CapBnd},
 * {@code CapAmb}). Docker's default set is the exec driver's policy, not the library's.
 */
public final class Capabilities {
    private Capabilities() { }

    /** Every capability this library knows, 0..{@link Capability#LAST}: what {@code --privileged} gives. */
    public static final Set<Capability> ALL = Collections.unmodifiableSet(EnumSet.allOf(Capability.class));

    /**
     * The mask with the bit of each capability set.
     *
     * @param caps capabilities
     * @return bits 0..40
     */
    public static long mask(Collection<Capability> caps) {
        long m = 0;
        for (Capability c : caps) {
            m |= c.bit();
        }
        return m;
    }

    /**
     * The capabilities whose bits are set; bits above {@link Capability#LAST} are ignored (a newer kernel may
     * print them in {@code CapBnd}).
     *
     * @param mask a 64-bit mask
     */
    public static Set<Capability> fromMask(long mask) {
        EnumSet<Capability> set = EnumSet.noneOf(Capability.class);
        for (Capability c : Capability.values()) {
            if ((mask & c.bit()) != 0) {
                set.add(c);
            }
        }
        return set;
    }

    /**
     * The mask as /proc/PID/status prints it: 16 lower-case hex digits.
     *
     * @param mask a 64-bit mask
     * @return e.g. {@code 00000000a80425fb}
     */
    public static String toHex(long mask) {
        return String.format(Locale.ROOT, "%016x", mask);
    }

    /**
     * Parses a /proc/PID/status mask.
     *
     * @param hex up to 16 hex digits, e.g. {@code 00000000a80425fb}
     * @throws NumberFormatException not hex
     */
    public static long parseHex(String hex) {
        return Long.parseUnsignedLong(hex.trim(), 16);
    }

    /**
     * Parses capability names (with or without {@code CAP_}, any case).
     *
     * @param names e.g. {@code CHOWN}, {@code cap_sys_admin}
     * @throws IllegalArgumentException an unknown name
     */
    public static Set<Capability> parseAll(Collection<String> names) {
        EnumSet<Capability> set = EnumSet.noneOf(Capability.class);
        if (names != null) {
            for (String n : names) {
                set.add(Capability.parse(n));
            }
        }
        return set;
    }

    /**
     * The running kernel's highest capability number, from /proc/sys/kernel/cap_last_cap (proc(5)).
     * Bounding-set drops must stop there: PR_CAPBSET_DROP of a higher number fails with EINVAL.
     *
     * @return e.g. 40 on Linux 5.9 and later
     * @throws UncheckedIOException the file cannot be read
     */
    public static int kernelLastCap() {
        // Files.readString trusts the size procfs reports and may return a truncated "4": read as a stream
        try (var in = Files.newInputStream(Path.of("/proc/sys/kernel/cap_last_cap"))) {
            return Integer.parseInt(new String(in.readAllBytes(), java.nio.charset.StandardCharsets.US_ASCII).trim());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/sys/kernel/cap_last_cap", e);
        }
    }
}
