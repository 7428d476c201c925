package dev.rabbithole.stage3.containerd;

import com.google.protobuf.Empty;
import com.google.protobuf.Timestamp;
import dev.rabbithole.stage3.api.leases.CreateRequest;
import dev.rabbithole.stage3.api.leases.CreateResponse;
import dev.rabbithole.stage3.api.leases.DeleteRequest;
import dev.rabbithole.stage3.api.leases.Lease;
import dev.rabbithole.stage3.api.leases.LeasesGrpc;
import dev.rabbithole.stage3.api.leases.ListRequest;
import dev.rabbithole.stage3.api.leases.ListResponse;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code containerd.services.leases.v1.Leases} Create, Delete, List, per namespace, in memory. A lease keeps content
 * and snapshots from containerd's garbage collector; this containerd has neither content nor snapshots, so a lease
 * guards nothing here: it exists because containerd's Go client ({@code ctr run}) takes one around creating a
 * container. Resources (AddResource, ...) answer UNIMPLEMENTED.
 */
final class LeaseService extends LeasesGrpc.LeasesImplBase {

    private final Map<String, Lease> leases = new ConcurrentHashMap<>();

    @Override
    public void create(CreateRequest request, StreamObserver<CreateResponse> reply) {
        String ns = Namespaces.required();
        // not containerd's identifier rule: its Go client's random lease ids (WithRandomID) are base64url, '_' at
        // either end included, and containerd takes them
        if (request.getId().isEmpty()) {
            throw Status.INVALID_ARGUMENT.withDescription("lease id must not be empty: invalid argument").asRuntimeException();
        }
        Instant now = Instant.now();
        Lease lease = Lease.newBuilder().setId(request.getId()).putAllLabels(request.getLabelsMap())
                .setCreatedAt(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano())).build();
        if (leases.putIfAbsent(ns + "/" + request.getId(), lease) != null) {
            throw Status.ALREADY_EXISTS.withDescription("lease \"" + request.getId() + "\": already exists").asRuntimeException();
        }
        reply.onNext(CreateResponse.newBuilder().setLease(lease).build());
        reply.onCompleted();
    }

    @Override
    public void delete(DeleteRequest request, StreamObserver<Empty> reply) {
        String ns = Namespaces.required();
        if (leases.remove(ns + "/" + request.getId()) == null) {
            throw Status.NOT_FOUND.withDescription("lease \"" + request.getId() + "\": not found").asRuntimeException();
        }
        reply.onNext(Empty.getDefaultInstance());
        reply.onCompleted();
    }

    @Override
    public void list(ListRequest request, StreamObserver<ListResponse> reply) {
        String ns = Namespaces.required();
        ListResponse.Builder r = ListResponse.newBuilder();
        leases.forEach((k, v) -> {
            if (k.startsWith(ns + "/")) {
                r.addLeases(v);
            }
        });
        reply.onNext(r.build());
        reply.onCompleted();
    }
}
