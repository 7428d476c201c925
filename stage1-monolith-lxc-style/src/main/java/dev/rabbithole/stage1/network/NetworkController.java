package dev.rabbithole.stage1.network;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage1.AtomicFiles;
import dev.rabbithole.stage1.daemon.Container;
import dev.rabbithole.stage1.daemon.EngineLog;
import dev.rabbithole.stage1.daemon.HostConfig;
import dev.rabbithole.stage1.errdefs.ConflictException;
import dev.rabbithole.stage1.errdefs.EngineException;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.NotFoundException;
import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.execdriver.EtcFiles;
import dev.rabbithole.stage1.execdriver.Network;
import dev.rabbithole.stage1.network.NetworkState.EndpointRecord;
import dev.rabbithole.stage1.network.NetworkState.NetworkRecord;
import dev.rabbithole.stage1.network.NetworkState.PortRecord;

import java.io.Closeable;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;

/**
 * The daemon's networks, as libnetwork's controller with its bridge driver and default IPAM: the predefined
 * {@code bridge} (the stage's default bridge, {@link NetworkOptions}), {@code host} and {@code none}, user-defined
 * bridge networks ({@code docker network create}), an address allocator per network, the veth host ends' names,
 * published ports ({@code -p}, {@code -P}), the NAT and filter rules ({@link NftRules}) and the containers'
 * {@code /etc/hosts} and {@code /etc/resolv.conf}. The exec driver makes the veth pair from
 * {@link Command#network()}; this class owns the bridge, the addresses and the rules.
 *
 * <p>State is persisted in {@code DATA_ROOT/network/state.json} after every change; {@link #reconcile} at the
 * daemon's start releases what containers that no longer run held (addresses, veth ends, rules, port reservations).
 * Thread-safe: every method holds the controller's lock.
 */
public final class NetworkController implements AutoCloseable {

    /** Marks an exec driver's state directory whose /etc files the daemon wrote ({@link EtcFiles#write} keeps them). */
    public static final String ETC_MARKER = EtcFiles.DAEMON_MARKER;

    private static final SecureRandom RANDOM = new SecureRandom();
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final NetworkOptions options;
    private final int stage;
    private final Function<String, Container> containers;
    private final Function<Container, Set<String>> imageExposedPorts;
    private final NftRules nft;
    private final List<NetworkRecord> networks = new ArrayList<>();
    private final Map<String, EndpointRecord> endpoints = new LinkedHashMap<>();
    private final Map<String, String> attachments = new LinkedHashMap<>();
    private final Map<String, List<EndpointRecord>> connected = new LinkedHashMap<>();
    private final Map<String, Path> hostsFiles = new HashMap<>();
    private final Map<String, Integer> nextInterface = new HashMap<>();
    private final Map<String, List<Closeable>> reservations = new HashMap<>();

    /**
     * Loads the state, makes the predefined networks and, when networking is on, the default bridge (checked not
     * to overlap a route of the host), forwarding and the rules.
     *
     * @param dataRoot          the daemon's data root
     * @param options           the stage's {@link NetworkOptions}
     * @param containers        finds a container by name, ID or prefix ({@link NotFoundException} if none)
     * @param imageExposedPorts the image's ExposedPorts keys of a container ({@code 80/tcp}), for {@code -P}
     * @throws InvalidParameterException the default bridge's subnet overlaps a route of the host
     * @throws SystemException           the bridge or the rules cannot be made
     */
    public NetworkController(Path dataRoot, NetworkOptions options, Function<String, Container> containers,
                             Function<Container, Set<String>> imageExposedPorts) {
        this.file = dataRoot.resolve("network").resolve("state.json");
        this.options = options;
        this.stage = dev.rabbithole.stage1.Stage.current().number();
        this.containers = containers;
        this.imageExposedPorts = imageExposedPorts;
        this.nft = options.enabled() && NftRules.available() ? new NftRules(stage) : null;
        load();
        predefined();
        if (options.enabled()) {
            NetworkRecord bridge = byName("bridge");
            Ipv4 bip = Ipv4.parseCidr(options.bip());
            boolean ours = options.links().exists(options.bridge());
            for (String route : options.links().routes()) {
                Ipv4 r = Ipv4.parseCidr(route);
                if (r.overlaps(bip) && !(ours && r.network().equals(bip.network()))) {
                    throw new InvalidParameterException("Error initializing network controller: --bip " + bip
                            + " overlaps with the host's route to " + route + ": choose another --bip");
                }
            }
            for (NetworkRecord n : networks) {
                if (n.bridge() != null && !n.id().equals(bridge.id()) && Ipv4.parseCidr(n.subnet()).overlaps(bip)) {
                    throw new InvalidParameterException("Error initializing network controller: --bip " + bip
                            + " overlaps with network " + n.name() + " (" + n.subnet() + ")");
                }
            }
            sysctl("net/ipv4/ip_forward", "1");
            for (NetworkRecord n : networks) {
                if (n.bridge() != null) {
                    makeBridge(n);
                }
            }
            EngineLog.info("networking: bridge " + options.bridge() + " " + options.bip() + ", firewall "
                    + (nft != null ? "nftables (table ip " + nft.table() + ")" : "none (no nft on the PATH: no NAT, no published ports)")
                    + ", links through " + options.links().getClass().getSimpleName());
        }
        persist();
    }

    /** @return whether the daemon has a default bridge (false for {@code --bridge=none}) */
    public boolean enabled() {
        return options.enabled();
    }

    /** @return the firewall front end: {@code nftables} or {@code none} */
    public String firewall() {
        return nft != null ? "nftables" : "none";
    }

