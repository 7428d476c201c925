package dev.rabbithole.stage2.libcontainer.container;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * How to start the init JVM: {@code JAVA [JVM_OPTIONS] [CACHE_OPTIONS] -cp CLASSPATH InitMain SOCKET}.
 *
 * @param java       the java launcher
 * @param classpath  a classpath holding libcontainer and its dependencies (jars or directories)
 * @param jvmOptions options for a fast-starting, quiet JVM
 * @param cacheDir   a directory for the start-time cache (JNA's native library unpacked once, an AppCDS
 *                   archive of the init's classes made in the background on first use; see {@code InitCache}),
 *                   or null for none
 */
public record InitCommand(Path java, String classpath, List<String> jvmOptions, Path cacheDir) {
    /**
     * Options for an init JVM run by this JVM's java: {@link InitFlags#jvmOptions(int)} of its feature release
     * (no hsperfdata, C1 only, a small heap, no JVM log on stdout; the default collector).
     */
    public static final List<String> DEFAULT_OPTIONS = InitFlags.jvmOptions(Runtime.version().feature());

    /**
     * Without a start-time cache.
     *
     * @param java       the java launcher
     * @param classpath  the classpath
     * @param jvmOptions JVM options
     */
    public InitCommand(Path java, String classpath, List<String> jvmOptions) {
        this(java, classpath, jvmOptions, null);
    }

    /**
     * @return the running JVM's launcher and classpath (entries made absolute: the init starts in the state
     *         directory) with {@link #DEFAULT_OPTIONS}, no cache
     */
    public static InitCommand current() {
        String cp = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.isEmpty())
                .map(e -> Path.of(e).toAbsolutePath().toString())
                .collect(Collectors.joining(File.pathSeparator));
        return new InitCommand(Path.of(System.getProperty("java.home"), "bin", "java"), cp, DEFAULT_OPTIONS);
    }

    /**
     * The same command with a start-time cache: what a daemon wants (its inits start faster from the second
     * one on); tests whose directories vanish after them do without.
     *
     * @param dir the cache directory, e.g. {@code /run/rabbithole/stage2/init-cache}; created when needed
     * @return the command
     */
    public InitCommand withCache(Path dir) {
        return new InitCommand(java, classpath, jvmOptions, dir);
    }

    /**
     * @param socket the control socket
     * @return the command line
     */
    public List<String> command(Path socket) {
        return command(socket, false);
    }

    /**
     * Starts the background training of the class archive now, when the cache has none: what a daemon does
     * when it starts, so that its first containers already find the archive. Does nothing without a cache.
     */
    public void prepareCache() {
        if (cacheDir != null) {
            InitCache.options(this, cacheDir);
        }
    }

    /**
     * @param socket the control socket
     * @param pooled true for an init of the {@link InitPool}: {@code InitMain --pooled SOCKET}, which loads
     *               libc before it connects and makes its mount and cgroup namespaces itself once taken
     * @return the command line
     */
    public List<String> command(Path socket, boolean pooled) {
        // the init (and so the workload) in a session of its own, not in the daemon's (the terminal's Ctrl-C)
        List<String> cmd = new ArrayList<>(newSession());
        cmd.add(java.toString());
        cmd.addAll(jvmOptions);
        if (cacheDir != null) {
            cmd.addAll(InitCache.options(this, cacheDir));
        }
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add("dev.rabbithole.stage2.libcontainer.process.InitMain");
        if (pooled) {
            cmd.add("--pooled");
        }
        cmd.add(socket.toString());
        return cmd;
    }

    /**
     * The words that start the init in a session of its own, as Docker's containers are: util-linux's
     * {@code setsid(1)}, which calls setsid(2) and execs the init in the same process (a JVM's child is never a
     * process group leader, so it does not fork). Without it the container shares the daemon's session and
     * process group, and the terminal's Ctrl-C (SIGINT to the foreground group) reaches the workload.
     *
     * @return {@code [/usr/bin/setsid]}, or empty when util-linux's setsid is not installed
     */
    static List<String> newSession() {
        for (String p : List.of("/usr/bin/setsid", "/bin/setsid")) {
            if (Files.isExecutable(Path.of(p))) {
                return List.of(p);
            }
        }
        return List.of();
    }
}
