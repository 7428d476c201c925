package dev.rabbithole.stage1.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage1.daemon.Daemon;
import dev.rabbithole.stage1.daemon.EngineLog;
import dev.rabbithole.stage1.daemon.ImageEvents;
import dev.rabbithole.stage1.daemon.Registry;
import dev.rabbithole.stage1.errdefs.EngineException;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.image.Image;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The registry routes of Engine API 1.41 when the daemon has a {@link Registry}: {@code POST /images/create}
 * (pull), {@code POST /images/{name}/push}, {@code POST /auth}. The progress stream starts (200, chunked JSON)
 * with the first message, so an error before it is an HTTP error as from dockerd, and one after it is the
 * stream's last message, {@code {"errorDetail": {"message": M}, "error": M}}.
 */
final class RegistryApi {
    private static final Pattern PUSH = Pattern.compile("^/images/(.+)/push$");

    private final Daemon daemon;
    private final ObjectMapper json;

    RegistryApi(Daemon daemon, ObjectMapper json) {
        this.daemon = daemon;
        this.json = json;
    }

    /** @return true when the request was a registry route and the daemon has a registry */
    boolean route(Exchange ex, String path, boolean post) throws Exception {
        Registry registry = daemon.imageService().registry();
        if (registry == null || !post) {
            return false;
        }
        if (path.equals("/auth")) {
            ex.json(200, registry.login(ex.body() == null ? new byte[0] : ex.body()));
            return true;
        }
        if (path.equals("/images/create") && ex.param("fromSrc") == null) {
            String from = ex.param("fromImage");
            if (from == null || from.isEmpty()) {
                throw new InvalidParameterException("fromImage is required");
            }
            String tag = ex.param("tag");
            streamed(ex, progress -> {
                Image image = registry.pull(from, tag, ex.headers().get("X-Registry-Auth"), progress);
                ImageEvents.pulled(daemon.events(), image, from, tag);
            });
            return true;
        }
        Matcher m = PUSH.matcher(path);
        if (m.matches()) {
            String tag = ex.param("tag");
            streamed(ex, progress -> registry.push(m.group(1), tag, ex.headers().get("X-Registry-Auth"), progress));
            return true;
        }
        return false;
    }

    private interface Work {
        void run(Registry.Progress progress);
    }

    private void streamed(Exchange ex, Work work) {
        Stream stream = new Stream(ex);
        try {
            work.run(stream);
        } catch (RuntimeException e) {
            if (!stream.started()) {
                throw e;
            }
            if (!(e instanceof EngineException)) {
                EngineLog.warn(ex.method() + " " + ex.path() + ": " + e);
            }
            String msg = e.getMessage() == null ? e.toString() : e.getMessage();
            ObjectNode err = json.createObjectNode();
            err.putObject("errorDetail").put("message", msg);
            err.put("error", msg);
            stream.message(err);
        }
        stream.end();
    }

    /** The lazily started progress stream. */
    private final class Stream implements Registry.Progress {
        private final Exchange ex;
        private Exchange.Chunked out;

        Stream(Exchange ex) {
            this.ex = ex;
        }

        @Override
        public synchronized void message(ObjectNode message) {
            if (out == null) {
                out = ex.chunked(200, "application/json");
            }
            out.writeJson(message);
        }

        @Override
        public ObjectNode object() {
            return json.createObjectNode();
        }

        synchronized boolean started() {
            return out != null;
        }

        synchronized void end() {
            if (out == null) {
                out = ex.chunked(200, "application/json");
            }
            out.end();
        }
    }
}
