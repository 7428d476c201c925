package dev.rabbithole.stage1.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage1.archive.PathStat;
import dev.rabbithole.stage1.daemon.Daemon;
import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import io.netty.handler.codec.http.HttpMethod;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@code docker cp}'s endpoints (Engine API 1.41, "Containers: Get information about files in a container",
 * "Get an archive of a filesystem resource in a container", "Extract an archive of files or folders to a directory
 * in a container"):
 *
 * <pre>
 * HEAD /containers/{id}/archive?path=P   200, header X-Docker-Container-Path-Stat: base64 JSON, no body
 * GET  /containers/{id}/archive?path=P   200, the same header, body application/x-tar
 * PUT  /containers/{id}/archive?path=P&amp;noOverwriteDirNonDir=&amp;copyUIDGID=   body: a tar; 200, no body
 * </pre>
 *
 * A missing {@code path} is 400 {@code bad parameter: path cannot be empty}; a missing file 404 {@code Could not
 * find the file P in container C}.
 */
final class ArchiveApi {
    private static final Pattern ARCHIVE = Pattern.compile("^/containers/([^/]+)/archive$");

    private final Daemon daemon;
    private final ObjectMapper json;

    ArchiveApi(Daemon daemon, ObjectMapper json) {
        this.daemon = daemon;
        this.json = json;
    }

    /** @return true for a request whose body goes to a temporary file (a PUT of an archive may be large) */
    static boolean spooled(HttpMethod method, String path) {
        return method.equals(HttpMethod.PUT) && ARCHIVE.matcher(path).matches();
    }

    /** @return false when the request is not for these endpoints */
    boolean route(Exchange ex, String path) throws IOException {
        Matcher m = ARCHIVE.matcher(path);
        if (!m.matches()) return false;
        String ref = m.group(1);
        HttpMethod method = ex.method();
        if (method.equals(HttpMethod.HEAD)) {
            PathStat stat = daemon.statPath(ref, path(ex));
            ex.header(PathStat.HEADER, stat.header(json));
            ex.empty(200);
        } else if (method.equals(HttpMethod.GET)) {
            get(ex, ref, path(ex));
        } else if (method.equals(HttpMethod.PUT)) {
            String p = path(ex);
            try (InputStream body = ex.bodyFile() != null ? ex.bodyFile().open() : new ByteArrayInputStream(ex.body())) {
                daemon.extractToDir(ref, p, body, ex.flag("noOverwriteDirNonDir"), ex.flag("copyUIDGID"));
            }
            ex.empty(200);
        } else {
            return false;
        }
        return true;
    }

    private static String path(Exchange ex) {
        String p = ex.param("path");
        if (p == null || p.isEmpty()) throw new InvalidParameterException("bad parameter: path cannot be empty");
        return p;
    }

    private void get(Exchange ex, String ref, String path) {
        Exchange.Chunked[] body = new Exchange.Chunked[1];
        try {
            daemon.archivePath(ref, path, stat -> {
                ex.header(PathStat.HEADER, stat.header(json));
                body[0] = ex.chunked(200, "application/x-tar");
                return new ChunkStream(body[0]);
            });
        } finally {
            if (body[0] != null) body[0].end();   // after headers went out an error can only cut the tar short
        }
    }

    /** A tar body in chunks of up to 64 KiB, each written before the next is read (no pile-up in memory). */
    private static final class ChunkStream extends OutputStream {
        private final Exchange.Chunked chunked;
        private final byte[] buf = new byte[64 * 1024];
        private int n;

        ChunkStream(Exchange.Chunked chunked) { this.chunked = chunked; }

        @Override
        public void write(int b) throws IOException {
            if (n == buf.length) flush();
            buf[n++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                if (n == buf.length) flush();
                int k = Math.min(len, buf.length - n);
                System.arraycopy(b, off, buf, n, k);
                n += k;
                off += k;
                len -= k;
            }
        }

        @Override
        public void flush() throws IOException {
            if (n == 0) return;
            chunked.writeAndWait(java.util.Arrays.copyOf(buf, n));
            n = 0;
        }
    }
}
