package dev.rabbithole.stage3.containerd;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

import java.util.regex.Pattern;

/**
 * containerd's namespaces on the gRPC API: every call names its namespace in the {@code containerd-namespace} metadata
 * header (containerd 1.6, namespaces/grpc.go); a call without one fails {@code FAILED_PRECONDITION "namespace is
 * required"}, as containerd answers. Names follow containerd's identifier rule (identifiers/validate.go): letters
 * and digits, separated by single {@code .}, {@code _} or {@code -}, at most 76 characters.
 */
final class Namespaces implements ServerInterceptor {

    /** The gRPC header that carries the namespace. */
    static final Metadata.Key<String> HEADER = Metadata.Key.of("containerd-namespace", Metadata.ASCII_STRING_MARSHALLER);
    /** The namespace of the call being served, null when the header is missing. */
    static final Context.Key<String> CURRENT = Context.key("containerd-namespace");

    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*");

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        return Contexts.interceptCall(Context.current().withValue(CURRENT, headers.get(HEADER)), call, headers, next);
    }

    /**
     * @return the current call's namespace
     * @throws io.grpc.StatusRuntimeException FAILED_PRECONDITION when the call named none, INVALID_ARGUMENT for a bad name
     */
    static String required() {
        String ns = CURRENT.get();
        if (ns == null || ns.isEmpty()) {
            throw Status.FAILED_PRECONDITION.withDescription("namespace is required: failed precondition").asRuntimeException();
        }
        validate("namespace", ns);
        return ns;
    }

    /**
     * Checks an identifier (a namespace, a container id) against containerd's rule.
     *
     * @throws io.grpc.StatusRuntimeException INVALID_ARGUMENT naming what is wrong
     */
    static void validate(String what, String id) {
        if (id == null || id.isEmpty()) {
            throw Status.INVALID_ARGUMENT.withDescription(what + " must not be empty: invalid argument").asRuntimeException();
        }
        if (id.length() > 76) {
            throw Status.INVALID_ARGUMENT.withDescription(what + " \"" + id + "\" greater than maximum length (76 characters): invalid argument").asRuntimeException();
        }
        if (!IDENTIFIER.matcher(id).matches()) {
            throw Status.INVALID_ARGUMENT.withDescription(what + " \"" + id + "\" must match " + IDENTIFIER.pattern() + ": invalid argument").asRuntimeException();
        }
    }
}
