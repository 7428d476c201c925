package dev.rabbithole.stage1.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code network ls|inspect|create|rm|connect|disconnect|prune} and {@code port}, each the docker CLI command of the
 * same name and the Engine API 1.41 request it sends ({@code /networks...}; {@code port} reads
 * {@code NetworkSettings.Ports} of {@code GET /containers/{id}/json}).
 */
public final class NetworkCommands {
    private NetworkCommands() { }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** {@code network}: the parent of the network subcommands; alone it prints its usage. */
    @Command(name = "network", description = "Manage networks.",
            subcommands = {Ls.class, Inspect.class, Create.class, Rm.class, Connect.class, Disconnect.class, Prune.class})
    public static final class Network implements Callable<Integer>, ClientContext {
        @ParentCommand
        ClientContext parent;
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

        @Override public Integer call() {
            spec.commandLine().usage(parent.out());
            return 0;
        }
        @Override public String host() { return parent.host(); }
        @Override public PrintStream out() { return parent.out(); }
        @Override public PrintStream err() { return parent.err(); }
        @Override public Map<String, String> env() { return parent.env(); }
        @Override public String commandName() { return parent.commandName(); }
    }

    /** {@code network ls}: {@code GET /networks}, a table NETWORK ID, NAME, DRIVER, SCOPE sorted by name. */
    @Command(name = "ls", aliases = "list", description = "List networks.")
    public static final class Ls extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Option(names = {"-q", "--quiet"}, description = "Only display network IDs.") boolean quiet;
        @Option(names = "--no-trunc", description = "Do not truncate the output.") boolean noTrunc;
        @Option(names = {"-f", "--filter"}, paramLabel = "KEY=VALUE",
                description = "name, id, driver, label, type (builtin, custom). Repeatable.") List<String> filters = new ArrayList<>();

