package dev.rabbithole.stage1.api;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Go's path.Match, which Docker's reference filter uses. */
class PathGlobTest {

    static boolean m(String pattern, String name) {
        return PathGlob.compile(pattern).matches(name);
    }

    @Test
    void matchesAsGoPathMatch() {
        assertThat(m("busybox", "busybox")).isTrue();
        assertThat(m("busybox", "busybox:latest")).isFalse();
        assertThat(m("bu*", "busybox")).isTrue();
        assertThat(m("*", "library/busybox")).isFalse();          // * stops at /
        assertThat(m("*/*", "library/busybox")).isTrue();
        assertThat(m("busybox:t?o", "busybox:two")).isTrue();
        assertThat(m("?", "/")).isFalse();
        assertThat(m("[a-c]x", "bx")).isTrue();
        assertThat(m("[^a-c]x", "bx")).isFalse();
        assertThat(m("[^a-c]x", "dx")).isTrue();
        assertThat(m("\\*", "*")).isTrue();
        assertThat(m("\\*", "a")).isFalse();
        assertThat(m("a*b*c", "axxbyyc")).isTrue();
        assertThat(m("a*b*c", "axxbyy")).isFalse();
        assertThat(m("", "")).isTrue();
    }

    @Test
    void badPatternsAreRefusedAsGoDoes() {
        for (String bad : new String[] {"[", "[]", "[a-", "[z-a]", "a\\", "[-a]"}) {
            assertThatThrownBy(() -> PathGlob.compile(bad)).as(bad).isInstanceOf(InvalidParameterException.class)
                    .hasMessage("syntax error in pattern");
        }
    }
}
