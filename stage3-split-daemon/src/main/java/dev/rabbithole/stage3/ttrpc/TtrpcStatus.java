package dev.rabbithole.stage3.ttrpc;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * Errors on the ttrpc wire are {@code google.rpc.Status} messages (code as gRPC's codes, message; details are not
 * used); in Java they are gRPC's {@link Status} and {@link StatusRuntimeException}, so a service implementation
 * fails the same way over gRPC and over ttrpc. Source: containerd/ttrpc v1.1 services.go (an unknown service or
 * method is {@code UNIMPLEMENTED}, a plain error is {@code UNKNOWN}).
 */
public final class TtrpcStatus {

    private TtrpcStatus() {
    }

    /**
     * @param status a gRPC status
     * @return the same code and description as the wire's {@code google.rpc.Status}
     */
    public static com.google.rpc.Status toProto(Status status) {
        com.google.rpc.Status.Builder b = com.google.rpc.Status.newBuilder().setCode(status.getCode().value());
        if (status.getDescription() != null) {
            b.setMessage(status.getDescription());
        }
        return b.build();
    }

    /**
     * @param status the wire's status; code 0 is OK, an unknown code becomes {@code UNKNOWN}
     * @return the gRPC status with the message as its description
     */
    public static Status fromProto(com.google.rpc.Status status) {
        Status s = Status.fromCodeValue(status.getCode());
        return status.getMessage().isEmpty() ? s : s.withDescription(status.getMessage());
    }

    /**
     * The status a handler's failure is reported with: a {@link StatusRuntimeException}'s own status, else
     * {@code UNKNOWN} with the exception's message.
     *
     * @param t what the handler threw
     * @return the status to send
     */
    public static Status fromThrowable(Throwable t) {
        Status s = Status.fromThrowable(t);
        if (s.getCode() == Status.Code.UNKNOWN && s.getDescription() == null) {
            return s.withDescription(t.getMessage() != null ? t.getMessage() : t.toString());
        }
        return s;
    }
}
