package dev.rabbithole.stage1.network;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;

/**
 * The parts of a port binding as the Engine API carries them (HostConfig.PortBindings: {@code "80/tcp"} to
 * {@code [{"HostIp": "", "HostPort": "18080"}]}), checked as dockerd's {@code nat.ParsePortSpec} checks them.
 */
final class PortSpec {
    private PortSpec() { }

    /** A container port: 1 to 65535 and {@code tcp} or {@code udp}. */
    record Port(int port, String proto) { }

    /**
     * @param key {@code PORT[/PROTO]}
     * @return the port and protocol ({@code tcp} when none is given)
     * @throws InvalidParameterException {@code Invalid containerPort: X}, {@code Invalid proto: X}
     */
    static Port containerPort(String key) {
        String proto = "tcp";
        String port = key == null ? "" : key;
        int slash = port.indexOf('/');
        if (slash >= 0) {
            proto = port.substring(slash + 1).toLowerCase(java.util.Locale.ROOT);
            port = port.substring(0, slash);
        }
        if (!proto.equals("tcp") && !proto.equals("udp")) {
            throw new InvalidParameterException("Invalid proto: " + proto);
        }
        int p = number(port);
        if (p < 1) {
            throw new InvalidParameterException("Invalid containerPort: " + port);
        }
        return new Port(p, proto);
    }

    /**
     * @param hostIp empty for every address, else an IPv4 address
     * @return {@code 0.0.0.0} for empty, else the address
     * @throws InvalidParameterException {@code Invalid ip address: X}
     */
    static String hostIp(String hostIp) {
        if (hostIp == null || hostIp.isEmpty()) {
            return "0.0.0.0";
        }
        if (!Ipv4.isAddress(hostIp)) {
            throw new InvalidParameterException("Invalid ip address: " + hostIp
                    + (hostIp.contains(":") ? " (stage 1 publishes on IPv4 addresses only)" : ""));
        }
        return hostIp;
    }

    /**
     * @param hostPort empty for a free port, {@code N} or {@code N-M}
     * @return the first and last port, or null for a free one
     * @throws InvalidParameterException {@code Invalid hostPort: X}
     */
    static int[] hostPorts(String hostPort) {
        if (hostPort == null || hostPort.isEmpty()) {
            return null;
        }
        int dash = hostPort.indexOf('-');
        int a = number(dash < 0 ? hostPort : hostPort.substring(0, dash));
        int b = dash < 0 ? a : number(hostPort.substring(dash + 1));
        if (a < 1 || b < a) {
            throw new InvalidParameterException("Invalid hostPort: " + hostPort);
        }
        return new int[] {a, b};
    }

    private static int number(String s) {
        if (!s.matches("[0-9]{1,5}") || Integer.parseInt(s) > 65535) {
            return -1;
        }
        return Integer.parseInt(s);
    }
}
