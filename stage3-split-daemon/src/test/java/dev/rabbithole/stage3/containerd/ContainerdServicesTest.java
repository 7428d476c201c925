package dev.rabbithole.stage3.containerd;

import com.google.protobuf.Any;
import com.google.protobuf.ByteString;
import com.google.protobuf.Empty;
import dev.rabbithole.stage3.api.containers.Container;
import dev.rabbithole.stage3.api.containers.ContainersGrpc;
import dev.rabbithole.stage3.api.containers.CreateContainerRequest;
import dev.rabbithole.stage3.api.containers.DeleteContainerRequest;
import dev.rabbithole.stage3.api.containers.GetContainerRequest;
import dev.rabbithole.stage3.api.containers.ListContainersRequest;
import dev.rabbithole.stage3.api.events.Envelope;
import dev.rabbithole.stage3.api.events.EventsGrpc;
import dev.rabbithole.stage3.api.events.PublishRequest;
import dev.rabbithole.stage3.api.events.SubscribeRequest;
import dev.rabbithole.stage3.api.eventtypes.ContainerCreate;
import dev.rabbithole.stage3.api.eventtypes.TaskOOM;
import dev.rabbithole.stage3.api.introspection.IntrospectionGrpc;
import dev.rabbithole.stage3.api.tasks.GetRequest;
import dev.rabbithole.stage3.api.tasks.ListTasksRequest;
import dev.rabbithole.stage3.api.tasks.TasksGrpc;
import dev.rabbithole.stage3.api.version.VersionGrpc;
import dev.rabbithole.stage3.api.version.VersionResponse;
import dev.rabbithole.stage3.ttrpc.TtrpcClient;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static dev.rabbithole.stage3.containerd.GrpcClient.ns;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * Our containerd's gRPC services without a task (no root needed): Version, Introspection, Containers kept per
 * namespace and across a restart, the namespace header required, Events fed by Publish and by a shim's ttrpc
 * Forward, one containerd per root.
 */
class ContainerdServicesTest {

    static final String SPEC_URL = "types.containerd.io/opencontainers/runtime-spec/1/Spec";

    static Container container(String id) {
        return Container.newBuilder().setId(id).putLabels("purpose", "test")
                .setRuntime(Container.Runtime.newBuilder().setName("io.containerd.runc.v2"))
                .setSpec(Any.newBuilder().setTypeUrl(SPEC_URL).setValue(ByteString.copyFromUtf8("{\"ociVersion\":\"1.0.2\"}")))
                .build();
    }

