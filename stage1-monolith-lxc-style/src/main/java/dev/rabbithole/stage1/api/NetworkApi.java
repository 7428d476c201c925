package dev.rabbithole.stage1.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage1.daemon.Container;
import dev.rabbithole.stage1.daemon.Daemon;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.network.NetworkController;
import dev.rabbithole.stage1.network.NetworkState.EndpointRecord;
import dev.rabbithole.stage1.network.NetworkState.NetworkRecord;
import dev.rabbithole.stage1.network.NetworkState.PortRecord;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The networks routes of the Engine API 1.41 and the network parts of a container's inspect and summary:
 *
 * <pre>
 * GET  /networks                 GET /networks/{id}            POST /networks/create
 * DELETE /networks/{id}          POST /networks/{id}/connect   POST /networks/{id}/disconnect
 * POST /networks/prune
 * </pre>
 */
final class NetworkApi {

    private static final Pattern NETWORK = Pattern.compile("^/networks/([^/]+)(?:/(connect|disconnect))?$");

    private final Daemon daemon;
    private final ObjectMapper json;

    NetworkApi(Daemon daemon, ObjectMapper json) {
        this.daemon = daemon;
        this.json = json;
    }

    private NetworkController networks() {
        return daemon.networks();
    }

    /** @return false when the path is not a networks route (or not with this method) */
    boolean route(Exchange ex, String path, boolean get, boolean post, boolean delete) throws IOException {
        if (path.equals("/networks") || path.equals("/networks/")) {
            if (!get) {
                return false;
            }
            Map<String, List<String>> filters = FilterArgs.decode(json, ex.param("filters"), (name, values) -> {
                if (!List.of("name", "id", "driver", "label", "type", "scope").contains(name)) {
                    throw new InvalidParameterException("invalid filter '" + name + "'");
                }
            });
            ArrayNode list = json.createArrayNode();
            networks().list().stream().filter(n -> matches(n, filters)).forEach(n -> list.add(network(n)));
            ex.json(200, list);
            return true;
        }
        if (path.equals("/networks/create")) {
            if (!post) {
                return false;
            }
            JsonNode body = body(ex);
            JsonNode config = body.path("IPAM").path("Config");
            String subnet = null;
            String gateway = null;
            if (config.isArray() && config.size() > 0) {
                subnet = text(config.get(0).get("Subnet"));
                gateway = text(config.get(0).get("Gateway"));
            }
            Map<String, String> labels = new LinkedHashMap<>();
            body.path("Labels").fields().forEachRemaining(e -> labels.put(e.getKey(), e.getValue().asText()));
            NetworkRecord n = networks().create(text(body.get("Name")), text(body.get("Driver")), subnet, gateway,
                    labels);
            ObjectNode out = json.createObjectNode();
            out.put("Id", n.id());
            out.put("Warning", "");
            ex.json(201, out);
            return true;
        }
        if (path.equals("/networks/prune")) {
            if (!post) {
                return false;
            }
            ObjectNode out = json.createObjectNode();
            ArrayNode deleted = out.putArray("NetworksDeleted");
            networks().prune().forEach(deleted::add);
            ex.json(200, out);
            return true;
        }
        Matcher m = NETWORK.matcher(path);
        if (!m.matches()) {
            return false;
        }
        String ref = m.group(1);
        String action = m.group(2);
        if (action == null) {
            if (get) {
                ex.json(200, network(networks().network(ref)));
            } else if (delete) {
                networks().remove(ref);
                ex.empty(204);
            } else {
                return false;
            }
            return true;
        }
        if (!post) {
            return false;
        }
        String container = text(body(ex).get("Container"));
        if (container == null) {
            throw new InvalidParameterException("container is required");
        }
        if (action.equals("connect")) {
            networks().connect(ref, container);
        } else {
            networks().disconnect(ref, container);
        }
        ex.empty(200);
        return true;
    }