    // ---------------------------------------------------------------- start and reconcile

    private void load() {
        if (!Files.exists(file)) {
            return;
        }
        try {
            NetworkState s = JSON.readValue(file.toFile(), NetworkState.class);
            if (s.networks() != null) {
                networks.addAll(s.networks());
            }
            if (s.endpoints() != null) {
                endpoints.putAll(s.endpoints());
            }
            if (s.attachments() != null) {
                attachments.putAll(s.attachments());
            }
            if (s.connected() != null) {
                s.connected().forEach((k, v) -> connected.put(k, new ArrayList<>(v)));
            }
        } catch (IOException e) {
            throw new SystemException("reading " + file + ": " + e.getMessage(), e);
        }
    }

    private void predefined() {
        NetworkRecord bridge = byNameOrNull("bridge");
        if (options.enabled()) {
            Ipv4 bip = Ipv4.parseCidr(options.bip());
            NetworkRecord wanted = new NetworkRecord(bridge != null ? bridge.id() : newId(), "bridge", "bridge",
                    options.bridge(), bip.network().toString(), Ipv4.format(bip.address()),
                    bridge != null ? bridge.created() : Instant.now().toString(), Map.of(), false);
            if (bridge != null && !wanted.equals(bridge)) {
                String old = bridge.bridge();
                if (!old.equals(options.bridge())) {
                    quietly(() -> options.links().delete(old));
                }
                networks.remove(bridge);
                bridge = null;
            }
            if (bridge == null) {
                networks.add(0, wanted);
            }
        } else if (bridge != null) {
            networks.remove(bridge);
        }
        if (byNameOrNull("host") == null) {
            networks.add(new NetworkRecord(newId(), "host", "host", null, null, null, Instant.now().toString(),
                    Map.of(), false));
        }
        if (byNameOrNull("none") == null) {
            networks.add(new NetworkRecord(newId(), "none", "null", null, null, null, Instant.now().toString(),
                    Map.of(), false));
        }
    }

    private void makeBridge(NetworkRecord n) {
        Ipv4 subnet = Ipv4.parseCidr(n.subnet());
        options.links().ensureBridge(n.bridge(), n.gateway() + "/" + subnet.prefix(), 1500);
        // published ports on 127.0.0.1: the kernel routes DNATed loopback sources out this bridge only with this
        sysctl("net/ipv4/conf/" + n.bridge() + "/route_localnet", "1");
    }

    private static void sysctl(String key, String value) {
        Path p = Path.of("/proc/sys").resolve(key);
        try {
            if (!String.join("", Files.readAllLines(p)).strip().equals(value)) {
                Files.writeString(p, value + "\n");
            }
        } catch (IOException e) {
            throw new SystemException("setting " + key.replace('/', '.') + "=" + value + ": " + e.getMessage(), e);
        }
    }

    /**
     * At the daemon's start, after its containers were restored: releases the endpoints of containers that no longer
     * run (a daemon killed with {@code -9} left them): their addresses, veth host ends and rules; reserves again the
     * ports of those still running (stage 3's live restore); forgets the attachments of removed containers; writes
     * the rules anew.
     *
     * @param all     the IDs of every container the daemon knows
     * @param running the IDs of those running now
     */
    public synchronized void reconcile(Set<String> all, Set<String> running) {
        for (String id : new ArrayList<>(endpoints.keySet())) {
            if (!running.contains(id)) {
                EndpointRecord ep = endpoints.remove(id);
                quietly(() -> options.links().delete(ep.veth()));
                EngineLog.info("network: released " + ep.address() + " and " + ep.veth() + " of container "
                        + id.substring(0, 12) + ", which no longer runs");
            } else {
                EndpointRecord ep = endpoints.get(id);
                try {
                    reservations.put(id, reserve(ep.ports(), ""));
                } catch (RuntimeException e) {
                    EngineLog.warn("network: ports of " + id.substring(0, 12) + ": " + e.getMessage());
                }
            }
        }
        for (String id : new ArrayList<>(connected.keySet())) {
            if (!running.contains(id)) {
                for (EndpointRecord ep : connected.remove(id)) {
                    quietly(() -> options.links().delete(ep.veth()));
                }
            }
        }
        attachments.keySet().removeIf(id -> !all.contains(id));
        applyRules();
        persist();
    }

    // ---------------------------------------------------------------- containers

    /**
     * Checks a create request's network settings ({@code POST /containers/create}), as dockerd does before it
     * records the container: the network exists, a {@code container:NAME} exists, the port specs are valid.
     *
     * @throws NotFoundException         {@code network X not found}, {@code No such container: NAME}
     * @throws InvalidParameterException a bad port or host address, {@code --add-host} or {@code --dns}
     */
    public synchronized void checkCreate(HostConfig hc) {
        String mode = hc.networkMode() == null ? "" : hc.networkMode();
        if (mode.startsWith("container:")) {
            containers.apply(mode.substring("container:".length()));
        } else if (!mode.isEmpty() && !mode.equals("default")) {
            network(mode);
        }
        if (hc.portBindings() != null) {
            for (Map.Entry<String, List<HostConfig.PortBinding>> e : hc.portBindings().entrySet()) {
                PortSpec.containerPort(e.getKey());
                for (HostConfig.PortBinding b : e.getValue() == null ? List.<HostConfig.PortBinding>of() : e.getValue()) {
                    PortSpec.hostIp(b.hostIp());
                    PortSpec.hostPorts(b.hostPort());
                }
            }
        }
        boolean publishes = hc.portBindings() != null && !hc.portBindings().isEmpty() || hc.publishAllPorts();
        String effective = mode.isEmpty() || mode.equals("default") ? (options.enabled() ? "bridge" : "none") : mode;
        if (publishes && (effective.startsWith("container:") || effective.equals("none"))) {
            // Docker's message for container:NAME; also without a bridge (--bridge=none) nothing can be published
            throw new InvalidParameterException("conflicting options: port publishing and the container type network mode");
        }
        for (String h : hc.extraHosts() == null ? List.<String>of() : hc.extraHosts()) {
            int colon = h.indexOf(':');
            if (colon <= 0 || colon == h.length() - 1) {
                throw new InvalidParameterException("invalid IP address in add-host: \"" + h + "\"");
            }
        }
        for (String d : hc.dns() == null ? List.<String>of() : hc.dns()) {
            if (!Ipv4.isAddress(d) && !d.contains(":")) {
                throw new InvalidParameterException("invalid IP address: " + d);
            }
        }
    }

