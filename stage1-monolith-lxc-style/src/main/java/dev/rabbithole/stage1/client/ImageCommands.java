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

    /** {@code images [-q]}: {@code GET /images/json}, printed as docker's REPOSITORY TAG IMAGE ID CREATED SIZE table. */
    @Command(name = "images", description = "List images.")
    public static final class Images extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;
        @Option(names = {"-q", "--quiet"}, description = "Only print image IDs.") boolean quiet;

        @Override
        protected int execute(EngineClient client) {
            JsonNode list = client.get("/images/json");
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
}
