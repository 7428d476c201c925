package dev.rabbithole.stage3.ttrpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.rabbithole.stage3.ttrpc.wire.KeyValue;
import dev.rabbithole.stage3.ttrpc.wire.Request;
import dev.rabbithole.stage3.ttrpc.wire.Response;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;

import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A ttrpc client on one unix socket connection (Netty, epoll): containerd's small RPC protocol for shims, the
 * calling side, as containerd uses it to drive a shim ({@code containerd.task.v2.Task}).
 *
 * <p>Each call gets the next odd stream id (1, 3, 5, ...), sends one request frame carrying a {@code ttrpc.Request}
 * (service, method, the request message, {@code timeout_nano}, metadata) and completes when the response frame
 * with the same stream id arrives. Calls may overlap on the connection. Methods are named by gRPC method
 * descriptors (e.g. {@code TaskGrpc.getCreateMethod()}): the descriptor's service name and bare method name are what
 * goes on the wire, its marshallers encode the messages.
 *
 * <p>A call fails with a {@link StatusRuntimeException}: the server's {@code google.rpc.Status} (code and message)
 * when it answered with one; {@code DEADLINE_EXCEEDED} when the timeout passed first; {@code RESOURCE_EXHAUSTED}
 * for a request over 4 MiB (not sent); {@code UNAVAILABLE} when the connection closed before the answer.
 * Source: containerd/ttrpc v1.1, client.go.
 */
public final class TtrpcClient implements AutoCloseable {

    private final EventLoopGroup group;
    private final Channel channel;
    private final Map<String, String> metadata;
    private final AtomicInteger nextStreamId = new AtomicInteger(1);
    private final Map<Integer, Pending> pending = new ConcurrentHashMap<>();
    private volatile Runnable onLost;
    private volatile boolean closing;

    private record Pending(CompletableFuture<Response> future) {
    }

    private TtrpcClient(EventLoopGroup group, Channel channel, Map<String, String> metadata) {
        this.group = group;
        this.channel = channel;
        this.metadata = metadata;
    }

    /**
     * Connects to a ttrpc server.
     *
     * @param socket the server's unix socket path (a {@code unix://} prefix, as shims print it, is accepted)
     * @return a connected client without default metadata
     * @throws IOException if the socket does not accept the connection
     */
    public static TtrpcClient connect(String socket) throws IOException {
        return connect(socket, Map.of());
    }

