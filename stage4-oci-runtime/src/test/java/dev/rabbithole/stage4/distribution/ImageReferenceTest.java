package dev.rabbithole.stage4.distribution;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** References as dockerd reads them (distribution's reference grammar), and dockerd's insecure-registry rule. */
class ImageReferenceTest {
    private static final String D = "sha256:" + "ab".repeat(32);

    @Test
    void domainsPathsTagsAndDigests() {
        assertThat(ImageReference.parse("busybox")).isEqualTo(new ImageReference("docker.io", "library/busybox", "latest", null));
        assertThat(ImageReference.parse("localhost:5000/a/b:v1")).isEqualTo(new ImageReference("localhost:5000", "a/b", "v1", null));
        assertThat(ImageReference.parse("localhost/app")).isEqualTo(new ImageReference("localhost", "app", "latest", null));
        assertThat(ImageReference.parse("127.0.0.1:5000/app@" + D)).isEqualTo(new ImageReference("127.0.0.1:5000", "app", null, D));
        assertThat(ImageReference.parse("127.0.0.1:5000/app", D).digest()).isEqualTo(D);
        assertThat(ImageReference.parse("127.0.0.1:5000/app", "2").toString()).isEqualTo("127.0.0.1:5000/app:2");
        assertThat(ImageReference.parse("user/app").path()).isEqualTo("user/app");
        assertThat(ImageReference.parse("docker.io/library/busybox:1").familiarName()).isEqualTo("busybox");
        for (String bad : List.of("", "UPPER", "app:", "app@sha256:12", "a//b", "127.0.0.1:5000/App")) {
            assertThatThrownBy(() -> ImageReference.parse(bad)).as(bad).isInstanceOf(InvalidParameterException.class);
        }
    }

    @Test
    void loopbackAndListedRegistriesAreInsecure() {
        RegistryHosts hosts = new RegistryHosts(List.of("registry.example:5000"), null);
        assertThat(hosts.insecure("127.0.0.1:5000")).isTrue();
        assertThat(hosts.insecure("127.1.2.3:443")).isTrue();
        assertThat(hosts.insecure("localhost:5000")).isTrue();
        assertThat(hosts.insecure("registry.example:5000")).isTrue();
        assertThat(hosts.insecure("registry.invalid:5000")).isFalse();
    }

    @Test
    void theRegistryAuthHeaderDecodes() {
        assertThat(AuthConfig.fromHeader(null).anonymous()).isTrue();
        assertThat(AuthConfig.fromHeader("e30=").anonymous()).isTrue();
        String h = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
                "{\"username\":\"u\",\"password\":\"p?>\",\"serveraddress\":\"h:1\"}".getBytes());
        AuthConfig a = AuthConfig.fromHeader(h);
        assertThat(a.username()).isEqualTo("u");
        assertThat(a.password()).isEqualTo("p?>");
        assertThat(a.toString()).doesNotContain("p?>");
    }
}
