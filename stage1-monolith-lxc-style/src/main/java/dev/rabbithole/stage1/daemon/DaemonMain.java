package dev.rabbithole.stage1.daemon;

import java.nio.file.Path;

/**
 * STUB on the client branch, replaced by the daemon's real class at merge: the stage-1 daemon's entry point.
 */
public final class DaemonMain {
    private DaemonMain() { }

    /**
     * Runs the daemon until it is shut down.
     *
     * @param dataRoot where images and containers live ({@code /var/lib/rabbithole/stage1})
     * @param host     the socket to serve the Engine API on ({@code unix:///run/rabbithole/stage1/docker.sock})
     * @throws UnsupportedOperationException always, in this stub
     */
    public static void runDaemon(Path dataRoot, String host) {
        throw new UnsupportedOperationException("the stage-1 daemon is not part of this build");
    }
}
