package dev.rabbithole.stage1.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage1.daemon.Container;
import dev.rabbithole.stage1.daemon.ContainerConfig;
import dev.rabbithole.stage1.daemon.Daemon;
import dev.rabbithole.stage1.daemon.EngineLog;
import dev.rabbithole.stage1.daemon.HostConfig;
import dev.rabbithole.stage1.daemon.LogOptions;
import dev.rabbithole.stage1.daemon.StreamListener;
import dev.rabbithole.stage1.daemon.StreamType;
import dev.rabbithole.stage1.daemon.Subscription;
import dev.rabbithole.stage1.daemon.WaitCondition;
import dev.rabbithole.stage1.errdefs.EngineException;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.image.Image;
import dev.rabbithole.stage1.image.SaveArchive;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpMethod;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The routes of the stage-1 Engine API (1.41 subset), each with and without the {@code /vN.NN} prefix:
 *
 * <pre>
 * GET|HEAD /_ping                      GET /version              GET /info
 * GET  /containers/json (all, limit, filters: see ContainerFilters)
 * POST /containers/create (refuses what stage 1 would ignore: see CreateChecks)
 * GET  /containers/{id}/json
 * POST /containers/{id}/start|wait|attach|kill|stop|restart|rename   GET /containers/{id}/logs
 * DELETE /containers/{id}
 * GET  /containers/{id}/explain        (a rabbithole extension: the kernel calls that started the container)
 * POST /containers/{id}/pause|unpause|update     GET /containers/{id}/stats|top   (see ResourcesApi)
 * POST /containers/{id}/resize|exec    POST /exec/{id}/start|resize   GET /exec/{id}/json   GET /events
 *                                      (see InteractiveApi)
 * GET  /images/json (filters: see ImageFilters)   GET /images/{name}/json   POST /images/load
 * GET  /images/get?names=...           GET /images/{name}/get    (docker save: see SaveArchive)
 * POST /images/create (pull)           DELETE /images/{name}   POST /images/{name}/tag (see ImageTagApi)
 * GET  /networks[/{id}]   POST /networks/create|prune|{id}/connect|{id}/disconnect   DELETE /networks/{id}
 *                                      (see NetworkApi)
 * POST /commit   POST /images/create?fromSrc=-   GET /images/{name}/history   GET /containers/{id}/changes|export
 * GET  /volumes   POST /volumes/create   GET|DELETE /volumes/{name}   POST /volumes/prune (see VolumesApi)
 * HEAD|GET|PUT /containers/{id}/archive (docker cp: see ArchiveApi)
 * POST /build                          (the classic builder: see BuildApi)
 * </pre>
 *
 * Errors are {@code {"message": ...}} with the status of the {@link EngineException}; an unknown route is 404
 * {@code page not found}.
 */
final class EngineApi {

    private static final Pattern VERSIONED = Pattern.compile("^/v([0-9]+)\\.([0-9]+)(/.*)$");
    private static final Pattern CONTAINER = Pattern.compile("^/containers/([^/]+)(?:/([a-z]+))?$");
    private static final Pattern IMAGE_JSON = Pattern.compile("^/images/(.+)/json$");
    private static final Pattern IMAGE = Pattern.compile("^/images/(.+)$");
    private static final Pattern IMAGE_GET = Pattern.compile("^/images/(.+)/get$");
    private static final String RAW_STREAM = "application/vnd.docker.raw-stream";

    private final Daemon daemon;
    private final ObjectMapper json;
    private final Views views;
    private final InteractiveApi interactive;
    private final NetworkApi networks;
    private final CowApi cow;
    private final ArchiveApi archives;
    private final ResourcesApi resources;
    private final RegistryApi registry;

    EngineApi(Daemon daemon, ObjectMapper json) {
        this.daemon = daemon;
        this.json = json;
        this.views = new Views(json, daemon);
        this.interactive = new InteractiveApi(daemon, json);
        this.networks = new NetworkApi(daemon, json);
        this.cow = new CowApi(daemon, json);
        this.archives = new ArchiveApi(daemon, json);
        this.resources = new ResourcesApi(daemon, json);
        this.registry = new RegistryApi(daemon, json);
    }

