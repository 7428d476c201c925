package dev.rabbithole.stage3.containerd;

import com.google.protobuf.Any;
import com.google.protobuf.Empty;
import com.google.protobuf.Timestamp;
import dev.rabbithole.stage3.api.events.Envelope;
import dev.rabbithole.stage3.api.events.EventsGrpc;
import dev.rabbithole.stage3.api.events.ForwardRequest;
import dev.rabbithole.stage3.api.events.PublishRequest;
import dev.rabbithole.stage3.api.events.SubscribeRequest;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * containerd's event exchange: {@code containerd.services.events.v1.Events} (Publish, Forward, Subscribe) on the gRPC
 * socket, fed as well by the shims' {@code containerd.services.events.ttrpc.v1.Events/Forward} calls on the ttrpc
 * socket ({@link #ttrpcSink()}) and by containerd's own container events. Subscribe streams every envelope published
 * after it started that its filters select ({@link EventFilter}: namespace and topic), in publication order, until
 * the client cancels. Events are not stored: one published while nobody subscribes is gone.
 */
final class EventBus extends EventsGrpc.EventsImplBase {

    private final List<Subscriber> subscribers = new CopyOnWriteArrayList<>();

    private record Subscriber(ServerCallStreamObserver<Envelope> stream, java.util.function.Predicate<Envelope> filter) {
    }

    /** Publishes an event now, in a namespace, under a topic (e.g. {@code /tasks/exit}). */
    void publish(String ns, String topic, Any event) {
        Instant now = Instant.now();
        forward(Envelope.newBuilder().setNamespace(ns).setTopic(topic).setEvent(event)
                .setTimestamp(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano())).build());
    }

    /** Hands an envelope, as it came, to every subscriber. */
    void forward(Envelope envelope) {
        for (Subscriber sub : subscribers) {
            ServerCallStreamObserver<Envelope> s = sub.stream();
            if (!sub.filter().test(envelope)) {
                continue;
            }
            synchronized (s) {
                if (s.isCancelled()) {
                    subscribers.remove(sub);
                    continue;
                }
                try {
                    s.onNext(envelope);
                } catch (RuntimeException e) {
                    subscribers.remove(sub);
                }
            }
        }
    }

    @Override
    public void publish(PublishRequest request, StreamObserver<Empty> reply) {
        String ns = Namespaces.required();
        if (!request.getTopic().startsWith("/")) {
            throw Status.INVALID_ARGUMENT.withDescription("envelope topic \"" + request.getTopic()
                    + "\" must start with \"/\": invalid argument").asRuntimeException();
        }
        publish(ns, request.getTopic(), request.getEvent());
        reply.onNext(Empty.getDefaultInstance());
        reply.onCompleted();
    }

    @Override
    public void forward(ForwardRequest request, StreamObserver<Empty> reply) {
        forward(request.getEnvelope());
        reply.onNext(Empty.getDefaultInstance());
        reply.onCompleted();
    }

    @Override
    public void subscribe(SubscribeRequest request, StreamObserver<Envelope> reply) {
        Subscriber sub = new Subscriber((ServerCallStreamObserver<Envelope>) reply, EventFilter.parse(request.getFiltersList()));
        sub.stream().setOnCancelHandler(() -> subscribers.remove(sub));
        subscribers.add(sub);
    }

    /** Ends every subscription (the server shuts down). */
    void closeAll() {
        for (Subscriber sub : subscribers) {
            ServerCallStreamObserver<Envelope> s = sub.stream();
            synchronized (s) {
                try {
                    s.onCompleted();
                } catch (RuntimeException e) {
                    // already cancelled
                }
            }
        }
        subscribers.clear();
    }

    /** @return the ttrpc service shims forward their events to (TTRPC_ADDRESS), feeding this bus */
    dev.rabbithole.stage3.api.events.ttrpc.EventsGrpc.EventsImplBase ttrpcSink() {
        return new dev.rabbithole.stage3.api.events.ttrpc.EventsGrpc.EventsImplBase() {
            @Override
            public void forward(dev.rabbithole.stage3.api.events.ttrpc.ForwardRequest request, StreamObserver<Empty> reply) {
                dev.rabbithole.stage3.api.events.ttrpc.Envelope e = request.getEnvelope();
                EventBus.this.forward(Envelope.newBuilder().setTimestamp(e.getTimestamp()).setNamespace(e.getNamespace())
                        .setTopic(e.getTopic()).setEvent(e.getEvent()).build());
                reply.onNext(Empty.getDefaultInstance());
                reply.onCompleted();
            }
        };
    }
}
