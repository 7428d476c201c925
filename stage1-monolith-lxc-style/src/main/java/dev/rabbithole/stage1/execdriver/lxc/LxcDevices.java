package dev.rabbithole.stage1.execdriver.lxc;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.execdriver.DeviceMapping;
import dev.rabbithole.stage1.execdriver.HostDevices;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code --device} on LXC: each node is created in the container's /dev by an {@code lxc.hook.autodev} script
 * (LXC runs it in the container's mount namespace once /dev is its tmpfs, with {@code $LXC_ROOTFS_MOUNT} the
 * rootfs), with the host node's mode and owner, as runc's mknod does; {@link LxcConfig} adds the node's
 * {@code devices.allow} rule. A node of its own, not a bind mount of the host's: a chmod inside the container
 * does not reach the host's node. Source: lxc.container.conf(5), "Container hooks".
 */
public final class LxcDevices {
    private LxcDevices() { }

    /**
     * The nodes of the command's {@code --device} mappings.
     *
     * @param c the command
     * @return the nodes, in the order of the mappings
     * @throws InvalidParameterException a container path outside /dev: the hook runs before the pivot, where a
     *         symlink of the image could lead a path elsewhere on the host; /dev is LXC's fresh tmpfs
     * @throws dev.rabbithole.stage1.errdefs.SystemException a host path that is not a device (Docker's message)
     */
    public static List<HostDevices.Node> nodes(Command c) {
        List<HostDevices.Node> nodes = new ArrayList<>();
        for (DeviceMapping m : c.devices() == null ? List.<DeviceMapping>of() : c.devices()) {
            for (HostDevices.Node n : HostDevices.resolve(m)) {
                if (!n.pathInContainer().startsWith("/dev/")) {
                    throw new InvalidParameterException("--device " + m.pathOnHost() + ":" + n.pathInContainer()
                            + ": the LXC driver creates device nodes under /dev only");
                }
                nodes.add(n);
            }
        }
        return nodes;
    }

    // tag::lxc-device-hook[]
    /**
     * The {@code lxc.hook.autodev} script that creates the nodes under {@code $LXC_ROOTFS_MOUNT/dev}.
     *
     * <p>The hook runs in the container's pid namespace, so its processes take the container's pids 2, 3, ...
     * and the workload is not pid 2 there. Its last step writes {@code /proc/sys/kernel/ns_last_pid} (the last
     * pid allocated in the reader's pid namespace, pid_namespaces(7)) into {@code lastPidFile}, through a
     * rename, without a fork after it: the workload, LXC's init's first child, gets that pid plus one.
     *
     * @param nodes the nodes ({@link #nodes})
     * @param lastPidFile the host path where the hook leaves the last pid it used, a decimal number and a newline
     * @return the script's text
     */
    public static String hook(List<HostDevices.Node> nodes, java.nio.file.Path lastPidFile) {
        StringBuilder sb = new StringBuilder("#!/bin/sh\n# lxc.hook.autodev: the --device nodes, in the container's /dev\nset -e\n");
        for (HostDevices.Node n : nodes) {
            String path = "\"$LXC_ROOTFS_MOUNT\"" + quote(n.pathInContainer());
            String parent = path.substring(0, path.lastIndexOf('/')) + "'";
            sb.append("mkdir -p ").append(parent).append('\n');
            sb.append("rm -f ").append(path).append('\n');
            sb.append("mknod -m ").append(String.format("%04o", n.fileMode())).append(' ').append(path).append(' ')
                    .append(n.type()).append(' ').append(n.major()).append(' ').append(n.minor()).append('\n');
            sb.append("chown ").append(n.uid()).append(':').append(n.gid()).append(' ').append(path).append('\n');
        }
        String out = quote(lastPidFile.toString());
        return sb.append("cat /proc/sys/kernel/ns_last_pid > ").append(out).append(".tmp\n")
                .append("exec mv -f ").append(out).append(".tmp ").append(out).append('\n').toString();
    }
    // end::lxc-device-hook[]

    private static String quote(String s) {
        return "'" + s.replace("'", "'\\''") + "'";
    }
}
