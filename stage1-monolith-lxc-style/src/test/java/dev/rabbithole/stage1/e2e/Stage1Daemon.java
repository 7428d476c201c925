package dev.rabbithole.stage1.e2e;

import dev.rabbithole.testsupport.JarDaemon;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * A stage-1 daemon started from the shaded jar, as a user starts it ({@code rabbithole stage1 daemon}), on a
 * temporary data root and socket; and the jar's client pointed at it (test-support's {@link JarDaemon}).
 */
final class Stage1Daemon extends JarDaemon {

    static final Path JAR = Path.of(System.getProperty("rabbithole.stage1.jar", "target/rabbithole-stage1.jar"));

    Stage1Daemon(Path dir) throws IOException, InterruptedException {
        this(dir, List.of());
    }

    /**
     * @param dir      the temporary directory for the data root, the socket and the log
     * @param launcher words before {@code java -jar JAR daemon ...}, e.g. {@code setsid}
     */
    Stage1Daemon(Path dir, List<String> launcher) throws IOException, InterruptedException {
        super(JAR, dir, launcher);
        start();
    }
}
