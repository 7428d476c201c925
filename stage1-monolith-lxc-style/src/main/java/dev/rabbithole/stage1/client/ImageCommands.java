package dev.rabbithole.stage1.client;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.io.InputStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/** The image subcommands: {@code images}, {@code rmi}, {@code load} (Engine API v1.41 image endpoints). */
public final class ImageCommands {
    private ImageCommands() { }

    /**
     * {@code images [-a] [-q] [-f KEY=VALUE]... [REPOSITORY[:TAG]]}: {@code GET /images/json?filters=...}, printed
     * as docker's REPOSITORY TAG IMAGE ID CREATED SIZE table. The positional argument is the filter
     * {@code reference=REPOSITORY[:TAG]}, as the docker CLI sends it.
     */
    @Command(name = "images", description = "List images.")
    public static final class Images extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Option(names = {"-q", "--quiet"}, description = "Only print image IDs.") boolean quiet;
        @Option(names = {"-a", "--all"}, description = "Show all images (there are no intermediate ones).") boolean all;
        @Option(names = {"-f", "--filter"}, paramLabel = "KEY=VALUE",
                description = "Filter: dangling=true|false, reference=PATTERN, before=IMAGE, since=IMAGE, label=KEY[=VALUE]. Repeatable.")
        List<String> filters = new java.util.ArrayList<>();
        @Parameters(arity = "0..1", paramLabel = "REPOSITORY[:TAG]", description = "Only this repository (a pattern, as reference=).")
        String reference;

        /**
         * @return the query of {@code GET /images/json}, e.g. {@code ?filters=%7B%22reference%22...}, or empty
         * @throws IllegalArgumentException a filter without {@code =}, as docker refuses it
         */
        public String query() {
            List<String> params = new java.util.ArrayList<>();
            if (all) params.add("all=1");
            com.fasterxml.jackson.databind.node.ObjectNode f = EngineClient.JSON.createObjectNode();
            List<String> each = new java.util.ArrayList<>(filters);
            if (reference != null) each.add("reference=" + reference);
            for (String filter : each) {
                int eq = filter.indexOf('=');
                if (eq < 0) {
                    throw new IllegalArgumentException("bad format of filter (expected name=value)");
                }
                String key = filter.substring(0, eq);
                com.fasterxml.jackson.databind.node.ObjectNode values = f.has(key)
                        ? (com.fasterxml.jackson.databind.node.ObjectNode) f.get(key) : f.putObject(key);
                values.put(filter.substring(eq + 1), true);
            }
            if (!f.isEmpty()) params.add("filters=" + URLEncoder.encode(f.toString(), StandardCharsets.UTF_8));
            return params.isEmpty() ? "" : "?" + String.join("&", params);
        }