    @Test
    void versionContainersAndEventsAcrossARestart(@TempDir Path dir) throws Exception {
        Path sock = dir.resolve("c.sock");
        Containerd containerd = new Containerd(sock, dir.resolve("root"), dir.resolve("state")).start("/bin/true");
        String uuid;
        try (GrpcClient c = new GrpcClient(sock)) {
            VersionResponse v = VersionGrpc.newBlockingStub(c.channel).version(Empty.getDefaultInstance());
            assertThat(v.getVersion()).isEqualTo(Containerd.VERSION);
            assertThat(v.getRevision()).isNotEmpty();
            uuid = IntrospectionGrpc.newBlockingStub(c.channel).server(Empty.getDefaultInstance()).getUuid();
            assertThat(uuid).matches("[0-9a-f-]{36}");

            List<Envelope> seen = new CopyOnWriteArrayList<>();
            Context.CancellableContext sub = Context.current().withCancellation();
            sub.run(() -> ns(EventsGrpc.newStub(c.channel), "a").subscribe(SubscribeRequest.getDefaultInstance(),
                    new StreamObserver<>() {
                        public void onNext(Envelope e) {
                            seen.add(e);
                        }

                        public void onError(Throwable t) {
                        }

                        public void onCompleted() {
                        }
                    }));

            ContainersGrpc.ContainersBlockingStub a = ns(ContainersGrpc.newBlockingStub(c.channel), "a");
            ContainersGrpc.ContainersBlockingStub b = ns(ContainersGrpc.newBlockingStub(c.channel), "b");
            // subscriptions start asynchronously: publish until the subscriber sees one
            await().atMost(Duration.ofSeconds(10)).until(() -> {
                ns(EventsGrpc.newBlockingStub(c.channel), "a").publish(PublishRequest.newBuilder().setTopic("/test/ping")
                        .setEvent(Any.newBuilder().setTypeUrl("x").build()).build());
                return !seen.isEmpty();
            });
            Container created = a.create(CreateContainerRequest.newBuilder().setContainer(container("one")).build()).getContainer();
            assertThat(created.getCreatedAt().getSeconds()).isPositive();
            assertThat(a.get(GetContainerRequest.newBuilder().setId("one").build()).getContainer().getLabelsMap())
                    .containsEntry("purpose", "test");
            // namespaces are separate
            assertThat(b.list(ListContainersRequest.getDefaultInstance()).getContainersList()).isEmpty();
            assertThat(code(() -> b.get(GetContainerRequest.newBuilder().setId("one").build()))).isEqualTo(Status.Code.NOT_FOUND);
            assertThat(code(() -> a.create(CreateContainerRequest.newBuilder().setContainer(container("one")).build())))
                    .isEqualTo(Status.Code.ALREADY_EXISTS);
            assertThat(code(() -> a.create(CreateContainerRequest.newBuilder().setContainer(container("../x")).build())))
                    .isEqualTo(Status.Code.INVALID_ARGUMENT);
            StatusRuntimeException noNs = catchThrowableOfType(StatusRuntimeException.class,
                    () -> ContainersGrpc.newBlockingStub(c.channel).list(ListContainersRequest.getDefaultInstance()));
            assertThat(noNs.getStatus().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
            assertThat(noNs.getStatus().getDescription()).contains("namespace is required");
            // no task yet
            assertThat(code(() -> ns(TasksGrpc.newBlockingStub(c.channel), "a").get(GetRequest.newBuilder()
                    .setContainerId("one").build()))).isEqualTo(Status.Code.NOT_FOUND);

            // a shim forwards an event over ttrpc to ADDRESS.ttrpc: it arrives on the gRPC stream as it was sent
            try (TtrpcClient shim = TtrpcClient.connect(sock + ".ttrpc")) {
                shim.call(dev.rabbithole.stage3.api.events.ttrpc.EventsGrpc.getForwardMethod(),
                        dev.rabbithole.stage3.api.events.ttrpc.ForwardRequest.newBuilder().setEnvelope(
                                dev.rabbithole.stage3.api.events.ttrpc.Envelope.newBuilder().setNamespace("a")
                                        .setTopic("/tasks/oom").setEvent(Any.newBuilder().setTypeUrl("containerd.events.TaskOOM")
                                                .setValue(TaskOOM.newBuilder().setContainerId("one").build().toByteString())))
                                .build(), Duration.ofSeconds(10));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> seen.stream().anyMatch(e -> e.getTopic().equals("/tasks/oom")));
            Envelope create = seen.stream().filter(e -> e.getTopic().equals("/containers/create")).findFirst().orElseThrow();
            assertThat(create.getNamespace()).isEqualTo("a");
            assertThat(create.getEvent().getTypeUrl()).isEqualTo("containerd.events.ContainerCreate");
            assertThat(ContainerCreate.parseFrom(create.getEvent().getValue()).getRuntime().getName()).isEqualTo("io.containerd.runc.v2");
            Envelope oom = seen.stream().filter(e -> e.getTopic().equals("/tasks/oom")).findFirst().orElseThrow();
            assertThat(TaskOOM.parseFrom(oom.getEvent().getValue()).getContainerId()).isEqualTo("one");
            sub.cancel(null);
        } finally {
            containerd.close();
        }
        assertThat(sock).doesNotExist();

        // a second containerd on the same root is refused while the first runs
        Containerd first = new Containerd(sock, dir.resolve("root"), dir.resolve("state")).start("/bin/true");
        try {
            assertThatThrownBy(() -> new Containerd(dir.resolve("d.sock"), dir.resolve("root"), dir.resolve("state2"))
                    .start("/bin/true")).isInstanceOf(IOException.class).hasMessageContaining("another containerd is running");
            try (GrpcClient c = new GrpcClient(sock)) {
                // the restarted containerd finds the container, and keeps its identity
                ContainersGrpc.ContainersBlockingStub a = ns(ContainersGrpc.newBlockingStub(c.channel), "a");
                assertThat(a.list(ListContainersRequest.getDefaultInstance()).getContainersList())
                        .extracting(Container::getId).containsExactly("one");
                assertThat(IntrospectionGrpc.newBlockingStub(c.channel).server(Empty.getDefaultInstance()).getUuid())
                        .isEqualTo(uuid);
                assertThat(ns(TasksGrpc.newBlockingStub(c.channel), "a").list(ListTasksRequest.getDefaultInstance())
                        .getTasksList()).isEmpty();
                a.delete(DeleteContainerRequest.newBuilder().setId("one").build());
                assertThat(a.list(ListContainersRequest.getDefaultInstance()).getContainersList()).isEmpty();
                assertThat(code(() -> a.delete(DeleteContainerRequest.newBuilder().setId("one").build())))
                        .isEqualTo(Status.Code.NOT_FOUND);
            }
        } finally {
            first.close();
        }
        try (var files = Files.list(dir.resolve("root/containers/a"))) {
            assertThat(files).isEmpty(); // no temporary file left behind by the atomic writes
        }
        assertThat(Files.readString(dir.resolve("root/uuid"), StandardCharsets.US_ASCII).trim()).isEqualTo(uuid);
    }

    private static Status.Code code(Runnable call) {
        return catchThrowableOfType(StatusRuntimeException.class, call::run).getStatus().getCode();
    }
}
