package dev.rabbithole.stage3.ttrpc;

import com.google.protobuf.Empty;
import dev.rabbithole.stage3.api.shim.ConnectRequest;
import dev.rabbithole.stage3.api.shim.ConnectResponse;
import dev.rabbithole.stage3.api.shim.CreateTaskRequest;
import dev.rabbithole.stage3.api.shim.CreateTaskResponse;
import dev.rabbithole.stage3.api.shim.DeleteRequest;
import dev.rabbithole.stage3.api.shim.DeleteResponse;
import dev.rabbithole.stage3.api.shim.KillRequest;
import dev.rabbithole.stage3.api.shim.StateRequest;
import dev.rabbithole.stage3.api.shim.StateResponse;
import dev.rabbithole.stage3.api.shim.TaskGrpc;
import dev.rabbithole.stage3.api.shim.WaitRequest;
import dev.rabbithole.stage3.api.shim.WaitResponse;
import dev.rabbithole.stage3.api.types.task.Status;
import dev.rabbithole.stage3.ttrpc.wire.KeyValue;
import dev.rabbithole.stage3.ttrpc.wire.Request;
import dev.rabbithole.stage3.ttrpc.wire.Response;
import io.grpc.Context;
import io.grpc.MethodDescriptor;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.DataInputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A ttrpc client and server in one JVM, on a unix socket, serving a fake of the shim API. */
class TtrpcTest {

    @TempDir
    static Path dir;
    static TtrpcServer server;
    static Path socket;
    static final Duration T = Duration.ofSeconds(10);
    /** Waits inside Wait until released: shows calls overlap on one connection. */
    static volatile CountDownLatch waitGate = new CountDownLatch(0);

    /** A fake shim: enough behaviour to see requests, replies, errors, metadata and deadlines cross the wire. */
    static final class FakeShim extends TaskGrpc.TaskImplBase {
        @Override
        public void create(CreateTaskRequest request, StreamObserver<CreateTaskResponse> reply) {
            reply.onNext(CreateTaskResponse.newBuilder().setPid(request.getId().length() + 1000).build());
            reply.onCompleted();
        }

        @Override
        public void state(StateRequest request, StreamObserver<StateResponse> reply) {
            if (!request.getId().equals("c1")) {
                reply.onError(io.grpc.Status.NOT_FOUND.withDescription("container " + request.getId() + " not found")
                        .asRuntimeException());
                return;
            }
            reply.onNext(StateResponse.newBuilder().setId("c1").setPid(42).setStatus(Status.RUNNING).build());
            reply.onCompleted();
        }

        @Override
        public void delete(DeleteRequest request, StreamObserver<DeleteResponse> reply) {
            throw new IllegalStateException("runc delete failed: exit status 1");
        }

        @Override
        public void kill(KillRequest request, StreamObserver<Empty> reply) {
            reply.onError(new IllegalArgumentException("bad signal " + request.getSignal()));
        }

        @Override
        public void connect(ConnectRequest request, StreamObserver<ConnectResponse> reply) {
            Map<String, List<String>> md = TtrpcServer.METADATA.get();
            long left = Context.current().getDeadline() == null ? -1
                    : Context.current().getDeadline().timeRemaining(TimeUnit.MILLISECONDS);
            reply.onNext(ConnectResponse.newBuilder()
                    .setVersion(md.getOrDefault("containerd-namespace-ttrpc", List.of()) + " " + md.get("k") + " "
                            + (left > 0 && left <= 5000))
                    .build());
            reply.onCompleted();
        }

        @Override
        public void wait(WaitRequest request, StreamObserver<WaitResponse> reply) {
            try {
                waitGate.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            reply.onNext(WaitResponse.newBuilder().setExitStatus(Integer.parseInt(request.getExecId())).build());
            reply.onCompleted();
        }
    }

    @BeforeAll
    static void start() throws IOException {
        socket = dir.resolve("ttrpc.sock");
        server = new TtrpcServer().addService(new FakeShim()).start(socket);
    }

    @AfterAll
    static void stop() {
        server.close();
        assertThat(socket).doesNotExist();
    }

    @Test
    void aCallCrossesTheWireAndComesBack() throws IOException {
        try (TtrpcClient client = TtrpcClient.connect("unix://" + socket)) {
            CreateTaskResponse r = client.call(TaskGrpc.getCreateMethod(),
                    CreateTaskRequest.newBuilder().setId("abcd").setBundle("/b").build(), T);
            assertThat(r.getPid()).isEqualTo(1004);
            StateResponse s = client.call(TaskGrpc.getStateMethod(), StateRequest.newBuilder().setId("c1").build(), T);
            assertThat(s.getStatus()).isEqualTo(Status.RUNNING);
            assertThat(s.getPid()).isEqualTo(42);
            assertThat(client.nextStreamId()).isEqualTo(5);
        }
    }