    /** @return the path without a leading {@code /vN.NN} */
    static String stripVersion(String path) {
        Matcher m = VERSIONED.matcher(path);
        return m.matches() ? m.group(3) : path;
    }

    /** Answers one request; never throws. */
    void handle(Exchange ex) {
        try {
            checkVersion(ex);
            route(ex);
        } catch (EngineException e) {
            ex.error(e.httpStatus(), e.getMessage());
        } catch (Exception e) {
            EngineLog.warn(ex.method() + " " + ex.path() + ": " + e);
            ex.error(500, e.getMessage() == null ? e.toString() : e.getMessage());
        }
    }

    private static void checkVersion(Exchange ex) {
        String raw = new io.netty.handler.codec.http.QueryStringDecoder(ex.rawUri()).path();
        Matcher m = VERSIONED.matcher(raw);
        if (!m.matches()) {
            return;
        }
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        if (major > 1 || (major == 1 && minor > 41)) {
            throw new InvalidParameterException("client version " + major + "." + minor
                    + " is too new. Maximum supported API version is " + ApiServer.API_VERSION);
        }
        if (major < 1 || minor < 12) {
            throw new InvalidParameterException("client version " + major + "." + minor
                    + " is too old. Minimum supported API version is " + ApiServer.MIN_API_VERSION
                    + ", please upgrade your client to a newer version");
        }
    }

    private void route(Exchange ex) throws Exception {
        String path = ex.path();
        HttpMethod method = ex.method();
        boolean get = method.equals(HttpMethod.GET);
        boolean post = method.equals(HttpMethod.POST);
        boolean delete = method.equals(HttpMethod.DELETE);
        if (registry.route(ex, path, post)) {             // pull, push, login when a registry client is installed
            return;
        }
        switch (path) {
            case "/_ping" -> {
                if (get || method.equals(HttpMethod.HEAD)) {
                    ex.text(200, "text/plain; charset=utf-8", "OK");
                    return;
                }
            }
            case "/version" -> {
                if (get) {
                    ex.json(200, views.version());
                    return;
                }
            }
            case "/info" -> {
                if (get) {
                    ex.json(200, views.info());
                    return;
                }
            }
            case "/containers/json" -> {
                if (get) {
                    listContainers(ex);
                    return;
                }
            }
            case "/containers/create" -> {
                if (post) {
                    create(ex);
                    return;
                }
            }
            case "/images/json" -> {
                if (get) {
                    ArrayNode list = json.createArrayNode();
                    ImageFilters.parse(json, ex.param("filters")).apply(daemon.images())
                            .forEach(i -> list.add(views.imageSummary(i)));
                    ex.json(200, list);
                    return;
                }
            }
            case "/images/get" -> {
                if (get) {
                    save(ex, ex.params("names"));
                    return;
                }
            }
            case "/images/load" -> {
                if (post) {
                    load(ex);
                    return;
                }
            }
            case "/build" -> {
                if (post) {
                    new BuildApi(daemon, json).build(ex);
                    return;
                }
            }
            case "/images/create" -> {
                if (post && ex.param("fromSrc") != null) {
                    cow.importImage(ex);                       // docker import
                    return;
                }
                if (post) {
                    pull(ex);
                    return;
                }
            }
            default -> {
                if (archives.route(ex, path) || routeContainer(ex, path, get, post, delete)
                        || routeImage(ex, path, get, delete) || ImageTagApi.route(daemon, ex, path, post)
                        || interactive.route(ex, path, get, post) || networks.route(ex, path, get, post, delete)
                        || cow.route(ex, path, get, post)
                        || VolumesApi.route(daemon, json, ex, path, get, post, delete)) {
                    return;
                }
            }
        }
        ex.error(404, "page not found");
    }

