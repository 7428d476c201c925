package dev.rabbithole.labs.support;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * What to run and how: the command line of a lab runtime, parsed. Every lab accepts every option;
 * a lab that has not implemented an option yet simply ignores it (which is what its checker notices).
 *
 * <pre>
 * run [--name NAME] [--rootfs DIR] [--hostname NAME] [--memory BYTES] [--pids N] [--cpu-quota MICROSECONDS]
 *     [--caps CAP_X,CAP_Y] [--seccomp-deny SYSCALL,SYSCALL] [--ip CIDR --peer-ip CIDR [--peer-netns NAME]]
 *     [--bridge NAME] [--publish HOSTPORT:PORT]...
 *     [--volume HOSTDIR:CONTAINERDIR[:private|slave|shared]]... [--layer DIR]... [--upper DIR --work DIR]
 *     -- COMMAND [ARG]...
 * </pre>
 *
 * Follows the shape of {@code docker run}'s options; sizes are bytes, times microseconds.
 *
 * <p>The network options join the container to a <em>peer network namespace</em> that stands in for the host: both
 * ends of the veth pair live in namespaces the lab creates, nothing is configured in the host's own (root) network
 * namespace. In Docker the host end sits in the root namespace on a bridge ({@code docker0}); {@code --bridge} puts it
 * on a bridge in the peer namespace instead, and {@code --publish} adds a DNAT rule there; see the workshop page of
 * lab 06.
 */
public final class Spec {
    /** A short name (at most 10 characters: it becomes part of veth, network namespace and cgroup names). */
    public String name = "lab";
    /** The directory that becomes the container's root; with layers, the overlay's mount point. */
    public Path rootfs;
    /** The hostname inside the UTS namespace, or null. */
    public String hostname;
    /** memory.limit_in_bytes in bytes, or 0 for none. */
    public long memoryBytes;
    /** pids.max, or 0 for none. */
    public int pidsMax;
    /** cpu.cfs_quota_us in microseconds per 100000 us period, or 0 for none. */
    public long cpuQuotaMicros;
    /** The capabilities to keep ("CAP_CHOWN", ...), or null to keep all. */
    public List<String> caps;
    /** The system calls that fail with EPERM ("mkdir", ...); empty for no filter. */
    public List<String> seccompDeny = new ArrayList<>();
    /** The container's address on its veth ("10.201.7.2/24"), or null for no network namespace setup. */
    public String ip;
    /** The peer end's address, in the peer namespace ("10.201.7.1/24"). */
    public String peerIp;
    /**
     * The named network namespace (ip-netns(8): /run/netns/NAME) that holds the peer end of the veth pair, standing in
     * for the host; it must exist before the container starts. Null: none given (lab 12's busybox then creates
     * {@link #ownPeerNetns()}).
     */
    public String peerNetns;
    /**
     * A bridge in the peer namespace (ip-link(8) "type bridge") that the peer end of the veth is enslaved to, holding
     * {@link #peerIp} instead of the veth: Docker's {@code docker0} in miniature. Null: the address goes on the veth.
     */
    public String bridge;
    /**
     * Published TCP ports, "HOSTPORT:PORT": a connection to the peer namespace's own address (the address of
     * {@link #peerIp}) on HOSTPORT is DNATed to the container's address on PORT, like {@code docker run -p}.
     */
    public List<String> publish = new ArrayList<>();
    /** Bind mounts from the host. */
    public List<Volume> volumes = new ArrayList<>();
    /** Image layers, lowest first. */
    public List<Path> layers = new ArrayList<>();
    /** The container's writable layer (overlay upperdir) and the overlay's workdir. */
    public Path upper, work;
    /** The named pipe on which the init waits for the parent's "go" (set by the runtime, not by users). */
    public Path sync;
    /** The command and its arguments. */
    public List<String> command = new ArrayList<>();

    /**
     * One bind mount.
     *
     * @param source      the host directory
     * @param target      the path inside the container
     * @param propagation "private", "slave" or "shared" (mount_namespaces(7))
     */
    public record Volume(Path source, String target, String propagation) {}

