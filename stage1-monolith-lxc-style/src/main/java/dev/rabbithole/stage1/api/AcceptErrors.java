package dev.rabbithole.stage1.api;

import dev.rabbithole.stage1.daemon.EngineLog;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;

/**
 * Last handler of the listening socket's pipeline: logs what accept(2) failed with instead of letting it reach
 * Netty's tail (which logs a stack trace per failure). Netty's acceptor, before this handler, already stops
 * accepting for one second after an error and then tries again, so a daemon out of file descriptors
 * ({@code EMFILE}, {@code ENFILE}: see accept(2)) serves again as soon as descriptors are free; the clients that
 * connected meanwhile wait in the listen backlog. At most one warning a minute for the same message, not one a second.
 */
final class AcceptErrors extends ChannelInboundHandlerAdapter {
    private static final long QUIET_NANOS = 60_000_000_000L;
    private String last;
    private long lastAt;

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        String message = String.valueOf(cause.getMessage());
        long now = System.nanoTime();
        if (!message.equals(last) || now - lastAt > QUIET_NANOS) {
            EngineLog.warn("cannot accept a connection (retrying every second): " + message);
            last = message;
            lastAt = now;
        }
    }
}
