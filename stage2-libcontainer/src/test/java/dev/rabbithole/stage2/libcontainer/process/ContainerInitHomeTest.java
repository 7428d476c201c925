package dev.rabbithole.stage2.libcontainer.process;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** HOME as runc's init sets it when a spec's process.env has none (dockerd writes none). */
class ContainerInitHomeTest {

    @Test
    void homeComesFromTheContainersPasswdWhenTheSpecHasNone(@TempDir Path dir) throws Exception {
        Path passwd = Files.writeString(dir.resolve("passwd"),
                "root:x:0:0:root:/root:/bin/sh\nwww:x:33:33:www:/var/www:/bin/false\nbroken\n");
        assertThat(ContainerInit.withHome(List.of("PATH=/bin", "A=b"), 0, passwd))
                .containsExactly("PATH=/bin", "A=b", "HOME=/root");
        assertThat(ContainerInit.withHome(List.of("HOME=", "PATH=/bin"), 33, passwd))
                .containsExactly("HOME=/var/www", "PATH=/bin");
        assertThat(ContainerInit.withHome(List.of("HOME=/x"), 0, passwd)).containsExactly("HOME=/x");
        assertThat(ContainerInit.withHome(List.of(), 1234, passwd)).containsExactly("HOME=/");
        assertThat(ContainerInit.withHome(List.of(), 0, dir.resolve("missing"))).containsExactly("HOME=/");
    }
}