    private boolean routeContainer(Exchange ex, String path, boolean get, boolean post, boolean delete)
            throws Exception {
        Matcher m = CONTAINER.matcher(path);
        if (!m.matches()) {
            return false;
        }
        String id = m.group(1);
        String action = m.group(2);
        if (action == null) {
            if (!delete) {
                return false;
            }
            daemon.remove(id, ex.flag("force"), ex.flag("v"));
            ex.empty(204);
            return true;
        }
        switch (action) {
            case "json" -> {
                if (!get) {
                    return false;
                }
                ex.json(200, views.inspect(daemon.inspect(id)));
            }
            case "start" -> {
                if (!post) {
                    return false;
                }
                ex.empty(daemon.start(id) ? 204 : 304);
            }
            case "wait" -> {
                if (!post) {
                    return false;
                }
                wait(ex, id);
            }
            case "attach" -> {
                if (!post) {
                    return false;
                }
                attach(ex, id);
            }
            case "logs" -> {
                if (!get) {
                    return false;
                }
                logs(ex, id);
            }
            case "resize" -> {
                if (!post) {
                    return false;
                }
                interactive.resize(ex, id);
            }
            case "exec" -> {
                if (!post) {
                    return false;
                }
                interactive.execCreate(ex, id);
            }
            case "explain" -> {
                if (!get) {
                    return false;
                }
                ex.json(200, explain(id));
            }
            case "kill" -> {
                if (!post) {
                    return false;
                }
                daemon.kill(id, ex.param("signal"));
                ex.empty(204);
            }
            case "stop" -> {
                if (!post) {
                    return false;
                }
                String t = ex.param("t");
                Integer timeout;
                try {
                    timeout = t == null || t.isEmpty() ? null : Integer.valueOf(t);
                } catch (NumberFormatException e) {
                    throw new InvalidParameterException("invalid value for t: " + t);
                }
                ex.empty(daemon.stop(id, timeout) ? 204 : 304);
            }
            case "restart" -> {
                if (!post) {
                    return false;
                }
                String t = ex.param("t");
                Integer timeout;
                try {
                    timeout = t == null || t.isEmpty() ? null : Integer.valueOf(t);
                } catch (NumberFormatException e) {
                    throw new InvalidParameterException("invalid value for t: " + t);
                }
                daemon.restart(id, timeout);
                ex.empty(204);
            }
            case "rename" -> {
                if (!post) {
                    return false;
                }
                daemon.rename(id, ex.param("name"));
                ex.empty(204);
            }
            default -> {
                return resources.route(ex, id, action, get, post);
            }
        }
        return true;
    }

    /**
     * {@code GET /containers/{id}/explain}, a rabbithole extension the docker CLI never calls:
     * {@code {"Id": ..., "ExecutionDriver": ..., "KernelCalls": ["line", ...]}}.
     */
    private ObjectNode explain(String ref) {
        List<String> lines = daemon.explain(ref);
        ObjectNode n = json.createObjectNode();
        n.put("Id", daemon.inspect(ref).id());
        n.put("ExecutionDriver", daemon.execDriver().name());
        lines.forEach(n.putArray("KernelCalls")::add);
        return n;
    }

    private boolean routeImage(Exchange ex, String path, boolean get, boolean delete) {
        Matcher m = IMAGE_JSON.matcher(path);
        if (get && m.matches()) {
            ex.json(200, views.imageInspect(daemon.images().resolve(m.group(1))));
            return true;
        }
        m = IMAGE_GET.matcher(path);
        if (get && m.matches()) {
            save(ex, List.of(m.group(1)));
            return true;
        }
        m = IMAGE.matcher(path);
        if (delete && m.matches()) {
            ArrayNode report = json.createArrayNode();
            for (String line : daemon.removeImage(m.group(1), ex.flag("force"))) {
                int colon = line.indexOf(": ");
                if (colon > 0) {
                    report.addObject().put(line.substring(0, colon), line.substring(colon + 2));
                }
            }
            ex.json(200, report);
            return true;
        }
        return false;
    }

    // ---------------------------------------------------------------- containers

