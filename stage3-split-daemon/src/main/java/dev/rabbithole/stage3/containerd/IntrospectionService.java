package dev.rabbithole.stage3.containerd;

import com.google.protobuf.Empty;
import dev.rabbithole.stage3.api.introspection.IntrospectionGrpc;
import dev.rabbithole.stage3.api.introspection.Plugin;
import dev.rabbithole.stage3.api.introspection.PluginsRequest;
import dev.rabbithole.stage3.api.introspection.PluginsResponse;
import dev.rabbithole.stage3.api.introspection.ServerResponse;
import io.grpc.stub.StreamObserver;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * {@code containerd.services.introspection.v1.Introspection}: Server answers this containerd's UUID, made once and
 * kept in {@code ROOT/uuid} so it stays across restarts (containerd keeps it in its metadata database; {@code ctr
 * version} asks for it); Plugins lists the services served here as containerd names its plugins (type and id),
 * ignoring filters.
 */
final class IntrospectionService extends IntrospectionGrpc.IntrospectionImplBase {

    private final String uuid;

    IntrospectionService(Path root) throws IOException {
        Path f = root.resolve("uuid");
        if (Files.isRegularFile(f)) {
            uuid = Files.readString(f, StandardCharsets.US_ASCII).trim();
        } else {
            uuid = UUID.randomUUID().toString();
            AtomicFiles.write(f, (uuid + "\n").getBytes(StandardCharsets.US_ASCII));
        }
    }

    @Override
    public void server(Empty request, StreamObserver<ServerResponse> reply) {
        reply.onNext(ServerResponse.newBuilder().setUuid(uuid).build());
        reply.onCompleted();
    }

    @Override
    public void plugins(PluginsRequest request, StreamObserver<PluginsResponse> reply) {
        PluginsResponse.Builder r = PluginsResponse.newBuilder();
        for (String id : new String[] {"containers", "events", "introspection", "tasks", "version"}) {
            r.addPlugins(Plugin.newBuilder().setType("io.containerd.grpc.v1").setId(id));
        }
        r.addPlugins(Plugin.newBuilder().setType("io.containerd.runtime.v2").setId("task"));
        reply.onNext(r.build());
        reply.onCompleted();
    }
}
