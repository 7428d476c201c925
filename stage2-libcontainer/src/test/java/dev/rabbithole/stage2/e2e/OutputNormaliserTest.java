package dev.rabbithole.stage2.e2e;

import org.junit.jupiter.api.Test;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The differential test's normalisation rules, its command-line splitting and its catalogue's shape. */
class OutputNormaliserTest {

    private final OutputNormaliser stage2 = new OutputNormaliser("/tmp/rh-stage2-1", "/tmp/rh-stage2-1/docker.sock",
            "\\b[0-9][0-9A-Za-z.+~]*-stage2\\b");

    @Test
    void idsDigestsTimesDurationsSizesPidsAndNamesAreNormalised() {
        String id = "0123456789abcdef".repeat(4);
        assertThat(stage2.normalise(id + "\n", false)).isEqualTo("<id64>");
        assertThat(stage2.normalise("sha256:" + id, false)).isEqualTo("sha256:<digest>");
        assertThat(stage2.normalise("0123456789ab  busybox", false)).isEqualTo("<id12> busybox");
        assertThat(stage2.normalise("2026-12-01T15:08:38.101689460Z", false)).isEqualTo("<time>");
        assertThat(stage2.normalise("Exited (2) 3 seconds ago", false)).isEqualTo("Exited (2) <duration> ago");
        assertThat(stage2.normalise("Up Less than a second", false)).isEqualTo("Up <duration>");
        assertThat(stage2.normalise("busybox|latest|1.99MB", false)).isEqualTo("busybox|latest|<size>");
        assertThat(stage2.normalise("busybox|latest|1.99MB", true)).isEqualTo("busybox|latest|1.99MB");
        assertThat(stage2.normalise("\"Pid\": 4242, pid 17", false)).isEqualTo("\"Pid\": <pid>, pid <pid>");
        assertThat(stage2.normalise("abc  sleep 60   nostalgic_hopper", false)).isEqualTo("abc sleep 60 <name>");
    }

    @Test
    void theEnginesOwnPathsAndNameAreNormalised() {
        assertThat(stage2.normalise("saved to /tmp/rh-stage2-1/busybox.tar via /tmp/rh-stage2-1/docker.sock", false))
                .isEqualTo("saved to <tmp>/busybox.tar via <sock>");
        assertThat(stage2.normalise("0.1.0-stage2", false)).isEqualTo("<self>");
        assertThat(stage2.normalise("0.1.0-stage1", false)).as("stage 2 calling itself stage 1 shows")
                .isEqualTo("0.1.0-stage1");
    }

    @Test
    void whatIsBehaviourIsLeftAlone() {
        assertThat(stage2.normalise("CapEff:\t00000000a80425fb\nexit 137\n\n", false))
                .isEqualTo("CapEff: 00000000a80425fb\nexit 137");
        assertThat(stage2.normalise("uid=0(root) gid=0(root) groups=0(root)", false))
                .isEqualTo("uid=0(root) gid=0(root) groups=0(root)");
    }

    @Test
    void commandLinesSplitAsAShellWould() {
        assertThat(DiffEntry.words("run --rm busybox sh -c 'exit 3'"))
                .containsExactly("run", "--rm", "busybox", "sh", "-c", "exit 3");
        assertThat(DiffEntry.words("run busybox sh -c 'trap \"echo a; exit 5\" USR1'"))
                .containsExactly("run", "busybox", "sh", "-c", "trap \"echo a; exit 5\" USR1");
        assertThat(DiffEntry.words("a \"b \\\" c\"d  e")).containsExactly("a", "b \" cd", "e");
        assertThat(DiffEntry.words("x ''")).containsExactly("x", "");
        assertThatThrownBy(() -> DiffEntry.words("sh -c 'exit")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void theCatalogueHasUniqueNamesAndAReasonForEveryDifference() {
        Set<String> names = new HashSet<>();
        for (DiffEntry e : DifferentialCatalogue.ENTRIES) {
            assertThat(names.add(e.name())).as("duplicate entry %s", e.name()).isTrue();
            assertThat(e.steps()).as(e.name()).isNotEmpty();
            for (DiffEntry.Expect x : List.of(e.stage1(), e.stage2())) {
                assertThat(x.match() || !x.reason().isBlank()).as("%s: DIFFERS without a reason", e.name()).isTrue();
            }
            e.steps().forEach(s -> DiffEntry.words(s.line()));
        }
    }
}