    @Test
    void errorsArriveAsTheirStatusCodeAndMessage() throws IOException {
        try (TtrpcClient client = TtrpcClient.connect(socket.toString())) {
            assertThatThrownBy(() -> client.call(TaskGrpc.getStateMethod(), StateRequest.newBuilder().setId("nope").build(), T))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.NOT_FOUND);
                        assertThat(e.getStatus().getDescription()).isEqualTo("container nope not found");
                    });
            // a plain exception, thrown or passed to onError: UNKNOWN with its message, as ttrpc's Go server does
            assertThatThrownBy(() -> client.call(TaskGrpc.getDeleteMethod(), DeleteRequest.newBuilder().setId("c1").build(), T))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.UNKNOWN);
                        assertThat(e.getStatus().getDescription()).isEqualTo("runc delete failed: exit status 1");
                    });
            assertThatThrownBy(() -> client.call(TaskGrpc.getKillMethod(), KillRequest.newBuilder().setSignal(99).build(), T))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                            assertThat(e.getStatus().getDescription()).isEqualTo("bad signal 99"));
            // the connection is still good after errors
            assertThat(client.call(TaskGrpc.getStateMethod(), StateRequest.newBuilder().setId("c1").build(), T).getPid())
                    .isEqualTo(42);
        }
    }

    @Test
    void unknownServicesAndMethodsAreUnimplemented() throws IOException {
        MethodDescriptor<Empty, Empty> noMethod = unary("containerd.task.v2.Task", "Frobnicate");
        MethodDescriptor<Empty, Empty> noService = unary("containerd.task.v9.Task", "State");
        try (TtrpcClient client = TtrpcClient.connect(socket.toString())) {
            assertThatThrownBy(() -> client.call(noMethod, Empty.getDefaultInstance(), T))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                        assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.UNIMPLEMENTED);
                        assertThat(e.getStatus().getDescription()).isEqualTo("method Frobnicate");
                    });
            assertThatThrownBy(() -> client.call(noService, Empty.getDefaultInstance(), T))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                            assertThat(e.getStatus().getDescription()).isEqualTo("service containerd.task.v9.Task"));
        }
    }

    @Test
    void metadataAndTheDeadlineReachTheHandler() throws IOException {
        try (TtrpcClient client = TtrpcClient.connect(socket.toString(), Map.of("containerd-namespace-ttrpc", "ns1"))) {
            ConnectResponse r = client.callAsync(TaskGrpc.getConnectMethod(), ConnectRequest.getDefaultInstance(),
                    Duration.ofSeconds(5), Map.of("k", "v")).join();
            assertThat(r.getVersion()).isEqualTo("[ns1] [v] true");
        }
    }

    @Test
    void callsOverlapOnOneConnectionAndEachAnswerFindsItsCaller() throws Exception {
        waitGate = new CountDownLatch(1);
        try (TtrpcClient client = TtrpcClient.connect(socket.toString())) {
            List<CompletableFuture<WaitResponse>> calls = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                calls.add(client.callAsync(TaskGrpc.getWaitMethod(),
                        WaitRequest.newBuilder().setExecId(Integer.toString(i)).build(), T, Map.of()));
            }
            // a call made while eight wait is answered first
            assertThat(client.call(TaskGrpc.getStateMethod(), StateRequest.newBuilder().setId("c1").build(), T).getPid())
                    .isEqualTo(42);
            assertThat(calls).noneMatch(CompletableFuture::isDone);
            waitGate.countDown();
            for (int i = 0; i < 8; i++) {
                assertThat(calls.get(i).get(10, TimeUnit.SECONDS).getExitStatus()).isEqualTo(i);
            }
        }
    }

    @Test
    void aClientTimeoutIsDeadlineExceededAndAClosedServerUnavailable() throws Exception {
        waitGate = new CountDownLatch(1);
        Path other = dir.resolve("other.sock");
        TtrpcServer second = new TtrpcServer().addService(new FakeShim()).start(other);
        try (TtrpcClient client = TtrpcClient.connect(other.toString())) {
            assertThatThrownBy(() -> client.call(TaskGrpc.getWaitMethod(), WaitRequest.newBuilder().setExecId("1").build(),
                    Duration.ofMillis(200)))
                    .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                            assertThat(e.getStatus().getCode()).isEqualTo(io.grpc.Status.Code.DEADLINE_EXCEEDED));
            CompletableFuture<WaitResponse> pending = client.callAsync(TaskGrpc.getWaitMethod(),
                    WaitRequest.newBuilder().setExecId("2").build(), null, Map.of());
            second.close();
            assertThatThrownBy(() -> pending.get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(StatusRuntimeException.class)
                    .hasMessageContaining("UNAVAILABLE");
        } finally {
            waitGate.countDown();
            second.close();
        }
    }

    @Test
    void aServiceWithAStreamingMethodIsRefused() {
        // containerd's gRPC Events has Subscribe (server streaming); ttrpc 1.1 carries unary calls only
        assertThatThrownBy(() -> new TtrpcServer().addService(new dev.rabbithole.stage3.api.events.EventsGrpc.EventsImplBase() {
        })).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("Events/Subscribe");
    }

    @Test
    void theRequestMessageHasTtrpcsFieldNumbers() {
        // ttrpc.Request{service=1 "s", method=2 "m", payload=3 0x01, timeout_nano=4 5, metadata=5 {key=1 "k", value=2 "v"}}
        byte[] bytes = Request.newBuilder().setService("s").setMethod("m")
                .setPayload(com.google.protobuf.ByteString.copyFrom(new byte[] {1})).setTimeoutNano(5)
                .addMetadata(KeyValue.newBuilder().setKey("k").setValue("v")).build().toByteArray();
        assertThat(HexFormat.of().formatHex(bytes)).isEqualTo("0a0173" + "12016d" + "1a0101" + "2005" + "2a06" + "0a016b" + "120176");
        // ttrpc.Response{status=1 google.rpc.Status{code=1 5, message=2 "x"}, payload=2}
        byte[] response = Response.newBuilder().setStatus(com.google.rpc.Status.newBuilder().setCode(5).setMessage("x"))
                .setPayload(com.google.protobuf.ByteString.copyFrom(new byte[] {7})).build().toByteArray();
        assertThat(HexFormat.of().formatHex(response)).isEqualTo("0a05" + "0805" + "120178" + "120107");
    }

    @Test
    void rawFramesEvenStreamIdsAndOversizedMessagesAreAnsweredAsTtrpcDoes() throws IOException {
        try (SocketChannel raw = SocketChannel.open(StandardProtocolFamily.UNIX)) {
            raw.connect(UnixDomainSocketAddress.of(socket));
            DataInputStream in = new DataInputStream(Channels.newInputStream(raw));
            byte[] state = Request.newBuilder().setService("containerd.task.v2.Task").setMethod("State")
                    .setPayload(StateRequest.newBuilder().setId("c1").build().toByteString()).build().toByteArray();

            writeFrame(raw, 7, state);
            Frame ok = readFrame(in);
            assertThat(ok.streamId).isEqualTo(7);
            assertThat(ok.type).isEqualTo(TtrpcFrame.TYPE_RESPONSE);
            assertThat(ok.flags).isZero();
            Response okResponse = Response.parseFrom(ok.payload);
            assertThat(okResponse.getStatus().getCode()).isZero();
            assertThat(StateResponse.parseFrom(okResponse.getPayload()).getPid()).isEqualTo(42);

            writeFrame(raw, 8, state);
            Frame even = readFrame(in);
            assertThat(even.streamId).isEqualTo(8);
            assertThat(Response.parseFrom(even.payload).getStatus().getCode()).isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT.value());

            // an oversized frame: its bytes are skipped, the caller gets RESOURCE_EXHAUSTED, the connection lives on
            ByteBuffer header = ByteBuffer.allocate(10).putInt(TtrpcFrame.MAX_PAYLOAD + 1).putInt(9).put((byte) 1).put((byte) 0).flip();
            raw.write(header);
            ByteBuffer junk = ByteBuffer.allocate(TtrpcFrame.MAX_PAYLOAD + 1);
            while (junk.hasRemaining()) {
                raw.write(junk);
            }
            Frame big = readFrame(in);
            assertThat(big.streamId).isEqualTo(9);
            assertThat(Response.parseFrom(big.payload).getStatus().getCode()).isEqualTo(io.grpc.Status.Code.RESOURCE_EXHAUSTED.value());

            writeFrame(raw, 11, state);
            assertThat(Response.parseFrom(readFrame(in).payload).getStatus().getCode()).isZero();
        }
    }

    private record Frame(int streamId, byte type, byte flags, byte[] payload) {
    }

    private static void writeFrame(SocketChannel ch, int streamId, byte[] payload) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(10 + payload.length).putInt(payload.length).putInt(streamId)
                .put(TtrpcFrame.TYPE_REQUEST).put((byte) 0).put(payload).flip();
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    private static Frame readFrame(DataInputStream in) throws IOException {
        int length = in.readInt();
        int streamId = in.readInt();
        byte type = in.readByte();
        byte flags = in.readByte();
        byte[] payload = new byte[length];
        in.readFully(payload);
        return new Frame(streamId, type, flags, payload);
    }

    private static MethodDescriptor<Empty, Empty> unary(String service, String method) {
        return MethodDescriptor.<Empty, Empty>newBuilder()
                .setType(MethodDescriptor.MethodType.UNARY)
                .setFullMethodName(MethodDescriptor.generateFullMethodName(service, method))
                .setRequestMarshaller(ProtoUtils.marshaller(Empty.getDefaultInstance()))
                .setResponseMarshaller(ProtoUtils.marshaller(Empty.getDefaultInstance()))
                .build();
    }
}
