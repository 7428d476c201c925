package dev.rabbithole.stage3.containerd;

import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.AbstractStub;
import io.grpc.stub.MetadataUtils;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** A gRPC client of our containerd for tests: one channel on the unix socket, stubs with a namespace header. */
final class GrpcClient implements AutoCloseable {

    final EventLoopGroup group = new EpollEventLoopGroup(1);
    final ManagedChannel channel;

    GrpcClient(Path socket) {
        channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollDomainSocketChannel.class).eventLoopGroup(group).usePlaintext().build();
    }

    /** @return the stub sending {@code containerd-namespace: ns}, or no namespace when ns is null */
    static <S extends AbstractStub<S>> S ns(S stub, String ns) {
        if (ns == null) {
            return stub;
        }
        Metadata md = new Metadata();
        md.put(Namespaces.HEADER, ns);
        return stub.withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md));
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
}
