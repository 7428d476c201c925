package dev.rabbithole.stage2.execdriver;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.security.Capabilities;
import dev.rabbithole.stage1.security.SeccompProfiles;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.container.InitCommand;
import dev.rabbithole.stage2.libcontainer.seccomp.SeccompCompiler;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;

/**
 * An application class-data sharing archive for the init JVM (JEP 350, dynamic CDS archives): the classes the
 * init loads (libcontainer's, Jackson's, JNA's), parsed and verified once and mapped by every init instead of
 * loaded from the jar. The init is a JVM that never exits (it becomes the workload with execve), so it cannot
 * write the archive itself: {@link #main} is a stand-in that loads the same classes and exits, run once with
 * {@code -XX:ArchiveClassesAtExit}. An init given a missing or stale archive starts without it
 * ({@code -Xshare:auto}); {@code -Xlog:disable} keeps the JVM from saying so on the workload's stdout.
 */
public final class InitClassArchive {
    private InitClassArchive() { }

    /**
     * The init command with the archive, when {@code archive} exists.
     *
     * @param init    the init command
     * @param archive the archive file
     * @return {@code init} with {@code -XX:SharedArchiveFile=ARCHIVE -Xlog:disable}, or {@code init} unchanged
     */
    public static InitCommand using(InitCommand init, Path archive) {
        if (!Files.isRegularFile(archive)) {
            return init;
        }
        List<String> options = new ArrayList<>(init.jvmOptions());
        options.add("-XX:SharedArchiveFile=" + archive);
        options.add("-Xlog:disable");
        return new InitCommand(init.java(), init.classpath(), List.copyOf(options));
    }

    /**
     * Writes the archive: runs {@link #main} in a JVM started as the init is, with
     * {@code -XX:ArchiveClassesAtExit=ARCHIVE}. Only for a classpath of jars (CDS refuses non-empty
     * directories in the classpath).
     *
     * @param init    the init command whose JVM and classpath the archive is for
     * @param archive where to write it (replaced atomically)
     * @return whether the archive exists afterwards
     */
    public static boolean create(InitCommand init, Path archive) {
        for (String entry : init.classpath().split(File.pathSeparator)) {
            if (!entry.endsWith(".jar")) {
                return false;
            }
        }
        Path tmp = archive.resolveSibling(archive.getFileName() + ".tmp");
        List<String> cmd = new ArrayList<>();
        cmd.add(init.java().toString());
        cmd.addAll(init.jvmOptions());
        cmd.addAll(List.of("-XX:ArchiveClassesAtExit=" + tmp, "-Xlog:disable", "-cp", init.classpath(),
                InitClassArchive.class.getName()));
        try {
            Files.createDirectories(archive.getParent());
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD)
                    .start();
            if (!p.waitFor(120, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                return false;
            }
            if (p.exitValue() != 0 || !Files.isRegularFile(tmp)) {
                return false;
            }
            Files.move(tmp, archive, java.nio.file.StandardCopyOption.ATOMIC_MOVE,
                    java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            return true;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * The stand-in for the init: loads every libcontainer class, decodes a container config from JSON as the
     * init does, compiles Docker's default seccomp profile and binds libc through JNA; then exits.
     *
     * @param args none
     * @throws Exception when a class cannot be loaded (the archive is then not written)
     */
    public static void main(String[] args) throws Exception {
        ClassLoader loader = InitClassArchive.class.getClassLoader();
        String jar = System.getProperty("java.class.path").split(File.pathSeparator)[0];
        try (JarFile file = new JarFile(jar)) {
            for (Enumeration<JarEntry> e = file.entries(); e.hasMoreElements(); ) {
                String name = e.nextElement().getName();
                if (name.startsWith("dev/rabbithole/stage2/libcontainer/") && name.endsWith(".class")) {
                    Class.forName(name.substring(0, name.length() - 6).replace('/', '.'), false, loader);
                }
            }
        }
        Command c = new Command("0".repeat(64), Path.of("/"), Path.of("/"), List.of("true"), List.of("PATH=/bin"), "/",
                "", "archive", Command.Resources.NONE, Capabilities.DOCKER_DEFAULT, false,
                SeccompProfiles.defaultProfile());
        ContainerConfig config = DefaultTemplate.config(c);
        ObjectMapper json = new ObjectMapper();
        json.readValue(json.writeValueAsBytes(config), ContainerConfig.class);
        SeccompCompiler.compile(config.seccomp()).toBytes();
        Class.forName("dev.rabbithole.stage2.libcontainer.system.JnaSyscalls$Libc", true, loader);
        System.exit(0);
    }
}
