package dev.rabbithole.stage2.e2e;

import dev.rabbithole.testsupport.HostFiles;
import dev.rabbithole.testsupport.JarDaemon;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The stage-1 daemon from stage 1's shaded jar ({@code java -jar rabbithole-stage1.jar daemon}), on a data root
 * and socket under a temporary directory of its own, for tests of stage 2's module that compare both stages.
 * {@link #close} stops it (SIGTERM), unmounts what is left under its directory and removes it.
 */
final class Stage1JarDaemon extends JarDaemon {

    /** Stage 1's shaded jar, from the system property {@code rabbithole.stage1.jar} (set by this module's pom). */
    static final Path JAR = Path.of(System.getProperty("rabbithole.stage1.jar",
            "../stage1-monolith-lxc-style/target/rabbithole-stage1.jar"));

    /** Starts the daemon and waits until it answers {@code version} (at most 60 s). */
    Stage1JarDaemon() throws IOException, InterruptedException {
        this(List.of());
    }

    /**
     * Starts the daemon behind launcher words (e.g. {@code NetworkNamespace#launcher()}: in a network namespace of
     * the test's) and waits until it answers.
     *
     * @param launcher words before {@code java -jar ...}
     */
    Stage1JarDaemon(List<String> launcher) throws IOException, InterruptedException {
        super(JAR, Files.createTempDirectory("rh-stage1-"), launcher);
        try {
            start();
        } catch (IOException | InterruptedException | RuntimeException e) {
            try {
                close();
            } catch (IOException | InterruptedException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
    }

    @Override
    public void close() throws IOException, InterruptedException {
        stop();
        HostFiles.unmountUnder(dir);
        HostFiles.deleteRecursively(dir);
    }
}
