package dev.rabbithole.stage1.client;

import sun.misc.Signal;
import sun.misc.SignalHandler;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Forwards the signals the client receives to the container while {@code run} is attached, as the docker
 * CLI does by default ({@code --sig-proxy=true}): Ctrl-C in the terminal becomes
 * {@code POST /containers/{id}/kill?signal=SIGINT}, and the client keeps waiting for the container's exit
 * status. Covers SIGINT, SIGTERM and SIGHUP ({@code SIGQUIT} stays the JVM's thread dump).
 * Uses {@code sun.misc.Signal} (module jdk.unsupported), the JDK's only signal-handling API.
 */
final class SignalProxy implements AutoCloseable {
    private static final String[] SIGNALS = {"INT", "TERM", "HUP"};
    private final Map<Signal, SignalHandler> previous = new LinkedHashMap<>();

    /**
     * Installs the handlers.
     *
     * @param client    the client to send the kill requests with
     * @param container the container's ID
     */
    SignalProxy(EngineClient client, String container) {
        for (String name : SIGNALS) {
            try {
                Signal signal = new Signal(name);
                previous.put(signal, Signal.handle(signal,
                        s -> client.send("POST", "/containers/" + container + "/kill?signal=SIG" + s.getName(), null)));
            } catch (IllegalArgumentException inUseOrUnknown) {
                // the JVM reserves this signal here (for example when run with -Xrs): leave it alone
            }
        }
    }

    /** Restores the handlers that were installed before. */
    @Override
    public void close() {
        previous.forEach(Signal::handle);
        previous.clear();
    }
}
