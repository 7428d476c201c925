package dev.rabbithole.labs.support;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starting the container's init: a second JVM on the same class path (the analogue of {@code runc init}).
 */
public final class Jvm {
    private Jvm() {}

    /**
     * The command line that runs {@code main} in a new JVM with {@code args}. The JVM is small and
     * runs interpreted (no compiler threads), because the init may already sit in a pids cgroup.
     *
     * @param main the class with the {@code main} method
     * @param args its arguments
     * @return the command for {@link ProcessBuilder}
     */
    public static List<String> command(Class<?> main, List<String> args) {
        List<String> c = new ArrayList<>();
        c.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        c.addAll(List.of("-Xint", "-XX:+UseSerialGC", "-XX:-UsePerfData", "-Xmx32m", "-Xss512k",
                "-Djna.nosys=true", "-cp", System.getProperty("java.class.path"), main.getName()));
        c.addAll(args);
        return c;
    }

    /**
     * Looks a command up the way a shell does, in the current root: as given when it holds a slash,
     * else in /bin, /sbin, /usr/bin, /usr/sbin.
     *
     * @param name the command
     * @return the path to pass to execve (the name itself when nothing is found: execve then fails with ENOENT)
     */
    public static String which(String name) {
        if (name.contains("/")) return name;
        for (String d : List.of("/bin", "/sbin", "/usr/bin", "/usr/sbin")) {
            Path p = Path.of(d, name);
            if (Files.isExecutable(p)) return p.toString();
        }
        return name;
    }

    /** The environment of a container's workload. */
    public static final String[] ENV = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            "HOME=/root", "TERM=xterm"};
}
