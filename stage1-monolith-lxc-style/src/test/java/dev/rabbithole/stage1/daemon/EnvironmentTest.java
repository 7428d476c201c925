package dev.rabbithole.stage1.daemon;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link Environment} against what Debian's dockerd 20.10 (runc 1.1) showed for the same requests, on an image
 * with {@code ENV PATH=<default> IMG=one BOTH=img}: {@code inspect -f '{{json .Config.Env}}'} and {@code env}
 * run as the workload (Env sent to the API as given: the docker CLI itself may reorder {@code -e}).
 */
class EnvironmentTest {
    static final String PATH = "PATH=" + Environment.DEFAULT_PATH;
    static final List<String> IMAGE = List.of(PATH, "IMG=one", "BOTH=img");

    @Test
    void configEnvListsTheRequestFirstThenTheImageEntriesItDoesNotName() {
        assertThat(Environment.configEnv(List.of("A=b"), IMAGE)).containsExactly("A=b", PATH, "IMG=one", "BOTH=img");
        assertThat(Environment.configEnv(List.of("A=b", "PATH=/x:/bin"), IMAGE))
                .containsExactly("A=b", "PATH=/x:/bin", "IMG=one", "BOTH=img");
        assertThat(Environment.configEnv(List.of("BOTH=user", "A=b"), IMAGE))
                .containsExactly("BOTH=user", "A=b", PATH, "IMG=one");
        // duplicates and KEY without a value stay as given; KEY hides the image's KEY
        assertThat(Environment.configEnv(List.of("C=1", "A=3", "IMG", "A=9", "UNSET", "HOSTNAME=hh", "HOME=", "Z"),
                IMAGE)).containsExactly("C=1", "A=3", "IMG", "A=9", "UNSET", "HOSTNAME=hh", "HOME=", "Z", PATH,
                "BOTH=img");
        assertThat(Environment.configEnv(null, IMAGE)).containsExactlyElementsOf(IMAGE);
        assertThat(Environment.configEnv(List.of(), null)).isEmpty();           // Docker adds no PATH here
        assertThat(Environment.configEnv(List.of("A=1"), null)).containsExactly("A=1");
    }

    @Test
    void processEnvStartsWithPathAndHostnameAndEndsWithHome() {
        assertThat(Environment.processEnv(List.of("A=b", PATH, "IMG=one", "BOTH=img"), "h", false, "/root"))
                .containsExactly(PATH, "HOSTNAME=h", "A=b", "IMG=one", "BOTH=img", "HOME=/root");
        assertThat(Environment.processEnv(List.of("A=b", "PATH=/x:/bin", "IMG=one", "BOTH=img"), "h", false, "/root"))
                .containsExactly("PATH=/x:/bin", "HOSTNAME=h", "A=b", "IMG=one", "BOTH=img", "HOME=/root");
        assertThat(Environment.processEnv(List.of(), "h", false, "/")).containsExactly(PATH, "HOSTNAME=h", "HOME=/");
        assertThat(Environment.processEnv(List.of("PATH=/bin:/usr/bin", "HOME=/x", "IMG=one"), "h", false, "/root"))
                .containsExactly("PATH=/bin:/usr/bin", "HOSTNAME=h", "HOME=/x", "IMG=one");
    }

    @Test
    void processEnvUnsetsKeysWithoutValueKeepsTheLastOfADuplicateAndFillsAnEmptyHome() {
        List<String> config = Environment.configEnv(
                List.of("C=1", "A=3", "IMG", "A=9", "UNSET", "HOSTNAME=hh", "HOME=", "Z"), IMAGE);
        assertThat(Environment.processEnv(config, "h", false, "/root"))
                .containsExactly(PATH, "HOSTNAME=hh", "C=1", "A=9", "HOME=/root", "BOTH=img");
        assertThat(Environment.processEnv(List.of("IMG", "A=b", PATH, "BOTH=img"), "h", false, "/root"))
                .containsExactly(PATH, "HOSTNAME=h", "A=b", "BOTH=img", "HOME=/root");
    }

    @Test
    void aTtyAddsTermAfterHostnameUnlessTheEnvironmentSetsIt() {
        assertThat(Environment.processEnv(List.of("A=b", PATH, "IMG=one", "BOTH=img"), "h", true, "/root"))
                .containsExactly(PATH, "HOSTNAME=h", "TERM=xterm", "A=b", "IMG=one", "BOTH=img", "HOME=/root");
        assertThat(Environment.processEnv(List.of("TERM=vt100", "X=1", PATH, "IMG=one", "BOTH=img"), "h", true,
                "/root")).containsExactly(PATH, "HOSTNAME=h", "TERM=vt100", "X=1", "IMG=one", "BOTH=img", "HOME=/root");
    }
}
