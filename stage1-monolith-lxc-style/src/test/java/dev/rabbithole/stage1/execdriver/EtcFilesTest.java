package dev.rabbithole.stage1.execdriver;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class EtcFilesTest {

    @TempDir
    Path tmp;

    @Test
    void resolvConfDropsLoopbackNameserversAndKeepsTheRest() {
        String host = "# from the host\nsearch example.org\nnameserver 127.0.0.53\nnameserver 10.0.0.2\n"
                + "nameserver ::1\noptions edns0 trust-ad\n";
        assertThat(EtcFiles.resolvConf(host)).isEqualTo(
                "# from the host\nsearch example.org\nnameserver 10.0.0.2\noptions edns0 trust-ad\n");
    }

    @Test
    void onlyLoopbackNameserversGiveDockersFallback() {
        assertThat(EtcFiles.resolvConf("nameserver 127.0.0.53\noptions edns0\n"))
                .isEqualTo("options edns0\nnameserver 8.8.8.8\nnameserver 8.8.4.4\n");
        assertThat(EtcFiles.resolvConf("")).isEqualTo("nameserver 8.8.8.8\nnameserver 8.8.4.4\n");
    }

    @Test
    void writesTheThreeFiles() throws Exception {
        Path hostResolv = Files.writeString(tmp.resolve("host-resolv.conf"), "nameserver 192.0.2.1\n");
        EtcFiles.write(tmp.resolve("state"), "box", hostResolv);
        assertThat(Files.readString(tmp.resolve("state/hostname"))).isEqualTo("box\n");
        assertThat(Files.readString(tmp.resolve("state/hosts")))
                .startsWith("127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n")
                .endsWith("127.0.1.1\tbox\n");
        assertThat(Files.readString(tmp.resolve("state/resolv.conf"))).isEqualTo("nameserver 192.0.2.1\n");
        EtcFiles.write(tmp.resolve("state"), "box", tmp.resolve("missing"));   // no host file: the fallback
        assertThat(Files.readString(tmp.resolve("state/resolv.conf"))).contains("nameserver 8.8.8.8");
    }
}