    /** @return the network a container uses: the name it was connected to, else its NetworkMode */
    public synchronized String networkModeOf(Container c) {
        String attached = attachments.get(c.id());
        if (attached != null) {
            return attached;
        }
        String mode = c.hostConfig().networkMode();
        if (mode == null || mode.isEmpty() || mode.equals("default")) {
            return options.enabled() ? "bridge" : "none";
        }
        return mode;
    }

    // tag::attach[]
    /**
     * Before a container starts: decides its network ({@link Network}), and for a bridge network allocates its
     * address and veth name, reserves its published ports and writes the rules; writes its {@code hostname},
     * {@code hosts} and {@code resolv.conf} into the command's state directory (bound over the image's by the exec
     * driver) and those of its peers on a user-defined network.
     *
     * @param c   the container
     * @param cmd the command its exec driver will run
     * @return the command with {@link Command#network()} filled in
     * @throws NotFoundException no such network or container to join
     * @throws ConflictException {@code cannot join network of a non running container: ID}
     * @throws SystemException   a published port is taken (Docker's message), the subnet is full
     */
    public synchronized Command attach(Container c, Command cmd) {
        release(c.id());
        String mode = networkModeOf(c);
        Network net;
        EndpointRecord ep = null;
        if (mode.equals("host")) {
            net = Network.HOST;
        } else if (mode.equals("none")) {
            net = Network.NONE;
        } else if (mode.startsWith("container:")) {
            Container other = containers.apply(mode.substring("container:".length()));
            if (!other.state().running() || other.state().pid() <= 0) {
                throw new ConflictException("cannot join network of a non running container: " + other.id());
            }
            net = new Network(Network.Mode.JOIN, "/proc/" + other.state().pid() + "/ns/net", null);
        } else {
            NetworkRecord n = network(mode);
            if (n.bridge() == null) {
                net = n.name().equals("host") ? Network.HOST : Network.NONE;
            } else {
                ep = endpoint(c, n, cmd.stateDir(), "eth0", true);
                net = new Network(Network.Mode.BRIDGE, null, new Network.Endpoint(n.bridge(), ep.veth(), "eth0",
                        ep.address() + "/" + ep.prefix(), ep.gateway(), ep.mac(), 1500));
            }
        }
        try {
            if (ep != null) {
                reservations.put(c.id(), reserve(ep.ports(), "driver failed programming external connectivity on "
                        + "endpoint " + ep.containerName() + " (" + ep.endpointId() + "): "));
                endpoints.put(c.id(), ep);
                applyRules();
            }
            if (cmd.stateDir() != null) {
                hostsFiles.put(c.id(), cmd.stateDir().resolve("hosts"));
                writeEtc(c, ep, cmd.stateDir(), net.mode() == Network.Mode.HOST);
            }
            if (ep != null) {
                refreshPeers(ep.networkId());
            }
            persist();
        } catch (RuntimeException e) {
            release(c.id());
            throw e;
        }
        return withNetwork(cmd, net);
    }
    // end::attach[]

    /**
     * After a container exited, failed to start or was removed: releases its address, its veth host end (if the
     * kernel has not removed it with the namespace), its ports and rules; rewrites its peers' {@code /etc/hosts}.
     * Idempotent.
     *
     * @param containerId 64 hex characters
     */
    public synchronized void detach(String containerId) {
        if (release(containerId)) {
            applyRules();
            persist();
        }
    }

    /** Forgets a removed container's {@code network connect} attachment. */
    public synchronized void forget(String containerId) {
        detach(containerId);
        if (attachments.remove(containerId) != null) {
            persist();
        }
    }

    private boolean release(String containerId) {
        hostsFiles.remove(containerId);
        nextInterface.remove(containerId);
        List<Closeable> held = reservations.remove(containerId);
        if (held != null) {
            held.forEach(NetworkController::closeQuietly);
        }
        List<EndpointRecord> more = connected.remove(containerId);
        for (EndpointRecord e : more == null ? List.<EndpointRecord>of() : more) {
            quietly(() -> options.links().delete(e.veth()));
            quietly(() -> refreshPeers(e.networkId()));
        }
        EndpointRecord ep = endpoints.remove(containerId);
        if (ep == null) {
            return more != null;
        }
        quietly(() -> options.links().delete(ep.veth()));
        quietly(() -> refreshPeers(ep.networkId()));
        return true;
    }

    /** @return the endpoint of a running container on a bridge network, or null */
    public synchronized EndpointRecord endpointOf(String containerId) {
        return endpoints.get(containerId);
    }

    /** @return the further endpoints of a running container ({@code docker network connect}), in connect order */
    public synchronized List<EndpointRecord> connectedOf(String containerId) {
        return List.copyOf(connected.getOrDefault(containerId, List.of()));
    }

