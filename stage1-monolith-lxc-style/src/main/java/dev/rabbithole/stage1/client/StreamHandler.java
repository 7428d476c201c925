package dev.rabbithole.stage1.client;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;

import java.util.Map;

/**
 * Reads a multiplexed stdout/stderr stream from the daemon and hands it to a {@link FrameDemultiplexer}.
 * Two shapes arrive here (Engine API v1.41):
 * <ul>
 *   <li>{@code POST /containers/{id}/attach} with {@code Upgrade: tcp}: {@code 101 UPGRADED}, after which the
 *       connection is no longer HTTP. The handler removes the HTTP codec (named {@code "http"}) and reads raw
 *       bytes until the daemon closes the connection.</li>
 *   <li>{@code GET /containers/{id}/logs}: {@code 200} with a chunked body carrying the same frames; the stream
 *       ends with the last chunk.</li>
 * </ul>
 * Any other status is an error: its body is collected and the {@code established} future fails with
 * {@link EngineApiException}.
 */
final class StreamHandler extends ChannelInboundHandlerAdapter {
    /** Where the body's bytes go: a {@link FrameDemultiplexer}, or a plain output for a raw body. */
    interface Sink {
        void feed(byte[] buf, int offset, int length);
    }

    private final Sink demux;
    private final StreamSession session;
    private int status;
    private ByteBuf errorBody;

    StreamHandler(FrameDemultiplexer demux, StreamSession session) {
        this((Sink) demux::feed, session);
    }

    StreamHandler(Sink demux, StreamSession session) {
        this.demux = demux;
        this.session = session;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        try {
            if (msg instanceof HttpResponse) {
                onResponse(ctx, (HttpResponse) msg);
            }
            if (msg instanceof HttpContent) {
                onContent(ctx, (HttpContent) msg);
            } else if (msg instanceof ByteBuf) {
                feed((ByteBuf) msg); // raw bytes after 101: the hijacked connection
            }
        } finally {
            ReferenceCountUtil.release(msg);
        }
    }

    private void onResponse(ChannelHandlerContext ctx, HttpResponse response) {
        status = response.status().code();
        if (status == 101) {
            // the connection now carries the raw stream: the HTTP codec must not parse it
            if (ctx.pipeline().get("http") != null) {
                ctx.pipeline().remove("http");
            }
            session.established().complete(null);
        } else if (status == 200) {
            session.established().complete(null);
        } else {
            errorBody = Unpooled.buffer();
        }
    }

    private void onContent(ChannelHandlerContext ctx, HttpContent content) {
        if (errorBody != null) {
            errorBody.writeBytes(content.content());
            if (content instanceof LastHttpContent) {
                byte[] body = ByteBufUtil.getBytes(errorBody);
                errorBody.release();
                errorBody = null;
                String message = new EngineResponse(status, Map.of(), body).errorMessage();
                session.established().completeExceptionally(new EngineApiException(status, message));
                ctx.close();
            }
            return;
        }
        feed(content.content());
        if (content instanceof LastHttpContent && status == 200) {
            session.finished().complete(null);
            ctx.close();
        }
    }

    private void feed(ByteBuf buf) {
        if (buf.isReadable()) {
            byte[] bytes = ByteBufUtil.getBytes(buf);
            demux.feed(bytes, 0, bytes.length);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        if (errorBody != null) {
            errorBody.release();
            errorBody = null;
        }
        if (!session.established().isDone()) {
            session.established().completeExceptionally(new EngineClientException("the daemon closed the connection before answering"));
        }
        session.finished().complete(null);
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        EngineClientException e = new EngineClientException("stream from the daemon broke: " + cause.getMessage(), cause);
        session.established().completeExceptionally(e);
        session.finished().completeExceptionally(e);
        ctx.close();
    }
}
