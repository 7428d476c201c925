package dev.rabbithole.stage3.containerd;

import com.google.protobuf.Any;
import com.google.protobuf.Empty;
import com.google.protobuf.Timestamp;
import dev.rabbithole.stage3.api.containers.Container;
import dev.rabbithole.stage3.api.containers.ContainersGrpc;
import dev.rabbithole.stage3.api.containers.CreateContainerRequest;
import dev.rabbithole.stage3.api.containers.CreateContainerResponse;
import dev.rabbithole.stage3.api.containers.DeleteContainerRequest;
import dev.rabbithole.stage3.api.containers.GetContainerRequest;
import dev.rabbithole.stage3.api.containers.GetContainerResponse;
import dev.rabbithole.stage3.api.containers.ListContainerMessage;
import dev.rabbithole.stage3.api.containers.ListContainersRequest;
import dev.rabbithole.stage3.api.containers.ListContainersResponse;
import dev.rabbithole.stage3.api.eventtypes.ContainerCreate;
import dev.rabbithole.stage3.api.eventtypes.ContainerDelete;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * {@code containerd.services.containers.v1.Containers} (Create, Get, List, ListStream, Delete): container records
 * kept per namespace, one file per container, {@code ROOT/containers/NAMESPACE/ID.pb}, holding the
 * {@code Container} message as protobuf bytes, written atomically, so a restarted containerd finds them. Update is
 * not served (UNIMPLEMENTED). List filters are ignored: every container of the namespace is listed.
 * Errors as containerd's (errdefs): NOT_FOUND, ALREADY_EXISTS, INVALID_ARGUMENT, FAILED_PRECONDITION without a
 * namespace. Create and Delete publish {@code /containers/create} and {@code /containers/delete}.
 */
final class ContainerStore extends ContainersGrpc.ContainersImplBase {

    private final Path dir;
    private final EventBus events;

    ContainerStore(Path root, EventBus events) throws IOException {
        this.dir = Files.createDirectories(root.resolve("containers"));
        this.events = events;
    }

    /** @return the container, or empty when the namespace has none of that id */
    synchronized Optional<Container> find(String ns, String id) {
        Path f = file(ns, id);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        try {
            return Optional.of(Container.parseFrom(Files.readAllBytes(f)));
        } catch (IOException e) {
            throw Status.INTERNAL.withDescription("container \"" + id + "\": unreadable record " + f + ": " + e.getMessage())
                    .asRuntimeException();
        }
    }

    /** @throws io.grpc.StatusRuntimeException NOT_FOUND as containerd words it */
    Container get(String ns, String id) {
        return find(ns, id).orElseThrow(() -> Status.NOT_FOUND.withDescription("container \"" + id
                + "\" in namespace \"" + ns + "\": not found").asRuntimeException());
    }

    synchronized List<Container> list(String ns) {
        Path d = dir.resolve(ns);
        List<Container> all = new ArrayList<>();
        if (!Files.isDirectory(d)) {
            return all;
        }
        try (Stream<Path> files = Files.list(d)) {
            for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".pb")).sorted().toList()) {
                all.add(Container.parseFrom(Files.readAllBytes(f)));
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return all;
    }

    private Path file(String ns, String id) {
        return dir.resolve(ns).resolve(id + ".pb");
    }

    @Override
    public void create(CreateContainerRequest request, StreamObserver<CreateContainerResponse> reply) {
        String ns = Namespaces.required();
        Container c = request.getContainer();
        Namespaces.validate("container id", c.getId());
        if (!c.hasRuntime() || c.getRuntime().getName().isEmpty()) {
            throw Status.INVALID_ARGUMENT.withDescription("must specify a container runtime: invalid argument").asRuntimeException();
        }
        if (!c.hasSpec()) {
            throw Status.INVALID_ARGUMENT.withDescription("container.Spec must be set: invalid argument").asRuntimeException();
        }
        Instant now = Instant.now();
        Timestamp ts = Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()).build();
        Container stored = c.toBuilder().setCreatedAt(ts).setUpdatedAt(ts).build();
        synchronized (this) {
            if (Files.exists(file(ns, c.getId()))) {
                throw Status.ALREADY_EXISTS.withDescription("container \"" + c.getId() + "\": already exists")
                        .asRuntimeException();
            }
            try {
                AtomicFiles.write(file(ns, c.getId()), stored.toByteArray());
            } catch (IOException e) {
                throw Status.INTERNAL.withDescription("container \"" + c.getId() + "\": cannot store: " + e.getMessage())
                        .asRuntimeException();
            }
        }
        ContainerCreate.Runtime.Builder rt = ContainerCreate.Runtime.newBuilder().setName(c.getRuntime().getName());
        if (c.getRuntime().hasOptions()) {
            rt.setOptions(c.getRuntime().getOptions());
        }
        events.publish(ns, "/containers/create", Any.newBuilder().setTypeUrl("containerd.events.ContainerCreate")
                .setValue(ContainerCreate.newBuilder().setId(c.getId()).setImage(c.getImage()).setRuntime(rt).build()
                        .toByteString()).build());
        reply.onNext(CreateContainerResponse.newBuilder().setContainer(stored).build());
        reply.onCompleted();
    }

    @Override
    public void get(GetContainerRequest request, StreamObserver<GetContainerResponse> reply) {
        String ns = Namespaces.required();
        Namespaces.validate("container id", request.getId());
        reply.onNext(GetContainerResponse.newBuilder().setContainer(get(ns, request.getId())).build());
        reply.onCompleted();
    }

    @Override
    public void list(ListContainersRequest request, StreamObserver<ListContainersResponse> reply) {
        String ns = Namespaces.required();
        reply.onNext(ListContainersResponse.newBuilder().addAllContainers(list(ns)).build());
        reply.onCompleted();
    }

    @Override
    public void listStream(ListContainersRequest request, StreamObserver<ListContainerMessage> reply) {
        String ns = Namespaces.required();
        for (Container c : list(ns)) {
            reply.onNext(ListContainerMessage.newBuilder().setContainer(c).build());
        }
        reply.onCompleted();
    }

    @Override
    public void delete(DeleteContainerRequest request, StreamObserver<Empty> reply) {
        String ns = Namespaces.required();
        Namespaces.validate("container id", request.getId());
        synchronized (this) {
            get(ns, request.getId());
            try {
                Files.delete(file(ns, request.getId()));
            } catch (IOException e) {
                throw Status.INTERNAL.withDescription("container \"" + request.getId() + "\": cannot delete: "
                        + e.getMessage()).asRuntimeException();
            }
        }
        events.publish(ns, "/containers/delete", Any.newBuilder().setTypeUrl("containerd.events.ContainerDelete")
                .setValue(ContainerDelete.newBuilder().setId(request.getId()).build().toByteString()).build());
        reply.onNext(Empty.getDefaultInstance());
        reply.onCompleted();
    }
}