    /** @return every endpoint: the first of each running container and those it was connected to since */
    private List<EndpointRecord> allEndpoints() {
        List<EndpointRecord> all = new ArrayList<>(endpoints.values());
        connected.values().forEach(all::addAll);
        return all;
    }

    private EndpointRecord endpoint(Container c, NetworkRecord n, Path stateDir, String ifname, boolean withPorts) {
        Ipv4 subnet = Ipv4.parseCidr(n.subnet());
        int gw = Ipv4.parse(n.gateway());
        Set<Integer> used = new java.util.HashSet<>();
        used.add(gw);
        for (EndpointRecord e : allEndpoints()) {
            if (e.networkId().equals(n.id())) {
                used.add(Ipv4.parse(e.address()));
            }
        }
        int base = subnet.network().address();
        int address = 0;
        for (long i = 1; i < subnet.size() - 1; i++) {
            int a = base + (int) i;
            if (!used.contains(a)) {
                address = a;
                break;
            }
        }
        if (address == 0) {
            throw new SystemException("no available IPv4 addresses on this network's address pools: " + n.name()
                    + " (" + n.id() + ")");
        }
        String veth;
        do {
            veth = "veth" + HexFormat.of().toHexDigits(RANDOM.nextInt()).substring(0, 7);
        } while (options.links().exists(veth) || vethInUse(veth));
        String name = c.name().startsWith("/") ? c.name().substring(1) : c.name();
        String endpointId = newId();
        List<PortRecord> ports = withPorts ? ports(c, name, endpointId) : List.of();
        return new EndpointRecord(c.id(), name, n.id(), endpointId, veth, Ipv4.format(address), subnet.prefix(),
                n.gateway(), Ipv4.mac(address), stateDir == null ? null : stateDir.resolve("hosts").toString(),
                c.config().hostname(), ports, ifname);
    }

    private boolean vethInUse(String veth) {
        return allEndpoints().stream().anyMatch(e -> e.veth().equals(veth));
    }

    // ---------------------------------------------------------------- published ports

    /** The container's port bindings (PortBindings, and with PublishAllPorts every exposed port) made concrete. */
    private List<PortRecord> ports(Container c, String name, String endpointId) {
        Map<String, List<HostConfig.PortBinding>> bindings = new LinkedHashMap<>();
        if (c.hostConfig().portBindings() != null) {
            bindings.putAll(c.hostConfig().portBindings());
        }
        if (c.hostConfig().publishAllPorts()) {
            java.util.TreeSet<String> exposed = new java.util.TreeSet<>(imageExposedPorts.apply(c));
            if (c.config().exposedPorts() != null) {
                exposed.addAll(c.config().exposedPorts().keySet());
            }
            for (String p : exposed) {
                bindings.putIfAbsent(p, List.of(new HostConfig.PortBinding("", "")));
            }
        }
        List<PortRecord> out = new ArrayList<>();
        for (Map.Entry<String, List<HostConfig.PortBinding>> e : bindings.entrySet()) {
            PortSpec.Port cp = PortSpec.containerPort(e.getKey());
            List<HostConfig.PortBinding> list = e.getValue() == null || e.getValue().isEmpty()
                    ? List.of(new HostConfig.PortBinding("", "")) : e.getValue();
            for (HostConfig.PortBinding b : list) {
                String ip = PortSpec.hostIp(b.hostIp());
                int[] range = PortSpec.hostPorts(b.hostPort());
                int port = range == null ? freePort(cp.proto(), ip, out) : pick(cp.proto(), ip, range, out, name, endpointId);
                out.add(new PortRecord(cp.proto(), ip, port, cp.port()));
            }
        }
        return out;
    }

    private int pick(String proto, String ip, int[] range, List<PortRecord> mine, String name, String endpointId) {
        for (int p = range[0]; p <= range[1]; p++) {
            if (!allocated(proto, ip, p, mine)) {
                return p;
            }
        }
        throw new SystemException("driver failed programming external connectivity on endpoint " + name + " ("
                + endpointId + "): Bind for " + ip + ":" + range[0] + " failed: port is already allocated");
    }

    private boolean allocated(String proto, String ip, int port, List<PortRecord> mine) {
        List<PortRecord> all = new ArrayList<>(mine);
        endpoints.values().forEach(e -> all.addAll(e.ports()));
        for (PortRecord r : all) {
            if (r.proto().equals(proto) && r.hostPort() == port
                    && (r.hostIp().equals(ip) || r.hostIp().equals("0.0.0.0") || ip.equals("0.0.0.0"))) {
                return true;
            }
        }
        return false;
    }

