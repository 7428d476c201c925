package dev.rabbithole.stage2.libcontainer.configs;

import java.util.List;

/**
 * One mount inside the container, as the runtime-spec's "mounts" entry (config.md, Mounts).
 *
 * @param source      device, directory or pseudo-filesystem name ({@code proc}, {@code tmpfs}, a host path)
 * @param destination absolute path inside the rootfs
 * @param type        filesystem type ({@code proc}, {@code tmpfs}, {@code bind}, {@code devpts}, ...)
 * @param options     mount(8) options: flags ({@code nosuid}, {@code ro}, {@code bind}, {@code rbind}, ...) and data ({@code mode=755})
 */
public record Mount(String source, String destination, String type, List<String> options) {
}
