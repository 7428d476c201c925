package dev.rabbithole.stage2.libcontainer.container;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The init JVM's start-time options, chosen by the feature release of the java that runs the init (not of the
 * JVM that compiled libcontainer: the bytecode is Java 17 and runs on any newer JDK). Measured on a 2-core
 * Debian 12 host, starting the real init:
 * <ul>
 * <li>JDK 17: the AppCDS archive ({@code -XX:SharedArchiveFile}, made by {@code -XX:ArchiveClassesAtExit}) with
 *     the default collector, G1. With {@code -XX:+UseSerialGC} the JVM does not map the archive's heap objects
 *     and archived module graph, and starts 8-12% slower.</li>
 * <li>JDK 25 and newer: the AOT cache of JEP 483 and 514 ({@code -XX:AOTCacheOutput} trains and writes it,
 *     {@code -XX:AOTCache} maps it), 20-28% faster than the best JDK 17 setup. It is refused together with
 *     {@code -Xshare:auto}. {@code --enable-native-access=ALL-UNNAMED}, or JNA's first native call prints a
 *     warning onto the workload's stderr. {@code -XX:ArchiveRelocationMode=0} (a diagnostic option) maps the
 *     cache at its preferred address, so its pages stay shared between idle inits (a pooled init then costs
 *     about 15 MB PSS instead of 26).</li>
 * </ul>
 * JVM option syntax: the {@code java} man page of each release.
 */
public final class InitFlags {
    /** The first feature release with the AOT cache ({@code -XX:AOTCacheOutput}, JEP 514). */
    public static final int AOT_CACHE_RELEASE = 25;

    private static final Pattern JAVA_VERSION = Pattern.compile("(?m)^JAVA_VERSION=\"(?:1\\.)?(\\d+)");

    private InitFlags() { }

    /**
     * The options every init JVM gets: no hsperfdata file (every init is pid 1: they would collide), no
     * raising of RLIMIT_NOFILE (the workload inherits it), C1 only, one compiler thread, a small heap and
     * stacks, no JVM log on stdout (it is the workload's): only errors, on stderr. On JDK 17 also
     * {@code -Xshare:auto} (the default, stated); on 25 and newer {@code --enable-native-access=ALL-UNNAMED}.
     * No collector is chosen: G1, the default, keeps the archived heap on 17.
     *
     * @param feature the feature release of the init's java ({@link Runtime.Version#feature()}), e.g. 17 or 25
     * @return the options, in order
     */
    public static List<String> jvmOptions(int feature) {
        List<String> o = new ArrayList<>(List.of("-XX:-UsePerfData", "-XX:-MaxFDLimit", "-XX:TieredStopAtLevel=1",
                "-Xmx64m", "-Xss512k", "-XX:CICompilerCount=1", "-Xlog:disable", "-Xlog:all=error:stderr"));
        if (feature >= AOT_CACHE_RELEASE) {
            o.add("--enable-native-access=ALL-UNNAMED");
        } else {
            o.add("-Xshare:auto");
        }
        return List.copyOf(o);
    }

    /**
     * The options that make a training run write the class archive.
     *
     * @param feature the feature release of the init's java
     * @param archive the archive to write ({@code .aot} on 25+, {@code .jsa} on 17)
     * @return {@code -XX:AOTCacheOutput=ARCHIVE} on 25 and newer, {@code -XX:ArchiveClassesAtExit=ARCHIVE} before
     */
    public static List<String> trainOptions(int feature, Path archive) {
        return feature >= AOT_CACHE_RELEASE ? List.of("-XX:AOTCacheOutput=" + archive)
                : List.of("-XX:ArchiveClassesAtExit=" + archive);
    }

    /**
     * The options that make an init map the class archive.
     *
     * @param feature the feature release of the init's java
     * @param archive the archive a training run wrote
     * @return on 25 and newer {@code -XX:+UnlockDiagnosticVMOptions -XX:ArchiveRelocationMode=0
     *         -XX:AOTCache=ARCHIVE}; before, {@code -XX:SharedArchiveFile=ARCHIVE}
     */
    public static List<String> useOptions(int feature, Path archive) {
        return feature >= AOT_CACHE_RELEASE
                ? List.of("-XX:+UnlockDiagnosticVMOptions", "-XX:ArchiveRelocationMode=0", "-XX:AOTCache=" + archive)
                : List.of("-XX:SharedArchiveFile=" + archive);
    }

    /**
     * @param feature the feature release of the init's java
     * @return the archive's file suffix: {@code .aot} or {@code .jsa}
     */
    public static String archiveSuffix(int feature) {
        return feature >= AOT_CACHE_RELEASE ? ".aot" : ".jsa";
    }

    /**
     * The feature release of a java launcher: this JVM's when the launcher is in {@code java.home}, else the
     * {@code JAVA_VERSION} line of the JDK's {@code release} file (the directory above {@code bin/java}).
     *
     * @param java a launcher, e.g. {@code /usr/lib/jvm/temurin-25-jdk-amd64/bin/java}
     * @return e.g. 17 or 25; this JVM's when the file cannot be read
     */
    public static int featureOf(Path java) {
        Path home = java.toAbsolutePath().normalize().getParent() == null ? null
                : java.toAbsolutePath().normalize().getParent().getParent();
        if (home == null || home.equals(Path.of(System.getProperty("java.home")).toAbsolutePath().normalize())) {
            return Runtime.version().feature();
        }
        try {
            return parseRelease(Files.readString(home.resolve("release")));
        } catch (IOException | RuntimeException e) {
            return Runtime.version().feature();
        }
    }

    /**
     * @param release the text of a JDK's {@code release} file
     * @return the feature release of its {@code JAVA_VERSION} ({@code "25.0.3"}: 25; {@code "1.8.0_402"}: 8)
     * @throws IllegalArgumentException when there is no {@code JAVA_VERSION} line
     */
    static int parseRelease(String release) {
        Matcher m = JAVA_VERSION.matcher(release);
        if (!m.find()) {
            throw new IllegalArgumentException("no JAVA_VERSION in the release file");
        }
        return Integer.parseInt(m.group(1));
    }

    /**
     * The directory of the C library this process has mapped, for {@code -Djna.platform.library.path}: without
     * it JNA runs {@code /sbin/ldconfig -p} on its first library lookup, i.e. inside every new container.
     *
     * @param maps the text of {@code /proc/self/maps} (proc(5))
     * @return the directory holding {@code libc.so.6}, or null when none is mapped
     */
    static String libcDirectory(String maps) {
        for (String line : maps.split("\n")) {
            int slash = line.indexOf('/');
            if (slash < 0) {
                continue;
            }
            Path file = Path.of(line.substring(slash).trim());
            String name = file.getFileName().toString();
            if (name.equals("libc.so.6") || name.matches("libc-[0-9.]+\\.so")) {
                return file.getParent().toString();
            }
        }
        return null;
    }

    /** @return the directory of this process's C library, or null when it cannot be found */
    static String libcDirectory() {
        try {
            return libcDirectory(Files.readString(Path.of("/proc/self/maps")));
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }
}
