package dev.rabbithole.stage1.client;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The docker CLI's argument and rebase rules of {@code cp}, without a daemon. */
class CpCommandTest {

    @Test
    void splitsLikeDockersSplitCpArg() {
        assertThat(CpCommand.split("ctr:/etc/passwd")).containsExactly("ctr", "/etc/passwd");
        assertThat(CpCommand.split("/abs/with:colon")).containsExactly(null, "/abs/with:colon");
        assertThat(CpCommand.split("./rel:colon")).containsExactly(null, "./rel:colon");
        assertThat(CpCommand.split("plain")).containsExactly(null, "plain");
        assertThat(CpCommand.split("-")).containsExactly(null, "-");
    }

    @Test
    void rebasesTheLeadingName() {
        assertThat(CpCommand.rebase("d/", "d", "new")).isEqualTo("new/");
        assertThat(CpCommand.rebase("d/sub/b", "d", "new")).isEqualTo("new/sub/b");
        assertThat(CpCommand.rebase("./a", ".", "new")).isEqualTo("new/a");
        assertThat(CpCommand.rebase("dd/a", "d", "new")).isEqualTo("dd/a");
        assertThat(CpCommand.rebase("d/a", "d", null)).isEqualTo("d/a");
        assertThat(CpCommand.base("/d/.")).isEqualTo(".");
        assertThat(CpCommand.base("/d/")).isEqualTo("d");
        assertThat(CpCommand.base("/")).isEqualTo("/");
    }

    @Test
    void refusesNamesThatLeaveTheDestination() {
        assertThat(CpCommand.components("./a/../b")).isEqualTo(List.of("b"));
        assertThat(CpCommand.components("/abs/x")).isEqualTo(List.of("abs", "x"));
        assertThat(CpCommand.components("a/../../x")).isNull();
    }
}
