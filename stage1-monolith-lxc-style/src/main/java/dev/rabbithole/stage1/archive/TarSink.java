package dev.rabbithole.stage1.archive;

import java.io.IOException;
import java.io.OutputStream;

/** Where {@code GET /containers/{id}/archive} goes: told the path's stat first (for the header), then given the tar. */
@FunctionalInterface
public interface TarSink {
    /**
     * @param stat what the {@code X-Docker-Container-Path-Stat} header reports
     * @return the stream the tar is written to (flushed, not closed, by the caller)
     * @throws IOException the client went away
     */
    OutputStream begin(PathStat stat) throws IOException;
}
