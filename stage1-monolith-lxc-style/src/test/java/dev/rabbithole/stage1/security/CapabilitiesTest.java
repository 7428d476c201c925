package dev.rabbithole.stage1.security;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class CapabilitiesTest {

    @Test
    void dockerDefaultIsFourteenWithTheKnownMask() {
        assertThat(Capabilities.resolve(null, null, false)).hasSize(14).contains("CHOWN", "AUDIT_WRITE");
        assertThat(Capabilities.capEffHex(Capabilities.resolve(List.of(), List.of(), false)))
                .isEqualTo("00000000a80425fb");
    }

    @Test
    void addAndDropAcceptAnySpelling() {
        var caps = Capabilities.resolve(List.of("cap_sys_admin", "Net_Admin"), List.of("CAP_CHOWN", "mknod"), false);
        assertThat(caps).contains("SYS_ADMIN", "NET_ADMIN").doesNotContain("CHOWN", "MKNOD").hasSize(14);
        assertThat(Capabilities.capEffHex(Capabilities.resolve(List.of("SYS_ADMIN"), null, false)))
                .isEqualTo("00000000a82425fb");
    }

    @Test
    void allAndPrivileged() {
        assertThat(Capabilities.resolve(List.of("ALL"), null, false)).hasSize(41);
        assertThat(Capabilities.resolve(null, List.of("all"), false)).isEmpty();
        assertThat(Capabilities.resolve(List.of("kill"), List.of("ALL"), false)).containsExactly("KILL");
        assertThat(Capabilities.capEffHex(Capabilities.resolve(null, null, true))).isEqualTo("000001ffffffffff");
        assertThat(Capabilities.ALL).containsEntry("CHECKPOINT_RESTORE", 40).containsEntry("SYS_ADMIN", 21);
    }

    @Test
    void unknownNameIsABadParameter() {
        assertThatThrownBy(() -> Capabilities.resolve(List.of("foo"), null, false))
                .isInstanceOf(InvalidParameterException.class).hasMessage("unknown capability: \"CAP_FOO\"");
        assertThatThrownBy(() -> Capabilities.resolve(null, List.of("CAP_FOO"), false))
                .isInstanceOf(InvalidParameterException.class).hasMessage("unknown capability: \"CAP_FOO\"");
    }
}
