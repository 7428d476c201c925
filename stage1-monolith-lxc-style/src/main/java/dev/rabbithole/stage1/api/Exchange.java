package dev.rabbithole.stage1.api;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage1.daemon.EngineLog;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.QueryStringDecoder;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One HTTP request and the ways to answer it: a JSON body, an empty status, a chunked stream (wait, logs,
 * pull, load) or a hijacked raw connection (attach). Methods may be called from any thread; Netty orders the
 * writes on the channel's event loop.
 */
final class Exchange {

    private final Channel channel;
    private final HttpRequest request;
    private final QueryStringDecoder query;
    private final String path;
    private final byte[] body;
    private final BodyFile bodyFile;
    private final ObjectMapper json;
    private final AtomicBoolean answered = new AtomicBoolean();
    private volatile Runnable onAnswered = () -> { };
    private final List<String[]> extraHeaders = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** The request body of {@code POST /images/load}, kept in a temporary file. */
    interface BodyFile {
        InputStream open() throws java.io.IOException;
    }

    Exchange(Channel channel, HttpRequest request, String path, byte[] body, BodyFile bodyFile, ObjectMapper json) {
        this.channel = channel;
        this.request = request;
        this.query = new QueryStringDecoder(request.uri());
        this.path = path;
        this.body = body;
        this.bodyFile = bodyFile;
        this.json = json;
    }

    HttpMethod method() { return request.method(); }

    /** @return the path without the {@code /vN.NN} prefix, URL-decoded */
    String path() { return path; }

    /** @return the request URI as sent, with the version prefix and the query */
    String rawUri() { return request.uri(); }

    byte[] body() { return body; }

    BodyFile bodyFile() { return bodyFile; }

    HttpHeaders headers() { return request.headers(); }

    /** Adds a response header to the answer not yet sent (e.g. {@code X-Docker-Container-Path-Stat}). */
    void header(String name, String value) { extraHeaders.add(new String[] {name, value}); }

    /** @return the first value of a query parameter, or null */
    String param(String name) {
        List<String> values = query.parameters().get(name);
        return values == null || values.isEmpty() ? null : values.get(0);
    }

    /** @return every value of a query parameter, in order ({@code ?names=a&names=b}); empty if none */
    List<String> params(String name) {
        List<String> values = query.parameters().get(name);
        return values == null ? List.of() : List.copyOf(values);
    }

    /** Docker's boolValue: absent, empty, {@code 0}, {@code no}, {@code false}, {@code none} are false. */
    boolean flag(String name) {
        String v = param(name);
        if (v == null) {
            return false;
        }
        return !List.of("", "0", "no", "false", "none").contains(v.toLowerCase(Locale.ROOT));
    }

    /**
     * Sets what runs on the channel's event loop once the whole answer is written (a full response, the last
     * chunk of a stream) or its write failed; not for hijacked connections, which the daemon closes itself.
     */
    void onAnswered(Runnable action) {
        onAnswered = action;
    }

    private void written(io.netty.channel.ChannelFuture f) {
        f.addListener(done -> onAnswered.run());
    }

    /** Runs when the client's connection closes (used to detach listeners). */
    void onClose(Runnable action) {
        channel.closeFuture().addListener(f -> action.run());
    }

    // ---------------------------------------------------------------- whole answers

    void json(int status, Object value) {
        byte[] bytes;
        try {
            bytes = json.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        full(status, "application/json", bytes);
    }

    void empty(int status) {
        full(status, null, new byte[0]);
    }

    void text(int status, String contentType, String text) {
        full(status, contentType, text.getBytes(StandardCharsets.UTF_8));
    }

    /** An error answer, {@code {"message": ...}}; the message names this process's {@link dev.rabbithole.stage1.Stage}. */
    void error(int status, String message) {
        json(status, json.createObjectNode().put("message", dev.rabbithole.stage1.Stage.current().rename(message)));
    }

    private void full(int status, String contentType, byte[] bytes) {
        if (!answered.compareAndSet(false, true)) {
            return;
        }
        boolean head = request.method().equals(HttpMethod.HEAD);
        FullHttpResponse res = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                head ? Unpooled.EMPTY_BUFFER : Unpooled.wrappedBuffer(bytes));
        commonHeaders(res);
        if (contentType != null) {
            res.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        }
        if (status != 204 && status != 304) {
            HttpUtil.setContentLength(res, bytes.length);
        }
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        if (!keepAlive) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        logged(status);
        var f = channel.writeAndFlush(res);
        written(f);
        if (!keepAlive) {
            f.addListener(ChannelFutureListener.CLOSE);
        }
    }

    private void commonHeaders(HttpResponse res) {
        res.headers().set("Api-Version", ApiServer.API_VERSION);
        res.headers().set("Docker-Experimental", "false");
        res.headers().set("Ostype", "linux");
        res.headers().set(HttpHeaderNames.SERVER, "rabbithole/" + dev.rabbithole.stage1.Stage.current().version() + " (linux)");
        for (String[] h : extraHeaders) res.headers().set(h[0], h[1]);
    }

    private void logged(int status) {
        EngineLog.info(request.method() + " " + request.uri() + " " + status);
    }

