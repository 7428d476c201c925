package dev.rabbithole.stage2.e2e;

import dev.rabbithole.testsupport.HostFiles;
import dev.rabbithole.testsupport.JarDaemon;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A stage-2 daemon started from the shaded jar as a user starts it ({@code rabbithole stage2 daemon
 * [--exec-driver lxc]}), on a temporary data root and socket and a short exec root under /run (the init's
 * socket path must fit in 107 bytes); and the jar's client and the docker CLI pointed at it (test-support's
 * {@link JarDaemon}).
 */
final class Stage2Daemon extends JarDaemon {

    static final Path JAR = Path.of(System.getProperty("rabbithole.stage2.jar", "target/rabbithole-stage2.jar"));
    private static final Pattern STARTED = Pattern.compile("POST /v[0-9.]+/containers/([0-9a-f]{64})/start ");

    final Path execRoot;
    final String driver;

    /**
     * @param dir    an empty temporary directory
     * @param driver {@code native} or {@code lxc}
     */
    Stage2Daemon(Path dir, String driver) throws IOException, InterruptedException {
        this(dir, driver, List.of());
    }

    /**
     * @param dir      an empty temporary directory
     * @param driver   {@code native} or {@code lxc}
     * @param launcher words before {@code java -jar ...}, e.g. {@code NetworkNamespace#launcher()}
     */
    Stage2Daemon(Path dir, String driver, List<String> launcher) throws IOException, InterruptedException {
        super(JAR, dir, launcher);
        this.driver = driver;
        this.execRoot = shortRunDir();
        start();
    }

    @Override
    protected List<String> daemonArgs() {
        return List.of("--exec-root", execRoot.toString(), "--exec-driver", driver);
    }

    /** @return the IDs of every container the daemon started, from its request log */
    Set<String> startedIds() {
        Set<String> ids = new LinkedHashSet<>();
        Matcher m = STARTED.matcher(log());
        while (m.find()) {
            ids.add(m.group(1));
        }
        return ids;
    }

    /** {@code client("run", args...)}. */
    Result run(String... args) throws IOException, InterruptedException {
        String[] full = new String[args.length + 1];
        full[0] = "run";
        System.arraycopy(args, 0, full, 1, args.length);
        return client(full);
    }

    /** The host cgroup v1 file of a container of the native driver, e.g. memory's {@code memory.limit_in_bytes}. */
    static Path nativeCgroupFile(String controller, String id, String file) {
        return Path.of("/sys/fs/cgroup", controller, "rabbithole", id, file);
    }

    /** Stops the daemon, removes its image layers and the exec root (the data root is a JUnit temporary directory). */
    @Override
    public void close() throws InterruptedException, IOException {
        stopAndRemoveLayers();
        HostFiles.deleteRecursively(execRoot);
    }

    /** {@code /run/rh-XXXXXX}. */
    private static Path shortRunDir() throws IOException {
        Random random = new Random();
        for (int i = 0; i < 100; i++) {
            try {
                return Files.createDirectory(Path.of("/run", String.format("rh-%06x", random.nextInt(1 << 24))));
            } catch (FileAlreadyExistsException taken) {
                // another name
            }
        }
        throw new IOException("no free name under /run");
    }
}
