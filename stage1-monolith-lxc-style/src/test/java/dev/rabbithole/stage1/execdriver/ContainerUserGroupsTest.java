package dev.rabbithole.stage1.execdriver;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The supplementary groups of {@link ContainerUser#supplementaryGroups}, against the outputs of Docker 20.10's
 * {@code id} for the same /etc/passwd and /etc/group (the kernel sorts the groups; the lists here keep the order
 * of the lookup).
 */
class ContainerUserGroupsTest {

    @TempDir
    Path rootfs;

    @BeforeEach
    void etc() throws Exception {
        Files.createDirectories(rootfs.resolve("etc"));
        Files.writeString(rootfs.resolve("etc/passwd"), """
                root:x:0:0:root:/root:/bin/sh
                alice:x:1000:1000:alice:/home/alice:/bin/sh
                nobody:x:65534:65534:nobody:/home:/bin/false
                """);
        Files.writeString(rootfs.resolve("etc/group"), """
                root:x:0:
                # a comment
                wheel:x:10:root,alice
                staff:x:50:alice
                broken line
                alice:x:1000:
                nogroup:x:65534:
                """);
    }

    private List<Long> groups(String user, String... add) {
        return ContainerUser.supplementaryGroups(rootfs, user, List.of(add));
    }

    @Test
    void thePrimaryGroupAndTheUsersMemberships() {
        assertThat(groups("")).containsExactly(0L, 10L);                  // root is listed in wheel
        assertThat(groups("alice")).containsExactly(1000L, 10L, 50L);
        assertThat(groups("1000")).as("a uid finds the passwd name").containsExactly(1000L, 10L, 50L);
        assertThat(groups("nobody")).containsExactly(65534L);
        assertThat(groups("2000")).as("no passwd entry: gid 0, no memberships").containsExactly(0L);
    }

    @Test
    void anExplicitGroupReplacesTheMemberships() {
        assertThat(groups("alice:staff")).containsExactly(50L);
        assertThat(groups("1000:1000")).containsExactly(1000L);
        assertThat(groups("alice:4242")).containsExactly(4242L);
    }

    @Test
    void groupAddTakesNamesAndGidsOnce() {
        assertThat(groups("alice", "staff", "777")).containsExactly(1000L, 10L, 50L, 777L);
        assertThat(groups("", "65534", "root")).containsExactly(0L, 10L, 65534L);
        assertThat(groups("", "nogroup")).containsExactly(0L, 10L, 65534L);
    }

    @Test
    void badGroupsAreRefusedWithDockersMessages() {
        assertThatThrownBy(() -> groups("", "nosuch")).isInstanceOf(InvalidParameterException.class)
                .hasMessage("Unable to find group nosuch: no matching entries in group file");
        assertThatThrownBy(() -> groups("", "2147483648")).isInstanceOf(InvalidParameterException.class)
                .hasMessage("uids and gids must be in range 0-2147483647");
        // as Docker 20.10's daemon answers (checked against Debian's dockerd): a value that Go's ParseInt reads
        // is a gid, range-checked; one it does not read (20 digits overflow int64) is an unknown group name
        assertThatThrownBy(() -> groups("", "99999999999999999999")).isInstanceOf(InvalidParameterException.class)
                .hasMessage("Unable to find group 99999999999999999999: no matching entries in group file");
        assertThatThrownBy(() -> groups("", "-1")).isInstanceOf(InvalidParameterException.class)
                .hasMessage("uids and gids must be in range 0-2147483647");
        assertThatThrownBy(() -> groups("", "0x10")).isInstanceOf(InvalidParameterException.class)
                .hasMessage("Unable to find group 0x10: no matching entries in group file");
    }

    @Test
    void aSignedGidIsAGidAsInDocker() {
        assertThat(groups("", "+77")).containsExactly(0L, 10L, 77L);
    }

    @Test
    void withoutEtcGroupOnlyThePrimaryAndNumericGroups() throws Exception {
        Files.delete(rootfs.resolve("etc/group"));
        assertThat(groups("alice", "5")).containsExactly(1000L, 5L);
        // an image's /etc/group that is a symlink is not followed (it could name a host file)
        Files.createSymbolicLink(rootfs.resolve("etc/group"), Path.of("/etc/group"));
        assertThat(groups("")).containsExactly(0L);
    }
}
