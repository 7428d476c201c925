package dev.rabbithole.stage3.containerd;

import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * Turns what a service method throws into the call's status: a {@link StatusRuntimeException} (ours, or a shim's
 * error passed on) closes the call with its own code and message; anything else with {@code UNKNOWN} and its message.
 * The client gets the failing component's message, and the log gets no stack trace for an ordinary error.
 */
final class Errors implements ServerInterceptor {

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        ServerCall.Listener<Q> listener = next.startCall(call, headers);
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
            private boolean closed;

            @Override
            public void onMessage(Q message) {
                guard(() -> super.onMessage(message));
            }

            @Override
            public void onHalfClose() {
                guard(super::onHalfClose);
            }

            private void guard(Runnable r) {
                if (closed) {
                    return;
                }
                try {
                    r.run();
                } catch (StatusRuntimeException e) {
                    closed = true;
                    call.close(e.getStatus(), e.getTrailers() != null ? e.getTrailers() : new Metadata());
                } catch (RuntimeException e) {
                    closed = true;
                    call.close(Status.UNKNOWN.withDescription(String.valueOf(e.getMessage())), new Metadata());
                }
            }
        };
    }
}
