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
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A few calls of Kubernetes' CRI ({@code runtime.v1.RuntimeService}, k8s.io/cri-api {@code api.proto}), as the
 * kubelet makes them on containerd's socket, without generated classes: each message is written and read field
 * by field (protobuf's wire format, the field numbers of api.proto), for {@code Version}, {@code Status} and one
 * pod's life: {@code RunPodSandbox} with a runtime handler, {@code CreateContainer}, {@code StartContainer},
 * {@code ContainerStatus}, {@code StopPodSandbox}, {@code RemovePodSandbox}. Stands in for {@code crictl}, which
 * Debian 12 does not package.
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

    /** NamespaceMode of api.proto: POD 0, CONTAINER 1, NODE 2. */
    static final int POD = 0;
    static final int CONTAINER = 1;
    static final int NODE = 2;

    /**
     * A PodSandboxConfig: metadata (name, uid, namespace {@code default}), the log directory, and Linux options
     * (the cgroup parent; namespace options: the node's network, a pid namespace per container, the pod's IPC).
     *
     * @param name         the pod's name (also its uid here)
     * @param logDirectory the pod's log directory on the host
     * @param cgroupParent the pod's cgroup parent (cgroupfs syntax)
     * @return the encoded message
     */
    static byte[] podConfig(String name, String logDirectory, String cgroupParent) throws IOException {
        byte[] metadata = message(w -> {
            w.writeString(1, name);
            w.writeString(2, name);
            w.writeString(3, "default");
        });
        byte[] namespaces = message(w -> {
            w.writeEnum(1, NODE);
            w.writeEnum(2, CONTAINER);
            w.writeEnum(3, POD);
        });
        byte[] security = message(w -> w.writeByteArray(1, namespaces));
        byte[] linux = message(w -> {
            w.writeString(1, cgroupParent);
            w.writeByteArray(2, security);
        });
        return message(w -> {
            w.writeByteArray(1, metadata);
            w.writeString(3, logDirectory);
            w.writeByteArray(8, linux);
        });
    }

    /**
     * {@code RunPodSandbox}: the pod's sandbox container (the configured sandbox image) through the handler.
     *
     * @param podConfig {@link #podConfig}
     * @param handler   the runtime handler ({@code runtime_handler}), a RuntimeClass's {@code handler}
     * @return the sandbox's id
     */
    String runPodSandbox(byte[] podConfig, String handler) throws IOException {
        return string(UnknownFieldSet.parseFrom(call("RunPodSandbox", message(w -> {
            w.writeByteArray(1, podConfig);
            w.writeString(2, handler);
        }))), 1);
    }

    /**
     * {@code CreateContainer} in a sandbox: an image and a command, its log at {@code logPath} under the pod's
     * log directory, a pid namespace of its own, the pod's network (the node's) and IPC.
     *
     * @return the container's id
     */
    String createContainer(String sandboxId, byte[] podConfig, String name, String image, List<String> command,
                           String logPath) throws IOException {
        byte[] metadata = message(w -> w.writeString(1, name));
        byte[] imageSpec = message(w -> w.writeString(1, image));
        byte[] namespaces = message(w -> {
            w.writeEnum(1, NODE);
            w.writeEnum(2, CONTAINER);
            w.writeEnum(3, POD);
        });
        byte[] security = message(w -> w.writeByteArray(3, namespaces));
        byte[] linux = message(w -> w.writeByteArray(2, security));
        byte[] config = message(w -> {
            w.writeByteArray(1, metadata);
            w.writeByteArray(2, imageSpec);
            for (String c : command) {
                w.writeString(3, c);
            }
            w.writeString(11, logPath);
            w.writeByteArray(15, linux);
        });
        return string(UnknownFieldSet.parseFrom(call("CreateContainer", message(w -> {
            w.writeString(1, sandboxId);
            w.writeByteArray(2, config);
            w.writeByteArray(3, podConfig);
        }))), 1);
    }

    /** {@code StartContainer}. */
    void startContainer(String id) throws IOException {
        call("StartContainer", message(w -> w.writeString(1, id)));
    }

    /**
     * {@code ContainerStatus}.
     *
     * @return {@code state} (0 created, 1 running, 2 exited, 3 unknown), {@code exit_code}, {@code reason},
     *         {@code message}, as strings
     */
    Map<String, String> containerStatus(String id) throws IOException {
        UnknownFieldSet reply = UnknownFieldSet.parseFrom(call("ContainerStatus", message(w -> w.writeString(1, id))));
        UnknownFieldSet status = UnknownFieldSet.parseFrom(reply.getField(1).getLengthDelimitedList().get(0));
        Map<String, String> out = new LinkedHashMap<>();
        out.put("state", Long.toString(varint(status, 3)));
        out.put("exit_code", Integer.toString((int) varint(status, 7)));
        out.put("reason", string(status, 10));
        out.put("message", string(status, 11));
        return out;
    }

    /** {@code StopPodSandbox}, then {@code RemovePodSandbox} (its containers with it). */
    void stopAndRemovePod(String sandboxId) throws IOException {
        call("StopPodSandbox", message(w -> w.writeString(1, sandboxId)));
        call("RemovePodSandbox", message(w -> w.writeString(1, sandboxId)));
    }

    private static long varint(UnknownFieldSet message, int field) {
        UnknownFieldSet.Field f = message.getField(field);
        return f == null || f.getVarintList().isEmpty() ? 0 : f.getVarintList().get(0);
    }

    private byte[] call(String method, byte[] request) {
        MethodDescriptor<byte[], byte[]> md = MethodDescriptor.<byte[], byte[]>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, method))
                .setRequestMarshaller(BYTES).setResponseMarshaller(BYTES).build();
        return ClientCalls.blockingUnaryCall(channel, md, CallOptions.DEFAULT.withDeadlineAfter(120, TimeUnit.SECONDS),
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
