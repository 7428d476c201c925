package dev.rabbithole.stage4.interop;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.UnknownFieldSet;
import io.grpc.CallOptions;
import io.grpc.ManagedChannel;
import io.grpc.MethodDescriptor;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCalls;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollEventLoopGroup;
import io.netty.channel.unix.DomainSocketAddress;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A few calls of Kubernetes' CRI ({@code runtime.v1.RuntimeService}, k8s.io/cri-api {@code api.proto}), as the
 * kubelet makes them on containerd's socket, without generated classes: each message is written and read field
 * by field (protobuf's wire format), which is enough for {@code Version} and {@code Status}. Stands in for
 * {@code crictl}, which Debian 12 does not package.
 */
final class CriClient implements AutoCloseable {

    private static final String SERVICE = "runtime.v1.RuntimeService";
    private static final MethodDescriptor.Marshaller<byte[]> BYTES = new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
            return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
            try {
                return stream.readAllBytes();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    };

    private final EventLoopGroup group = new EpollEventLoopGroup(1);
    private final ManagedChannel channel;

    /** @param socket containerd's gRPC socket, where its CRI plugin serves */
    CriClient(Path socket) {
        channel = NettyChannelBuilder.forAddress(new DomainSocketAddress(socket.toString()))
                .channelType(EpollDomainSocketChannel.class).eventLoopGroup(group).usePlaintext().build();
    }

    /**
     * {@code Version}: the runtime's name and versions.
     *
     * @return VersionResponse's fields: version, runtime_name, runtime_version, runtime_api_version
     */
    Map<String, String> version() throws IOException {
        UnknownFieldSet reply = UnknownFieldSet.parseFrom(call("Version", message(w -> w.writeString(1, "v1"))));
        Map<String, String> out = new LinkedHashMap<>();
        String[] names = {"version", "runtime_name", "runtime_version", "runtime_api_version"};
        for (int i = 0; i < names.length; i++) {
            out.put(names[i], string(reply, i + 1));
        }
        return out;
    }

    /**
     * {@code Status} with {@code verbose = true}: containerd answers its conditions and, in {@code info}, its CRI
     * configuration as JSON (key {@code config}).
     *
     * @return StatusResponse's {@code info} map
     */
    Map<String, String> statusInfo() throws IOException {
        UnknownFieldSet reply = UnknownFieldSet.parseFrom(call("Status", message(w -> w.writeBool(1, true))));
        Map<String, String> info = new LinkedHashMap<>();
        UnknownFieldSet.Field entries = reply.getField(2);
        if (entries != null) {
            for (ByteString e : entries.getLengthDelimitedList()) {
                UnknownFieldSet kv = UnknownFieldSet.parseFrom(e);
                info.put(string(kv, 1), string(kv, 2));
            }
        }
        return info;
    }

    private byte[] call(String method, byte[] request) {
        MethodDescriptor<byte[], byte[]> md = MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, method))
                .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
        return ClientCalls.blockingUnaryCall(channel, md, CallOptions.DEFAULT.withDeadlineAfter(30, TimeUnit.SECONDS),
                request);
    }

    private interface Writer {
        void write(CodedOutputStream out) throws IOException;
    }

    private static byte[] message(Writer writer) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        CodedOutputStream out = CodedOutputStream.newInstance(bytes);
        writer.write(out);
        out.flush();
        return bytes.toByteArray();
    }

    private static String string(UnknownFieldSet message, int field) {
        UnknownFieldSet.Field f = message.getField(field);
        return f == null || f.getLengthDelimitedList().isEmpty() ? "" : f.getLengthDelimitedList().get(0).toStringUtf8();
    }

    @Override
    public void close() throws InterruptedException {
        channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
    }
}
