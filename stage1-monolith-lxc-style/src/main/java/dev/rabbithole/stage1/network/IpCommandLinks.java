package dev.rabbithole.stage1.network;

import dev.rabbithole.stage1.errdefs.SystemException;

import java.util.ArrayList;
import java.util.List;

/**
 * Stage 1's {@link HostLinks}: iproute2's {@code ip} (ip-link(8), ip-address(8), ip-route(8)) run as a child
 * process, as Docker 0.x's daemon ran it before libcontainer's netlink package. Acts in the network namespace the
 * daemon runs in.
 */
public final class IpCommandLinks implements HostLinks {

    private final String ip;

    /** Runs {@code ip} from the {@code PATH}. */
    public IpCommandLinks() {
        this("ip");
    }

    /** @param ip the {@code ip} program to run */
    public IpCommandLinks(String ip) {
        this.ip = ip;
    }

    /**
     * {@code ip link add NAME type bridge} (unless there), {@code ip addr replace ADDRESS dev NAME},
     * {@code ip link set NAME mtu MTU up}.
     */
    @Override
    public void ensureBridge(String name, String address, int mtu) {
        if (!exists(name)) {
            run("link", "add", name, "type", "bridge");
        }
        run("addr", "replace", address, "dev", name);
        run("link", "set", name, "mtu", Integer.toString(mtu), "up");
    }

    /** {@code ip link delete NAME}; a link that is not there is success. */
    @Override
    public void delete(String name) {
        if (exists(name)) {
            Commands.Result r = exec("link", "delete", name);
            if (r.exit() != 0 && exists(name)) {
                throw new SystemException("ip link delete " + name + ": " + r.err().strip());
            }
        }
    }

    /** {@code ip link show NAME} answers 0. */
    @Override
    public boolean exists(String name) {
        return exec("link", "show", "dev", name).exit() == 0;
    }

    /** The names of {@code ip -o link show} that start with the prefix (a veth's {@code @ifN} suffix cut). */
    @Override
    public List<String> names(String prefix) {
        List<String> out = new ArrayList<>();
        for (String line : run("-o", "link", "show").split("\n")) {
            String[] f = line.split(":\\s+", 3);
            if (f.length < 2) {
                continue;
            }
            String n = f[1].contains("@") ? f[1].substring(0, f[1].indexOf('@')) : f[1];
            if (n.startsWith(prefix)) {
                out.add(n);
            }
        }
        return out;
    }

    /**
     * {@code ip link add HOSTEND mtu MTU type veth peer name IFNAME address MAC netns PID} (ip-link(8): the peer is
     * made in the pid's namespace), {@code ip link set HOSTEND master BRIDGE up}, then inside through nsenter(1)
     * {@code --net=/proc/PID/ns/net}: {@code ip addr add ADDRESS broadcast + dev IFNAME}, {@code ip link set IFNAME up}.
     */
    @Override
    public void addVethInto(String bridge, String hostEnd, long pid, String ifname, String address, String mac,
                            int mtu) {
        try {
            Ipv4.parseCidr(address); // bad input: refused before anything is made
        } catch (dev.rabbithole.stage1.errdefs.InvalidParameterException e) {
            throw new SystemException(e.getMessage(), e);
        }
        run("link", "add", hostEnd, "mtu", Integer.toString(mtu), "type", "veth", "peer", "name", ifname,
                "mtu", Integer.toString(mtu), "address", mac, "netns", Long.toString(pid));
        try {
            run("link", "set", hostEnd, "master", bridge, "up");
            inside(pid, "addr", "add", address, "broadcast", "+", "dev", ifname);
            inside(pid, "link", "set", ifname, "up");
        } catch (RuntimeException e) {
            exec("link", "delete", hostEnd);
            throw e;
        }
    }

    private void inside(long pid, String... args) {
        List<String> cmd = new ArrayList<>(List.of("nsenter", "--net=/proc/" + pid + "/ns/net", ip));
        cmd.addAll(List.of(args));
        Commands.Result r = Commands.run(cmd, null);
        if (r.exit() != 0) {
            throw new SystemException("nsenter --net=/proc/" + pid + "/ns/net ip " + String.join(" ", args) + ": "
                    + r.err().strip());
        }
    }

    /** The destinations of {@code ip -4 route show table main} but {@code default}; a bare address is a /32. */
    @Override
    public List<String> routes() {
        List<String> out = new ArrayList<>();
        for (String line : run("-4", "route", "show", "table", "main").split("\n")) {
            String dst = line.strip().split("\\s+")[0];
            if (dst.isEmpty() || dst.equals("default")) {
                continue;
            }
            out.add(dst.contains("/") ? dst : dst + "/32");
        }
        return out;
    }

    private String run(String... args) {
        Commands.Result r = exec(args);
        if (r.exit() != 0) {
            throw new SystemException("ip " + String.join(" ", args) + ": " + r.err().strip());
        }
        return r.out();
    }

    private Commands.Result exec(String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(ip);
        cmd.addAll(List.of(args));
        return Commands.run(cmd, null);
    }

}
