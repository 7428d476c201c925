package dev.rabbithole.stage1.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.rabbithole.stage1.daemon.CommitOptions;
import dev.rabbithole.stage1.daemon.Daemon;
import dev.rabbithole.stage1.daemon.EngineLog;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.storage.UpperDir;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Engine API 1.41 routes of the copy-on-write commands:
 *
 * <pre>
 * POST /commit?container=&amp;repo=&amp;tag=&amp;comment=&amp;author=&amp;pause=&amp;changes=   201 {"Id": "sha256:..."}
 * POST /images/create?fromSrc=-&amp;repo=&amp;tag=&amp;message=&amp;changes=   (body: the tar)  200 {"status": "sha256:..."}
 * GET  /images/{name}/history                                   200 [HistoryResponseItem, ...] newest first
 * GET  /containers/{id}/changes                                 200 [{"Path": "/x", "Kind": 0|1|2}] or null
 * GET  /containers/{id}/export                                  200 application/octet-stream, a tar
 * </pre>
 */
final class CowApi {
    private static final Pattern HISTORY = Pattern.compile("^/images/(.+)/history$");
    private static final Pattern CONTAINER = Pattern.compile("^/containers/([^/]+)/(changes|export)$");

    private final Daemon daemon;
    private final ObjectMapper json;

    CowApi(Daemon daemon, ObjectMapper json) {
        this.daemon = daemon;
        this.json = json;
    }

    /** @return true when the request was one of these routes (and has been answered) */
    boolean route(Exchange ex, String path, boolean get, boolean post) throws IOException {
        if (post && path.equals("/commit")) {
            commit(ex);
            return true;
        }
        Matcher m = HISTORY.matcher(path);
        if (get && m.matches()) {
            ex.json(200, daemon.history(m.group(1)));
            return true;
        }
        m = CONTAINER.matcher(path);
        if (get && m.matches()) {
            if (m.group(2).equals("changes")) {
                List<UpperDir.Change> changes = daemon.changes(m.group(1));
                if (changes.isEmpty()) {
                    ex.text(200, "application/json", "null\n");         // dockerd's answer for no change
                } else {
                    ArrayNode list = json.createArrayNode();
                    changes.forEach(c -> list.addObject().put("Path", c.path()).put("Kind", c.kind().ordinal()));
                    ex.json(200, list);
                }
            } else {
                export(ex, m.group(1));
            }
            return true;
        }
        return false;
    }

    /** {@code POST /commit}: the body (a Config to use instead of the container's) is not read yet. */
    private void commit(Exchange ex) {
        String container = ex.param("container");
        if (container == null || container.isEmpty()) {
            throw new InvalidParameterException("No container name or ID supplied");   // dockerd's wording
        }
        String pause = ex.param("pause");
        CommitOptions o = new CommitOptions(reference(ex.param("repo"), ex.param("tag")), ex.param("comment"),
                ex.param("author"), ex.params("changes"), null, null, pause == null || pause.isEmpty() || ex.flag("pause"));
        String id = daemon.commit(container, o);
        ex.json(201, json.createObjectNode().put("Id", id));
    }

    /** {@code POST /images/create?fromSrc=}: {@code -} (the body) only; a URL is refused, there is no network. */
    void importImage(Exchange ex) throws IOException {
        String src = ex.param("fromSrc");
        if (!"-".equals(src)) {
            throw new InvalidParameterException("cannot import from " + src + ": this daemon fetches nothing from the"
                    + " network; pipe the archive instead (docker import - or docker import FILE)");
        }
        if (ex.bodyFile() == null) {
            throw new InvalidParameterException("no archive in the request body");
        }
        String id;
        try (InputStream in = ex.bodyFile().open()) {
            id = daemon.importImage(in, reference(ex.param("repo"), ex.param("tag")), ex.param("message"),
                    ex.params("changes"));
        }
        Exchange.Chunked out = ex.chunked(200, "application/json");
        out.writeJson(json.createObjectNode().put("status", id));
        out.end();
    }

    /** {@code GET /containers/{id}/export}: 404 before the 200; a failure later cuts the tar off, as dockerd's. */
    private void export(Exchange ex, String id) {
        daemon.inspect(id);
        Exchange.Chunked out = ex.chunked(200, "application/octet-stream");
        try (ChunkedOutput stream = new ChunkedOutput(out)) {
            daemon.export(id, stream);
        } catch (IOException | RuntimeException e) {
            EngineLog.warn("exporting " + id + ": " + e.getMessage());
        } finally {
            out.end();
        }
    }

    /** {@code repo} and {@code tag} as one reference; null when no repo. */
    private static String reference(String repo, String tag) {
        if (repo == null || repo.isEmpty()) return null;
        return tag == null || tag.isEmpty() ? repo : repo + ":" + tag;
    }
}
