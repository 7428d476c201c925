package dev.rabbithole.stage2.libcontainer.network;

import dev.rabbithole.stage2.libcontainer.configs.Network;
import dev.rabbithole.stage2.libcontainer.system.Syscalls;
import dev.rabbithole.stage2.netlink.NetlinkException;
import dev.rabbithole.stage2.netlink.Recorder;
import dev.rabbithole.stage2.netlink.Veth;

/**
 * Old libcontainer's {@code veth} network strategy, from the parent, through rtnetlink ({@link Veth}): the pair made
 * on the host, the host end on the bridge and up, the peer moved into the init's new network namespace by the init's
 * pid, renamed, addressed, up, with the default route; the init waits for its config meanwhile, so the workload
 * finds its network ready. The requests go into the parent's kernel-call recording ({@code run --explain}).
 *
 * <p>The pair goes with the container's namespace when its last process ends (the kernel deletes a veth whose
 * peer's namespace is destroyed). A failure part way deletes the host end, so a failed start leaves no veth.
 */
public final class VethStrategy {
    private VethStrategy() { }

    /**
     * Makes the container's interface.
     *
     * @param n        what to make
     * @param initPid  the init's host pid, in its new network namespace
     * @param recorder the parent's recording, or null
     * @throws NetlinkException a request the kernel refused (the message names it and the errno)
     */
    public static void create(Network n, long initPid, Syscalls recorder) {
        Recorder r = recorder == null ? null : (reason, call, args) -> recorder.because(reason).note(call, args);
        Veth.createForPid(new Veth.Spec(n.bridge(), n.hostInterface(), n.name(), n.address(), n.gateway(),
                n.macAddress(), n.mtu()), initPid, r);
    }

    /**
     * Deletes a host end when it is still there: after a failed start, or for a container whose daemon died.
     *
     * @param hostInterface the host end's name
     */
    public static void deleteQuietly(String hostInterface) {
        Veth.deleteQuietly(hostInterface);
    }
}
