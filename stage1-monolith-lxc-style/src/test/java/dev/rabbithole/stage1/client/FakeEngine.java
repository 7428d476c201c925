package dev.rabbithole.stage1.client;

import com.fasterxml.jackson.databind.JsonNode;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A tiny Engine API server on a unix socket, for the client's tests: it answers the requests {@code docker run}
 * makes (ping, create, images/create, attach with 101 and frames, wait, start) plus ps and logs, and records
 * every request line. After {@code start} it writes the container's output on the attach connection, closes it,
 * and then answers the pending wait with {@link #exitCode}.
 */
final class FakeEngine implements AutoCloseable {
    static final String ID = "4f7a1c2b9d3e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8";

    final List<String> requests = new CopyOnWriteArrayList<>();
    final List<JsonNode> createBodies = new CopyOnWriteArrayList<>();
    volatile int exitCode = 3;
    volatile boolean imagePresent = true;
    volatile String startError;
    volatile byte[][] output = {
        FrameDemultiplexer.frame(1, "hello from stdout\n".getBytes(StandardCharsets.UTF_8)),
        FrameDemultiplexer.frame(2, "and from stderr\n".getBytes(StandardCharsets.UTF_8)),
        FrameDemultiplexer.frame(1, "bye\n".getBytes(StandardCharsets.UTF_8)),
    };

    private final EventLoopGroup group = new EpollEventLoopGroup(1);
    private final Channel server;
    private volatile Channel attach;
    private volatile Channel waiter;

    FakeEngine(Path socket) {
        server = new ServerBootstrap().group(group).channel(EpollServerDomainSocketChannel.class)
                .childHandler(new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel ch) {
                        ch.pipeline().addLast("codec", new HttpServerCodec())
                                .addLast("agg", new HttpObjectAggregator(1 << 20))
                                .addLast("api", new Api());
                    }
                }).bind(new DomainSocketAddress(socket.toString())).syncUninterruptibly().channel();
    }

    private final class Api extends SimpleChannelInboundHandler<FullHttpRequest> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest req) throws Exception {
            String uri = req.uri();
            requests.add(req.method() + " " + uri);
            String path = uri.replaceFirst("^/v1\\.41", "");
            if (path.equals("/_ping")) {
                FullHttpResponse r = text(HttpResponseStatus.OK, "OK");
                r.headers().set("Api-Version", "1.41");
                ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
            } else if (path.startsWith("/containers/create")) {
                createBodies.add(EngineClient.JSON.readTree(req.content().toString(StandardCharsets.UTF_8)));
                if (!imagePresent) {
                    json(ctx, HttpResponseStatus.NOT_FOUND, "{\"message\":\"No such image: busybox:latest\"}");
                } else {
                    json(ctx, HttpResponseStatus.CREATED, "{\"Id\":\"" + ID + "\",\"Warnings\":[]}");
                }
            } else if (path.startsWith("/images/create?fromImage=")) {
                imagePresent = true;
                json(ctx, HttpResponseStatus.OK, "{\"status\":\"Pulling from library/busybox\"}\n{\"status\":\"Done\"}\n");
            } else if (path.startsWith("/containers/" + ID + "/attach")) {
                FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, new HttpResponseStatus(101, "UPGRADED"));
                r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/vnd.docker.raw-stream")
                        .set(HttpHeaderNames.CONNECTION, "Upgrade").set(HttpHeaderNames.UPGRADE, "tcp");
                attach = ctx.channel();
                ctx.writeAndFlush(r).addListener(f -> {
                    ctx.pipeline().remove("agg");
                    ctx.pipeline().remove("codec");
                });
            } else if (path.startsWith("/containers/" + ID + "/wait")) {
                DefaultHttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
                HttpUtil.setTransferEncodingChunked(r, true);
                waiter = ctx.channel();
                ctx.writeAndFlush(r); // the header at once: the wait is registered
            } else if (path.equals("/containers/" + ID + "/start")) {
                if (startError != null) {
                    json(ctx, HttpResponseStatus.BAD_REQUEST, EngineClient.JSON.createObjectNode().put("message", startError).toString());
                    return;
                }
                ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.NO_CONTENT))
                        .addListener(ChannelFutureListener.CLOSE);
                runContainer();
            } else if (path.equals("/version")) {
                json(ctx, HttpResponseStatus.OK, "{\"Version\":\"0.1.0-stage1\",\"ApiVersion\":\"1.41\","
                        + "\"MinAPIVersion\":\"1.12\",\"Os\":\"linux\"}");
            } else if (path.startsWith("/containers/json")) {
                json(ctx, HttpResponseStatus.OK, "[{\"Id\":\"" + ID + "\",\"Names\":[\"/demo\"],\"Image\":\"busybox\","
                        + "\"Command\":\"sh\",\"Created\":" + (System.currentTimeMillis() / 1000 - 5)
                        + ",\"State\":\"running\",\"Status\":\"Up 5 seconds\",\"Ports\":[]}]");
            } else if (path.startsWith("/containers/demo/logs")) {
                DefaultHttpResponse r = new DefaultHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.OK);
                HttpUtil.setTransferEncodingChunked(r, true);
                ctx.write(r);
                for (byte[] frame : output) {
                    // split every frame in two chunks: the client must reassemble across chunks
                    ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(frame, 0, 3)));
                    ctx.write(new DefaultHttpContent(Unpooled.wrappedBuffer(frame, 3, frame.length - 3)));
                }
                ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
            } else {
                json(ctx, HttpResponseStatus.NOT_FOUND, "{\"message\":\"No such container: " + path + "\"}");
            }
        }

        /** The container "runs": its output goes out on the attach connection, then the wait is answered. */
        private void runContainer() {
            Channel a = attach;
            if (a == null || waiter == null) {
                return; // run -d: nobody attached or waits
            }
            for (byte[] frame : output) {
                // one frame split over two writes, and headers straddling writes
                a.write(Unpooled.wrappedBuffer(frame, 0, 5));
                a.writeAndFlush(Unpooled.wrappedBuffer(frame, 5, frame.length - 5));
            }
            a.close().addListener(f -> {
                ByteBuf body = Unpooled.copiedBuffer("{\"Error\":null,\"StatusCode\":" + exitCode + "}", StandardCharsets.UTF_8);
                waiter.write(new DefaultHttpContent(body));
                waiter.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT).addListener(ChannelFutureListener.CLOSE);
            });
        }
    }

    private static FullHttpResponse text(HttpResponseStatus status, String body) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(body, StandardCharsets.UTF_8));
        HttpUtil.setContentLength(r, r.content().readableBytes());
        return r;
    }

    private static void json(ChannelHandlerContext ctx, HttpResponseStatus status, String body) {
        FullHttpResponse r = text(status, body);
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, "application/json");
        ctx.writeAndFlush(r).addListener(ChannelFutureListener.CLOSE);
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
    }
}
