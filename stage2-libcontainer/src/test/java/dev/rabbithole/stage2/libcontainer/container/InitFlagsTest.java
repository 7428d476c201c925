package dev.rabbithole.stage2.libcontainer.container;

import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The init JVM's options by the feature release of the java that runs it. */
class InitFlagsTest {
    private static final Path ARCHIVE = Path.of("/cache/init-0123.aot");

    @Test
    void jdk17KeepsG1AndUsesAppCds() {
        assertThat(InitFlags.jvmOptions(17)).doesNotContain("-XX:+UseSerialGC").contains("-Xshare:auto")
                .doesNotContain("--enable-native-access=ALL-UNNAMED");
        assertThat(InitFlags.trainOptions(17, ARCHIVE)).containsExactly("-XX:ArchiveClassesAtExit=" + ARCHIVE);
        assertThat(InitFlags.useOptions(17, ARCHIVE)).containsExactly("-XX:SharedArchiveFile=" + ARCHIVE);
        assertThat(InitFlags.archiveSuffix(17)).isEqualTo(".jsa");
    }

    @Test
    void jdk25AndNewerUseTheAotCacheWithoutXshareAndWithNativeAccess() {
        for (int feature : new int[] {25, 26}) {
            assertThat(InitFlags.jvmOptions(feature)).doesNotContain("-Xshare:auto", "-XX:+UseSerialGC")
                    .contains("--enable-native-access=ALL-UNNAMED");
            assertThat(InitFlags.trainOptions(feature, ARCHIVE)).containsExactly("-XX:AOTCacheOutput=" + ARCHIVE);
            assertThat(InitFlags.useOptions(feature, ARCHIVE)).containsExactly("-XX:+UnlockDiagnosticVMOptions",
                    "-XX:ArchiveRelocationMode=0", "-XX:AOTCache=" + ARCHIVE);
            assertThat(InitFlags.archiveSuffix(feature)).isEqualTo(".aot");
        }
        // 21 has no AOT cache (JEP 483 came with 24, the one-step -XX:AOTCacheOutput with 25)
        assertThat(InitFlags.trainOptions(21, ARCHIVE)).containsExactly("-XX:ArchiveClassesAtExit=" + ARCHIVE);
    }

    @Test
    void theFeatureReleaseComesFromTheJdksReleaseFile() {
        assertThat(InitFlags.parseRelease("IMPLEMENTOR=\"Eclipse Adoptium\"\nJAVA_VERSION=\"25.0.3\"\n")).isEqualTo(25);
        assertThat(InitFlags.parseRelease("JAVA_VERSION=\"17.0.15\"\nJAVA_VERSION_DATE=\"2025-04-15\"")).isEqualTo(17);
        assertThat(InitFlags.parseRelease("JAVA_VERSION=\"1.8.0_402\"")).isEqualTo(8);
        assertThatThrownBy(() -> InitFlags.parseRelease("OS_NAME=Linux")).isInstanceOf(IllegalArgumentException.class);
        assertThat(InitFlags.featureOf(Path.of(System.getProperty("java.home"), "bin", "java")))
                .isEqualTo(Runtime.version().feature());
    }

    @Test
    void theLibcDirectoryIsTheOneThisProcessMapped() {
        String maps = "7f5aa2182000-7f5aa21a8000 r--p 00000000 fe:00 339380   /usr/lib/x86_64-linux-gnu/libm.so.6\n"
                + "7f5aa2182000-7f5aa21a8000 r--p 00000000 fe:00 339380   /usr/lib/x86_64-linux-gnu/libc.so.6\n";
        assertThat(InitFlags.libcDirectory(maps)).isEqualTo("/usr/lib/x86_64-linux-gnu");
        assertThat(InitFlags.libcDirectory("00400000-00452000 r-xp 00000000 08:02 173521  /lib/libc-2.17.so\n"))
                .isEqualTo("/lib");
        assertThat(InitFlags.libcDirectory("7ffd1 rw-p 00000000 00:00 0   [stack]\n")).isNull();
        assertThat(InitFlags.libcDirectory()).isNotNull();
    }
}