    /**
     * Parses the options above.
     *
     * @param args the arguments after the subcommand
     * @return the spec
     * @throws IllegalArgumentException on an unknown option or a missing value
     */
    public static Spec parse(List<String> args) {
        Spec s = new Spec();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.equals("--")) {
                s.command.addAll(args.subList(i + 1, args.size()));
                break;
            }
            if (!a.startsWith("--")) {
                s.command.addAll(args.subList(i, args.size()));
                break;
            }
            if (i + 1 >= args.size()) throw new IllegalArgumentException("missing value for " + a);
            String v = args.get(++i);
            switch (a) {
                case "--name" -> s.name = v;
                case "--rootfs" -> s.rootfs = Path.of(v);
                case "--hostname" -> s.hostname = v;
                case "--memory" -> s.memoryBytes = Long.parseLong(v);
                case "--pids" -> s.pidsMax = Integer.parseInt(v);
                case "--cpu-quota" -> s.cpuQuotaMicros = Long.parseLong(v);
                case "--caps" -> s.caps = v.isEmpty() ? List.of() : List.of(v.split(","));
                case "--seccomp-deny" -> s.seccompDeny = new ArrayList<>(List.of(v.split(",")));
                case "--ip" -> s.ip = v;
                case "--peer-ip" -> s.peerIp = v;
                case "--peer-netns" -> s.peerNetns = v;
                case "--bridge" -> s.bridge = v;
                case "--publish" -> {
                    if (!v.matches("\\d{1,5}:\\d{1,5}")) {
                        throw new IllegalArgumentException("--publish wants HOSTPORT:PORT (two TCP port numbers), not " + v);
                    }
                    s.publish.add(v);
                }
                case "--volume" -> {
                    String[] p = v.split(":");
                    s.volumes.add(new Volume(Path.of(p[0]), p[1], p.length > 2 ? p[2] : "private"));
                }
                case "--layer" -> s.layers.add(Path.of(v));
                case "--upper" -> s.upper = Path.of(v);
                case "--work" -> s.work = Path.of(v);
                case "--sync" -> s.sync = Path.of(v);
                default -> throw new IllegalArgumentException("unknown option " + a);
            }
        }
        return s;
    }

    /**
     * The spec as arguments again, for the init process.
     *
     * @return arguments that {@link #parse} turns into an equal spec
     */
    public List<String> toArgs() {
        List<String> a = new ArrayList<>();
        a.add("--name"); a.add(name);
        if (rootfs != null) { a.add("--rootfs"); a.add(rootfs.toString()); }
        if (hostname != null) { a.add("--hostname"); a.add(hostname); }
        if (memoryBytes > 0) { a.add("--memory"); a.add(Long.toString(memoryBytes)); }
        if (pidsMax > 0) { a.add("--pids"); a.add(Integer.toString(pidsMax)); }
        if (cpuQuotaMicros > 0) { a.add("--cpu-quota"); a.add(Long.toString(cpuQuotaMicros)); }
        if (caps != null) { a.add("--caps"); a.add(String.join(",", caps)); }
        if (!seccompDeny.isEmpty()) { a.add("--seccomp-deny"); a.add(String.join(",", seccompDeny)); }
        if (ip != null) { a.add("--ip"); a.add(ip); }
        if (peerIp != null) { a.add("--peer-ip"); a.add(peerIp); }
        if (peerNetns != null) { a.add("--peer-netns"); a.add(peerNetns); }
        if (bridge != null) { a.add("--bridge"); a.add(bridge); }
        for (String p : publish) { a.add("--publish"); a.add(p); }
        for (Volume v : volumes) { a.add("--volume"); a.add(v.source() + ":" + v.target() + ":" + v.propagation()); }
        for (Path l : layers) { a.add("--layer"); a.add(l.toString()); }
        if (upper != null) { a.add("--upper"); a.add(upper.toString()); }
        if (work != null) { a.add("--work"); a.add(work.toString()); }
        if (sync != null) { a.add("--sync"); a.add(sync.toString()); }
        a.add("--");
        a.addAll(command);
        return a;
    }

    /** @return the peer end of the veth pair, the one in {@link #peerNetns}: "v" + name + "p" */
    public String peerVeth() { return "v" + name + "p"; }

    /** @return the container end of the veth pair: "v" + name + "c" */
    public String containerVeth() { return "v" + name + "c"; }

    /** The prefix of the peer network namespaces the labs create: "rhlab-peer-". */
    public static final String PEER_NETNS_PREFIX = "rhlab-peer-";

    /** @return the name of the peer network namespace a container of this name creates for itself: "rhlab-peer-" + name */
    public String ownPeerNetns() { return PEER_NETNS_PREFIX + name; }
}
