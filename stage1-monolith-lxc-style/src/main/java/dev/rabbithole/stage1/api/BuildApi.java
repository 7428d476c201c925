package dev.rabbithole.stage1.api;

import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.CharacterEscapes;
import com.fasterxml.jackson.core.io.SerializedString;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage1.builder.BuildCache;
import dev.rabbithole.stage1.builder.BuildContext;
import dev.rabbithole.stage1.builder.BuildFailure;
import dev.rabbithole.stage1.builder.BuildOptions;
import dev.rabbithole.stage1.builder.BuildOutput;
import dev.rabbithole.stage1.builder.Builder;
import dev.rabbithole.stage1.builder.Dockerfile;
import dev.rabbithole.stage1.builder.StoreCommitter;
import dev.rabbithole.stage1.daemon.Daemon;
import dev.rabbithole.stage1.daemon.EngineLog;
import dev.rabbithole.stage1.errdefs.EngineException;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * {@code POST /build} (Engine API 1.41, "Build an image"), the classic builder: the body is the context tar, the
 * query {@code t}, {@code dockerfile}, {@code buildargs}, {@code nocache}, {@code rm}, {@code forcerm},
 * {@code labels}, {@code target}, {@code q}. A Dockerfile that does not parse is a 400 before anything is streamed;
 * then the answer is a 200 with the JSON message stream, and a failed step is its last message
 * ({@code {"errorDetail":{...},"error":...}}). The JSON is escaped as Go's encoder escapes it ({@code >} is
 * {@code \u003e}), so the stream is Docker's byte for byte.
 */
final class BuildApi {

    private final Daemon daemon;
    private final ObjectMapper json;
    private final ObjectMapper goJson;

    BuildApi(Daemon daemon, ObjectMapper json) {
        this.daemon = daemon;
        this.json = json;
        this.goJson = new ObjectMapper();
        this.goJson.getFactory().setCharacterEscapes(new GoEscapes());
    }

    /** Go's encoding/json escapes {@code <}, {@code >} and {@code &} for HTML safety; Jackson does not by default. */
    private static final class GoEscapes extends CharacterEscapes {
        private final int[] table;

        GoEscapes() {
            table = standardAsciiEscapesForJSON();
            table['<'] = ESCAPE_CUSTOM;
            table['>'] = ESCAPE_CUSTOM;
            table['&'] = ESCAPE_CUSTOM;
        }

        @Override
        public int[] getEscapeCodesForAscii() {
            return table;
        }

        @Override
        public SerializableString getEscapeSequence(int ch) {
            if (ch == '<' || ch == '>' || ch == '&' || ch == 0x2028 || ch == 0x2029) {
                return new SerializedString(String.format("\\u%04x", ch));
            }
            return null;
        }
    }

    void build(Exchange ex) throws IOException {
        if (ex.bodyFile() == null) {
            throw new InvalidParameterException("no build context in the request body");
        }
        BuildOptions options = new BuildOptions(ex.params("t"), ex.param("dockerfile"), stringMap(ex.param("buildargs"), true),
                ex.flag("nocache"), ex.param("rm") == null || ex.flag("rm"), ex.flag("forcerm"),
                stringMap(ex.param("labels"), false), ex.param("target"), ex.flag("q"));
        Path work = daemon.dataRoot().resolve("builder").resolve("tmp").resolve(UUID.randomUUID().toString());
        BuildContext ctx;
        try (InputStream in = ex.bodyFile().open()) {
            ctx = BuildContext.unpack(in, work);
        }
        Exchange.Chunked out;
        Dockerfile df;
        try {
            df = Dockerfile.parse(ctx.dockerfile(options.dockerfile()));
            Builder.plan(df, options.target());
            for (String t : options.tags()) {
                checkTag(t);
            }
        } catch (RuntimeException e) {
            ctx.close();
            throw e;
        }
        out = ex.chunked(200, "application/json");
        Builder builder = new Builder(daemon, new StoreCommitter(daemon),
                new BuildCache(daemon.dataRoot().resolve("builder").resolve("cache"), daemon.images()));
        BuildOutput stream = new BuildOutput() {
            @Override
            public void stream(String text) {
                write(out, goJson.createObjectNode().put("stream", text));
            }

            @Override
            public void aux(String imageId) {
                ObjectNode n = goJson.createObjectNode();
                n.putObject("aux").put("ID", imageId);
                write(out, n);
            }
        };
        try {
            builder.build(df, ctx, options, stream);
        } catch (BuildFailure e) {
            error(out, e.getMessage(), e.code());
        } catch (EngineException e) {
            error(out, e.getMessage(), 0);
        } catch (RuntimeException e) {
            EngineLog.warn("build: " + e);
            error(out, e.getMessage() == null ? e.toString() : e.getMessage(), 0);
        } finally {
            ctx.close();
            out.end();
        }
    }

    private void error(Exchange.Chunked out, String message, int code) {
        ObjectNode n = goJson.createObjectNode();
        ObjectNode detail = n.putObject("errorDetail");
        if (code != 0) {
            detail.put("code", code);
        }
        detail.put("message", message);
        n.put("error", message);
        write(out, n);
    }

    private void write(Exchange.Chunked out, JsonNode node) {
        try {
            byte[] b = goJson.writeValueAsBytes(node);
            byte[] line = new byte[b.length + 1];
            System.arraycopy(b, 0, line, 0, b.length);
            line[b.length] = '\n';
            out.write(line);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A {@code t} that is not a valid reference is a 400 before the build, as dockerd checks it. */
    private static void checkTag(String t) {
        if (!t.matches("[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?")) {
            throw new InvalidParameterException("invalid reference format");
        }
    }

    /** {@code buildargs} and {@code labels}: a JSON object of strings (null values kept for build args). */
    private Map<String, String> stringMap(String param, boolean keepNulls) {
        Map<String, String> m = new LinkedHashMap<>();
        if (param == null || param.isEmpty()) {
            return m;
        }
        JsonNode n;
        try {
            n = json.readTree(param);
        } catch (IOException e) {
            throw new InvalidParameterException("invalid JSON: " + e.getMessage());
        }
        if (n == null || !n.isObject()) {
            throw new InvalidParameterException("invalid JSON: not an object");
        }
        n.fields().forEachRemaining(e -> {
            if (e.getValue().isNull()) {
                if (keepNulls) {
                    m.put(e.getKey(), null);
                }
            } else {
                m.put(e.getKey(), e.getValue().asText());
            }
        });
        return m;
    }
}
