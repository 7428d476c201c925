package dev.rabbithole.stage2.libcontainer.container;

import com.sun.jna.Native;
import com.sun.jna.Platform;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.lang.ProcessBuilder.Redirect;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Files that make later inits start faster, kept in the {@link InitCommand#cacheDir()}:
 * <ul>
 * <li>JNA's native dispatch library, unpacked once: otherwise every init JVM unpacks it from the JNA jar
 *     into a temporary file before it can make its first call ({@code -Djna.boot.library.path});</li>
 * <li>the directory of the C library, {@code -Djna.platform.library.path}: else JNA runs {@code ldconfig -p}
 *     inside each new container on its first library lookup;</li>
 * <li>an archive of the classes an init loads, made by a training run ({@code InitMain --train}) in the
 *     background when the daemon starts (or on first use), and used by the inits that start after it is
 *     ready: on JDK 17 an AppCDS archive, on 25 and newer an AOT cache ({@link InitFlags}). Its name hashes the java launcher, the options and the
 *     classpath with each entry's size and time, so a rebuilt jar gets a new archive (a stale one is ignored
 *     by the JVM anyway).</li>
 * </ul>
 * Every failure here only costs speed: the init then starts without the option.
 */
final class InitCache {
    private static final Map<Path, CompletableFuture<Void>> TRAINING = new ConcurrentHashMap<>();

    private InitCache() { }

    /**
     * The extra JVM options for an init started with {@code command}, creating what is missing.
     *
     * @param command the init command (launcher, classpath, options)
     * @param cache   the cache directory
     * @return options to add before {@code -cp}; empty when nothing could be prepared
     */
    static List<String> options(InitCommand command, Path cache) {
        List<String> options = new ArrayList<>();
        try {
            Files.createDirectories(cache);
            Path jna = jnaDispatch(cache);
            if (jna != null) {
                options.add("-Djna.boot.library.path=" + jna.getParent());
                options.add("-Djna.nounpack=true");
            }
            String libc = InitFlags.libcDirectory();
            if (libc != null) {
                options.add("-Djna.platform.library.path=" + libc); // no ldconfig -p inside the container
            }
            int feature = InitFlags.featureOf(command.java());
            Path archive = cache.resolve("init-" + key(command) + InitFlags.archiveSuffix(feature));
            if (Files.isRegularFile(archive)) {
                options.addAll(InitFlags.useOptions(feature, archive));
            } else {
                trainInBackground(command, archive, List.copyOf(options), feature);
            }
        } catch (IOException | RuntimeException e) {
            // only speed is lost
        }
        return options;
    }

    /**
     * Starts the training of the archive when there is none, and tells when it is over.
     *
     * @param command the init command
     * @return completes when the archive's training is over (made or failed); at once when there is no cache
     *         or the archive exists
     */
    static CompletableFuture<Void> whenTrained(InitCommand command) {
        if (command.cacheDir() == null) {
            return CompletableFuture.completedFuture(null);
        }
        options(command, command.cacheDir());
        for (Map.Entry<Path, CompletableFuture<Void>> e : TRAINING.entrySet()) {
            if (e.getKey().getFileName().toString().startsWith("init-" + key(command))) {
                return e.getValue();
            }
        }
        return CompletableFuture.completedFuture(null);
    }

    private static Path jnaDispatch(Path cache) throws IOException {
        String name = "libjnidispatch.so";
        Path dir = cache.resolve("jna-" + Platform.RESOURCE_PREFIX + "-" + Native.VERSION_NATIVE);
        Path lib = dir.resolve(name);
        if (Files.isRegularFile(lib)) {
            return lib;
        }
        try (InputStream in = Native.class.getResourceAsStream("/com/sun/jna/" + Platform.RESOURCE_PREFIX + "/" + name)) {
            if (in == null) {
                return null;
            }
            Files.createDirectories(dir);
            Path tmp = Files.createTempFile(dir, name, ".tmp");
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            Files.move(tmp, lib, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        }
        return lib;
    }

    /** Hash of everything the archive depends on. */
    static String key(InitCommand command) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(command.java().toString().getBytes(StandardCharsets.UTF_8));
            sha.update(String.join(" ", command.jvmOptions()).getBytes(StandardCharsets.UTF_8));
            for (String entry : command.classpath().split(File.pathSeparator)) {
                Path p = Path.of(entry);
                sha.update(entry.getBytes(StandardCharsets.UTF_8));
                if (Files.isRegularFile(p)) {
                    sha.update((Files.size(p) + ":" + Files.getLastModifiedTime(p).toMillis())
                            .getBytes(StandardCharsets.UTF_8));
                }
            }
            return HexFormat.of().formatHex(sha.digest(), 0, 8);
        } catch (NoSuchAlgorithmException | IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void trainInBackground(InitCommand command, Path archive, List<String> jnaOptions, int feature) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        if (TRAINING.putIfAbsent(archive, done) != null) {
            return; // already being made
        }
        Thread t = new Thread(() -> {
            Path scratch = null;
            try {
                scratch = Files.createTempDirectory(archive.getParent(), "train");
                Path tmp = scratch.resolve("init" + InitFlags.archiveSuffix(feature));
                List<String> cmd = new ArrayList<>();
                cmd.add(command.java().toString());
                cmd.addAll(command.jvmOptions());
                cmd.addAll(jnaOptions);
                cmd.addAll(InitFlags.trainOptions(feature, tmp));
                cmd.add("-cp");
                cmd.add(command.classpath());
                cmd.add("dev.rabbithole.stage2.libcontainer.process.InitMain");
                cmd.add("--train");
                cmd.add(scratch.resolve("work").toString());
                Process p = new ProcessBuilder(cmd).redirectOutput(Redirect.DISCARD).redirectError(Redirect.DISCARD)
                        .redirectInput(Redirect.from(new File("/dev/null"))).start();
                if (p.waitFor() == 0 && Files.isRegularFile(tmp)) {
                    Files.move(tmp, archive, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
                }
            } catch (IOException | RuntimeException e) {
                // no archive: inits start without it
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                TRAINING.remove(archive);
                deleteQuietly(scratch);
                done.complete(null);
            }
        }, "init-cds-training");
        t.setDaemon(true);
        t.start();
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            // a scratch directory under the cache; harmless
        }
    }
}
