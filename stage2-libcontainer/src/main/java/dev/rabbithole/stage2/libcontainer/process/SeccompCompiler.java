package dev.rabbithole.stage2.libcontainer.process;

import dev.rabbithole.stage2.libcontainer.configs.Seccomp;

/**
 * Seam to the {@code seccomp} package: compiles a {@link Seccomp} config to a classic BPF program. The init
 * finds the implementation with {@link java.util.ServiceLoader} (a {@code META-INF/services} entry).
 * TODO(merge): register the seccomp package's compiler as a service of this interface.
 */
public interface SeccompCompiler {
    /**
     * @param seccomp the filter description
     * @return {@code struct sock_filter[]}, 8 bytes per instruction, native byte order
     * @throws IllegalArgumentException for an unknown syscall name or architecture
     */
    byte[] compile(Seccomp seccomp);
}
