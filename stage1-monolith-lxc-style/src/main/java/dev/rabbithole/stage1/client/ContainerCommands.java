package dev.rabbithole.stage1.client;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * The container subcommands other than {@code run}, each the docker CLI command of the same name and the
 * Engine API v1.41 request it sends (see each class).
 */
public final class ContainerCommands {
    private ContainerCommands() { }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /**
     * {@code ps [-a] [-q] [-f KEY=VALUE]... [-n N | -l]}:
     * {@code GET /containers/json?all=1&limit=N&filters={"KEY":{"VALUE":true}}}, printed as docker's table or IDs.
     */
    @Command(name = "ps", description = "List containers (running ones; -a for all).")
    public static final class Ps extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Option(names = {"-a", "--all"}, description = "Show all containers, also exited ones.") boolean all;
        @Option(names = {"-q", "--quiet"}, description = "Only print container IDs.") boolean quiet;
        @Option(names = {"-f", "--filter"}, paramLabel = "KEY=VALUE",
                description = "Filter: id, name, status, exited, label. Repeatable.") List<String> filters = new ArrayList<>();
        @Option(names = {"-n", "--last"}, paramLabel = "N", defaultValue = "-1",
                description = "Show the N last created containers (all states).") int last;
        @Option(names = {"-l", "--latest"}, description = "Show the latest created container (all states).") boolean latest;
        @Option(names = "--no-trunc", description = "Do not truncate IDs and commands.") boolean noTrunc;

        /**
         * @return the query of {@code GET /containers/json} for these flags, e.g.
         *         {@code ?all=1&limit=3&filters=%7B%22name%22...}
         * @throws IllegalArgumentException a filter without {@code =}, as docker refuses it
         */
        public String query() {
            List<String> params = new ArrayList<>();
            if (all) params.add("all=1");
            int limit = latest ? 1 : last;
            if (limit > 0) params.add("limit=" + limit);
            if (!filters.isEmpty()) {
                com.fasterxml.jackson.databind.node.ObjectNode f = EngineClient.JSON.createObjectNode();
                for (String filter : filters) {
                    int eq = filter.indexOf('=');
                    if (eq < 0) {
                        throw new IllegalArgumentException("bad format of filter (expected name=value)");
                    }
                    com.fasterxml.jackson.databind.node.ObjectNode values = f.has(filter.substring(0, eq))
                            ? (com.fasterxml.jackson.databind.node.ObjectNode) f.get(filter.substring(0, eq))
                            : f.putObject(filter.substring(0, eq));
                    values.put(filter.substring(eq + 1), true);
                }
                params.add("filters=" + enc(f.toString()));
            }
            return params.isEmpty() ? "" : "?" + String.join("&", params);
        }

