package dev.rabbithole.stage2.libcontainer.seccomp;

import java.util.Locale;
import java.util.Optional;

/**
 * The architectures the compiler knows, with the value the kernel puts in {@code seccomp_data.arch}
 * (linux/audit.h {@code AUDIT_ARCH_*}) and the name Docker profiles use (libseccomp's {@code SCMP_ARCH_*}).
 */
public enum Arch {
    /** x86-64: {@code AUDIT_ARCH_X86_64 = EM_X86_64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE}. */
    X86_64(0xc000003e, "SCMP_ARCH_X86_64", "syscalls-x86_64.txt"),
    /** arm64: {@code AUDIT_ARCH_AARCH64 = EM_AARCH64 | __AUDIT_ARCH_64BIT | __AUDIT_ARCH_LE}. */
    AARCH64(0xc00000b7, "SCMP_ARCH_AARCH64", "syscalls-aarch64.txt");

    /** The {@code AUDIT_ARCH_*} value of {@code seccomp_data.arch}. */
    public final int auditArch;
    /** libseccomp's name, as in Docker profiles' {@code architectures}. */
    public final String scmpName;
    final String tableResource;

    Arch(int auditArch, String scmpName, String tableResource) {
        this.auditArch = auditArch;
        this.scmpName = scmpName;
        this.tableResource = tableResource;
    }

    /**
     * The architecture for a libseccomp name.
     *
     * @param scmpName e.g. {@code SCMP_ARCH_X86_64}
     * @return empty for architectures this compiler does not support ({@code SCMP_ARCH_X86}, {@code SCMP_ARCH_X32}, ...)
     */
    public static Optional<Arch> ofScmpName(String scmpName) {
        for (Arch a : values()) {
            if (a.scmpName.equalsIgnoreCase(scmpName)) {
                return Optional.of(a);
            }
        }
        return Optional.empty();
    }

    /**
     * The architecture of the running JVM ({@code os.arch}: {@code amd64}/{@code x86_64} or {@code aarch64}).
     *
     * @throws IllegalStateException another architecture
     */
    public static Arch host() {
        String a = System.getProperty("os.arch").toLowerCase(Locale.ROOT);
        return switch (a) {
            case "amd64", "x86_64" -> X86_64;
            case "aarch64", "arm64" -> AARCH64;
            default -> throw new IllegalStateException("no seccomp support for architecture " + a);
        };
    }
}
