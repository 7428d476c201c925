package dev.rabbithole.stage1.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpChunkedInput;
import io.netty.handler.codec.http.HttpClientCodec;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.stream.ChunkedStream;
import io.netty.handler.stream.ChunkedWriteHandler;
import io.netty.util.concurrent.DefaultThreadFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * A client of the Docker Engine API (v1.41) over the daemon's unix socket, built on Netty's epoll
 * domain-socket transport. Every request opens its own connection, as a hijacked attach must.
 * <p>
 * Paths are given unversioned ({@code /containers/json}); the client sends them as the docker CLI does,
 * prefixed with {@code /v1.41}, except {@code /_ping}.
 * <p>
 * Errors: {@link DaemonUnreachableException} when nothing listens on the socket, {@link EngineApiException}
 * for an answer with status 400 or above (carrying the daemon's {@code message}),
 * {@link EngineClientException} for a broken connection.
 */
public final class EngineClient implements AutoCloseable {
    /** The Engine API version this client speaks and prefixes its paths with. */
    public static final String API_VERSION = "1.41";
    /** The stage-1 daemon's default address. */
    public static final String DEFAULT_HOST = "unix:///run/rabbithole/stage1/docker.sock";
    /** The JSON mapper shared by the client. */
    public static final ObjectMapper JSON = new ObjectMapper();

    private static final int MAX_BODY = 512 * 1024 * 1024;

    private final String host;
    private final Path socket;
    private final EventLoopGroup group;

    /**
     * @param host the daemon address, {@code unix:///path/to/docker.sock} (a bare absolute path is accepted too)
     * @throws IllegalArgumentException for other schemes ({@code tcp://} is not served by rabbithole)
     * @throws IllegalStateException    when Netty's epoll transport is not available (not Linux)
     */
    public EngineClient(String host) {
        this.host = host;
        this.socket = socketPath(host);
        if (!Epoll.isAvailable()) {
            throw new IllegalStateException("the epoll transport is not available: " + Epoll.unavailabilityCause());
        }
        this.group = new EpollEventLoopGroup(1, new DefaultThreadFactory("engine-client", true));
    }

    /**
     * @param host {@code unix:///path} or {@code /path}
     * @return the socket's path
     * @throws IllegalArgumentException for any other form
     */
    public static Path socketPath(String host) {
        if (host.startsWith("unix://")) {
            return Path.of(host.substring("unix://".length()));
        } else if (host.startsWith("/")) {
            return Path.of(host);
        }
        throw new IllegalArgumentException("unsupported host " + host + ": rabbithole daemons listen on unix sockets (unix:///path)");
    }

    /** @return the address this client talks to, as given */
    public String host() {
        return host;
    }

    // ---- plain requests -------------------------------------------------------------------------

    /**
     * Sends one request and collects the whole answer, without interpreting the status.
     *
     * @param method HTTP method ({@code GET}, {@code POST}, {@code DELETE}, {@code HEAD})
     * @param path   unversioned path with query ({@code /containers/json?all=1})
     * @param body   the JSON body (any Jackson-serialisable object), or null for none
     * @return a future of the answer; it fails with {@link DaemonUnreachableException} or {@link EngineClientException}
     */
    public CompletableFuture<EngineResponse> send(String method, String path, Object body) {
        return send(method, path, body, null);
    }

    /**
     * As {@link #send(String, String, Object)}, and also tells when the answer's status line and headers
     * arrived, before its body: a long poll such as {@code POST /containers/{id}/wait}, whose daemon sends the
     * header at once and the body when the container exits, is then known to be registered.
     *
     * @param method      HTTP method
     * @param path        unversioned path with query
     * @param body        the JSON body, or null
     * @param headersSeen completed when the status line and headers arrive (may be null)
     * @return a future of the whole answer
     */
    public CompletableFuture<EngineResponse> send(String method, String path, Object body, CompletableFuture<Void> headersSeen) {
        byte[] bytes;
        try {
            bytes = body == null ? new byte[0] : JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot serialise the request body", e);
        }
        DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method),
                versioned(path), Unpooled.wrappedBuffer(bytes));
        headers(request);
        if (body != null) {
            request.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        }
        HttpUtil.setContentLength(request, bytes.length);
        CompletableFuture<EngineResponse> result = new CompletableFuture<>();
        connect(aggregating(result, headersSeen), result, ch -> ch.writeAndFlush(request));
        if (headersSeen != null) {
            result.whenComplete((r, e) -> {
                if (e != null) {
                    headersSeen.completeExceptionally(e);
                } else {
                    headersSeen.complete(null);
                }
            });
        }
        return result;
    }

    /**
     * Sends one request and waits for the answer.
     *
     * @param method HTTP method
     * @param path   unversioned path with query
     * @param body   JSON body or null
     * @return the answer, whose status is below 400
     * @throws EngineApiException          for a status of 400 or more
     * @throws DaemonUnreachableException  when nothing listens
     * @throws EngineClientException       when the connection breaks
     */
    public EngineResponse call(String method, String path, Object body) {
        return checked(await(send(method, path, body)));
    }

    /**
     * {@code GET} a JSON document.
     *
     * @param path unversioned path
     * @return the parsed body
     * @throws EngineApiException as {@link #call}
     */
    public JsonNode get(String path) {
        return call("GET", path, null).json();
    }

    /**
     * {@code GET /_ping}: checks that a daemon answers.
     *
     * @return the {@code Api-Version} header the daemon sent (null if none)
     * @throws DaemonUnreachableException when nothing listens
     */
    public String ping() {
        return call("GET", "/_ping", null).headers().get("api-version");
    }

    /**
     * Streams a body to the daemon with chunked transfer encoding (as the docker CLI sends
     * {@code docker load}'s archive to {@code POST /images/load}) and collects the answer.
     *
     * @param method      HTTP method
     * @param path        unversioned path
     * @param in          the body; read on the client's event loop until end of stream, not closed
     * @param contentType the body's media type ({@code application/x-tar})
     * @return the answer, whose status is below 400
     * @throws EngineApiException as {@link #call}
     */
    public EngineResponse upload(String method, String path, InputStream in, String contentType) {
        HttpRequest request = new DefaultHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.valueOf(method), versioned(path));
        headers(request);
        request.headers().set(HttpHeaderNames.CONTENT_TYPE, contentType);
        HttpUtil.setTransferEncodingChunked(request, true);
        CompletableFuture<EngineResponse> result = new CompletableFuture<>();
        ChannelInitializer<Channel> init = new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast("http", new HttpClientCodec())
                        .addLast(new ChunkedWriteHandler())
                        .addLast(new HttpObjectAggregator(MAX_BODY))
                        .addLast(new ResponseHandler(result));
            }
        };
        connect(init, result, ch -> {
            ch.write(request);
            ch.writeAndFlush(new HttpChunkedInput(new ChunkedStream(in))).addListener(f -> {
                if (!f.isSuccess()) {
                    result.completeExceptionally(new EngineClientException("sending the body failed: " + f.cause().getMessage(), f.cause()));
                }
            });
        });
        return checked(await(result));
    }

    // ---- streams ----------------------------------------------------------------------------------

    /**
     * {@code POST /containers/{id}/attach?stream=1&stdout=1&stderr=1} with {@code Connection: Upgrade} and
     * {@code Upgrade: tcp}, as the docker CLI attaches before it starts a container. After
     * {@code 101 UPGRADED} the connection carries the multiplexed stream, copied to {@code stdout} and
     * {@code stderr} until the daemon closes it (when the container's process has exited).
     *
     * @param id     container ID or name
     * @param stdout receives stream-1 payloads
     * @param stderr receives stream-2 payloads
     * @return the session; wait for {@code established} before starting the container
     */
    public StreamSession attach(String id, OutputStream stdout, OutputStream stderr) {
        HttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
                versioned("/containers/" + id + "/attach?stderr=1&stdout=1&stream=1"));
        headers(request);
        request.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        request.headers().set(HttpHeaderNames.UPGRADE, "tcp");
        HttpUtil.setContentLength(request, 0);
        return stream(request, stdout, stderr);
    }

    /**
     * A hijacked exchange with stdin, as the docker CLI makes {@code POST /containers/{id}/attach?stdin=1...} and
     * {@code POST /exec/{id}/start}: the request carries {@code Connection: Upgrade}, {@code Upgrade: tcp}; after
     * {@code 101 UPGRADED} the output is copied out (one raw stream with a TTY, else demultiplexed frames) and,
     * when {@code stdin} is given, a thread copies it to the connection and half-closes the connection
     * ({@code shutdown(SHUT_WR)}, the CLI's CloseWrite) at its end of file.
     *
     * @param path   unversioned path with query
     * @param body   JSON body (exec start's {@code {"Detach":false,"Tty":...}}), or null
     * @param tty    the output is one raw stream (Config.Tty / ExecConfig.Tty)
     * @param stdin  what to send, or null for nothing
     * @param stdout receives stdout (everything with a TTY)
     * @param stderr receives stderr
     * @return the session; {@code finished} completes when the daemon closed the connection
     */
    public StreamSession hijack(String path, Object body, boolean tty, InputStream stdin, OutputStream stdout,
                                OutputStream stderr) {
        byte[] bytes;
        try {
            bytes = body == null ? new byte[0] : JSON.writeValueAsBytes(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot serialise the request body", e);
        }
        DefaultFullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
                versioned(path), Unpooled.wrappedBuffer(bytes));
        headers(request);
        if (body != null) {
            request.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        }
        request.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.UPGRADE);
        request.headers().set(HttpHeaderNames.UPGRADE, "tcp");
        HttpUtil.setContentLength(request, bytes.length);
        StreamHandler.Sink sink;
        if (tty) {
            sink = (buf, off, len) -> {
                try {
                    stdout.write(buf, off, len);
                    stdout.flush();
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            };
        } else {
            sink = new FrameDemultiplexer(stdout, stderr)::feed;
        }
        StreamSession session = new StreamSession(new CompletableFuture<>(), new CompletableFuture<>());
        ChannelInitializer<Channel> init = new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast("http", new HttpClientCodec()).addLast(new StreamHandler(sink, session));
            }
        };
        CompletableFuture<Channel> channel = new CompletableFuture<>();
        connect(init, session.established(), ch -> {
            channel.complete(ch);
            ch.writeAndFlush(request);
        });
        session.established().whenComplete((ok, err) -> {
            if (err != null) {
                session.finished().completeExceptionally(err);
            } else if (stdin != null) {
                Thread copier = new Thread(() -> copyStdin(stdin, channel.join()), "stdin-copier");
                copier.setDaemon(true);
                copier.start();
            }
        });
        return session;
    }

    /** Copies the client's stdin to a hijacked connection, then half-closes it. */
    private static void copyStdin(InputStream stdin, Channel ch) {
        byte[] buf = new byte[32 * 1024];
        try {
            int n;
            while (ch.isActive() && (n = stdin.read(buf)) >= 0) {
                if (n > 0) {
                    ch.writeAndFlush(Unpooled.copiedBuffer(buf, 0, n)).sync();
                }
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            // the connection or the input ended: nothing more to send
        }
        if (ch.isActive() && ch instanceof io.netty.channel.socket.DuplexChannel duplex) {
            duplex.shutdownOutput();
        }
    }

    /**
     * {@code GET /containers/{id}/logs?stdout=1&stderr=1&tail=all[&follow=1]}: the container's output so far
     * (and, with {@code follow}, until it exits), copied to {@code stdout} and {@code stderr}.
     *
     * @param id     container ID or name
     * @param follow keep streaming until the container stops
     * @param stdout receives stream-1 payloads
     * @param stderr receives stream-2 payloads
     * @return the session
     */
    public StreamSession logs(String id, boolean follow, OutputStream stdout, OutputStream stderr) {
        return logs(id, "", follow, stdout, stderr);
    }

    /**
     * {@code GET /containers/{id}/logs} with more query parameters, e.g. {@code &since=1700000000&until=...}.
     *
     * @param id     the container (URL-encoded)
     * @param query  parameters to append, each starting with {@code &}, already encoded; may be empty
     * @param follow keep streaming until the container exits
     * @param stdout where its stdout goes
     * @param stderr where its stderr goes
     * @return the session; its futures complete when the headers arrive and when the stream ends
     */
    public StreamSession logs(String id, String query, boolean follow, OutputStream stdout, OutputStream stderr) {
        HttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET,
                versioned("/containers/" + id + "/logs?stderr=1&stdout=1&tail=all" + query + (follow ? "&follow=1" : "")));
        headers(request);
        HttpUtil.setContentLength(request, 0);
        return stream(request, stdout, stderr);
    }

    /**
     * A GET whose body is copied as it arrives, unframed (e.g. {@code GET /images/get}, a tar archive), so a
     * body of any length streams through without being held in memory.
     *
     * @param path the path and query, without the version prefix
     * @param out  where the body goes (written from the connection's thread)
     * @return the session: {@code established} fails with {@link EngineApiException} on an error status,
     *         {@code finished} completes at the end of the body
     */
    public StreamSession download(String path, OutputStream out) {
        HttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.GET, versioned(path));
        headers(request);
        HttpUtil.setContentLength(request, 0);
        StreamHandler.Sink sink = (buf, off, len) -> {
            try {
                out.write(buf, off, len);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        };
        return stream(request, sink);
    }

    private StreamSession stream(HttpRequest request, OutputStream stdout, OutputStream stderr) {
        FrameDemultiplexer demux = new FrameDemultiplexer(stdout, stderr);
        return stream(request, demux::feed);
    }

    private StreamSession stream(HttpRequest request, StreamHandler.Sink demux) {
        StreamSession session = new StreamSession(new CompletableFuture<>(), new CompletableFuture<>());
        ChannelInitializer<Channel> init = new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast("http", new HttpClientCodec()).addLast(new StreamHandler(demux, session));
            }
        };
        connect(init, session.established(), ch -> ch.writeAndFlush(request));
        session.established().whenComplete((ok, err) -> {
            if (err != null) {
                session.finished().completeExceptionally(err);
            }
        });
        return session;
    }

    // ---- plumbing ----------------------------------------------------------------------------------

    /**
     * Waits for a future of this client and unwraps its failure.
     *
     * @param future a future from {@link #send} or a {@link StreamSession}
     * @param <T>    the value type
     * @return the value
     * @throws EngineClientException (or a subclass) the future failed with
     */
    public static <T> T await(CompletableFuture<T> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new EngineClientException("interrupted", e);
        } catch (ExecutionException | CompletionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException) {
                throw (RuntimeException) cause;
            }
            // a checked failure: its words, not the JDK's class name
            String message = cause instanceof IOException io ? FileErrors.reason(io)
                    : cause != null && cause.getMessage() != null ? cause.getMessage() : "request failed";
            throw new EngineClientException(message, cause);
        }
    }

    /**
     * @param response an answer
     * @return the answer if its status is below 400
     * @throws EngineApiException otherwise, with the daemon's message
     */
    public static EngineResponse checked(EngineResponse response) {
        if (response.status() >= 400) {
            throw new EngineApiException(response.status(), response.errorMessage());
        }
        return response;
    }

    private String versioned(String path) {
        return path.startsWith("/_ping") ? path : "/v" + API_VERSION + path;
    }

    private static void headers(HttpRequest request) {
        request.headers().set(HttpHeaderNames.HOST, "docker");
        request.headers().set(HttpHeaderNames.USER_AGENT, "rabbithole-stage1-client");
    }

    private ChannelInitializer<Channel> aggregating(CompletableFuture<EngineResponse> result, CompletableFuture<Void> headersSeen) {
        return new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast("http", new HttpClientCodec());
                if (headersSeen != null) {
                    ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            if (msg instanceof HttpResponse) {
                                headersSeen.complete(null);
                            }
                            ctx.fireChannelRead(msg);
                        }
                    });
                }
                ch.pipeline().addLast(new HttpObjectAggregator(MAX_BODY))
                        .addLast(new ResponseHandler(result));
            }
        };
    }

    private void connect(ChannelHandler init, CompletableFuture<?> failure, Consumer<Channel> onConnected) {
        ChannelFuture connect = new Bootstrap().group(group).channel(EpollDomainSocketChannel.class)
                .handler(init).connect(new DomainSocketAddress(socket.toString()));
        connect.addListener(f -> {
            if (f.isSuccess()) {
                onConnected.accept(connect.channel());
            } else {
                failure.completeExceptionally(DaemonPermissionDeniedException.isPermissionDenied(f.cause())
                        ? new DaemonPermissionDeniedException(host, f.cause())
                        : new DaemonUnreachableException(host, f.cause()));
            }
        });
    }

    /** Completes a future with the aggregated answer and closes the connection. */
    private static final class ResponseHandler extends SimpleChannelInboundHandler<FullHttpResponse> {
        private final CompletableFuture<EngineResponse> result;

        ResponseHandler(CompletableFuture<EngineResponse> result) {
            this.result = result;
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpResponse msg) {
            Map<String, String> headers = new HashMap<>();
            msg.headers().forEach(h -> headers.put(h.getKey().toLowerCase(Locale.ROOT), h.getValue()));
            result.complete(new EngineResponse(msg.status().code(), headers, ByteBufUtil.getBytes(msg.content())));
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            result.completeExceptionally(new EngineClientException("the daemon closed the connection before answering"));
            ctx.fireChannelInactive();
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            result.completeExceptionally(new EngineClientException("talking to the daemon failed: " + cause.getMessage(), cause));
            ctx.close();
        }
    }

    /** Shuts the client's event loop down (waits up to two seconds). */
    @Override
    public void close() {
        group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