        @Override
        protected int execute(EngineClient client) {
            ObjectNode f = EngineClient.JSON.createObjectNode();
            for (String kv : filters) {
                int eq = kv.indexOf('=');
                if (eq <= 0) {
                    throw new IllegalArgumentException("bad format of filter (expected name=value)");
                }
                f.with(kv.substring(0, eq)).put(kv.substring(eq + 1), true);
            }
            List<JsonNode> list = new ArrayList<>();
            client.get("/networks" + (filters.isEmpty() ? "" : "?filters=" + enc(f.toString()))).forEach(list::add);
            list.sort(java.util.Comparator.comparing(n -> n.path("Name").asText()));
            Table t = new Table("NETWORK ID", "NAME", "DRIVER", "SCOPE");
            for (JsonNode n : list) {
                String id = noTrunc ? n.path("Id").asText() : n.path("Id").asText().substring(0, 12);
                if (quiet) {
                    context.out().println(id);
                } else {
                    t.row(id, n.path("Name").asText(), n.path("Driver").asText(), n.path("Scope").asText());
                }
            }
            if (!quiet) {
                context.out().print(t.render());
            }
            return 0;
        }
    }

    /** {@code network inspect NETWORK...}: {@code GET /networks/{id}}, a JSON array. */
    @Command(name = "inspect", description = "Display detailed information on networks.")
    public static final class Inspect extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Parameters(arity = "1..*", paramLabel = "NETWORK") List<String> networks;

        @Override
        protected int execute(EngineClient client) {
            ArrayNode out = EngineClient.JSON.createArrayNode();
            int rc = 0;
            for (String n : networks) {
                try {
                    out.add(client.get("/networks/" + enc(n)));
                } catch (EngineApiException e) {
                    context.err().println("Error: No such network: " + n);
                    rc = 1;
                }
            }
            context.out().println(ContainerCommands.Inspect.pretty(out));
            return rc;
        }
    }

    /** {@code network create [--subnet CIDR] [--gateway IP] [-d bridge] [--label K=V] NAME}: {@code POST /networks/create}. */
    @Command(name = "create", description = "Create a network.")
    public static final class Create extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Option(names = {"-d", "--driver"}, paramLabel = "DRIVER", defaultValue = "bridge",
                description = "Driver (default: ${DEFAULT-VALUE}).") String driver;
        @Option(names = "--subnet", paramLabel = "CIDR", description = "Subnet, e.g. 10.99.0.0/24.") String subnet;
        @Option(names = "--gateway", paramLabel = "IP", description = "The bridge's address in the subnet.") String gateway;
        @Option(names = "--label", paramLabel = "KEY=VALUE", description = "A label. Repeatable.") List<String> labels = new ArrayList<>();
        @Parameters(paramLabel = "NAME") String name;

        @Override
        protected int execute(EngineClient client) {
            ObjectNode body = EngineClient.JSON.createObjectNode();
            body.put("Name", name);
            body.put("CheckDuplicate", true);
            body.put("Driver", driver);
            ObjectNode ipam = body.putObject("IPAM");
            ipam.put("Driver", "default");
            ArrayNode config = ipam.putArray("Config");
            if (subnet != null) {
                ObjectNode c = config.addObject();
                c.put("Subnet", subnet);
                if (gateway != null) {
                    c.put("Gateway", gateway);
                }
            }
            ObjectNode l = body.putObject("Labels");
            for (String kv : labels) {
                int eq = kv.indexOf('=');
                l.put(eq < 0 ? kv : kv.substring(0, eq), eq < 0 ? "" : kv.substring(eq + 1));
            }
            context.out().println(client.call("POST", "/networks/create", body).json().path("Id").asText());
            return 0;
        }
    }

    /** {@code network rm NETWORK...}: {@code DELETE /networks/{id}}. */
    @Command(name = "rm", aliases = "remove", description = "Remove networks.")
    public static final class Rm extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Parameters(arity = "1..*", paramLabel = "NETWORK") List<String> networks;

        @Override
        protected int execute(EngineClient client) {
            return each(networks, n -> client.call("DELETE", "/networks/" + enc(n), null));
        }
    }

    /** {@code network connect NETWORK CONTAINER}: {@code POST /networks/{id}/connect}. */
    @Command(name = "connect", description = "Connect a container to a network.")
    public static final class Connect extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Parameters(index = "0", paramLabel = "NETWORK") String network;
        @Parameters(index = "1", paramLabel = "CONTAINER") String container;

        @Override
        protected int execute(EngineClient client) {
            ObjectNode body = EngineClient.JSON.createObjectNode();
            body.put("Container", container);
            client.call("POST", "/networks/" + enc(network) + "/connect", body);
            return 0;
        }
    }

    /** {@code network disconnect NETWORK CONTAINER}: {@code POST /networks/{id}/disconnect}. */
    @Command(name = "disconnect", description = "Disconnect a container from a network.")
    public static final class Disconnect extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Option(names = {"-f", "--force"}, description = "Force the container to disconnect.") boolean force;
        @Parameters(index = "0", paramLabel = "NETWORK") String network;
        @Parameters(index = "1", paramLabel = "CONTAINER") String container;

        @Override
        protected int execute(EngineClient client) {
            ObjectNode body = EngineClient.JSON.createObjectNode();
            body.put("Container", container);
            body.put("Force", force);
            client.call("POST", "/networks/" + enc(network) + "/disconnect", body);
            return 0;
        }
    }

    /** {@code network prune -f}: {@code POST /networks/prune}. */
    @Command(name = "prune", description = "Remove all unused networks.")
    public static final class Prune extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Option(names = {"-f", "--force"}, description = "Do not prompt for confirmation.") boolean force;

        @Override
        protected int execute(EngineClient client) {
            JsonNode deleted = client.call("POST", "/networks/prune", null).json().path("NetworksDeleted");
            if (deleted.size() > 0) {
                context.out().println("Deleted Networks:");
                deleted.forEach(n -> context.out().println(n.asText()));
                context.out().println();
            }
            return 0;
        }
    }

    /**
     * {@code port CONTAINER [PRIVATE_PORT[/PROTO]]}: the published ports of {@code NetworkSettings.Ports}, as
     * {@code 80/tcp -> 0.0.0.0:18080} (or only {@code 0.0.0.0:18080} for one port).
     */
    @Command(name = "port", description = "List port mappings or a specific mapping for the container.")
    public static final class Port extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Parameters(index = "0", paramLabel = "CONTAINER") String container;
        @Parameters(index = "1", arity = "0..1", paramLabel = "PRIVATE_PORT[/PROTO]") String port;

        @Override
        protected int execute(EngineClient client) {
            JsonNode ports = client.get("/containers/" + enc(container) + "/json").path("NetworkSettings").path("Ports");
            if (port != null) {
                String key = port.contains("/") ? port : port + "/tcp";
                JsonNode list = ports.get(key);
                if (list == null || !list.isArray() || list.isEmpty()) {
                    context.err().println("Error: No public port '" + key + "' published for " + container);
                    return 1;
                }
                list.forEach(b -> context.out().println(b.path("HostIp").asText() + ":" + b.path("HostPort").asText()));
                return 0;
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = ports.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getValue().isArray()) {
                    e.getValue().forEach(b -> context.out().println(e.getKey() + " -> " + b.path("HostIp").asText()
                            + ":" + b.path("HostPort").asText()));
                }
            }
            return 0;
        }
    }
}
