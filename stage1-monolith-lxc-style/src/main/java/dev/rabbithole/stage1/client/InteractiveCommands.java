package dev.rabbithole.stage1.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The interactive subcommands, each the docker CLI command of the same name and the Engine API 1.41 requests it
 * sends: {@code attach}, {@code exec}, {@code events}; and the stdin half of {@code run -i} / {@code run -t}
 * ({@link #attachForRun}).
 */
public final class InteractiveCommands {
    private InteractiveCommands() { }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /**
     * The attachment of {@code run} with {@code -i} or {@code -t}: {@code POST /containers/{id}/attach?stream=1
     * &stdin=1&stdout=1&stderr=1} upgraded, the client's stdin copied to it (half-closed at its end), raw bytes
     * with a TTY; the client's terminal in raw mode while attached with {@code -t}.
     *
     * @param client      the client
     * @param id          the container
     * @param interactive {@code -i}: send stdin
     * @param tty         {@code -t}
     * @param context     the client's streams
     * @return the session, established
     */
    static Attached attachForRun(EngineClient client, String id, boolean interactive, boolean tty,
                                 ClientContext context) {
        StreamSession s = client.hijack("/containers/" + id + "/attach?stream=1&stdout=1&stderr=1"
                + (interactive ? "&stdin=1" : ""), null, tty, interactive ? context.in() : null, context.out(),
                context.err());
        EngineClient.await(s.established());
        return new Attached(s, tty && interactive ? RawTerminal.enter() : null);
    }

    /**
     * A connected attachment and the raw terminal it set, if any.
     *
     * @param session  the stream
     * @param terminal the terminal in raw mode, or null
     */
    record Attached(StreamSession session, RawTerminal terminal) implements AutoCloseable {
        /** Sends the client's terminal size to {@code path} ({@code /containers/ID/resize} or {@code /exec/ID/resize}). */
        void resize(EngineClient client, String path) {
            int[] size = terminal == null ? null : RawTerminal.size();
            if (size != null) {
                client.send("POST", path + "?h=" + size[0] + "&w=" + size[1], null);
            }
        }

        /** Waits for the daemon to end the stream. */
        void await() {
            EngineClient.await(session.finished());
        }

        /** Restores the terminal. */
        @Override
        public void close() {
            if (terminal != null) {
                terminal.close();
            }
        }
    }

    /** {@code attach [--no-stdin] CONTAINER}: GET /containers/{id}/json, then the attach of {@code run}. */
    @Command(name = "attach", description = "Attach stdin, stdout and stderr to a running container.")
    public static final class Attach extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Option(names = "--no-stdin", description = "Do not attach stdin.") boolean noStdin;
        @Parameters(paramLabel = "CONTAINER", description = "Container name or ID (prefix).") String container;

        @Override
        protected int execute(EngineClient client) {
            JsonNode c = client.get("/containers/" + enc(container) + "/json");
            String id = c.path("Id").asText();
            if (!c.path("State").path("Running").asBoolean()) {
                context.err().println("You cannot attach to a stopped container, start it first");
                return 1;
            }
            boolean tty = c.path("Config").path("Tty").asBoolean();
            boolean stdin = !noStdin && c.path("Config").path("OpenStdin").asBoolean();
            try (Attached a = attachForRun(client, id, stdin, tty, context)) {
                a.resize(client, "/containers/" + id + "/resize");
                a.await();
            }
            context.out().flush();
            JsonNode after = client.get("/containers/" + id + "/json");
            return after.path("State").path("Running").asBoolean() ? 0 : after.path("State").path("ExitCode").asInt();
        }
    }

    /**
     * {@code exec [-d] [-i] [-t] [-e K=V] [-u USER] [-w DIR] [--privileged] CONTAINER CMD...}:
     * {@code POST /containers/{id}/exec}, then {@code POST /exec/{id}/start} (hijacked, or {@code Detach}),
     * then {@code GET /exec/{id}/json} for the exit code, which is this command's.
     */
    @Command(name = "exec", description = "Run a command in a running container.")
    public static final class Exec extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Option(names = {"-d", "--detach"}, description = "Run in the background.") boolean detach;
        @Option(names = {"-i", "--interactive"}, description = "Keep stdin open and send it.") boolean interactive;
        @Option(names = {"-t", "--tty"}, description = "Allocate a pseudo-TTY.") boolean tty;
        @Option(names = {"-e", "--env"}, paramLabel = "KEY=VALUE", description = "Set an environment variable.")
        List<String> env = new ArrayList<>();
        @Option(names = {"-u", "--user"}, paramLabel = "USER[:GROUP]", description = "User (name or uid).") String user;
        @Option(names = {"-w", "--workdir"}, paramLabel = "DIR", description = "Working directory.") String workdir;
        @Option(names = "--privileged", description = "All capabilities, no seccomp, for this process.") boolean privileged;
        @Parameters(index = "0", paramLabel = "CONTAINER", description = "Container name or ID (prefix).") String container;
        @Parameters(index = "1..*", arity = "1..*", paramLabel = "COMMAND", description = "The command and its arguments.")
        List<String> command = new ArrayList<>();

        /** @return the ExecConfig body the docker CLI sends for these flags */
        public ObjectNode body() {
            ObjectNode b = EngineClient.JSON.createObjectNode();
            b.put("User", user == null ? "" : user);
            b.put("Privileged", privileged);
            b.put("Tty", tty);
            b.put("AttachStdin", interactive && !detach);
            b.put("AttachStderr", !detach);
            b.put("AttachStdout", !detach);
            b.put("Detach", detach);
            b.put("DetachKeys", "");
            ArrayNode e = b.putArray("Env");
            env.forEach(e::add);
            b.put("WorkingDir", workdir == null ? "" : workdir);
            ArrayNode cmd = b.putArray("Cmd");
            command.forEach(cmd::add);
            return b;
        }

        @Override
        protected int execute(EngineClient client) {
            String execId = EngineClient.checked(EngineClient.await(client.send("POST",
                    "/containers/" + enc(container) + "/exec", body()))).json().path("Id").asText();
            ObjectNode start = EngineClient.JSON.createObjectNode().put("Detach", detach).put("Tty", tty);
            if (detach) {
                EngineClient.checked(EngineClient.await(client.send("POST", "/exec/" + execId + "/start", start)));
                return 0;
            }
            StreamSession s = client.hijack("/exec/" + execId + "/start", start, tty,
                    interactive ? context.in() : null, context.out(), context.err());
            EngineClient.await(s.established());
            try (Attached a = new Attached(s, tty && interactive ? RawTerminal.enter() : null)) {
                a.resize(client, "/exec/" + execId + "/resize");
                a.await();
            }
            context.out().flush();
            JsonNode inspect = client.get("/exec/" + execId + "/json");
            return inspect.path("ExitCode").asInt(126);
        }
    }

    /**
     * {@code events [--since T] [--until T] [-f KEY=VALUE]... [--format '{{json .}}']}: {@code GET /events}, one
     * line per event as it comes, until {@code --until} (or for ever): docker's default line
     * ({@code TIME TYPE ACTION ID (k=v, ...)}) or the event's JSON with {@code --format '{{json .}}'}.
     */
    @Command(name = "events", description = "Get real time events from the daemon.")
    public static final class Events extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Option(names = "--since", paramLabel = "TIME", description = "Show events since TIME (10m, RFC 3339, Unix seconds).")
        String since;
        @Option(names = "--until", paramLabel = "TIME", description = "Stream events until TIME.") String until;
        @Option(names = {"-f", "--filter"}, paramLabel = "KEY=VALUE",
                description = "type, container, event, image or label (key or key=value). Repeatable.")
        List<String> filters = new ArrayList<>();
        @Option(names = "--format", paramLabel = "FORMAT", description = "Only '{{json .}}': one JSON object a line.")
        String format;

        /** @return the query of {@code GET /events} for these flags */
        public String query() {
            StringBuilder q = new StringBuilder();
            Instant now = Instant.now();
            java.time.ZoneId zone = java.time.ZoneId.systemDefault();
            for (String[] f : new String[][] {{"since", since}, {"until", until}}) {
                if (f[1] != null) {
                    q.append(q.length() == 0 ? '?' : '&').append(f[0]).append('=')
                            .append(enc(Timestamps.toUnix(f[1], now, zone)));
                }
            }
            if (!filters.isEmpty()) {
                Map<String, Map<String, Boolean>> byName = new LinkedHashMap<>();
                for (String f : filters) {
                    int eq = f.indexOf('=');
                    if (eq <= 0) {
                        throw new IllegalArgumentException("bad format of filter (expected name=value)");
                    }
                    byName.computeIfAbsent(f.substring(0, eq), k -> new LinkedHashMap<>()).put(f.substring(eq + 1), true);
                }
                try {
                    q.append(q.length() == 0 ? '?' : '&').append("filters=")
                            .append(enc(EngineClient.JSON.writeValueAsString(byName)));
                } catch (IOException e) {
                    throw new IllegalStateException(e);
                }
            }
            return q.toString();
        }

        @Override
        protected int execute(EngineClient client) {
            if (format != null && !format.replace(" ", "").equals("{{json.}}")) {
                context.err().println("--format: only '{{json .}}' is supported by this client");
                return 1;
            }
            boolean asJson = format != null;
            PrintStream out = context.out();
            OutputStream lines = new OutputStream() {
                private final ByteArrayOutputStream line = new ByteArrayOutputStream();

                @Override
                public void write(int b) {
                    if (b != '\n') {
                        line.write(b);
                        return;
                    }
                    String text = line.toString(StandardCharsets.UTF_8);
                    line.reset();
                    out.println(asJson ? text : human(text));
                    out.flush();
                }
            };
            StreamSession s = client.download("/events" + query(), lines);
            EngineClient.await(s.established());
            EngineClient.await(s.finished());
            return 0;
        }

        /** docker's default line: {@code 2024-01-02T15:04:05.123456789Z container die ID (exitCode=0, image=b, name=n)}. */
        static String human(String jsonLine) {
            try {
                JsonNode e = EngineClient.JSON.readTree(jsonLine);
                long nanos = e.path("timeNano").asLong();
                Instant t = Instant.ofEpochSecond(nanos / 1_000_000_000L, nanos % 1_000_000_000L);
                StringBuilder b = new StringBuilder(java.time.format.DateTimeFormatter
                        .ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSSXXX").format(t.atZone(java.time.ZoneId.systemDefault()))).append(' ')
                        .append(e.path("Type").asText()).append(' ').append(e.path("Action").asText()).append(' ')
                        .append(e.path("Actor").path("ID").asText());
                List<String> attrs = new ArrayList<>();
                e.path("Actor").path("Attributes").fields().forEachRemaining(f -> attrs.add(f.getKey() + "="
                        + f.getValue().asText()));
                if (!attrs.isEmpty()) {
                    b.append(" (").append(String.join(", ", attrs)).append(')');
                }
                return b.toString();
            } catch (IOException e) {
                return jsonLine;
            }
        }
    }
}
