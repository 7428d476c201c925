package dev.rabbithole.stage1.execdriver;

import java.util.List;

/**
 * One mount a container gets besides its root filesystem and the ones every container gets (/proc, /dev, /sys,
 * the /etc files): a bind mount of a host path or of a volume's directory, or a tmpfs. Shaped as the OCI
 * runtime-spec's {@code mounts} entry (config.md, "Mounts"), so stage 3 passes it through unchanged; stage 1
 * writes it as an {@code lxc.mount.entry}, stage 2 as a libcontainer mount.
 *
 * @param type        {@code bind} or {@code tmpfs}
 * @param source      for {@code bind}: the absolute host path (a volume's {@code _data} directory for volumes);
 *                    for {@code tmpfs}: {@code tmpfs}
 * @param destination the absolute path inside the container; the runtime resolves it inside the rootfs (a
 *                    symlink on the way is followed as if the rootfs were {@code /}, never out of it)
 * @param options     mount(8) options as the runtime-spec lists them: {@code rbind} or {@code bind}, {@code ro} or
 *                    {@code rw}, a propagation ({@code rprivate}, {@code rshared}, {@code rslave}, ...),
 *                    {@code nosuid}, {@code nodev}, {@code noexec}, {@code size=BYTES}, {@code mode=OCTAL}
 */
public record Mount(String type, String source, String destination, List<String> options) {

    public Mount {
        options = options == null ? List.of() : List.copyOf(options);
    }

    /** @return true when {@link #options()} holds {@code ro} */
    public boolean readOnly() {
        return options.contains("ro");
    }
}