    /** Docker's network filters: name (substring), id (prefix), driver, label (key or key=value), type, scope. */
    private static boolean matches(NetworkRecord n, Map<String, List<String>> filters) {
        for (Map.Entry<String, List<String>> f : filters.entrySet()) {
            boolean any = f.getValue().isEmpty();
            for (String v : f.getValue()) {
                any |= switch (f.getKey()) {
                    case "name" -> n.name().contains(v);
                    case "id" -> n.id().startsWith(v);
                    case "driver" -> v.equals(n.driver());
                    case "type" -> v.equals(n.predefined() ? "builtin" : "custom");
                    case "scope" -> v.equals("local");
                    case "label" -> {
                        int eq = v.indexOf('=');
                        Map<String, String> l = n.labels() == null ? Map.of() : n.labels();
                        yield eq < 0 ? l.containsKey(v) : v.substring(eq + 1).equals(l.get(v.substring(0, eq)));
                    }
                    default -> false;
                };
            }
            if (!any) {
                return false;
            }
        }
        return true;
    }

    private JsonNode body(Exchange ex) throws IOException {
        return ex.body() == null || ex.body().length == 0 ? json.createObjectNode() : json.readTree(ex.body());
    }

    private static String text(JsonNode n) {
        return n == null || n.isNull() || n.asText().isEmpty() ? null : n.asText();
    }

    /** One network as {@code GET /networks/{id}} shows it (Docker's NetworkResource). */
    ObjectNode network(NetworkRecord n) {
        ObjectNode o = json.createObjectNode();
        o.put("Name", n.name());
        o.put("Id", n.id());
        o.put("Created", n.created());
        o.put("Scope", "local");
        o.put("Driver", n.driver());
        o.put("EnableIPv6", false);
        ObjectNode ipam = o.putObject("IPAM");
        ipam.put("Driver", "default");
        if (n.name().equals("bridge")) {
            ipam.putNull("Options");
        } else {
            ipam.putObject("Options");
        }
        ArrayNode config = ipam.putArray("Config");
        if (n.subnet() != null) {
            ObjectNode c = config.addObject();
            c.put("Subnet", n.subnet());
            if (n.userGateway() || n.name().equals("bridge")) {
                c.put("Gateway", n.gateway());
            }
        }
        o.put("Internal", false);
        o.put("Attachable", false);
        o.put("Ingress", false);
        o.putObject("ConfigFrom").put("Network", "");
        o.put("ConfigOnly", false);
        ObjectNode containers = o.putObject("Containers");
        for (EndpointRecord e : networks().endpointsOn(n.id())) {
            ObjectNode c = containers.putObject(e.containerId());
            c.put("Name", e.containerName());
            c.put("EndpointID", e.endpointId());
            c.put("MacAddress", e.mac());
            c.put("IPv4Address", e.address() + "/" + e.prefix());
            c.put("IPv6Address", "");
        }
        ObjectNode options = o.putObject("Options");
        if (n.name().equals("bridge")) {
            options.put("com.docker.network.bridge.default_bridge", "true");
            options.put("com.docker.network.bridge.enable_icc", "true");
            options.put("com.docker.network.bridge.enable_ip_masquerade", "true");
            options.put("com.docker.network.bridge.host_binding_ipv4", "0.0.0.0");
            options.put("com.docker.network.bridge.name", n.bridge());
            options.put("com.docker.network.driver.mtu", "1500");
        }
        o.set("Labels", json.valueToTree(n.labels() == null ? Map.of() : n.labels()));
        return o;
    }