    /**
     * {@code GET /containers/json?all=&limit=&filters=}: newest first; {@code limit} &gt; 0 keeps that many
     * of the most recently created containers in any state ({@code docker ps -n N}), {@code status} filters
     * include stopped containers as {@code all} does.
     */
    private void listContainers(Exchange ex) {
        ContainerFilters filters = ContainerFilters.parse(json, ex.param("filters"));
        String limitParam = ex.param("limit");
        int limit = -1;
        if (limitParam != null && !limitParam.isEmpty()) {
            try {
                limit = Integer.parseInt(limitParam);
            } catch (NumberFormatException e) {
                throw new InvalidParameterException("invalid value for limit: " + limitParam);
            }
        }
        boolean all = ex.flag("all") || limit > 0 || filters.impliesAll();
        ArrayNode list = json.createArrayNode();
        daemon.list(all).stream().filter(filters::matches).limit(limit > 0 ? limit : Long.MAX_VALUE)
                .forEach(c -> list.add(views.summary(c)));
        ex.json(200, list);
    }

    private void create(Exchange ex) throws IOException {
        JsonNode body;
        try {
            body = ex.body().length == 0 ? json.createObjectNode() : json.readTree(ex.body());
        } catch (IOException e) {
            throw new InvalidParameterException("invalid JSON in request body: " + e.getMessage());
        }
        if (!body.isObject()) {
            throw new InvalidParameterException("invalid JSON in request body: not an object");
        }
        CreateChecks.check(body);
        ContainerConfig config;
        HostConfig hostConfig;
        try {
            config = json.treeToValue(body, ContainerConfig.class);
            JsonNode hc = body.get("HostConfig");
            hostConfig = hc == null || hc.isNull() ? null : json.treeToValue(hc, HostConfig.class);
        } catch (IOException e) {
            throw new InvalidParameterException("invalid container config: " + e.getMessage());
        }
        ex.json(201, daemon.create(ex.param("name"), config, hostConfig, ex.param("platform")));
    }

    /** Headers now (the CLI waits for them before it starts the container), the body when the condition holds. */
    private void wait(Exchange ex, String id) {
        CompletableFuture<Integer> done = daemon.waitFor(id, WaitCondition.parse(ex.param("condition")));
        Exchange.Chunked out = ex.chunked(200, "application/json");
        done.whenComplete((code, error) -> {
            var body = json.createObjectNode();
            body.put("StatusCode", code == null ? -1 : code);
            if (error == null) {
                body.putNull("Error");
            } else {
                body.putObject("Error").put("Message", error.getMessage());
            }
            out.writeJson(body);
            out.end();
        });
        ex.onClose(() -> done.cancel(false));
    }

    private void attach(Exchange ex, String id) throws InterruptedException {
        Container c = daemon.inspect(id); // 404 before the connection is hijacked
        boolean tty = c.config().tty();
        boolean stdout = ex.flag("stdout");
        boolean stderr = ex.flag("stderr");
        // Subscribe before answering 101: the client starts the container as soon as it has the 101, and
        // output written before the subscription existed would be lost. Until the connection is hijacked the
        // listener queues what it gets.
        InteractiveApi.HijackedListener listener = new InteractiveApi.HijackedListener(tty, true, true);
        Subscription sub;
        if (ex.flag("stream")) {
            sub = daemon.attach(c.id(), stdout, stderr, ex.flag("logs"), listener);
        } else if (ex.flag("logs")) {
            sub = daemon.logs(c.id(), new LogOptions(stdout, stderr, false, -1), listener);
        } else {
            sub = null;
            listener.onEnd();
        }
        // stdin=1: the client's bytes go to the container's stdin (dropped when it has none, as dockerd)
        var stdin = ex.flag("stdin") ? daemon.stdin(c.id()) : null;
        listener.open(ex.hijack(RAW_STREAM, stdin, interactive.workers(),
                StdinPump.parseDetachKeys(ex.param("detachKeys"))));
        if (sub != null) {
            ex.onClose(sub::close);
        }
    }

