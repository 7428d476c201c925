package dev.rabbithole.stage3.dockerd;

import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.execdriver.Network;
import dev.rabbithole.stage2.netlink.NetlinkException;
import dev.rabbithole.stage2.netlink.Netns;
import dev.rabbithole.stage2.netlink.Veth;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The network namespace stage 3's dockerd makes for a container before containerd creates its task, as Docker
 * 1.11's dockerd did through libnetwork's sandbox: a thread unshares {@code CLONE_NEWNET}, its namespace file
 * ({@code /proc/thread-self/ns/net}) is bind-mounted at {@code EXEC_ROOT/netns/ID} so that the namespace outlives
 * the thread, loopback is brought up in it, and for a bridge endpoint the veth is made with rtnetlink
 * ({@link Veth#createIn}). The OCI spec then names the file in {@code linux.namespaces} (runtime-spec
 * {@code config-linux.md}, "Namespaces": a path joins an existing namespace), so that runc, ours or Debian's, joins
 * it instead of making one. {@link #remove} unmounts it (the kernel then frees the namespace once no process is in
 * it) and deletes the host end of the veth.
 */
public final class NetworkSandbox {
    private static final String LINK_SUFFIX = ".link";

    private NetworkSandbox() { }

    /**
     * @param execRoot the daemon's exec root
     * @param id       the container ID
     * @return where the container's namespace is bind-mounted: {@code EXEC_ROOT/netns/ID}
     */
    public static Path path(Path execRoot, String id) {
        return execRoot.resolve("netns").resolve(id);
    }

    /**
     * Makes the container's network namespace as its {@link Network} says.
     *
     * @param execRoot the daemon's exec root
     * @param id       the container ID
     * @param network  the daemon's choice, null for {@link Network#NONE}
     * @return the namespace path for the spec: the new bind mount ({@code none}, {@code bridge}), the path to join
     *         ({@code container:NAME}), or null for the host's namespace ({@code host})
     * @throws SystemException the kernel refused (nothing is left behind then)
     */
    // tag::dockerd-netns[]
    public static String create(Path execRoot, String id, Network network) {
        Network n = network == null ? Network.NONE : network;
        if (n.mode() == Network.Mode.HOST) {
            return null;
        }
        if (n.mode() == Network.Mode.JOIN) {
            return n.namespacePath();
        }
        Path file = path(execRoot, id);
        remove(execRoot, id); // a stale one from a daemon that died
        try {
            Files.createDirectories(file.getParent());
            Files.createFile(file);
            Netns.create(file, "netns-" + id.substring(0, Math.min(12, id.length()))); // a thread's unshare, bound
            if (n.mode() == Network.Mode.BRIDGE) {
                Network.Endpoint e = n.endpoint();
                Files.writeString(file.resolveSibling(id + LINK_SUFFIX), e.hostInterface(), StandardCharsets.UTF_8);
                Veth.createIn(new Veth.Spec(e.bridge(),
                        e.hostInterface(), e.containerInterface() == null ? "eth0" : e.containerInterface(),
                        e.address(), e.gateway(), e.macAddress(), e.mtu()), file.toString(), null);
            }
            return file.toString();
        } catch (IOException | RuntimeException e) {
            remove(execRoot, id);
            throw new SystemException("making the network namespace of " + id + ": " + e.getMessage(), e);
        }
    }
    // end::dockerd-netns[]

    /**
     * Unmounts and removes the namespace file and deletes the veth's host end, when there are. Idempotent: what is
     * gone already is success.
     *
     * @param execRoot the daemon's exec root
     * @param id       the container ID
     */
    public static void remove(Path execRoot, String id) {
        Path file = path(execRoot, id);
        Path link = file.resolveSibling(id + LINK_SUFFIX);
        try {
            if (Files.exists(link)) {
                Veth.deleteQuietly(Files.readString(link, StandardCharsets.UTF_8).trim());
                Files.deleteIfExists(link);
            }
        } catch (IOException | NetlinkException e) {
            // the kernel removes the pair with the namespace anyway
        }
        if (Files.exists(file)) {
            Netns.unmount(file); // false: not mounted (a start that failed before the bind)
            try {
                Files.deleteIfExists(file);
            } catch (IOException e) {
                dev.rabbithole.stage1.daemon.EngineLog.warn("container " + id + ": removing " + file + ": " + e.getMessage());
            }
        }
    }
}
