package dev.rabbithole.stage1.client;

import dev.rabbithole.stage1.Formats;
import com.fasterxml.jackson.databind.JsonNode;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Renders the JSON of {@code GET /containers/json} and {@code GET /images/json} (Engine API v1.41) as the
 * docker CLI prints {@code docker ps} and {@code docker images}.
 */
public final class Listings {
    private Listings() { }

    /** Docker's short ID length: the first 12 hex digits of the 64-digit ID. */
    public static final int SHORT_ID = 12;

    /**
     * The {@code docker ps} table: CONTAINER ID (12 hex digits), IMAGE, COMMAND (cut to 20 characters with an
     * ellipsis, then quoted as Go's strconv.Quote does), CREATED ("2 minutes ago"), STATUS (the daemon's {@code Status} text, or one
     * computed from {@code State}), PORTS, NAMES (without the leading slash, comma-separated).
     *
     * @param containers the JSON array {@code GET /containers/json} returns
     * @param now        the time to measure CREATED against
     * @return the table text, header first, one line per container
     */
    public static String psTable(JsonNode containers, Instant now) {
        return psTable(containers, now, false);
    }

    /**
     * The {@code docker ps} table, or with {@code noTrunc} the {@code docker ps --no-trunc} one: full 64-digit
     * IDs and the whole COMMAND (still quoted).
     *
     * @param containers the JSON array {@code GET /containers/json} returns
     * @param now        the time to measure CREATED against
     * @param noTrunc    whether to keep IDs and commands whole
     * @return the table text, header first, one line per container
     */
    public static String psTable(JsonNode containers, Instant now, boolean noTrunc) {
        Table table = new Table("CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS", "PORTS", "NAMES");
        for (JsonNode c : containers) {
            Instant created = Instant.ofEpochSecond(c.path("Created").asLong());
            String status = c.path("Status").asText("");
            if (status.isEmpty()) {
                status = Units.containerStatus(c.path("State").asText(""), 0, Duration.between(created, now));
            }
            String command = c.path("Command").asText("");
            table.row(noTrunc ? c.path("Id").asText() : shortId(c.path("Id").asText()),
                    image(c.path("Image").asText("")),
                    quote(noTrunc ? command : ellipsis(command, 20)),
                    Formats.humanDuration(Duration.between(created, now)) + " ago",
                    status,
                    ports(c.path("Ports")),
                    names(c.path("Names")));
        }
        return table.render();
    }

    /**
     * The {@code docker images} table: REPOSITORY, TAG (one row per {@code RepoTags} entry, {@code <none>}
     * when untagged), IMAGE ID (12 hex digits without {@code sha256:}), CREATED ("3 weeks ago"), SIZE
     * (decimal units: "4.87MB").
     *
     * @param images the JSON array {@code GET /images/json} returns ({@code Created} in Unix seconds, {@code Size} in bytes)
     * @param now    the time to measure CREATED against
     * @return the table text
     */
    public static String imagesTable(JsonNode images, Instant now) {
        Table table = new Table("REPOSITORY", "TAG", "IMAGE ID", "CREATED", "SIZE");
        for (JsonNode i : images) {
            String id = shortId(i.path("Id").asText());
            String created = Formats.humanDuration(Duration.between(Instant.ofEpochSecond(i.path("Created").asLong()), now)) + " ago";
            String size = Units.humanSize(i.path("Size").asLong());
            List<String> tags = new ArrayList<>();
            i.path("RepoTags").forEach(t -> tags.add(t.asText()));
            tags.removeIf(t -> t.equals("<none>:<none>"));
            if (tags.isEmpty()) {
                table.row("<none>", "<none>", id, created, size);
            }
            for (String tag : tags) {
                int colon = tag.lastIndexOf(':');
                boolean hasTag = colon > tag.lastIndexOf('/');
                table.row(hasTag ? tag.substring(0, colon) : tag, hasTag ? tag.substring(colon + 1) : "<none>", id, created, size);
            }
        }
        return table.render();
    }

    /**
     * The IDs {@code docker images -q} prints: short, one per row of the table, so an image with two tags is
     * printed twice (Docker 20.10 does so).
     *
     * @param images the JSON array of {@code GET /images/json}
     * @return one short ID per line
     */
    public static String imageIds(JsonNode images) {
        StringBuilder out = new StringBuilder();
        for (JsonNode i : images) {
            int rows = 0;
            for (JsonNode t : i.path("RepoTags")) {
                if (!t.asText().equals("<none>:<none>")) rows++;
            }
            String id = shortId(i.path("Id").asText());
            for (int n = 0; n < Math.max(rows, 1); n++) {
                out.append(id).append('\n');
            }
        }
        return out.toString();
    }

    /**
     * @param id a 64-hex-digit ID, optionally prefixed with {@code sha256:}
     * @return its first 12 hex digits
     */
    public static String shortId(String id) {
        String hex = id.startsWith("sha256:") ? id.substring("sha256:".length()) : id;
        return hex.length() > SHORT_ID ? hex.substring(0, SHORT_ID) : hex;
    }

    /**
     * Cuts text to at most {@code max} characters, the last being {@code …}, as the CLI does for COMMAND.
     *
     * @param text the text
     * @param max  the maximum length in code points
     * @return the text or its shortened form
     */
    public static String ellipsis(String text, int max) {
        if (text.codePointCount(0, text.length()) <= max) {
            return text;
        }
        return text.substring(0, text.offsetByCodePoints(0, max - 1)) + "…";
    }

    /**
     * Quotes text as Go's {@code strconv.Quote}, which the docker CLI applies to the COMMAND column: double
     * quotes around, {@code \"} and {@code \\} inside, {@code \n}, {@code \t} and friends for control
     * characters, {@code \x1b} for the others.
     *
     * @param text the text
     * @return the quoted text
     */
    public static String quote(String text) {
        StringBuilder out = new StringBuilder("\"");
        text.codePoints().forEach(cp -> {
            switch (cp) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case 7 -> out.append("\\a");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case 11 -> out.append("\\v");
                default -> {
                    if (cp < 0x20 || cp == 0x7f) {
                        out.append(String.format("\\x%02x", cp));
                    } else {
                        out.appendCodePoint(cp);
                    }
                }
            }
        });
        return out.append('"').toString();
    }

    private static String image(String image) {
        return image.startsWith("sha256:") ? shortId(image) : image;
    }

    private static String names(JsonNode names) {
        List<String> out = new ArrayList<>();
        names.forEach(n -> out.add(n.asText().startsWith("/") ? n.asText().substring(1) : n.asText()));
        return String.join(",", out);
    }

    private static String ports(JsonNode ports) {
        List<String> out = new ArrayList<>();
        for (JsonNode p : ports) {
            String proto = p.path("Type").asText("tcp");
            if (p.has("PublicPort")) {
                out.add(p.path("IP").asText("0.0.0.0") + ":" + p.path("PublicPort").asInt() + "->" + p.path("PrivatePort").asInt() + "/" + proto);
            } else {
                out.add(p.path("PrivatePort").asInt() + "/" + proto);
            }
        }
        return String.join(", ", out);
    }
}
