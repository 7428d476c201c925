package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.NotFoundException;
import dev.rabbithole.stage1.image.ImageConfig;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The messages are dockerd 20.10's, read from its answers to {@code POST /containers/create?platform=}. */
class PlatformsTest {

    static final ImageConfig AMD64 = new ImageConfig("amd64", "linux", null, null, null);

    @Test
    void parsesAndNormalises() {
        assertThat(Platforms.parse("linux/arm64").toString()).isEqualTo("linux/arm64");
        assertThat(Platforms.parse("linux/x86_64").toString()).isEqualTo("linux/amd64");
        assertThat(Platforms.parse("linux/aarch64").toString()).isEqualTo("linux/arm64");
        assertThat(Platforms.parse("linux/arm").toString()).isEqualTo("linux/arm/v7");
        assertThat(Platforms.parse("linux")).isEqualTo(Platforms.host());
        assertThatThrownBy(() -> Platforms.parse("bogus/x/y/z")).isInstanceOf(InvalidParameterException.class)
                .hasMessage("\"bogus/x/y/z\": cannot parse platform specifier: invalid argument");
        assertThatThrownBy(() -> Platforms.parse("nosuch")).isInstanceOf(InvalidParameterException.class)
                .hasMessageContaining("unknown operating system or architecture");
    }

    @Test
    void refusesAnImageForAnotherPlatformAsDockerd() {
        assertThatThrownBy(() -> Platforms.check("linux/arm64", "busybox", AMD64)).isInstanceOf(NotFoundException.class)
                .hasMessage("image with reference busybox was found but does not match the specified platform: "
                        + "wanted linux/arm64, actual: linux/amd64");
        assertThatThrownBy(() -> Platforms.check("windows/amd64", "busybox", AMD64))
                .hasMessageEndingWith("wanted windows/amd64, actual: linux/amd64");
        assertThatCode(() -> Platforms.check("linux/amd64", "busybox", AMD64)).doesNotThrowAnyException();
        assertThatCode(() -> Platforms.check("", "busybox", AMD64)).doesNotThrowAnyException();
        assertThatCode(() -> Platforms.check(null, "busybox", AMD64)).doesNotThrowAnyException();
    }
}