    private void logs(Exchange ex, String id) {
        Container c = daemon.inspect(id);
        boolean stdout = ex.flag("stdout");
        boolean stderr = ex.flag("stderr");
        if (!stdout && !stderr) {
            throw new InvalidParameterException("Bad parameters: you must choose at least one stream");
        }
        String tailParam = ex.param("tail");
        int tail;
        if (tailParam == null || tailParam.isEmpty() || tailParam.equals("all")) {
            tail = -1;
        } else {
            try {
                tail = Integer.parseInt(tailParam);
            } catch (NumberFormatException e) {
                tail = -1; // Docker reads a tail it cannot parse as "all"
            }
        }
        boolean timestamps = ex.flag("timestamps");
        boolean tty = c.config().tty();
        LogOptions options = new LogOptions(stdout, stderr, ex.flag("follow"), tail,
                UnixTimestamp.parse("since", ex.param("since")), UnixTimestamp.parse("until", ex.param("until")));
        Exchange.Chunked out = ex.chunked(200, RAW_STREAM);
        AtomicReference<Subscription> sub = new AtomicReference<>();
        sub.set(daemon.logs(c.id(), options, new StreamListener() {
            @Override
            public void onData(StreamType stream, byte[] data, Instant time) {
                byte[] payload = data;
                if (timestamps) {
                    byte[] ts = (time.toString() + " ").getBytes(StandardCharsets.UTF_8);
                    payload = new byte[ts.length + data.length];
                    System.arraycopy(ts, 0, payload, 0, ts.length);
                    System.arraycopy(data, 0, payload, ts.length, data.length);
                }
                ByteBuf frame = tty ? Unpooled.wrappedBuffer(payload) : Frames.frame(stream, payload);
                out.write(frame);
            }

            @Override
            public void onEnd() {
                out.end();
            }
        }));
        ex.onClose(() -> sub.get().close());
    }

    // ---------------------------------------------------------------- images

    private void pull(Exchange ex) {
        String from = ex.param("fromImage");
        if (from == null || from.isEmpty()) {
            throw new InvalidParameterException("fromImage is required: stage 1 cannot import from a URL or stdin");
        }
        String tag = ex.param("tag");
        Image image = daemon.pull(from, tag); // 404 before any progress is streamed
        String ref = image.repoTags().isEmpty() ? from : image.repoTags().get(0);
        Exchange.Chunked out = ex.chunked(200, "application/json");
        out.writeJson(json.createObjectNode().put("status", "Pulling from library/busybox").put("id", "latest"));
        out.writeJson(json.createObjectNode().put("status", "Built from the host's static busybox, no registry"));
        out.writeJson(json.createObjectNode().put("status", "Digest: " + image.manifestDigest()));
        out.writeJson(json.createObjectNode().put("status", "Status: Image is up to date for " + ref));
        out.end();
    }

    /** {@code docker save}: the names are checked (404) before the 200 and the tar stream. */
    private void save(Exchange ex, List<String> names) {
        SaveArchive archive = SaveArchive.select(daemon.images(), names);
        Exchange.Chunked out = ex.chunked(200, "application/x-tar");
        try (ChunkedOutput stream = new ChunkedOutput(out)) {
            archive.write(stream);
        } catch (IOException | RuntimeException e) {
            EngineLog.warn("saving " + names + ": " + e.getMessage()); // the client gets a cut-off tar, as from Docker
        } finally {
            out.end();
        }
    }

    private void load(Exchange ex) throws IOException {
        List<String> loaded;
        if (ex.bodyFile() == null) {
            throw new InvalidParameterException("no image archive in the request body");
        }
        try (InputStream in = ex.bodyFile().open()) {
            loaded = daemon.images().load(in);
        }
        dev.rabbithole.stage1.daemon.ImageEvents.loaded(daemon.events(), daemon.images(), loaded);
        Exchange.Chunked out = ex.chunked(200, "application/json");
        for (String ref : loaded) {
            String line = ref.startsWith("sha256:") ? "Loaded image ID: " + ref : "Loaded image: " + ref;
            out.writeJson(json.createObjectNode().put("stream", line + "\n"));
        }
        out.end();
    }
}
