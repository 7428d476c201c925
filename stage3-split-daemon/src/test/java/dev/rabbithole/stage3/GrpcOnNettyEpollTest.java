package dev.rabbithole.stage3;

import com.google.protobuf.Empty;
import dev.rabbithole.stage3.api.version.VersionGrpc;
import dev.rabbithole.stage3.api.version.VersionResponse;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.util.Version;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * grpc-java's Netty transport (grpc-netty, not the shaded one) on the project's Netty 4.1 over an epoll unix
 * socket, as stage 3's containerd will serve {@code containerd.services.version.v1.Version}, with the namespace in
 * the {@code containerd-namespace} header as containerd's clients send it.
 */
class GrpcOnNettyEpollTest {

    static final Metadata.Key<String> NAMESPACE = Metadata.Key.of("containerd-namespace", Metadata.ASCII_STRING_MARSHALLER);

    @Test
    void aVersionCallOverAUnixSocket(@TempDir Path dir) throws Exception {
        assertThat(Version.identify().get("netty-transport").artifactVersion()).startsWith("4.1.");
        Path socket = dir.resolve("containerd.sock");
        AtomicReference<String> namespace = new AtomicReference<>();
        ServerInterceptor headers = new ServerInterceptor() {
            @Override
            public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata md, ServerCallHandler<Q, R> next) {
                namespace.set(md.get(NAMESPACE));
                return next.startCall(call, md);
            }
        };
        VersionGrpc.VersionImplBase impl = new VersionGrpc.VersionImplBase() {
            @Override
            public void version(Empty request, StreamObserver<VersionResponse> reply) {
                reply.onNext(VersionResponse.newBuilder().setVersion("v1.6.20-rabbithole").setRevision("r").build());
                reply.onCompleted();
            }
        };
        EventLoopGroup group = new EpollEventLoopGroup(1);
        Server server = NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollServerDomainSocketChannel.class)
                .bossEventLoopGroup(group).workerEventLoopGroup(group)
                .addService(ServerInterceptors.intercept(impl, headers))
                .build().start();
        ManagedChannel channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollDomainSocketChannel.class)
                .eventLoopGroup(group)
                .usePlaintext()
                .build();
        try {
            Metadata md = new Metadata();
            md.put(NAMESPACE, "moby");
            VersionResponse r = VersionGrpc.newBlockingStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md))
                    .withDeadlineAfter(10, TimeUnit.SECONDS)
                    .version(Empty.getDefaultInstance());
            assertThat(r.getVersion()).isEqualTo("v1.6.20-rabbithole");
            assertThat(namespace.get()).isEqualTo("moby");
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }
}
