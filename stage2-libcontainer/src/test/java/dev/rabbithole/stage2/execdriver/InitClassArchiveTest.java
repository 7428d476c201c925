package dev.rabbithole.stage2.execdriver;

import dev.rabbithole.stage2.libcontainer.container.InitCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The init's class-data archive is used only when it exists, and made only for a classpath of jars. */
class InitClassArchiveTest {
    @TempDir
    Path dir;

    private final InitCommand init = new InitCommand(Path.of("/usr/bin/java"), "/opt/x.jar", List.of("-Xmx64m"));

    @Test
    void aMissingArchiveLeavesTheInitCommandAsItIs() {
        assertThat(InitClassArchive.using(init, dir.resolve("none.jsa"))).isSameAs(init);
    }

    @Test
    void anArchiveIsMappedAndTheJvmKeptQuietOnTheWorkloadsStdout() throws Exception {
        Path archive = Files.writeString(dir.resolve("init.jsa"), "x");
        InitCommand with = InitClassArchive.using(init, archive);
        assertThat(with.jvmOptions()).containsExactly("-Xmx64m", "-XX:SharedArchiveFile=" + archive, "-Xlog:disable");
        assertThat(with.classpath()).isEqualTo(init.classpath());
    }

    @Test
    void noArchiveForAClasspathWithDirectories() {
        InitCommand classes = new InitCommand(Path.of("/usr/bin/java"), dir.toString(), List.of());
        assertThat(InitClassArchive.create(classes, dir.resolve("init.jsa"))).isFalse();
        assertThat(dir.resolve("init.jsa")).doesNotExist();
    }
}