        @Override
        protected int execute(EngineClient client) {
            JsonNode list = client.get("/containers/json" + query());
            if (quiet) {
                list.forEach(c -> context.out().println(noTrunc ? c.path("Id").asText()
                        : Listings.shortId(c.path("Id").asText())));
            } else {
                context.out().print(Listings.psTable(list, Instant.now(), noTrunc));
            }
            return 0;
        }
    }

    /**
     * {@code logs [-f] [--since TIME] [--until TIME] CONTAINER}:
     * {@code GET /containers/{id}/logs?stdout=1&stderr=1&tail=all[&follow=1][&since=S][&until=S]}.
     */
    @Command(name = "logs", description = "Print a container's output (stdout to stdout, stderr to stderr).")
    public static final class Logs extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Option(names = {"-f", "--follow"}, description = "Keep printing until the container stops.") boolean follow;
        @Option(names = "--since", paramLabel = "TIME",
                description = "Only output written since TIME: a duration before now (10m, 1h30m), RFC 3339 (2024-01-02T15:04:05Z, 2024-01-02), or Unix seconds.")
        String since;
        @Option(names = "--until", paramLabel = "TIME",
                description = "Only output written until TIME (same forms as --since).") String until;
        @Parameters(paramLabel = "CONTAINER", description = "Container name or ID (prefix).") String container;

        /**
         * @return the time bounds of {@code GET /containers/{id}/logs}, e.g. {@code &since=1700000000.000000000}
         * @throws IllegalArgumentException a value that is not a duration, a time or Unix time
         */
        public String timeQuery() {
            StringBuilder q = new StringBuilder();
            java.time.Instant now = Instant.now();
            java.time.ZoneId zone = java.time.ZoneId.systemDefault();
            for (String[] f : new String[][] {{"since", since}, {"until", until}}) {
                if (f[1] == null) continue;
                try {
                    q.append('&').append(f[0]).append('=').append(enc(Timestamps.toUnix(f[1], now, zone)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("invalid value for \"" + f[0] + "\": " + e.getMessage(), e);
                }
            }
            return q.toString();
        }

        @Override
        protected int execute(EngineClient client) {
            String times;
            try {
                times = timeQuery();
            } catch (IllegalArgumentException e) {
                context.err().println(e.getMessage());
                return 1;
            }
            StreamSession session = client.logs(enc(container), times, follow, context.out(), context.err());
            EngineClient.await(session.established());
            EngineClient.await(session.finished());
            context.out().flush();
            return 0;
        }
    }

    /**
     * {@code wait [--condition not-running|next-exit|removed] CONTAINER...}:
     * {@code POST /containers/{id}/wait[?condition=C]}; prints each exit status.
     */
    @Command(name = "wait", description = "Block until containers stop, then print their exit codes.")
    public static final class Wait extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Option(names = "--condition", paramLabel = "CONDITION",
                description = "not-running (default: at once if not running), next-exit, removed.")
        String condition;
        @Parameters(arity = "1..*", paramLabel = "CONTAINER", description = "Container names or IDs.") List<String> containers;

        @Override
        protected int execute(EngineClient client) {
            int rc = 0;
            String query = condition == null ? "" : "?condition=" + enc(condition);
            for (String c : containers) {
                try {
                    JsonNode r = client.call("POST", "/containers/" + enc(c) + "/wait" + query, null).json();
                    context.out().println(r.path("StatusCode").asInt());
                } catch (EngineApiException e) {
                    context.err().println("Error response from daemon: " + e.getMessage());
                    rc = 1;
                }
            }
            return rc;
        }
    }

    /** {@code stop [-t SECONDS] CONTAINER...}: {@code POST /containers/{id}/stop?t=N} (204, or 304 if not running). */
    @Command(name = "stop", description = "Stop containers: SIGTERM, then SIGKILL after the grace period.")
    public static final class Stop extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Option(names = {"-t", "--time"}, paramLabel = "SECONDS", description = "Seconds to wait before killing (daemon default: 10).")
        Integer time;
        @Parameters(arity = "1..*", paramLabel = "CONTAINER", description = "Container names or IDs.") List<String> containers;

        @Override
        protected int execute(EngineClient client) {
            return each(containers, c -> client.call("POST", "/containers/" + enc(c) + "/stop" + (time == null ? "" : "?t=" + time), null));
        }
    }

    /** {@code restart [-t SECONDS] CONTAINER...}: {@code POST /containers/{id}/restart?t=N} (stop if running, then start). */
    @Command(name = "restart", description = "Restart containers: stop (SIGTERM, SIGKILL after the grace period), then start.")
    public static final class Restart extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Option(names = {"-t", "--time"}, paramLabel = "SECONDS", description = "Seconds to wait before killing (daemon default: 10).")
        Integer time;
        @Parameters(arity = "1..*", paramLabel = "CONTAINER", description = "Container names or IDs.") List<String> containers;

        @Override
        protected int execute(EngineClient client) {
            return each(containers, c -> client.call("POST", "/containers/" + enc(c) + "/restart" + (time == null ? "" : "?t=" + time), null));
        }
    }

    /** {@code rename CONTAINER NEW_NAME}: {@code POST /containers/{id}/rename?name=NEW_NAME} (409 if the name is taken). */
    @Command(name = "rename", description = "Rename a container.")
    public static final class Rename extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Parameters(index = "0", paramLabel = "CONTAINER", description = "Container name or ID.") String container;
        @Parameters(index = "1", paramLabel = "NEW_NAME", description = "The new name.") String newName;

        @Override
        protected int execute(EngineClient client) {
            if (container.trim().isEmpty() || newName.trim().isEmpty()) {
                context.err().println("Error: Neither old nor new names may be empty");
                return 1;
            }
            try {
                client.call("POST", "/containers/" + enc(container) + "/rename?name=" + enc(newName.trim()), null);
                return 0;
            } catch (EngineApiException e) {
                context.err().println("Error response from daemon: " + e.getMessage());
                context.err().println("Error: failed to rename container named " + container);
                return 1;
            }
        }
    }

    /** {@code kill [-s SIGNAL] CONTAINER...}: {@code POST /containers/{id}/kill?signal=S}. */
    @Command(name = "kill", description = "Send a signal (default SIGKILL) to containers.")
    public static final class Kill extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Option(names = {"-s", "--signal"}, paramLabel = "SIGNAL", description = "Signal name or number (KILL, SIGTERM, 15).")
        String signal;
        @Parameters(arity = "1..*", paramLabel = "CONTAINER", description = "Container names or IDs.") List<String> containers;

        @Override
        protected int execute(EngineClient client) {
            return each(containers, c -> client.call("POST", "/containers/" + enc(c) + "/kill" + (signal == null ? "" : "?signal=" + enc(signal)), null));
        }
    }

    /** {@code rm [-f] [-v] CONTAINER...}: {@code DELETE /containers/{id}[?force=1][&v=1]} (409 for a running one without -f). */
    @Command(name = "rm", description = "Remove containers (-f: kill running ones first).")
    public static final class Rm extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Option(names = {"-f", "--force"}, description = "Kill and remove a running container.") boolean force;
        @Option(names = {"-v", "--volumes"}, description = "Remove its anonymous volumes too.") boolean volumes;
        @Parameters(arity = "1..*", paramLabel = "CONTAINER", description = "Container names or IDs.") List<String> containers;

        @Override
        protected int execute(EngineClient client) {
            String query = force && volumes ? "?force=1&v=1" : force ? "?force=1" : volumes ? "?v=1" : "";
            return each(containers, c -> client.call("DELETE", "/containers/" + enc(c) + query, null));
        }
    }

    /**
     * {@code inspect NAME...}: {@code GET /containers/{id}/json}, on 404 {@code GET /images/{name}/json}; prints a
     * JSON array indented by four spaces, as docker does.
     */
    @Command(name = "inspect", description = "Print the low-level JSON of containers or images.")
    public static final class Inspect extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Parameters(arity = "1..*", paramLabel = "NAME", description = "Container or image names or IDs.") List<String> names;

        @Override
        protected int execute(EngineClient client) {
            ArrayNode result = EngineClient.JSON.createArrayNode();
            List<String> missing = new ArrayList<>();
            for (String n : names) {
                EngineResponse r = EngineClient.await(client.send("GET", "/containers/" + enc(n) + "/json", null));
                if (r.status() == 404) {
                    r = EngineClient.await(client.send("GET", "/images/" + enc(n) + "/json", null));
                }
                if (r.status() == 404) {
                    missing.add(n);
                } else {
                    result.add(EngineClient.checked(r).json());
                }
            }
            context.out().println(pretty(result));
            missing.forEach(n -> context.err().println("Error: No such object: " + n));
            return missing.isEmpty() ? 0 : 1;
        }

        /**
         * @param node JSON
         * @return the JSON as docker prints it: four-space indent, {@code "key": value}, {@code []} and {@code {}} for empties
         */
        public static String pretty(JsonNode node) {
            DefaultIndenter indenter = new DefaultIndenter("    ", "\n");
            DefaultPrettyPrinter printer = new DefaultPrettyPrinter(Separators.createDefaultInstance()
                    .withObjectFieldValueSpacing(Separators.Spacing.AFTER)
                    .withObjectEmptySeparator("").withArrayEmptySeparator(""))
                    .withObjectIndenter(indenter).withArrayIndenter(indenter);
            try {
                return EngineClient.JSON.writer(printer).writeValueAsString(node);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }
    }
}
