package dev.rabbithole.stage1.api;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage1.daemon.EngineLog;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.util.ReferenceCountUtil;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ExecutorService;

/**
 * Collects one request (headers and body) and hands it to {@link EngineApi} on a worker thread: handlers
 * may block (image load, stop's grace period) and the event loop must not. The body of
 * {@code POST /images/load}, {@code /images/create} (docker import) and {@code PUT /containers/{id}/archive} go to a temporary file, every other body stays in memory (16 MiB at most).
 * Once a request has hijacked the connection (attach, exec start), inbound bytes are the client's stdin: they go
 * to the {@link StdinPump} the request set, or are dropped when it attached no stdin; the client's half-close
 * ends that input.
 *
 * <p>Connection lifecycle (each connection is one file descriptor of the daemon): a keep-alive connection stays
 * open between requests; when the client closes its side (end of input: the server runs with half-closure
 * allowed, so Netty reports it as a {@link ChannelInputShutdownEvent} instead of closing) the connection is
 * closed at once if no request is in flight, else as soon as the answer is written. A hijacked (attach)
 * connection is closed by the daemon when the container's stream ends.
 */
final class HttpHandler extends ChannelInboundHandlerAdapter {

    private static final int MAX_BODY = 16 * 1024 * 1024;

    private final EngineApi api;
    private final ExecutorService workers;
    private final ObjectMapper json;

    private HttpRequest request;
    private String path;
    private ByteArrayOutputStream memory;
    private Path spool;
    private OutputStream spoolOut;
    private boolean tooLarge;
    /** Why the body could not be spooled (e.g. EMFILE: no descriptor for the temporary file), or null. */
    private String spoolError;
    private volatile boolean hijacked;
    /** Where the client's stdin goes once hijacked, or null (event loop once hijacked). */
    private StdinPump stdin;
    /** A request was handed to a worker and its answer is not written yet (event loop only). */
    private boolean inFlight;
    /** The client closed its side of the connection (event loop only). */
    private boolean inputShut;

    HttpHandler(EngineApi api, ExecutorService workers, ObjectMapper json) {
        this.api = api;
        this.workers = workers;
        this.json = json;
    }

    /** The connection now carries a raw stream (call on the event loop, before the codec leaves). */
    void hijacked(StdinPump pump) {
        stdin = pump;
        hijacked = true;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) throws IOException {
        try {
            if (hijacked) {
                if (stdin != null && msg instanceof ByteBuf b && b.isReadable()) {
                    byte[] data = new byte[b.readableBytes()];
                    b.readBytes(data);
                    stdin.offer(data);
                }
                return;                     // without a pump: stdin not attached, dropped
            }
            if (msg instanceof ByteBuf) {
                return;
            }
            if (msg instanceof HttpRequest r) {
                startRequest(r);
            }
            if (msg instanceof HttpContent c && request != null) {
                append(c.content());
                if (msg instanceof LastHttpContent) {
                    dispatch(ctx);
                }
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void startRequest(HttpRequest r) throws IOException {
        cleanupSpool();
        request = r;
        path = EngineApi.stripVersion(new QueryStringDecoder(r.uri()).path());
        tooLarge = false;
        spoolError = null;
        if (path.equals("/images/load") || path.equals("/images/create")   // docker load, docker import
                || path.equals("/build")                                      // docker build: the context
                || ArchiveApi.spooled(r.method(), path)) {
            memory = null;
            try {
                spool = Files.createTempFile("rabbithole-load-", ".tar");
                spoolOut = Files.newOutputStream(spool);
            } catch (IOException e) {                 // answered with a 500 once the request is read
                spoolError = "cannot store the request body in a temporary file: " + e.getMessage();
                cleanupSpool();
            }
        } else {
            memory = new ByteArrayOutputStream();
        }
    }

    private void append(ByteBuf content) throws IOException {
        int n = content.readableBytes();
        if (n == 0) {
            return;
        }
        if (spoolOut != null) {
            content.readBytes(spoolOut, n);
        } else if (memory == null) {
            return;                                 // the spool failed: the body is dropped, the answer is a 500
        } else if (memory.size() + n > MAX_BODY) {
            tooLarge = true;
        } else {
            content.readBytes(memory, n);
        }
    }

    private void dispatch(ChannelHandlerContext ctx) throws IOException {
        HttpRequest r = request;
        request = null;
        byte[] body = memory == null ? new byte[0] : memory.toByteArray();
        Path file = spool;
        if (spoolOut != null) {
            spoolOut.close();
            spoolOut = null;
        }
        spool = null;
        Exchange ex = new Exchange(ctx.channel(), r, path, body, file == null ? null : () -> Files.newInputStream(file),
                json);
        inFlight = true;
        ex.onAnswered(() -> answered(ctx));
        boolean reject = tooLarge;
        String failedSpool = spoolError;
        workers.execute(() -> {
            try {
                if (failedSpool != null) {
                    ex.error(500, failedSpool);
                } else if (reject) {
                    ex.error(413, "request body larger than " + MAX_BODY + " bytes");
                } else {
                    api.handle(ex);
                }
            } finally {
                if (file != null) {
                    try {
                        Files.deleteIfExists(file);
                    } catch (IOException ignored) {
                        // a temporary file; the OS cleans /tmp
                    }
                }
            }
        });
    }

    private void cleanupSpool() throws IOException {
        if (spoolOut != null) {
            spoolOut.close();
            spoolOut = null;
        }
        if (spool != null) {
            Files.deleteIfExists(spool);
            spool = null;
        }
    }

    /** Runs on the event loop once the answer of the request in flight is written (or failed). */
    private void answered(ChannelHandlerContext ctx) {
        inFlight = false;
        if (inputShut && !hijacked) {
            ctx.close();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof ChannelInputShutdownEvent) {
            inputShut = true;
            if (hijacked && stdin != null) {
                stdin.end();                // CloseWrite: the end of the client's stdin
            }
            if (!inFlight && !hijacked) {
                ctx.close();                // the client is gone and nothing is owed to it: free the descriptor
            }
        }
        super.userEventTriggered(ctx, evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
        cleanupSpool();
        if (stdin != null) {
            stdin.end();
        }
        super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        EngineLog.debug("connection error: " + cause);
        ctx.close();
    }
}