    // tag::network-settings[]
    /**
     * A container's {@code NetworkSettings} as dockerd fills it: the endpoint's address, gateway, MAC and ports while
     * it runs (the top-level fields only for the default {@code bridge}, as Docker), and under {@code Networks} the
     * network it is on and, while it runs, those it was connected to since ({@code docker network connect}).
     */
    ObjectNode settings(Container c) {
        ObjectNode net = json.createObjectNode();
        String mode = networks().networkModeOf(c);
        EndpointRecord e = c.state().running() ? networks().endpointOf(c.id()) : null;
        boolean defaultBridge = mode.equals("bridge");
        net.put("Bridge", "");
        net.put("SandboxID", c.state().running() ? c.id() : "");
        net.put("HairpinMode", false);
        net.put("LinkLocalIPv6Address", "");
        net.put("LinkLocalIPv6PrefixLen", 0);
        net.set("Ports", ports(c, e));
        net.put("SandboxKey", c.state().running() && c.state().pid() > 0 ? "/proc/" + c.state().pid() + "/ns/net" : "");
        net.putNull("SecondaryIPAddresses");
        net.putNull("SecondaryIPv6Addresses");
        boolean top = e != null && defaultBridge;
        net.put("EndpointID", top ? e.endpointId() : "");
        net.put("Gateway", top ? e.gateway() : "");
        net.put("GlobalIPv6Address", "");
        net.put("GlobalIPv6PrefixLen", 0);
        net.put("IPAddress", top ? e.address() : "");
        net.put("IPPrefixLen", top ? e.prefix() : 0);
        net.put("IPv6Gateway", "");
        net.put("MacAddress", top ? e.mac() : "");
        ObjectNode nets = net.putObject("Networks");
        // disconnected from its network (docker network disconnect): none, and Docker lists no network then
        boolean left = mode.equals("none") && !"none".equals(c.hostConfig().networkMode());
        if (!mode.startsWith("container:") && !left) {
            String networkId = "";
            String name = mode;
            try {
                NetworkRecord n = networks().network(mode);
                networkId = n.id();
                name = n.name();
            } catch (RuntimeException ignored) {
                // a network removed since: its name only
            }
            ObjectNode o = nets.putObject(name);
            o.putNull("IPAMConfig");
            o.putNull("Links");
            o.putNull("Aliases");
            o.put("NetworkID", networkId);
            o.put("EndpointID", e != null ? e.endpointId() : "");
            o.put("Gateway", e != null ? e.gateway() : "");
            o.put("IPAddress", e != null ? e.address() : "");
            o.put("IPPrefixLen", e != null ? e.prefix() : 0);
            o.put("IPv6Gateway", "");
            o.put("GlobalIPv6Address", "");
            o.put("GlobalIPv6PrefixLen", 0);
            o.put("MacAddress", e != null ? e.mac() : "");
            o.putNull("DriverOpts");
        }
        if (c.state().running()) {
            for (EndpointRecord x : networks().connectedOf(c.id())) {
                String name = x.networkId();
                try {
                    name = networks().network(x.networkId()).name();
                } catch (RuntimeException ignored) {
                    // removed since
                }
                ObjectNode o = nets.putObject(name);
                o.putNull("IPAMConfig");
                o.putNull("Links");
                o.putNull("Aliases");
                o.put("NetworkID", x.networkId());
                o.put("EndpointID", x.endpointId());
                o.put("Gateway", x.gateway());
                o.put("IPAddress", x.address());
                o.put("IPPrefixLen", x.prefix());
                o.put("IPv6Gateway", "");
                o.put("GlobalIPv6Address", "");
                o.put("GlobalIPv6PrefixLen", 0);
                o.put("MacAddress", x.mac());
                o.putNull("DriverOpts");
            }
        }
        return net;
    }
    // end::network-settings[]

    /** {@code NetworkSettings.Ports}: each exposed or published port to its host bindings (null when unpublished). */
    private ObjectNode ports(Container c, EndpointRecord e) {
        ObjectNode ports = json.createObjectNode();
        if (!c.state().running()) {
            return ports;
        }
        if (c.config().exposedPorts() != null) {
            c.config().exposedPorts().keySet().forEach(ports::putNull);
        }
        if (c.hostConfig().portBindings() != null) {
            c.hostConfig().portBindings().keySet().forEach(k -> ports.putNull(k.contains("/") ? k : k + "/tcp"));
        }
        if (e != null) {
            for (PortRecord p : e.ports()) {
                String key = p.containerPort() + "/" + p.proto();
                JsonNode existing = ports.get(key);
                ArrayNode list = existing != null && existing.isArray() ? (ArrayNode) existing : ports.putArray(key);
                ObjectNode b = list.addObject();
                b.put("HostIp", p.hostIp());
                b.put("HostPort", Integer.toString(p.hostPort()));
            }
        }
        return ports;
    }

    /** {@code GET /containers/json}'s {@code Ports}: one entry per published binding. */
    ArrayNode summaryPorts(Container c) {
        ArrayNode out = json.createArrayNode();
        EndpointRecord e = c.state().running() ? networks().endpointOf(c.id()) : null;
        if (e != null) {
            for (PortRecord p : e.ports()) {
                ObjectNode o = out.addObject();
                o.put("IP", p.hostIp());
                o.put("PrivatePort", p.containerPort());
                o.put("PublicPort", p.hostPort());
                o.put("Type", p.proto());
            }
        }
        return out;
    }

    /** {@code GET /containers/json}'s {@code NetworkSettings.Networks}. */
    ObjectNode summaryNetworks(Container c) {
        return (ObjectNode) settings(c).get("Networks");
    }

    static List<String> routes() {
        return List.of("/networks");
    }
}
