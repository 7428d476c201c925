package dev.rabbithole.stage2.libcontainer.namespaces;

import dev.rabbithole.stage2.libcontainer.configs.NamespaceType;
import dev.rabbithole.stage2.libcontainer.system.RecordingSyscalls;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NamespaceSpawnerTest {
    @Test
    void aUserNamespaceIsRefusedWithTheReason() {
        RecordingSyscalls rec = new RecordingSyscalls();
        assertThatThrownBy(() -> new NamespaceSpawner(rec).spawn(Set.of(NamespaceType.USER, NamespaceType.PID),
                new ProcessBuilder("true"), "t"))
                .isInstanceOf(UnsupportedOperationException.class)
                .hasMessageContaining("multithreaded");
        assertThat(rec.calls()).isEmpty();
    }

    @Test
    void theUnshareHappensOnTheSpawnerThreadWithTheNamespaceFlags() throws Exception {
        RecordingSyscalls rec = new RecordingSyscalls(); // records only: the child starts on the host
        Process p = new NamespaceSpawner(rec).spawn(Set.of(NamespaceType.PID, NamespaceType.MOUNT),
                new ProcessBuilder("true"), "t");
        assertThat(p.waitFor()).isZero();
        assertThat(rec.signatures()).containsExactly("unshare(CLONE_NEWNS|CLONE_NEWPID)",
                "posix_spawn(\"true\", ... InitMain)");
    }
}
