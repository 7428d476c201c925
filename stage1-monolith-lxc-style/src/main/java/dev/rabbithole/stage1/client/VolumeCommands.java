package dev.rabbithole.stage1.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code volume create|ls|inspect|rm|prune}: the docker CLI's volume commands over the Engine API 1.41
 * {@code /volumes} endpoints, printing what docker prints.
 */
@Command(name = "volume", description = "Manage volumes (the local driver's).",
        subcommands = {VolumeCommands.Create.class, VolumeCommands.Ls.class, VolumeCommands.Inspect.class,
            VolumeCommands.Rm.class, VolumeCommands.Prune.class})
public final class VolumeCommands implements Runnable, ClientContext {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;
    /** The top command: the subcommands reach the daemon address and streams through this group. */
    @picocli.CommandLine.ParentCommand ClientContext parent;

    @Override
    public void run() {
        spec.commandLine().usage(parent.out());
    }

    @Override
    public String host() {
        return parent.host();
    }

    @Override
    public java.io.PrintStream out() {
        return parent.out();
    }

    @Override
    public java.io.PrintStream err() {
        return parent.err();
    }

    @Override
    public java.util.Map<String, String> env() {
        return parent.env();
    }

    @Override
    public java.io.InputStream in() {
        return parent.in();
    }

    @Override
    public String commandName() {
        return parent.commandName();
    }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** {@code volume create [--label K=V]... [NAME]}: {@code POST /volumes/create}; prints the name. */
    @Command(name = "create", description = "Create a volume (a random name without NAME).")
    public static final class Create extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Option(names = "--label", paramLabel = "KEY=VALUE", description = "Set a label. Repeatable.")
        List<String> labels = new ArrayList<>();
        @Option(names = {"-d", "--driver"}, paramLabel = "DRIVER", description = "Volume driver (only local).")
        String driver = "local";
        @Parameters(arity = "0..1", paramLabel = "NAME", description = "The volume's name.") String name;

        @Override
        protected int execute(EngineClient client) {
            ObjectNode body = EngineClient.JSON.createObjectNode();
            body.put("Name", name == null ? "" : name);
            body.put("Driver", driver);
            ObjectNode l = body.putObject("Labels");
            for (String kv : labels) {
                int eq = kv.indexOf('=');
                l.put(eq < 0 ? kv : kv.substring(0, eq), eq < 0 ? "" : kv.substring(eq + 1));
            }
            JsonNode v = client.call("POST", "/volumes/create", body).json();
            context.out().println(v.path("Name").asText());
            return 0;
        }
    }

    /** {@code volume ls [-q]}: {@code GET /volumes}, as docker's DRIVER VOLUME NAME table. */
    @Command(name = "ls", aliases = "list", description = "List volumes.")
    public static final class Ls extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Option(names = {"-q", "--quiet"}, description = "Only print volume names.") boolean quiet;

        @Override
        protected int execute(EngineClient client) {
            JsonNode list = client.get("/volumes").path("Volumes");
            Table t = new Table("DRIVER", "VOLUME NAME");
            StringBuilder names = new StringBuilder();
            for (JsonNode v : list) {
                t.row(v.path("Driver").asText(), v.path("Name").asText());
                names.append(v.path("Name").asText()).append('\n');
            }
            context.out().print(quiet ? names.toString() : t.render());
            return 0;
        }
    }

    /** {@code volume inspect NAME...}: {@code GET /volumes/{name}}, a JSON array as docker prints it. */
    @Command(name = "inspect", description = "Print the JSON of volumes.")
    public static final class Inspect extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Parameters(arity = "1..*", paramLabel = "VOLUME", description = "Volume names.") List<String> names;

        @Override
        protected int execute(EngineClient client) {
            ArrayNode out = EngineClient.JSON.createArrayNode();
            int rc = 0;
            for (String n : names) {
                EngineResponse r = EngineClient.await(client.send("GET", "/volumes/" + enc(n), null));
                if (r.status() == 404) {
                    context.err().println("Error: No such volume: " + n);
                    rc = 1;
                } else {
                    out.add(EngineClient.checked(r).json());
                }
            }
            context.out().println(ContainerCommands.Inspect.pretty(out));
            return rc;
        }
    }

    /** {@code volume rm [-f] NAME...}: {@code DELETE /volumes/{name}[?force=1]}; 409 while a container uses it. */
    @Command(name = "rm", aliases = "remove", description = "Remove volumes no container uses.")
    public static final class Rm extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Option(names = {"-f", "--force"}, description = "No error for a missing volume.") boolean force;
        @Parameters(arity = "1..*", paramLabel = "VOLUME", description = "Volume names.") List<String> names;

        @Override
        protected int execute(EngineClient client) {
            return each(names, n -> client.call("DELETE", "/volumes/" + enc(n) + (force ? "?force=1" : ""), null));
        }
    }

    /** {@code volume prune -f}: {@code POST /volumes/prune}; prints the removed names and the space reclaimed. */
    @Command(name = "prune", description = "Remove every volume no container uses.")
    public static final class Prune extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Option(names = {"-f", "--force"}, description = "Do not ask (this client never asks).") boolean force;

        @Override
        protected int execute(EngineClient client) {
            JsonNode r = client.call("POST", "/volumes/prune", null).json();
            StringBuilder sb = new StringBuilder();
            if (r.path("VolumesDeleted").size() > 0) {
                sb.append("Deleted Volumes:\n");
                r.path("VolumesDeleted").forEach(n -> sb.append(n.asText()).append('\n'));
                sb.append('\n');
            }
            sb.append("Total reclaimed space: ").append(Units.humanSize(r.path("SpaceReclaimed").asLong())).append('\n');
            context.out().print(sb);
            return 0;
        }
    }
}