    /**
     * Connects to a ttrpc server.
     *
     * @param socket the server's unix socket path (a {@code unix://} prefix, as shims print it, is accepted)
     * @param metadata sent with every call, e.g. containerd's namespace key {@code containerd-namespace-ttrpc}
     * @return a connected client
     * @throws IOException if the socket does not accept the connection
     */
    public static TtrpcClient connect(String socket, Map<String, String> metadata) throws IOException {
        String path = socket.startsWith("unix://") ? socket.substring("unix://".length()) : socket;
        EventLoopGroup group = new EpollEventLoopGroup(1);
        TtrpcClient[] self = new TtrpcClient[1];
        try {
            Channel channel = new Bootstrap()
                    .group(group)
                    .channel(EpollDomainSocketChannel.class)
                    .handler(new ChannelInitializer<EpollDomainSocketChannel>() {
                        @Override
                        protected void initChannel(EpollDomainSocketChannel ch) {
                            ch.pipeline().addLast(new TtrpcFrameCodec(), new SimpleChannelInboundHandler<TtrpcFrame>() {
                                @Override
                                protected void channelRead0(ChannelHandlerContext ctx, TtrpcFrame frame) {
                                    self[0].received(frame);
                                }

                                @Override
                                public void channelInactive(ChannelHandlerContext ctx) {
                                    self[0].failAll(Status.UNAVAILABLE.withDescription("ttrpc: closed"));
                                    self[0].lost();
                                }

                                @Override
                                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                    ctx.close();
                                }
                            });
                        }
                    })
                    .connect(new DomainSocketAddress(path)).sync().channel();
            self[0] = new TtrpcClient(group, channel, Map.copyOf(metadata));
            return self[0];
        } catch (Exception e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw new IOException("ttrpc: cannot connect to " + path + ": " + e.getMessage(), e);
        }
    }

    /**
     * Calls a method and waits for its answer.
     *
     * @param method the method (its service name and bare name go on the wire)
     * @param request the request message
     * @param timeout how long to wait; also sent to the server as {@code timeout_nano}
     * @param <Q> request type
     * @param <R> response type
     * @return the response
     * @throws StatusRuntimeException as the class comment says
     */
    public <Q, R> R call(MethodDescriptor<Q, R> method, Q request, Duration timeout) {
        CompletableFuture<R> future = callAsync(method, request, timeout, Map.of());
        try {
            return future.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException e) {
            future.cancel(false);
            throw Status.DEADLINE_EXCEEDED.withDescription("ttrpc: " + method.getFullMethodName() + " took longer than "
                    + timeout).asRuntimeException();
        } catch (ExecutionException e) {
            // a new exception, so that its stack shows this call; the status is the one that arrived
            throw Status.fromThrowable(e.getCause()).withCause(e.getCause()).asRuntimeException();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
        }
    }

    /**
     * Starts a call.
     *
     * @param method the method (its service name and bare name go on the wire)
     * @param request the request message
     * @param timeout sent as {@code timeout_nano}; null or zero sends none (the server waits as long as it takes)
     * @param callMetadata added to this client's metadata for this call
     * @param <Q> request type
     * @param <R> response type
     * @return completes with the response, or with a {@link StatusRuntimeException}
     */
    public <Q, R> CompletableFuture<R> callAsync(MethodDescriptor<Q, R> method, Q request, Duration timeout,
                                                 Map<String, String> callMetadata) {
        Request.Builder wire = Request.newBuilder()
                .setService(method.getServiceName())
                .setMethod(method.getBareMethodName());
        try (InputStream in = method.streamRequest(request)) {
            wire.setPayload(ByteString.readFrom(in));
        } catch (IOException e) {
            return CompletableFuture.failedFuture(Status.INTERNAL.withDescription("ttrpc: cannot encode the request: "
                    + e.getMessage()).asRuntimeException());
        }
        if (timeout != null && !timeout.isZero()) {
            wire.setTimeoutNano(timeout.toNanos());
        }
        for (Map<String, String> md : List.of(metadata, callMetadata)) {
            md.forEach((k, v) -> wire.addMetadata(KeyValue.newBuilder().setKey(k).setValue(v)));
        }
        byte[] bytes = wire.build().toByteArray();
        if (bytes.length > TtrpcFrame.MAX_PAYLOAD) {
            return CompletableFuture.failedFuture(Status.RESOURCE_EXHAUSTED.withDescription("ttrpc: request of "
                    + bytes.length + " bytes exceeds the maximum message size of " + TtrpcFrame.MAX_PAYLOAD)
                    .asRuntimeException());
        }
        int streamId = nextStreamId.getAndAdd(2);
        CompletableFuture<Response> answer = new CompletableFuture<>();
        pending.put(streamId, new Pending(answer));
        if (!channel.isActive()) {
            pending.remove(streamId);
            return CompletableFuture.failedFuture(Status.UNAVAILABLE.withDescription("ttrpc: closed").asRuntimeException());
        }
        channel.writeAndFlush(TtrpcFrame.of(streamId, TtrpcFrame.TYPE_REQUEST, Unpooled.wrappedBuffer(bytes)))
                .addListener(f -> {
                    if (!f.isSuccess()) {
                        Pending p = pending.remove(streamId);
                        if (p != null) {
                            p.future().completeExceptionally(Status.UNAVAILABLE.withDescription("ttrpc: cannot send: "
                                    + f.cause().getMessage()).asRuntimeException());
                        }
                    }
                });
        CompletableFuture<R> result = answer.thenApply(response -> {
            if (response.hasStatus() && response.getStatus().getCode() != Status.Code.OK.value()) {
                throw TtrpcStatus.fromProto(response.getStatus()).asRuntimeException();
            }
            try (InputStream in = response.getPayload().newInput()) {
                return method.parseResponse(in);
            } catch (IOException | RuntimeException e) {
                throw Status.INTERNAL.withDescription("ttrpc: cannot decode the response of "
                        + method.getFullMethodName() + ": " + e.getMessage()).asRuntimeException();
            }
        });
        result.whenComplete((r, e) -> pending.remove(streamId));
        return result;
    }

    private void received(TtrpcFrame frame) {
        if (frame.tooLong() >= 0) {
            Pending p = pending.remove(frame.streamId());
            if (p != null) {
                p.future().completeExceptionally(Status.RESOURCE_EXHAUSTED.withDescription("message length "
                        + frame.tooLong() + " exceed maximum message size of " + TtrpcFrame.MAX_PAYLOAD)
                        .asRuntimeException());
            }
            return;
        }
        if (frame.type() != TtrpcFrame.TYPE_RESPONSE) {
            return;
        }
        Pending p = pending.remove(frame.streamId());
        if (p == null) {
            return; // an answer nobody waits for any more (timed out)
        }
        try {
            p.future().complete(Response.parseFrom(frame.payload().nioBuffer()));
        } catch (InvalidProtocolBufferException e) {
            p.future().completeExceptionally(Status.INTERNAL.withDescription("ttrpc: bad response: " + e.getMessage())
                    .asRuntimeException());
        }
    }

    private void failAll(Status status) {
        for (Integer id : pending.keySet()) {
            Pending p = pending.remove(id);
            if (p != null) {
                p.future().completeExceptionally(status.asRuntimeException());
            }
        }
    }

    /** @return whether the connection is open */
    public boolean isOpen() {
        return channel.isActive();
    }

    /**
     * Calls {@code action} once when the server closes the connection (the shim died), not after {@link #close};
     * at once when it is closed already. containerd 1.6 does this with ttrpc's {@code WithOnClose}.
     *
     * @param action run on the connection's event loop thread: it must hand long work to another thread
     * @return this client
     */
    public TtrpcClient onLost(Runnable action) {
        onLost = action;
        if (!channel.isActive()) {
            lost();
        }
        return this;
    }

    private void lost() {
        Runnable r = onLost;
        onLost = null;
        if (r != null && !closing) {
            r.run();
        }
    }

    /** Closes the connection; calls still waiting fail with {@code UNAVAILABLE}. */
    @Override
    public void close() {
        closing = true;
        channel.close().syncUninterruptibly();
        failAll(Status.UNAVAILABLE.withDescription("ttrpc: closed"));
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    /**
     * @return the next stream id this client will use (odd, increasing)
     */
    int nextStreamId() {
        return nextStreamId.get();
    }

}
