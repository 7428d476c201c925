package dev.rabbithole.stage1.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rabbithole.stage1.Formats;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The copy-on-write subcommands, each the docker CLI command of the same name: {@code commit}, {@code history},
 * {@code import}, {@code export}, {@code diff} (Engine API 1.41 {@code POST /commit},
 * {@code GET /images/{name}/history}, {@code POST /images/create?fromSrc=-}, {@code GET /containers/{id}/export},
 * {@code GET /containers/{id}/changes}).
 */
public final class CowCommands {
    private CowCommands() { }

    private static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    /** {@code repo=R&tag=T} of a {@code REPOSITORY[:TAG]} argument, or empty. */
    static String refQuery(String ref) {
        if (ref == null || ref.isEmpty()) return "";
        int colon = ref.lastIndexOf(':');
        if (colon > ref.lastIndexOf('/')) {
            return "&repo=" + enc(ref.substring(0, colon)) + "&tag=" + enc(ref.substring(colon + 1));
        }
        return "&repo=" + enc(ref);
    }

    /**
     * {@code commit [-a AUTHOR] [-c CHANGE]... [-m MESSAGE] [-p=true|false] CONTAINER [REPOSITORY[:TAG]]}: prints the
     * new image's ID.
     */
    @Command(name = "commit", description = "Create a new image from a container's changes.")
    public static final class Commit extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Option(names = {"-a", "--author"}, paramLabel = "AUTHOR", description = "Author (e.g., \"John Hannibal Smith <hannibal@a-team.com>\").") String author;
        @Option(names = {"-c", "--change"}, paramLabel = "CHANGE", description = "Apply Dockerfile instruction to the created image. Repeatable.") List<String> changes = new ArrayList<>();
        @Option(names = {"-m", "--message"}, paramLabel = "MESSAGE", description = "Commit message.") String message;
        @Option(names = {"-p", "--pause"}, arity = "0..1", defaultValue = "true", fallbackValue = "true",
                description = "Pause container during commit (default true).") boolean pause;
        @Parameters(index = "0", paramLabel = "CONTAINER") String container;
        @Parameters(index = "1", arity = "0..1", paramLabel = "REPOSITORY[:TAG]") String reference;

        /** @return the request path, {@code /commit?container=...} */
        public String path() {
            StringBuilder q = new StringBuilder("/commit?container=").append(enc(container)).append(refQuery(reference));
            if (author != null) q.append("&author=").append(enc(author));
            if (message != null) q.append("&comment=").append(enc(message));
            for (String c : changes) q.append("&changes=").append(enc(c));
            q.append("&pause=").append(pause ? "1" : "0");
            return q.toString();
        }

