package dev.rabbithole.stage1.api;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Docker's detachKeys parameter, as the attach and exec start of Engine API 1.41 take it. */
class StdinPumpTest {

    @Test
    void detachKeysAsDockerReadsThem() {
        assertThat(StdinPump.parseDetachKeys(null)).containsExactly(16, 17);          // ctrl-p ctrl-q
        assertThat(StdinPump.parseDetachKeys("ctrl-a,x")).containsExactly(1, 'x');
        assertThat(StdinPump.parseDetachKeys("ctrl-@,ctrl-[,ctrl-_")).containsExactly(0, 27, 31);
        assertThatThrownBy(() -> StdinPump.parseDetachKeys("ctrl-1")).isInstanceOf(InvalidParameterException.class);
        assertThatThrownBy(() -> StdinPump.parseDetachKeys("xy")).isInstanceOf(InvalidParameterException.class);
    }
}
