package dev.rabbithole.stage3.shim;

import com.google.protobuf.Any;
import com.google.protobuf.Message;
import com.google.protobuf.Timestamp;
import dev.rabbithole.stage3.api.events.ttrpc.Envelope;
import dev.rabbithole.stage3.api.events.ttrpc.EventsGrpc;
import dev.rabbithole.stage3.api.events.ttrpc.ForwardRequest;
import dev.rabbithole.stage3.ttrpc.TtrpcClient;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * Publishes task events back to containerd as containerd 1.6's own shims do (runtime/v2/shim/publisher.go): a
 * ttrpc call {@code containerd.services.events.ttrpc.v1.Events/Forward} to the address containerd gave in the
 * environment variable {@code TTRPC_ADDRESS}, carrying an {@code Envelope} (timestamp, namespace, topic, the event
 * as an {@code Any} whose type URL is {@code containerd.events.NAME}). The {@code -publish-binary} path is not run:
 * containerd 1.6's shims do not use it either. Events go out in order from one thread; a failed forward is tried
 * again (5 times, 100 ms apart, reconnecting), then dropped with a line on stderr: containerd's state queries
 * (State, Wait) stay the authority.
 */
final class Publisher {

    private static final int TRIES = 5;

    private final String address;
    private final BlockingQueue<Envelope> queue = new LinkedBlockingQueue<>();
    private TtrpcClient client;
    /** Events queued or being forwarded. */
    private final java.util.concurrent.atomic.AtomicInteger pending = new java.util.concurrent.atomic.AtomicInteger();

    /** @param address containerd's ttrpc address, null or empty to publish nothing */
    Publisher(String address) {
        this.address = address == null || address.isEmpty() ? null : address;
        if (this.address != null) {
            Thread t = new Thread(null, this::loop, "shim-publisher", 256 * 1024);
            t.setDaemon(true);
            t.start();
        }
    }

    /** @return the protobuf timestamp of an instant */
    static Timestamp timestamp(Instant t) {
        return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
    }

    /**
     * Queues an event.
     *
     * @param namespace the task's containerd namespace
     * @param topic e.g. {@code /tasks/exit}
     * @param event a message of {@code containerd.events} (TaskExit, ...)
     */
    // tag::publish[]
    void publish(String namespace, String topic, Message event) {
        if (address == null) {
            return;
        }
        pending.incrementAndGet();
        queue.add(Envelope.newBuilder().setTimestamp(timestamp(Instant.now())).setNamespace(namespace).setTopic(topic)
                .setEvent(Any.newBuilder().setTypeUrl("containerd.events." + event.getDescriptorForType().getName())
                        .setValue(event.toByteString())).build());
    }
    // end::publish[]

    /** @return whether every queued event has been forwarded or dropped */
    boolean idle() {
        return pending.get() == 0;
    }

    private void loop() {
        while (true) {
            Envelope e;
            try {
                e = queue.take();
            } catch (InterruptedException ie) {
                return;
            }
            for (int i = 1; ; i++) {
                try {
                    if (client == null || !client.isOpen()) {
                        if (client != null) {
                            client.close();
                        }
                        client = TtrpcClient.connect(address);
                    }
                    client.call(EventsGrpc.getForwardMethod(), ForwardRequest.newBuilder().setEnvelope(e).build(),
                            Duration.ofSeconds(10));
                    break;
                } catch (Exception x) {
                    if (i >= TRIES) {
                        System.err.println("shim: dropped event " + e.getTopic() + " of " + e.getNamespace() + ": "
                                + x.getMessage());
                        break;
                    }
                    try {
                        Thread.sleep(100);
                    } catch (InterruptedException ie) {
                        return;
                    }
                }
            }
            pending.decrementAndGet();
        }
    }
}
