package dev.rabbithole.stage1.archive;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Docker's lexical path rules for the archive endpoints, as dockerd 20.10 answered them (see the IT cases). */
class ContainerPathTest {

    @Test
    void splitsIntoAResolvedDirectoryAndAnUnfollowedLastElement() {
        assertThat(ContainerPath.of("/etc/passwd")).isEqualTo(new ContainerPath("/etc/passwd", "/etc", "passwd", "passwd"));
        assertThat(ContainerPath.of("etc/passwd")).isEqualTo(new ContainerPath("/etc/passwd", "/etc", "passwd", "passwd"));
        assertThat(ContainerPath.of("/a/../../etc//passwd")).isEqualTo(new ContainerPath("/etc/passwd", "/etc", "passwd", "passwd"));
    }

    @Test
    void keepsTheTrailingSlashAndDot() {
        assertThat(ContainerPath.of("/dl/")).isEqualTo(new ContainerPath("/dl/", "/dl", "", "dl"));
        assertThat(ContainerPath.of("/d/.")).isEqualTo(new ContainerPath("/d/.", "/d", ".", "."));
        assertThat(ContainerPath.of("/d/./")).isEqualTo(new ContainerPath("/d/./", "/d", "", "."));   // dockerd's too
        assertThat(ContainerPath.of(".")).isEqualTo(new ContainerPath("/.", "/", ".", "."));
        assertThat(ContainerPath.of("/")).isEqualTo(new ContainerPath("/", "/", "", "/"));
        assertThat(ContainerPath.of("/..")).isEqualTo(new ContainerPath("/", "/", "", "/"));
    }

    @Test
    void relativeForOpenat2() {
        assertThat(ContainerPath.relative("/")).isEqualTo(".");
        assertThat(ContainerPath.relative("/a/b/")).isEqualTo("a/b");
        assertThat(ContainerPath.relative("/../../x")).isEqualTo("x");
    }

    @Test
    void refusesEmptyAndNul() {
        assertThatThrownBy(() -> ContainerPath.of("")).hasMessage("path cannot be empty");
        assertThatThrownBy(() -> ContainerPath.of("a\0b")).isInstanceOf(IllegalArgumentException.class);
    }
}
