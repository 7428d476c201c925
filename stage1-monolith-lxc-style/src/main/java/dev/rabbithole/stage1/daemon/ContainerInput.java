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
     * The client's input ended (its half-close, {@code CloseWrite}, or its connection closed): with StdinOnce the
     * process's stdin is closed (the process reads end of file), else it stays open for the next client.
     */
    void end();
}
