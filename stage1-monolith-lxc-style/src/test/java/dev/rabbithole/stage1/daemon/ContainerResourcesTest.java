package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.errdefs.SystemException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** How {@code docker top} reads ps's output: the PID column, the container's pids, the last column's spaces. */
class ContainerResourcesTest {

    private static final String PS = """
            UID          PID    PPID  C STIME TTY          TIME CMD
            root           1       0  0 15:05 ?        00:02:21 /sbin/init splash
            root        2136    2135  0 21:32 ?        00:00:00 sh -c i=0; while true; do sleep 1; done
            root        2151    2136  0 21:32 ?        00:00:00 sleep 1
            """;

    @Test
    void keepsTheContainersRowsAndJoinsTheLastColumn() {
        ContainerResources.Top top = ContainerResources.parse(PS, Set.of(2136L, 2151L));
        assertThat(top.titles()).containsExactly("UID", "PID", "PPID", "C", "STIME", "TTY", "TIME", "CMD");
        assertThat(top.processes()).containsExactly(
                List.of("root", "2136", "2135", "0", "21:32", "?", "00:00:00", "sh -c i=0; while true; do sleep 1; done"),
                List.of("root", "2151", "2136", "0", "21:32", "?", "00:00:00", "sleep 1"));
    }

    @Test
    void outputWithoutAPidColumnIsAnError() {
        assertThatThrownBy(() -> ContainerResources.parse("USER COMMAND\nroot sh\n", Set.of(1L)))
                .isInstanceOf(SystemException.class).hasMessage("Couldn't find PID field in ps output");
    }
}
