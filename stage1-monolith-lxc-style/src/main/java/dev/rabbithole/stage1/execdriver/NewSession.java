package dev.rabbithole.stage1.execdriver;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Starts a container's first process in a session of its own, as Docker's containers are: setsid(2) through
 * util-linux's {@code setsid(1)}, which calls it and execs the command in the same process (the JVM's children
 * are never process group leaders, so it does not fork). Without it the container is in the daemon's process
 * group and session, and the terminal's Ctrl-C (SIGINT to the foreground process group) reaches the workload
 * before the daemon can stop it its own way.
 */
public final class NewSession {
    private NewSession() { }

    private static final List<Path> CANDIDATES = List.of(Path.of("/usr/bin/setsid"), Path.of("/bin/setsid"));

    /**
     * @return the words to put before a command so that it runs in a new session: {@code [/usr/bin/setsid]};
     *         empty when util-linux's setsid is not installed (then the command shares the daemon's session)
     */
    public static List<String> prefix() {
        for (Path p : CANDIDATES) {
            if (Files.isExecutable(p)) {
                return List.of(p.toString());
            }
        }
        return List.of();
    }
}