        @Override
        protected int execute(EngineClient client) {
            String query;
            try {
                query = query();
            } catch (IllegalArgumentException e) {
                context.err().println(e.getMessage());
                return 1;
            }
            JsonNode list = client.get("/images/json" + query);
            context.out().print(quiet ? Listings.imageIds(list) : Listings.imagesTable(list, Instant.now()));
            return 0;
        }
    }

    /**
     * {@code rmi [-f] IMAGE...}: {@code DELETE /images/{name}[?force=1]}; prints the answer's
     * {@code Untagged:} and {@code Deleted:} lines as docker does.
     */
    @Command(name = "rmi", description = "Remove images.")
    public static final class Rmi extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Option(names = {"-f", "--force"}, description = "Remove even if containers use it.") boolean force;
        @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "Image names or IDs.") List<String> images;

        @Override
        protected int execute(EngineClient client) {
            int rc = 0;
            for (String image : images) {
                try {
                    JsonNode r = client.call("DELETE", "/images/" + URLEncoder.encode(image, StandardCharsets.UTF_8)
                            + (force ? "?force=1" : ""), null).json();
                    for (JsonNode item : r) {
                        if (item.has("Untagged")) context.out().println("Untagged: " + item.get("Untagged").asText());
                        if (item.has("Deleted")) context.out().println("Deleted: " + item.get("Deleted").asText());
                    }
                } catch (EngineApiException e) {
                    context.err().println("Error response from daemon: " + e.getMessage());
                    rc = 1;
                }
            }
            return rc;
        }
    }

    /**
     * {@code load [-i FILE]}: streams a {@code docker save} archive (tar) from the file or stdin to
     * {@code POST /images/load}; prints the daemon's {@code stream} messages ("Loaded image: busybox:latest").
     */
    @Command(name = "load", description = "Load images from a docker save archive (tar) on stdin or -i FILE.")
    public static final class Load extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Option(names = {"-i", "--input"}, paramLabel = "FILE", description = "Read from a tar archive file instead of stdin.")
        Path input;
        @Option(names = {"-q", "--quiet"}, description = "Print less.") boolean quiet;

        @Override
        protected int execute(EngineClient client) {
            EngineResponse r;
            if (input != null && Files.isDirectory(input)) {
                context.err().println("read " + input + ": is a directory"); // as docker words it
                return 1;
            }
            InputStream in;
            try {
                in = input == null ? System.in : Files.newInputStream(input);
            } catch (IOException e) {
                context.err().println(FileErrors.describe("open", String.valueOf(input), e));
                return 1;
            }
            try (in) {
                r = client.upload("POST", "/images/load" + (quiet ? "?quiet=1" : ""), in, "application/x-tar");
            } catch (IOException e) {
                context.err().println(FileErrors.describe("read", input == null ? "stdin" : input.toString(), e));
                return 1;
            }
            for (JsonNode message : JsonStream.parse(r.body())) {
                if (message.hasNonNull("error")) {
                    context.err().println("Error: " + message.get("error").asText());
                    return 1;
                }
                if (message.hasNonNull("stream")) {
                    context.out().print(message.get("stream").asText());
                } else if (message.isTextual() && !message.asText().isBlank()) {
                    context.out().println(message.asText().strip());
                }
            }
            return 0;
        }
    }

    /**
     * {@code save [-o FILE] IMAGE...}: {@code GET /images/get?names=IMAGE&...}, the {@code docker save} tar, to the
     * file (written to a temporary file beside it, then renamed, as docker does) or to stdout; refuses to write the
     * archive to a terminal.
     */
    @Command(name = "save", description = "Save images to a tar archive (docker save), on stdout or -o FILE.")
    public static final class Save extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write to a file instead of stdout.")
        Path output;
        @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "Image names, name:tag or IDs.") List<String> images;

        /** @return {@code /images/get?names=A&names=B} with each name URL-encoded */
        public String path() {
            List<String> q = new java.util.ArrayList<>();
            for (String i : images) q.add("names=" + URLEncoder.encode(i, StandardCharsets.UTF_8));
            return "/images/get?" + String.join("&", q);
        }

        @Override
        protected int execute(EngineClient client) {
            Path dir = null;
            if (output != null) {
                dir = output.toAbsolutePath().getParent();
                if (dir != null && !Files.isDirectory(dir)) {
                    context.err().println("failed to save image: invalid output path: directory \""
                            + output.getParent() + "\" does not exist");
                    return 1;
                }
            } else if (System.console() != null && context.out() == System.out) {
                context.err().println("Cowardly refusing to save to a terminal. Use the -o flag or redirect.");
                return 1;
            }
            if (output == null) {
                download(client, context.out());
                context.out().flush();
                return 0;
            }
            Path tmp = null;
            try {
                tmp = Files.createTempFile(dir, "." + output.getFileName() + ".", ".tmp");
                try (java.io.OutputStream file = new java.io.BufferedOutputStream(Files.newOutputStream(tmp), 1 << 16)) {
                    download(client, file);
                }
                Files.move(tmp, output, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } catch (EngineClientException e) {
                deleteQuietly(tmp);
                throw e;
            } catch (IOException e) {
                context.err().println(FileErrors.describe("write", output.toString(), e));
                deleteQuietly(tmp);
                return 1;
            }
            return 0;
        }

        /** Streams the archive to {@code out}; an error answer (404) arrives before any byte is written. */
        private void download(EngineClient client, java.io.OutputStream out) {
            StreamSession session = client.download(path(), out);
            EngineClient.await(session.established());
            EngineClient.await(session.finished());
        }

        private static void deleteQuietly(Path tmp) {
            if (tmp != null) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // nothing more to do
                }
            }
        }
    }
}
