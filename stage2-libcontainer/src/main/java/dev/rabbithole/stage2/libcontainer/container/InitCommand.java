package dev.rabbithole.stage2.libcontainer.container;

import java.io.File;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;
import java.util.ArrayList;
import java.util.List;

/**
 * How to start the init JVM: {@code JAVA [JVM_OPTIONS] -cp CLASSPATH InitMain SOCKET}.
 *
 * @param java       the java launcher
 * @param classpath  a classpath holding libcontainer and its dependencies (jars or directories)
 * @param jvmOptions options for a fast-starting, quiet JVM
 */
public record InitCommand(Path java, String classpath, List<String> jvmOptions) {
    /**
     * Options for the init JVM: no hsperfdata file (every init is pid 1: they would collide), no raising of
     * RLIMIT_NOFILE (the workload inherits it), C1 only and the serial collector (start time).
     */
    public static final List<String> DEFAULT_OPTIONS = List.of("-XX:-UsePerfData", "-XX:-MaxFDLimit",
            "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xshare:auto", "-Xmx64m");

    /**
     * @return the running JVM's launcher and classpath (entries made absolute: the init starts in the state
     *         directory) with {@link #DEFAULT_OPTIONS}
     */
    public static InitCommand current() {
        String cp = Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(e -> !e.isEmpty())
                .map(e -> Path.of(e).toAbsolutePath().toString())
                .collect(Collectors.joining(File.pathSeparator));
        return new InitCommand(Path.of(System.getProperty("java.home"), "bin", "java"), cp, DEFAULT_OPTIONS);
    }

    /**
     * The command line, with the options of {@link #jvmOptions} and any per-host cache under {@code cacheDir}.
     *
     * @param socket   the control socket
     * @param cacheDir a directory the parent may keep files in for later inits (the state root)
     * @return the command line
     */
    public List<String> command(Path socket, Path cacheDir) {
        return command(socket);
    }

    /**
     * @param socket the control socket
     * @return the command line
     */
    public List<String> command(Path socket) {
        List<String> cmd = new ArrayList<>();
        cmd.add(java.toString());
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(classpath);
        cmd.add("dev.rabbithole.stage2.libcontainer.process.InitMain");
        cmd.add(socket.toString());
        return cmd;
    }
}
