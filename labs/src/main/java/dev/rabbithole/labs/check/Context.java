package dev.rabbithole.labs.check;

import com.sun.jna.Native;
import dev.rabbithole.labs.support.Rootfs;
import dev.rabbithole.labs.support.Spec;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;

/**
 * One checker run: the attendee's lab compiled into a jar, a temporary directory, a unique name. Closing it
 * deletes the directory.
 */
public final class Context implements AutoCloseable {
    /** The lab, 1..16. */
    public final int lab;
    /** A fresh temporary directory. */
    public final Path tmp;
    /** A unique container name of at most 8 characters ("l04" + 4 hex digits). */
    public final String name;
    private final String classpath;
    private final String compileErrors;

    /** The folder holding the attendee's LabNN.java, as given to {@link #compile}. */
    public final Path source;

    private Context(int lab, Path source, Path tmp, String classpath, String compileErrors) {
        this.source = source;
        this.lab = lab;
        this.tmp = tmp;
        this.name = String.format(Locale.ROOT, "l%02d%04x", lab, ThreadLocalRandom.current().nextInt(0x10000));
        this.classpath = classpath;
        this.compileErrors = compileErrors;
    }

    /**
     * Compiles the attendee's lab.
     *
     * @param lab    1..16
     * @param source the directory holding LabNN.java (and any other classes of that lab)
     * @return a context; {@link #compileErrors()} says whether the compilation worked
     * @throws IOException when files cannot be written
     */
    public static Context compile(int lab, Path source) throws IOException {
        Path tmp = Files.createTempDirectory("rabbithole-check-");
        Path classes = Files.createDirectories(tmp.resolve("classes"));
        List<String> supportCp = supportClasspath(tmp);
        List<String> files = new ArrayList<>();
        if (Files.isDirectory(source)) {
            try (Stream<Path> s = Files.list(source)) {
                s.filter(p -> p.toString().endsWith(".java")).forEach(p -> files.add(p.toString()));
            }
        }
        if (files.isEmpty()) return new Context(lab, source, tmp, "", "no Java files in " + source);
        JavaCompiler javac = ToolProvider.getSystemJavaCompiler();
        if (javac == null) return new Context(lab, source, tmp, "", "no Java compiler: install a JDK, not a JRE");
        List<String> args = new ArrayList<>(List.of("-nowarn", "-proc:none", "-encoding", "UTF-8", "--release", "17",
                "-cp", String.join(":", supportCp), "-d", classes.toString()));
        args.addAll(files);
        java.io.ByteArrayOutputStream err = new java.io.ByteArrayOutputStream();
        int rc = javac.run(null, err, err, args.toArray(new String[0]));
        if (rc != 0) return new Context(lab, source, tmp, "", err.toString());
        Path jar = tmp.resolve("attendee.jar");
        jar(classes, jar);
        List<String> cp = new ArrayList<>(List.of(jar.toString()));
        cp.addAll(supportCp);
        return new Context(lab, source, tmp, String.join(":", cp), null);
    }

    /** @return javac's messages when the attendee's code did not compile, else null */
    public String compileErrors() { return compileErrors; }

    /** @return the class path for the attendee's runtime: their jar, the support classes, JNA (all jars) */
    public String classpath() { return classpath; }

    /** @return the attendee's main class name */
    public String mainClass() {
        return String.format("dev.rabbithole.labs.lab%02d.Lab%02d", lab, lab);
    }

    /**
     * @param dir where to build it (created)
     * @return a busybox root filesystem (see {@link Rootfs#busybox})
     * @throws Exception when it cannot be built
     */
    public Path busybox(Path dir) throws Exception {
        return Rootfs.busybox(dir);
    }

    /**
     * Starts the attendee's runtime.
     *
     * @param args its arguments ("run", options, "--", the command)
     * @return the running runtime
     * @throws IOException when it cannot start
     */
    public Container start(List<String> args) throws IOException {
        return Container.start(this, args);
    }

    /**
     * @param spec a spec
     * @return {@code run} and the spec's arguments, with the name set to this context's
     */
    public List<String> run(Spec spec) {
        spec.name = name;
        List<String> a = new ArrayList<>(List.of("run"));
        a.addAll(spec.toArgs());
        return a;
    }

    /**
     * Removes the container's cgroups (and the empty {@code rabbithole-labs} parents), then deletes the temporary
     * directory (never crossing into mounts: they are the checker's to unmount first).
     */
    @Override
    public void close() throws IOException {
        Cgroups.remove(name);
        try (Stream<Path> s = Files.walk(tmp)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // a busy mount point: left for the next run's report rather than hiding the first error
                }
            }
        }
    }

    private static List<String> cached;

    // the support classes and JNA as jars: a directory class path would break class loading after pivot_root
    private static synchronized List<String> supportClasspath(Path tmp) throws IOException {
        if (cached != null) return cached;
        Set<String> cp = new LinkedHashSet<>();
        for (Class<?> c : List.of(Spec.class, Native.class)) {
            Path p;
            try {
                p = Path.of(c.getProtectionDomain().getCodeSource().getLocation().toURI());
            } catch (URISyntaxException e) {
                throw new IOException(e);
            }
            if (Files.isDirectory(p)) {
                Path jar = Files.createTempFile("rabbithole-labs-support-", ".jar");
                jar.toFile().deleteOnExit();
                jar(p, jar);
                cp.add(jar.toString());
            } else {
                cp.add(p.toString());
            }
        }
        cached = List.copyOf(cp);
        return cached;
    }

    static void jar(Path dir, Path jar) throws IOException {
        try (OutputStream o = Files.newOutputStream(jar); JarOutputStream j = new JarOutputStream(o);
             Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).sorted().toList()) {
                j.putNextEntry(new JarEntry(dir.relativize(p).toString().replace('\\', '/')));
                Files.copy(p, j);
                j.closeEntry();
            }
        }
    }
}
