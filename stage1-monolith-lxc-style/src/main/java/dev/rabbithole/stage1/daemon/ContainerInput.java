package dev.rabbithole.stage1.daemon;

import java.io.IOException;

/**
 * What an attached client writes to a container's or an exec process's standard input: the stdin half of
 * Engine API 1.41 {@code POST /containers/{id}/attach?stdin=1} and of {@code POST /exec/{id}/start}.
 */
public interface ContainerInput {

    /**
     * Hands bytes to the process's stdin, in order; may block while the process does not read (a full pipe)
     * or, for a container not started yet, while much is buffered. Call it from a worker thread.
     *
     * @param data the bytes; the caller does not change them afterwards
     * @throws IOException the process's stdin is closed (it exited)
     */
    void write(byte[] data) throws IOException;

    /**
     * The client's input ended (its half-close, {@code CloseWrite}, or its connection closed). As dockerd: with
     * StdinOnce and no terminal the process's stdin is closed (the process reads end of file) and the output goes
     * on until it exits; otherwise the stdin stays open for the next client and this attachment ends (its output
     * stops, the connection closes).
     *
     * @return true when the process's stdin was closed (keep streaming), false when the attachment ends
     */
    boolean end();
}
