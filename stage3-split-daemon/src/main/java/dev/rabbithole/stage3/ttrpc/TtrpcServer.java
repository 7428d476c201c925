package dev.rabbithole.stage3.ttrpc;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.rabbithole.stage3.ttrpc.wire.KeyValue;
import dev.rabbithole.stage3.ttrpc.wire.Request;
import dev.rabbithole.stage3.ttrpc.wire.Response;
import io.grpc.BindableService;
import io.grpc.Context;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.channel.unix.DomainSocketChannel;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A ttrpc server on a unix socket (Netty, epoll): containerd's small RPC protocol for shims, the server side.
 * It reads request frames ({@link TtrpcFrame}), dispatches each {@code ttrpc.Request} by its service and method
 * name, and answers on the same stream id with a {@code ttrpc.Response} (a {@code google.rpc.Status} and the
 * reply message). Calls on one connection run concurrently on a worker pool, as ttrpc's Go server runs each in its
 * own goroutine.
 *
 * <p>Services are gRPC service definitions (what protoc's gRPC generator gives, e.g. an implementation of
 * {@code TaskGrpc.TaskImplBase}); only unary methods are served (ttrpc 1.1 has no streams). A handler fails a call
 * with a {@link io.grpc.StatusRuntimeException}; any other exception is reported as {@code UNKNOWN} with its message.
 * While a handler runs, {@link #METADATA} holds the request's metadata and the gRPC {@link Context} carries the
 * caller's deadline ({@code timeout_nano}) when it sent one.
 *
 * <p>Errors as ttrpc v1.1 sends them (server.go, services.go): an unknown service {@code UNIMPLEMENTED "service
 * NAME"}, an unknown method {@code UNIMPLEMENTED "method NAME"}, an unparsable request {@code INVALID_ARGUMENT}, an
 * even stream id {@code INVALID_ARGUMENT}, an oversized message {@code RESOURCE_EXHAUSTED}; frames of another type
 * are ignored.
 */
public final class TtrpcServer implements AutoCloseable {

    /** The metadata of the call being served: key to values in the order sent; empty when none was sent. */
    public static final Context.Key<Map<String, List<String>>> METADATA = Context.key("ttrpc-metadata");

    private final Map<String, Map<String, ServerMethodDefinition<?, ?>>> services = new ConcurrentHashMap<>();
    private final ExecutorService workers = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "ttrpc-server");
        t.setDaemon(true);
        return t;
    });
    private final ScheduledExecutorService deadlines = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "ttrpc-deadline");
        t.setDaemon(true);
        return t;
    });
    private EventLoopGroup group;
    private Channel server;
    private Path socket;

    /**
     * Serves a service's unary methods under its full name (e.g. {@code containerd.task.v2.Task}).
     *
     * @param service the service implementation
     * @return this server
     */
    public TtrpcServer addService(BindableService service) {
        return addService(service.bindService());
    }

    /**
     * Serves a service definition's unary methods under the definition's service name.
     *
     * @param definition the definition, e.g. from {@code ServerInterceptors.intercept(...)}
     * @return this server
     * @throws IllegalArgumentException if the service has a streaming method (ttrpc 1.1 has no streams)
     */
    public TtrpcServer addService(ServerServiceDefinition definition) {
        Map<String, ServerMethodDefinition<?, ?>> methods = new LinkedHashMap<>();
        for (ServerMethodDefinition<?, ?> m : definition.getMethods()) {
            if (m.getMethodDescriptor().getType() != MethodDescriptor.MethodType.UNARY) {
                throw new IllegalArgumentException("ttrpc serves unary methods only: "
                        + m.getMethodDescriptor().getFullMethodName());
            }
            methods.put(m.getMethodDescriptor().getBareMethodName(), m);
        }
        services.put(definition.getServiceDescriptor().getName(), methods);
        return this;
    }

    /**
     * Listens on a unix socket: removes a stale socket file first, creates the parent directories.
     *
     * @param path the socket path (at most 107 bytes, the kernel's sun_path)
     * @return this server
     * @throws IOException if the socket cannot be bound
     */
    public TtrpcServer start(Path path) throws IOException {
        Files.createDirectories(path.toAbsolutePath().getParent());
        Files.deleteIfExists(path);
        group = new EpollEventLoopGroup(1);
        try {
            server = new ServerBootstrap()
                    .group(group)
                    .channel(EpollServerDomainSocketChannel.class)
                    .childHandler(new ChannelInitializer<DomainSocketChannel>() {
                        @Override
                        protected void initChannel(DomainSocketChannel ch) {
                            ch.pipeline().addLast(new TtrpcFrameCodec(), new Connection());
                        }
                    })
                    .bind(new DomainSocketAddress(path.toString())).sync().channel();
        } catch (Exception e) {
            group.shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
            throw new IOException("ttrpc: cannot listen on " + path + ": " + e.getMessage(), e);
        }
        socket = path;
        return this;
    }

    /** @return the socket path this server listens on, null before {@link #start} */
    public Path socket() {
        return socket;
    }

    /** Stops listening, closes every connection and removes the socket file; a second call does nothing. */
    @Override
    public synchronized void close() {
        if (server != null) {
            server.close().syncUninterruptibly();
            server = null;
        }
        if (group != null) {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
            group = null;
        }
        workers.shutdownNow();
        deadlines.shutdownNow();
        if (socket != null) {
            try {
                Files.deleteIfExists(socket);
            } catch (IOException e) {
                // the socket file stays; a later start removes it
            }
            socket = null;
        }
    }

    /** One client connection: decodes requests, runs them on the workers, writes each reply on its stream id. */
    private final class Connection extends SimpleChannelInboundHandler<TtrpcFrame> {

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, TtrpcFrame frame) {
            if (frame.tooLong() >= 0) {
                reply(ctx.channel(), frame.streamId(), Status.RESOURCE_EXHAUSTED.withDescription("message length "
                        + frame.tooLong() + " exceed maximum message size of " + TtrpcFrame.MAX_PAYLOAD), null);
                return;
            }
            if (frame.type() != TtrpcFrame.TYPE_REQUEST) {
                return;
            }
            Request request;
            try {
                request = Request.parseFrom(frame.payload().nioBuffer());
            } catch (InvalidProtocolBufferException e) {
                reply(ctx.channel(), frame.streamId(),
                        Status.INVALID_ARGUMENT.withDescription("unmarshal request error: " + e.getMessage()), null);
                return;
            }
            if ((frame.streamId() & 1) == 0) {
                reply(ctx.channel(), frame.streamId(),
                        Status.INVALID_ARGUMENT.withDescription("StreamID must be odd for client initiated streams"), null);
                return;
            }
            Channel channel = ctx.channel();
            int streamId = frame.streamId();
            workers.execute(() -> serve(channel, streamId, request));
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    private void serve(Channel channel, int streamId, Request request) {
        Map<String, ServerMethodDefinition<?, ?>> methods = services.get(request.getService());
        if (methods == null) {
            reply(channel, streamId, Status.UNIMPLEMENTED.withDescription("service " + request.getService()), null);
            return;
        }
        ServerMethodDefinition<?, ?> method = methods.get(request.getMethod());
        if (method == null) {
            reply(channel, streamId, Status.UNIMPLEMENTED.withDescription("method " + request.getMethod()), null);
            return;
        }
        Map<String, List<String>> metadata = new LinkedHashMap<>();
        for (KeyValue kv : request.getMetadataList()) {
            metadata.computeIfAbsent(kv.getKey(), k -> new ArrayList<>()).add(kv.getValue());
        }
        metadata.replaceAll((k, v) -> Collections.unmodifiableList(v));
        Context.CancellableContext context = request.getTimeoutNano() > 0
                ? Context.current().withValue(METADATA, Collections.unmodifiableMap(metadata))
                        .withDeadlineAfter(request.getTimeoutNano(), TimeUnit.NANOSECONDS, deadlines)
                : Context.current().withValue(METADATA, Collections.unmodifiableMap(metadata)).withCancellation();
        try {
            UnaryCall<?, ?> call = context.call(() -> invoke(method, request.getPayload()));
            reply(channel, streamId, call.status, call.reply);
        } catch (Exception e) {
            reply(channel, streamId, TtrpcStatus.fromThrowable(e), null);
        } finally {
            context.cancel(null);
        }
    }

    private static <Q, R> UnaryCall<Q, R> invoke(ServerMethodDefinition<Q, R> method, ByteString payload) {
        MethodDescriptor<Q, R> descriptor = method.getMethodDescriptor();
        Q message;
        try (InputStream in = payload.newInput()) {
            message = descriptor.parseRequest(in);
        } catch (RuntimeException | IOException e) {
            UnaryCall<Q, R> failed = new UnaryCall<>(descriptor);
            failed.status = Status.INTERNAL.withDescription("ttrpc: error unmarshalling payload: " + e.getMessage());
            return failed;
        }
        UnaryCall<Q, R> call = new UnaryCall<>(descriptor);
        ServerCallHandler<Q, R> handler = method.getServerCallHandler();
        ServerCall.Listener<Q> listener = handler.startCall(call, new Metadata());
        try {
            listener.onMessage(message);
            listener.onHalfClose();
        } catch (RuntimeException e) {
            if (call.status == null) {
                call.status = TtrpcStatus.fromThrowable(e);
            }
        }
        if (call.status == null) {
            call.status = Status.INTERNAL.withDescription("ttrpc: " + descriptor.getFullMethodName()
                    + " returned without an answer");
        }
        if (call.status.isOk()) {
            listener.onComplete();
        } else {
            listener.onCancel();
        }
        return call;
    }

    private static void reply(Channel channel, int streamId, Status status, byte[] payload) {
        Response.Builder response = Response.newBuilder().setStatus(TtrpcStatus.toProto(status));
        if (status.isOk() && payload != null) {
            response.setPayload(ByteString.copyFrom(payload));
        }
        byte[] bytes = response.build().toByteArray();
        if (bytes.length > TtrpcFrame.MAX_PAYLOAD) {
            bytes = Response.newBuilder().setStatus(TtrpcStatus.toProto(Status.RESOURCE_EXHAUSTED.withDescription(
                    "response of " + bytes.length + " bytes exceeds the maximum message size of "
                            + TtrpcFrame.MAX_PAYLOAD))).build().toByteArray();
        }
        channel.writeAndFlush(TtrpcFrame.of(streamId, TtrpcFrame.TYPE_RESPONSE, Unpooled.wrappedBuffer(bytes)));
    }

    /**
     * The one call of a unary method, as gRPC's generated handler sees it: it collects the reply message and the
     * closing status instead of writing them to HTTP/2.
     */
    private static final class UnaryCall<Q, R> extends ServerCall<Q, R> {
        private final MethodDescriptor<Q, R> method;
        private byte[] reply;
        private Status status;

        UnaryCall(MethodDescriptor<Q, R> method) {
            this.method = method;
        }

        @Override
        public void request(int numMessages) {
        }

        @Override
        public void sendHeaders(Metadata headers) {
        }

        @Override
        public void sendMessage(R message) {
            try (InputStream in = method.streamResponse(message)) {
                reply = in.readAllBytes();
            } catch (IOException e) {
                throw new IllegalStateException("ttrpc: cannot encode the reply of " + method.getFullMethodName(), e);
            }
        }

        @Override
        public void close(Status closing, Metadata trailers) {
            // a handler's onError(plain exception) arrives as UNKNOWN with the exception as cause
            status = closing.getCode() == Status.Code.UNKNOWN && closing.getDescription() == null
                    && closing.getCause() != null ? TtrpcStatus.fromThrowable(closing.getCause()) : closing;
        }

        @Override
        public boolean isCancelled() {
            return Context.current().isCancelled();
        }

        @Override
        public boolean isReady() {
            return true;
        }

        @Override
        public MethodDescriptor<Q, R> getMethodDescriptor() {
            return method;
        }
    }

}