        @Override
        protected int execute(EngineClient client) {
            JsonNode r = client.call("POST", path(), null).json();
            context.out().println(r.path("Id").asText());
            return 0;
        }
    }

    /**
     * {@code history [-H=true|false] [--no-trunc] [-q] [--format FORMAT] IMAGE}: docker's IMAGE CREATED CREATED BY
     * SIZE COMMENT table, newest first; {@code --format} takes {@code {{.ID}}}, {@code {{.CreatedSince}}},
     * {@code {{.CreatedAt}}}, {@code {{.CreatedBy}}}, {@code {{.Size}}}, {@code {{.Comment}}}, {@code {{json .}}},
     * and a {@code table } prefix.
     */
    @Command(name = "history", description = "Show the history of an image.")
    public static final class History extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Option(names = {"-H", "--human"}, arity = "0..1", defaultValue = "true", fallbackValue = "true",
                description = "Print sizes and dates in human readable format (default true).") boolean human;
        @Option(names = "--no-trunc", description = "Don't truncate output.") boolean noTrunc;
        @Option(names = {"-q", "--quiet"}, description = "Only show image IDs.") boolean quiet;
        @Option(names = "--format", paramLabel = "FORMAT", description = "Pretty-print with a Go-template subset.") String format;
        @Parameters(index = "0", paramLabel = "IMAGE") String image;

        @Override
        protected int execute(EngineClient client) {
            JsonNode list = client.get("/images/" + enc(image) + "/history");
            context.out().print(render(list, Instant.now()));
            return 0;
        }

        /**
         * @param list the answer of {@code GET /images/{name}/history}
         * @param now  what CREATED is measured against
         * @return the text docker prints
         */
        public String render(JsonNode list, Instant now) {
            List<Map<String, String>> rows = new ArrayList<>();
            for (JsonNode h : list) rows.add(fields(h, now));
            if (quiet) {
                StringBuilder b = new StringBuilder();
                rows.forEach(r -> b.append(r.get("ID")).append('\n'));
                return b.toString();
            }
            String f = format == null || format.isEmpty()
                    ? "table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}" : format;
            boolean table = f.startsWith("table");
            if (table) f = f.substring("table".length()).strip();
            f = f.replace("\\t", "\t").replace("\\n", "\n");
            if (!table) {
                StringBuilder b = new StringBuilder();
                for (Map<String, String> r : rows) b.append(expand(f, r)).append('\n');
                return b.toString();
            }
            String[] columns = f.split("\t");
            String[] headers = new String[columns.length];
            for (int i = 0; i < columns.length; i++) headers[i] = expand(columns[i], HEADERS);
            Table t = new Table(headers);
            for (Map<String, String> r : rows) {
                String[] cells = new String[columns.length];
                for (int i = 0; i < columns.length; i++) cells[i] = expand(columns[i], r);
                t.row(cells);
            }
            return t.render();
        }

        private static final Map<String, String> HEADERS = Map.of("ID", "IMAGE", "CreatedSince", "CREATED",
                "CreatedAt", "CREATED AT", "CreatedBy", "CREATED BY", "Size", "SIZE", "Comment", "COMMENT");
        private static final Pattern FIELD = Pattern.compile("\\{\\{\\s*(?:\\.([A-Za-z]+)|json \\.)\\s*}}");

        private Map<String, String> fields(JsonNode h, Instant now) {
            Map<String, String> m = new LinkedHashMap<>();
            String id = h.path("Id").asText();
            m.put("ID", noTrunc || id.equals("<missing>") ? id : Listings.shortId(id));
            Instant created = Instant.ofEpochSecond(h.path("Created").asLong());
            m.put("CreatedSince", human ? Formats.humanDuration(Duration.between(created, now)) + " ago"
                    : created.toString());
            m.put("CreatedAt", created.atZone(java.time.ZoneId.systemDefault()).toOffsetDateTime().toString());
            String by = h.path("CreatedBy").asText().replace("\t", " ");
            m.put("CreatedBy", noTrunc ? by : Listings.ellipsis(by, 45));
            m.put("Size", human ? Units.humanSize(h.path("Size").asLong()) : Long.toString(h.path("Size").asLong()));
            m.put("Comment", h.path("Comment").asText());
            m.put("json", EngineClient.JSON.valueToTree(m).toString());
            return m;
        }

        private static String expand(String template, Map<String, String> values) {
            Matcher m = FIELD.matcher(template);
            StringBuilder b = new StringBuilder();
            while (m.find()) {
                String key = m.group(1) == null ? "json" : m.group(1);
                m.appendReplacement(b, Matcher.quoteReplacement(values.getOrDefault(key, "")));
            }
            m.appendTail(b);
            return b.toString();
        }
    }

    /**
     * {@code import [-c CHANGE]... [-m MESSAGE] FILE|- [REPOSITORY[:TAG]]}: streams the tar (plain or compressed) to
     * {@code POST /images/create?fromSrc=-}; prints the new image's ID. A URL is sent as {@code fromSrc=URL}, which
     * the daemon refuses (it fetches nothing).
     */
    @Command(name = "import", description = "Import the contents from a tarball to create a filesystem image.")
    public static final class Import extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Option(names = {"-c", "--change"}, paramLabel = "CHANGE", description = "Apply Dockerfile instruction to the created image. Repeatable.") List<String> changes = new ArrayList<>();
        @Option(names = {"-m", "--message"}, paramLabel = "MESSAGE", description = "Set commit message for imported image.") String message;
        @Parameters(index = "0", paramLabel = "file|URL|-") String source;
        @Parameters(index = "1", arity = "0..1", paramLabel = "REPOSITORY[:TAG]") String reference;

        @Override
        protected int execute(EngineClient client) {
            boolean url = source.matches("(?i)https?://.*");
            StringBuilder q = new StringBuilder("/images/create?fromSrc=").append(enc(url ? source : "-"))
                    .append(refQuery(reference));
            if (message != null) q.append("&message=").append(enc(message));
            for (String c : changes) q.append("&changes=").append(enc(c));
            EngineResponse r;
            if (url) {
                r = client.call("POST", q.toString(), null);
            } else {
                InputStream in;
                try {
                    in = source.equals("-") ? System.in : Files.newInputStream(Path.of(source));
                } catch (IOException e) {
                    context.err().println(FileErrors.describe("open", source, e));
                    return 1;
                }
                try (in) {
                    r = client.upload("POST", q.toString(), in, "application/x-tar");
                } catch (IOException e) {
                    context.err().println(FileErrors.describe("read", source, e));
                    return 1;
                }
            }
            for (JsonNode message : JsonStream.parse(r.body())) {
                if (message.hasNonNull("error")) {
                    context.err().println(message.get("error").asText());
                    return 1;
                }
                if (message.hasNonNull("status")) context.out().println(message.get("status").asText());
            }
            return 0;
        }
    }

    /** {@code export [-o FILE] CONTAINER}: the container's rootfs as a tar, to the file or stdout (never a terminal). */
    @Command(name = "export", description = "Export a container's filesystem as a tar archive.")
    public static final class Export extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write to a file, instead of STDOUT.") Path output;
        @Parameters(index = "0", paramLabel = "CONTAINER") String container;

        @Override
        protected int execute(EngineClient client) {
            if (output == null && System.console() != null && context.out() == System.out) {
                context.err().println("cowardly refusing to save to a terminal. Use the -o flag or redirect");
                return 1;
            }
            String path = "/containers/" + enc(container) + "/export";
            if (output == null) {
                download(client, path, context.out());
                context.out().flush();
                return 0;
            }
            try (OutputStream file = new java.io.BufferedOutputStream(Files.newOutputStream(output), 1 << 16)) {
                download(client, path, file);
            } catch (IOException e) {
                context.err().println(FileErrors.describe("write", output.toString(), e));
                return 1;
            }
            return 0;
        }

        private static void download(EngineClient client, String path, OutputStream out) {
            StreamSession session = client.download(path, out);
            EngineClient.await(session.established());
            EngineClient.await(session.finished());
        }
    }

    /** {@code diff CONTAINER}: one {@code C|A|D PATH} line per change, as docker prints them. */
    @Command(name = "diff", description = "Inspect changes to files or directories on a container's filesystem.")
    public static final class Diff extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Parameters(index = "0", paramLabel = "CONTAINER") String container;

        @Override
        protected int execute(EngineClient client) {
            JsonNode list = client.get("/containers/" + enc(container) + "/changes");
            for (JsonNode c : list) {
                String kind = switch (c.path("Kind").asInt()) {
                    case 0 -> "C";
                    case 1 -> "A";
                    case 2 -> "D";
                    default -> "?";
                };
                context.out().println(kind + " " + c.path("Path").asText());
            }
            return 0;
        }
    }
}