    /** A free host port from the kernel's ephemeral range (ip_local_port_range), as Docker's port allocator. */
    private int freePort(String proto, String ip, List<PortRecord> mine) {
        int low = 49153;
        int high = 65535;
        try {
            // readAllLines, not readString: the JDK reads a procfs file of size 0 short ("3" for "32768 60999")
            String[] r = String.join(" ", Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")))
                    .strip().split("\\s+");
            low = Integer.parseInt(r[0]);
            high = Integer.parseInt(r[1]);
        } catch (IOException | RuntimeException e) {
            // Docker's defaults
        }
        for (int p = low; p <= high; p++) {
            if (!allocated(proto, ip, p, mine)) {
                try {
                    closeQuietly(bind(proto, ip, p));
                    return p;
                } catch (IOException e) {
                    // taken by another program: the next one
                }
            }
        }
        throw new SystemException("no available " + proto + " port in " + low + "-" + high);
    }

    // tag::reserve[]
    /**
     * Holds each published port open on the host address (a listening TCP socket, a bound UDP socket), as
     * dockerd's port mapper does when it does not run its userland proxy: no other program can take it while
     * the container runs; the DNAT rule sends the connections to the container before they reach this socket.
     */
    private List<Closeable> reserve(List<PortRecord> ports, String prefix) {
        List<Closeable> held = new ArrayList<>();
        for (PortRecord p : ports) {
            try {
                held.add(bind(p.proto(), p.hostIp(), p.hostPort()));
            } catch (IOException e) {
                held.forEach(NetworkController::closeQuietly);
                throw new SystemException(prefix + "Error starting userland proxy: listen " + p.proto() + "4 " + p.hostIp()
                        + ":" + p.hostPort() + ": bind: address already in use.");
            }
        }
        return held;
    }
    // end::reserve[]

    private static Closeable bind(String proto, String ip, int port) throws IOException {
        InetSocketAddress at = new InetSocketAddress(InetAddress.getByName(ip), port);
        if (proto.equals("udp")) {
            DatagramSocket s = new DatagramSocket(null);
            s.bind(at);
            return s;
        }
        ServerSocket s = new ServerSocket();
        s.bind(at, 1);
        return s;
    }

    // ---------------------------------------------------------------- /etc files

    private void writeEtc(Container c, EndpointRecord ep, Path dir, boolean hostNetwork) {
        try {
            Files.createDirectories(dir);
            String host = readOr(EtcFiles.HOST_RESOLV_CONF, "");
            writeInPlace(dir.resolve("hostname"), c.config().hostname() + "\n");
            writeInPlace(dir.resolve("hosts"), hostNetwork ? readOr(Path.of("/etc/hosts"), "") : hostsText(c, ep));
            writeInPlace(dir.resolve("resolv.conf"), resolvText(c.hostConfig(), host));
            Files.writeString(dir.resolve(ETC_MARKER), c.id() + "\n");
        } catch (IOException e) {
            throw new SystemException("writing the /etc files of " + c.id() + ": " + e.getMessage(), e);
        }
    }

    // tag::hosts[]
    /**
     * The container's {@code /etc/hosts}: Docker's default lines, {@code --add-host}s, its own address (on a bridge;
     * else 127.0.1.1) with its hostname, and on a user-defined network every other running container of that
     * network by name, as Docker wrote them before its embedded DNS server (1.9).
     */
    private String hostsText(Container c, EndpointRecord ep) {
        StringBuilder s = new StringBuilder();
        String defaults = EtcFiles.hosts(c.config().hostname());
        s.append(defaults, 0, defaults.lastIndexOf("127.0.1.1"));
        for (String h : c.hostConfig().extraHosts() == null ? List.<String>of() : c.hostConfig().extraHosts()) {
            int colon = h.indexOf(':');
            s.append(h.substring(colon + 1)).append('\t').append(h, 0, colon).append('\n');
        }
        List<EndpointRecord> mine = new ArrayList<>();
        if (ep != null) {
            mine.add(ep);
        }
        mine.addAll(connected.getOrDefault(c.id(), List.of()));
        if (mine.isEmpty()) {
            s.append("127.0.1.1").append('\t').append(c.config().hostname()).append('\n');
        }
        for (EndpointRecord own : mine) { // each address of the container with its hostname, as Docker's connect
            s.append(own.address()).append('\t').append(c.config().hostname()).append('\n');
        }
        NetworkRecord bridge = byNameOrNull("bridge");
        Set<String> lines = new java.util.LinkedHashSet<>();
        for (EndpointRecord own : mine) {
            if (bridge != null && own.networkId().equals(bridge.id())) {
                continue;
            }
            for (EndpointRecord peer : allEndpoints()) {
                if (peer.networkId().equals(own.networkId()) && !peer.containerId().equals(c.id())) {
                    lines.add(peer.address() + "\t" + peer.containerName() + "\n");
                }
            }
        }
        lines.forEach(s::append);
        return s.toString();
    }
    // end::hosts[]

    /** Rewrites, in place (bind mounts keep seeing the file), the hosts files of a network's running containers. */
    private void refreshPeers(String networkId) {
        Set<String> done = new java.util.HashSet<>();
        for (EndpointRecord peer : allEndpoints()) {
            if (!peer.networkId().equals(networkId) || peer.hostsFile() == null || !done.add(peer.containerId())) {
                continue;
            }
            try {
                Container pc = containers.apply(peer.containerId());
                Path hosts = Path.of(peer.hostsFile());
                if (Files.exists(hosts)) {
                    writeInPlace(hosts, hostsText(pc, endpoints.get(peer.containerId())));
                }
            } catch (IOException | RuntimeException e) {
                EngineLog.warn("network: rewriting the hosts file of " + peer.containerName() + ": " + e.getMessage());
            }
        }
    }

    /** resolv.conf: the host's filtered as today ({@link EtcFiles#resolvConf}), then {@code --dns*} over it. */
    static String resolvText(HostConfig hc, String hostResolvConf) {
        List<String> dns = hc.dns() == null ? List.of() : hc.dns();
        List<String> search = hc.dnsSearch() == null ? List.of() : hc.dnsSearch();
        List<String> opts = hc.dnsOptions() == null ? List.of() : hc.dnsOptions();
        String base = EtcFiles.resolvConf(hostResolvConf);
        if (dns.isEmpty() && search.isEmpty() && opts.isEmpty()) {
            return base;
        }
        StringBuilder s = new StringBuilder();
        List<String> keep = new ArrayList<>();
        for (String line : base.split("\n")) {
            String[] f = line.trim().split("\\s+");
            String key = f.length == 0 ? "" : f[0];
            if ((key.equals("nameserver") && !dns.isEmpty()) || ((key.equals("search") || key.equals("domain"))
                    && !search.isEmpty()) || (key.equals("options") && !opts.isEmpty())) {
                continue;
            }
            keep.add(line);
        }
        if (!search.isEmpty()) {
            s.append("search ").append(String.join(" ", search)).append('\n');
        }
        for (String line : keep) {
            if (!line.isBlank()) {
                s.append(line).append('\n');
            }
        }
        for (String d : dns) {
            s.append("nameserver ").append(d).append('\n');
        }
        if (!opts.isEmpty()) {
            s.append("options ").append(String.join(" ", opts)).append('\n');
        }
        return s.toString();
    }

    private static String readOr(Path p, String fallback) {
        try {
            return Files.isReadable(p) ? Files.readString(p) : fallback;
        } catch (IOException e) {
            return fallback;
        }
    }

    /** Truncates and writes the same inode: a bind mount of the file sees the new text. */
    private static void writeInPlace(Path p, String text) throws IOException {
        Files.write(p, text.getBytes(StandardCharsets.UTF_8), StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
    }

    // ---------------------------------------------------------------- rules

    private void applyRules() {
        if (nft == null) {
            return;
        }
        List<NftRules.Bridge> bridges = new ArrayList<>();
        for (NetworkRecord n : networks) {
            if (n.bridge() != null) {
                bridges.add(new NftRules.Bridge(n.bridge(), Ipv4.parseCidr(n.subnet())));
            }
        }
        List<NftRules.Publish> ports = new ArrayList<>();
        for (EndpointRecord e : endpoints.values()) {
            for (PortRecord p : e.ports()) {
                ports.add(new NftRules.Publish(p.proto(), p.hostIp(), p.hostPort(), e.address(), p.containerPort()));
            }
        }
        nft.apply(bridges, ports);
    }

    // ---------------------------------------------------------------- networks API

    /** @return every network, the predefined first, then by name */
    public synchronized List<NetworkRecord> list() {
        return List.copyOf(networks);
    }

    /**
     * @param ref a network's name, ID or unique ID prefix
     * @return the network
     * @throws NotFoundException {@code network REF not found}
     */
    public synchronized NetworkRecord network(String ref) {
        NetworkRecord byName = byNameOrNull(ref);
        if (byName != null) {
            return byName;
        }
        NetworkRecord found = null;
        for (NetworkRecord n : networks) {
            if (n.id().equals(ref)) {
                return n;
            }
            if (ref != null && !ref.isEmpty() && n.id().startsWith(ref)) {
                if (found != null) {
                    throw new NotFoundException("network " + ref + " is ambiguous");
                }
                found = n;
            }
        }
        if (found == null) {
            throw new NotFoundException("network " + ref + " not found");
        }
        return found;
    }

    /** @return the endpoints of the running containers on a network */
    public synchronized List<EndpointRecord> endpointsOn(String networkId) {
        return allEndpoints().stream().filter(e -> e.networkId().equals(networkId)).toList();
    }

    // tag::create-network[]
    /**
     * {@code POST /networks/create}: a bridge network with its own Linux bridge ({@code rh-} and the ID's first 12
     * characters), its subnet given or the first free /24 of {@link NetworkOptions#userPool}.
     *
     * @param name    the name, unique
     * @param driver  {@code bridge} (or empty)
     * @param subnet  {@code A.B.C.D/N} or null
     * @param gateway {@code A.B.C.D} in the subnet, or null for its first address
     * @param labels  labels, may be null
     * @return the new network
     * @throws ConflictException           {@code network with name NAME already exists}
     * @throws NetworkForbiddenException   {@code Pool overlaps with other one on this address space}
     * @throws InvalidParameterException   a bad subnet or gateway, another driver, networking off
     */
    public synchronized NetworkRecord create(String name, String driver, String subnet, String gateway,
                                             Map<String, String> labels) {
        if (name == null || name.isEmpty()) {
            throw new InvalidParameterException("network name must not be empty");
        }
        if (byNameOrNull(name) != null) {
            throw new ConflictException("network with name " + name + " already exists");
        }
        if (driver != null && !driver.isEmpty() && !driver.equals("bridge")) {
            throw new InvalidParameterException("plugin \"" + driver + "\" not found: stage 1 has the bridge driver only");
        }
        if (!options.enabled()) {
            throw new InvalidParameterException("networking is off (--bridge=none): no bridge networks");
        }
        Ipv4 net;
        if (subnet != null && !subnet.isEmpty()) {
            Ipv4 s;
            try {
                s = Ipv4.parseCidr(subnet);
            } catch (InvalidParameterException e) {
                throw new InvalidParameterException("Invalid subnet " + subnet + " : " + e.getMessage());
            }
            net = s.network();
            if (overlapsTaken(net)) {
                throw new NetworkForbiddenException("Pool overlaps with other one on this address space");
            }
        } else {
            net = null;
            Ipv4 pool = Ipv4.parseCidr(NetworkOptions.userPool(stage));
            for (int i = 0; i < 256 && net == null; i++) {
                Ipv4 candidate = new Ipv4(pool.address() + (i << 8), 24);
                if (!overlapsTaken(candidate)) {
                    net = candidate;
                }
            }
            if (net == null) {
                throw new NetworkForbiddenException("could not find an available, non-overlapping IPv4 address pool "
                        + "among the defaults to assign to the network");
            }
        }
        if (net.prefix() > 30) {
            throw new InvalidParameterException("Invalid subnet " + subnet + " : too small for a bridge network");
        }
        String gw;
        if (gateway != null && !gateway.isEmpty()) {
            int g = Ipv4.parse(gateway);
            if (!net.contains(g)) {
                throw new InvalidParameterException("no matching subnet for gateway " + gateway);
            }
            gw = gateway;
        } else {
            gw = Ipv4.format(net.address() + 1);
        }
        String id = newId();
        NetworkRecord n = new NetworkRecord(id, name, "bridge", "rh-" + id.substring(0, 12), net.toString(), gw,
                Instant.now().toString(), labels == null ? Map.of() : Map.copyOf(labels),
                gateway != null && !gateway.isEmpty());
        makeBridge(n);
        networks.add(n);
        try {
            applyRules();
        } catch (RuntimeException e) {
            networks.remove(n);
            quietly(() -> options.links().delete(n.bridge()));
            throw e;
        }
        persist();
        EngineLog.info("network " + name + " created: " + n.bridge() + " " + n.subnet());
        return n;
    }
    // end::create-network[]

    private boolean overlapsTaken(Ipv4 candidate) {
        for (NetworkRecord n : networks) {
            if (n.subnet() != null && Ipv4.parseCidr(n.subnet()).overlaps(candidate)) {
                return true;
            }
        }
        Set<String> ours = new java.util.HashSet<>();
        networks.stream().filter(n -> n.subnet() != null).forEach(n -> ours.add(n.subnet()));
        for (String route : options.links().routes()) {
            if (!ours.contains(Ipv4.parseCidr(route).network().toString()) && Ipv4.parseCidr(route).overlaps(candidate)) {
                return true;
            }
        }
        return false;
    }

    /**
     * {@code DELETE /networks/{id}}: removes a user-defined network and its bridge.
     *
     * @throws NotFoundException         no such network
     * @throws NetworkForbiddenException a predefined network, or one with running containers (Docker's message)
     */
    public synchronized void remove(String ref) {
        NetworkRecord n = network(ref);
        if (n.predefined()) {
            throw new NetworkForbiddenException(n.name() + " is a pre-defined network and cannot be removed");
        }
        if (!endpointsOn(n.id()).isEmpty()) {
            throw new NetworkForbiddenException("error while removing network: network " + n.name() + " id " + n.id()
                    + " has active endpoints");
        }
        networks.remove(n);
        attachments.values().removeIf(v -> v.equals(n.name()) || v.equals(n.id()));
        options.links().delete(n.bridge());
        applyRules();
        persist();
        EngineLog.info("network " + n.name() + " removed");
    }

    /**
     * {@code POST /networks/prune}: removes the user-defined networks without running containers.
     *
     * @return the names removed
     */
    public synchronized List<String> prune() {
        List<String> removed = new ArrayList<>();
        for (NetworkRecord n : List.copyOf(networks)) {
            if (!n.predefined() && endpointsOn(n.id()).isEmpty() && !attachments.containsValue(n.name())) {
                remove(n.id());
                removed.add(n.name());
            }
        }
        return removed;
    }

    // tag::connect[]
    /**
     * {@code POST /networks/{id}/connect}. A container that does not run uses that network from its next start
     * (stage 1 gives a stopped container one network). A running one gets one more interface ({@code eth1},
     * {@code eth2}...) with an address from that network, made in its network namespace through
     * {@link HostLinks#addVethInto} (no default route: that stays on its first network); its {@code /etc/hosts} and
     * those of the network's other containers are rewritten in place. The connection lasts while it runs.
     *
     * @throws NotFoundException         no such network or container
     * @throws NetworkForbiddenException {@code endpoint with name NAME already exists in network NET}
     * @throws InvalidParameterException host or {@code container:} network mode, a {@code none} container, the
     *                                   {@code host} or {@code none} network (Docker's messages)
     * @throws SystemException           the interface cannot be made (nothing is left of it)
     */
    public synchronized void connect(String ref, String containerRef) {
        NetworkRecord n = network(ref);
        Container c = containers.apply(containerRef);
        String mode = networkModeOf(c);
        String name = c.name().startsWith("/") ? c.name().substring(1) : c.name();
        boolean running = c.state().running();
        if ((mode.equals(n.name()) || mode.equals(n.id())) && (!running || endpoints.containsKey(c.id()))
                || connectedOf(c.id()).stream().anyMatch(e -> e.networkId().equals(n.id()))) {
            throw new NetworkForbiddenException("endpoint with name " + name + " already exists in network " + n.name());
        }
        if (!running) {
            attachments.put(c.id(), n.name());
            persist();
            return;
        }
        String own = c.hostConfig().networkMode() == null ? "" : c.hostConfig().networkMode();
        if (mode.equals("host") || n.name().equals("host")) {
            throw new InvalidParameterException("container cannot be disconnected from host network or connected to "
                    + "host network");
        }
        if (mode.startsWith("container:")) {
            throw new InvalidParameterException("container sharing network namespace with another container or host "
                    + "cannot be connected to any other network");
        }
        if (own.equals("none") || n.name().equals("none") || n.bridge() == null) {
            throw new InvalidParameterException("container cannot be connected to multiple networks with one of the "
                    + "networks in private (none) mode");
        }
        long pid = c.state().pid();
        // as libnetwork's sandbox: the next index, never one used before in this run (eth1 after eth1 left)
        int i = nextInterface.getOrDefault(c.id(), 1);
        for (EndpointRecord e : connectedOf(c.id())) {
            i = Math.max(i, Integer.parseInt(e.ifname().substring(3)) + 1);
        }
        Path hosts = hostsFiles.get(c.id());
        if (hosts == null && endpoints.get(c.id()) != null && endpoints.get(c.id()).hostsFile() != null) {
            hosts = Path.of(endpoints.get(c.id()).hostsFile());
        }
        EndpointRecord ep = endpoint(c, n, hosts == null ? null : hosts.getParent(), "eth" + i, false);
        options.links().addVethInto(n.bridge(), ep.veth(), pid, ep.ifname(), ep.address() + "/" + ep.prefix(),
                ep.mac(), 1500);
        connected.computeIfAbsent(c.id(), k -> new ArrayList<>()).add(ep);
        nextInterface.put(c.id(), i + 1);
        persist();
        quietly(() -> refreshPeers(n.id()));
        EngineLog.info("network: connected " + name + " to " + n.name() + ": " + ep.ifname() + " " + ep.address()
                + ", host end " + ep.veth());
    }

    /**
     * {@code POST /networks/{id}/disconnect}. A container that does not run leaves the network (it has none then,
     * {@code none}). A running one loses that interface, its address and the hosts lines; leaving its first (or
     * only) network leaves it the others (or loopback only) while it runs, and {@code none} from its next start.
     *
     * @throws NotFoundException         no such network or container
     * @throws NetworkForbiddenException {@code container ID is not connected to network NET}
     * @throws InvalidParameterException a running container on the host network (Docker's message)
     */
    public synchronized void disconnect(String ref, String containerRef) {
        NetworkRecord n = network(ref);
        Container c = containers.apply(containerRef);
        String mode = networkModeOf(c);
        boolean running = c.state().running();
        EndpointRecord extra = running ? connectedOf(c.id()).stream().filter(e -> e.networkId().equals(n.id()))
                .findFirst().orElse(null) : null;
        boolean first = (mode.equals(n.name()) || mode.equals(n.id()))
                && (!running || endpoints.containsKey(c.id()) || n.bridge() == null);
        if (extra == null && !first) {
            // Docker's words differ for a container that does not run
            throw new NetworkForbiddenException("container " + c.id() + " is not connected to " + (running ? ""
                    : "the ") + "network " + n.name());
        }
        if (running && mode.equals("host")) {
            throw new InvalidParameterException("container cannot be disconnected from host network or connected to "
                    + "host network");
        }
        if (extra != null) {
            connected.get(c.id()).remove(extra);
            if (connected.get(c.id()).isEmpty()) {
                connected.remove(c.id());
            }
            options.links().delete(extra.veth());
        } else {
            if (running) {
                EndpointRecord ep = endpoints.remove(c.id());
                List<Closeable> held = reservations.remove(c.id());
                if (held != null) {
                    held.forEach(NetworkController::closeQuietly);
                }
                if (ep != null) {
                    options.links().delete(ep.veth());
                    applyRules();
                }
            }
            attachments.put(c.id(), "none");
        }
        persist();
        quietly(() -> refreshPeers(n.id()));
        if (running) {
            quietly(() -> rewriteHosts(c));
        }
    }
    // end::connect[]

    /** Rewrites a running container's own hosts file in place (it may be on no network of the peers any more). */
    private void rewriteHosts(Container c) {
        Path hosts = hostsFiles.get(c.id());
        if (hosts == null) {
            EndpointRecord any = allEndpoints().stream().filter(e -> e.containerId().equals(c.id())
                    && e.hostsFile() != null).findFirst().orElse(null);
            hosts = any == null ? null : Path.of(any.hostsFile());
        }
        if (hosts == null || !Files.exists(hosts)) {
            return;
        }
        try {
            writeInPlace(hosts, hostsText(c, endpoints.get(c.id())));
        } catch (IOException e) {
            EngineLog.warn("network: rewriting the hosts file of " + c.name() + ": " + e.getMessage());
        }
    }

    // ---------------------------------------------------------------- shutdown

    /**
     * At the daemon's shutdown, after its containers are gone: releases what is left and deletes the daemon's
     * rules table; the bridges stay, as Docker keeps docker0.
     */
    @Override
    public synchronized void close() {
        for (String id : new ArrayList<>(endpoints.keySet())) {
            quietly(() -> release(id));
        }
        persist();
        if (nft != null) {
            quietly(nft::delete);
        }
    }

    // ---------------------------------------------------------------- helpers

    private NetworkRecord byName(String name) {
        NetworkRecord n = byNameOrNull(name);
        if (n == null) {
            throw new NotFoundException("network " + name + " not found");
        }
        return n;
    }

    private NetworkRecord byNameOrNull(String name) {
        for (NetworkRecord n : networks) {
            if (n.name().equals(name)) {
                return n;
            }
        }
        return null;
    }

    private void persist() {
        try {
            Files.createDirectories(file.getParent());
            AtomicFiles.writeString(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(
                    new NetworkState(networks, endpoints, attachments, connected)));
        } catch (IOException e) {
            throw new SystemException("writing " + file + ": " + e.getMessage(), e);
        }
    }

    private static String newId() {
        byte[] b = new byte[32];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }

    /** @return the command with another network (every other field kept) */
    static Command withNetwork(Command c, Network n) {
        return new Command(c.id(), c.rootfs(), c.stateDir(), c.args(), c.env(), c.workingDir(), c.user(),
                c.hostname(), c.resources(), c.capabilities(), c.privileged(), c.seccomp(), c.noNewPrivileges(),
                c.init(), c.devices(), c.groupAdd(), c.stdio(), c.mounts(), c.readonlyRootfs(), n);
    }

    private static void closeQuietly(Closeable c) {
        try {
            c.close();
        } catch (IOException e) {
            // nothing held any more
        }
    }

    private static void quietly(Runnable r) {
        try {
            r.run();
        } catch (EngineException | IllegalStateException e) {
            EngineLog.warn("network: " + e.getMessage());
        }
    }
}