    // ---------------------------------------------------------------- chunked streams

    /** A chunked HTTP body whose headers are already sent and flushed. */
    final class Chunked {
        private final boolean keepAlive;
        private final AtomicBoolean ended = new AtomicBoolean();

        private Chunked(boolean keepAlive) { this.keepAlive = keepAlive; }

        void write(ByteBuf data) {
            if (ended.get()) {
                data.release();
                return;
            }
            channel.writeAndFlush(new DefaultHttpContent(data));
        }

        void write(byte[] data) { write(Unpooled.wrappedBuffer(data)); }

        /**
         * Writes and waits until the bytes are on the socket, so a long body (an image archive) never piles up
         * in memory. Call it from a worker thread, never from the event loop.
         *
         * @throws java.io.IOException the client went away
         */
        void writeAndWait(byte[] data) throws java.io.IOException {
            if (ended.get()) {
                throw new java.io.IOException("the response has ended");
            }
            var f = channel.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(data))).awaitUninterruptibly();
            if (!f.isSuccess()) {
                throw new java.io.IOException("client went away: " + f.cause());
            }
        }

        void writeJson(Object value) {
            try {
                byte[] b = json.writeValueAsBytes(value);
                byte[] line = new byte[b.length + 1];
                System.arraycopy(b, 0, line, 0, b.length);
                line[b.length] = '\n';
                write(line);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
        }

        void end() {
            if (ended.compareAndSet(false, true)) {
                var f = channel.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
                written(f);
                if (!keepAlive) {
                    f.addListener(ChannelFutureListener.CLOSE);
                }
            }
        }
    }

    /** Sends a 200 with {@code Transfer-Encoding: chunked} now, flushed, so the client sees the headers at once. */
    Chunked chunked(int status, String contentType) {
        answered.set(true);
        HttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status));
        commonHeaders(res);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        HttpUtil.setTransferEncodingChunked(res, true);
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        logged(status);
        channel.writeAndFlush(res);
        return new Chunked(keepAlive);
    }

    // ---------------------------------------------------------------- hijacked connections

    /** The raw connection after the HTTP answer: bytes as they are; {@link #end()} closes it. */
    final class Raw {
        private final AtomicBoolean ended = new AtomicBoolean();

        void write(ByteBuf data) {
            if (ended.get()) {
                data.release();
                return;
            }
            channel.writeAndFlush(data);
        }

        void end() {
            if (ended.compareAndSet(false, true)) {
                channel.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    /**
     * Takes the connection over as Docker's attach does: {@code 101 UPGRADED} with {@code Upgrade: tcp} when
     * the client asked for an upgrade, else {@code 200} without a length; then the HTTP codec leaves the
     * pipeline and the stream is raw bytes until the daemon closes the connection.
     */
    Raw hijack(String contentType) throws InterruptedException {
        return hijack(contentType, null, null, new byte[0]);
    }

    /**
     * As {@link #hijack(String)}, and the client's bytes after the answer go to {@code stdin} through a
     * {@link StdinPump}: the codec leaves the pipeline on the event loop before the answer is written, so no byte
     * the client sends after it can be read as HTTP.
     *
     * @param stdin      the process's input, or null to drop what the client sends
     * @param workers    threads for the blocking writes
     * @param detachKeys the detach sequence (ends the connection, not the input); empty for none
     */
    Raw hijack(String contentType, dev.rabbithole.stage1.daemon.ContainerInput stdin,
               java.util.concurrent.Executor workers, byte[] detachKeys) throws InterruptedException {
        answered.set(true);
        // tag::attach-upgrade[]
        boolean upgrade = request.headers().contains(HttpHeaderNames.UPGRADE);
        HttpResponse res = new DefaultHttpResponse(HttpVersion.HTTP_1_1,
                upgrade ? new HttpResponseStatus(101, "UPGRADED") : HttpResponseStatus.OK);
        commonHeaders(res);
        res.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        if (upgrade) {
            res.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
            res.headers().set(HttpHeaderNames.UPGRADE, "tcp");
        }
        logged(upgrade ? 101 : 200);
        // end::attach-upgrade[]
        StringBuilder head = new StringBuilder("HTTP/1.1 ").append(res.status().code()).append(' ')
                .append(res.status().reasonPhrase()).append("\r\n");
        res.headers().forEach(h -> head.append(h.getKey()).append(": ").append(h.getValue()).append("\r\n"));
        head.append("\r\n");
        Raw raw = new Raw();
        channel.eventLoop().submit(() -> {
            HttpHandler handler = channel.pipeline().get(HttpHandler.class);
            if (handler != null) {
                handler.hijacked(stdin == null ? null : new StdinPump(stdin, channel, workers, detachKeys, raw::end));
            }
            if (channel.pipeline().get(ApiServer.CODEC) != null) {
                channel.pipeline().remove(ApiServer.CODEC);
            }
            return channel.writeAndFlush(Unpooled.wrappedBuffer(head.toString().getBytes(StandardCharsets.US_ASCII)));
        }).sync().getNow().sync();
        return raw;
    }
}
