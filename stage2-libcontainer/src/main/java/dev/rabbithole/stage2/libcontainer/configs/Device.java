package dev.rabbithole.stage2.libcontainer.configs;

/**
 * A device node the init creates in the container (mknod(2)), besides the runtime-spec's default devices:
 * runc's {@code configs.Device}, the runtime-spec's {@code linux.devices[]} entry (config-linux.md, "Devices").
 * Creating a node gives no access by itself: the cgroup's {@link DeviceRule}s decide that.
 *
 * @param path     absolute path in the container, e.g. {@code /dev/fuse}
 * @param type     {@code 'c'} (character), {@code 'b'} (block) or {@code 'p'} (a FIFO, mkfifo(3); major and minor 0)
 * @param major    device major number
 * @param minor    device minor number
 * @param fileMode permission bits of the node, e.g. {@code 0600}
 * @param uid      owner, a uid of the container
 * @param gid      group, a gid of the container
 */
public record Device(String path, char type, long major, long minor, int fileMode, int uid, int gid) {

    /**
     * Checks the fields.
     *
     * @throws IllegalArgumentException a relative path or one with {@code ..}, a type other than b or c, a
     *                                  negative number
     */
    public void validate() {
        if (path == null || !path.startsWith("/") || path.equals("/") || ("/" + path + "/").contains("/../")) {
            throw new IllegalArgumentException("device " + path + ": the path in the container must be absolute, without ..");
        }
        if (type != 'b' && type != 'c' && type != 'p') {
            throw new IllegalArgumentException("device " + path + ": type must be b, c or p, not " + type);
        }
        if (major < 0 || minor < 0 || major > 0xffffffffL || minor > 0xffffffffL) {
            throw new IllegalArgumentException("device " + path + ": major and minor are 0..2^32-1");
        }
    }
}
