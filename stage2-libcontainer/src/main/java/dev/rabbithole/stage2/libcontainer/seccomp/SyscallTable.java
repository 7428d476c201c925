package dev.rabbithole.stage2.libcontainer.seccomp;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalInt;

/**
 * Syscall names to numbers per architecture, read from the resource files {@code syscalls-<arch>.txt}
 * ({@code name number} per line), generated from the kernel's UAPI headers ({@code asm/unistd_64.h} for
 * x86_64, {@code asm-generic/unistd.h} for aarch64) by {@code tools/gen-syscall-tables.py}.
 */
public final class SyscallTable {
    private static final Map<Arch, SyscallTable> TABLES = new EnumMap<>(Arch.class);

    private final Arch arch;
    private final Map<String, Integer> numbers;

    private SyscallTable(Arch arch, Map<String, Integer> numbers) {
        this.arch = arch;
        this.numbers = Collections.unmodifiableMap(numbers);
    }

    /**
     * The table of an architecture (loaded once).
     *
     * @throws UncheckedIOException the resource is missing or unreadable
     */
    public static synchronized SyscallTable of(Arch arch) {
        return TABLES.computeIfAbsent(arch, SyscallTable::load);
    }

    private static SyscallTable load(Arch arch) {
        Map<String, Integer> numbers = new LinkedHashMap<>();
        try (InputStream in = SyscallTable.class.getResourceAsStream(arch.tableResource)) {
            if (in == null) {
                throw new UncheckedIOException(new IOException("missing resource " + arch.tableResource));
            }
            BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            for (String line; (line = r.readLine()) != null; ) {
                line = line.strip();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split("\\s+");
                numbers.put(f[0], Integer.parseInt(f[1]));
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + arch.tableResource, e);
        }
        return new SyscallTable(arch, numbers);
    }

    /** The architecture of this table. */
    public Arch arch() {
        return arch;
    }

    /**
     * The number of a syscall.
     *
     * @param name e.g. {@code mkdir}
     * @return empty when this architecture has no such syscall (aarch64 has no {@code mkdir}, only {@code mkdirat})
     */
    public OptionalInt number(String name) {
        Integer n = numbers.get(name);
        return n == null ? OptionalInt.empty() : OptionalInt.of(n);
    }

    /** The name of a syscall number, or null. */
    public String name(int number) {
        for (Map.Entry<String, Integer> e : numbers.entrySet()) {
            if (e.getValue() == number) {
                return e.getKey();
            }
        }
        return null;
    }

    /** All names and numbers, in increasing number order. */
    public Map<String, Integer> all() {
        return numbers;
    }
}
