package dev.rabbithole.stage3.shim;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The shim binary's command line, as containerd 1.6 passes it (Go flag syntax), and where its socket goes. */
class ShimMainTest {

    @Test
    void containerdsFlagsAreParsedInGoFlagSyntax() {
        ShimMain.Args a = ShimMain.parse(new String[] {"-namespace", "moby", "-address", "/run/c/containerd.sock",
                "-publish-binary", "/usr/bin/containerd", "-id", "abc", "-debug", "start"});
        assertThat(a.namespace()).isEqualTo("moby");
        assertThat(a.address()).isEqualTo("/run/c/containerd.sock");
        assertThat(a.id()).isEqualTo("abc");
        assertThat(a.debug()).isTrue();
        assertThat(a.action()).isEqualTo("start");
        assertThat(a.bundle()).isEqualTo(Path.of("").toAbsolutePath());
        ShimMain.Args d = ShimMain.parse(new String[] {"--namespace=ns", "-id=x", "-bundle", "/b", "delete"});
        assertThat(d.bundle()).isEqualTo(Path.of("/b"));
        assertThat(d.action()).isEqualTo("delete");
    }

    @Test
    void badCommandLinesAreUsageErrorsWithTheReason() {
        assertThatThrownBy(() -> ShimMain.parse(new String[] {"-id", "x", "start"})).hasMessageContaining("namespace");
        assertThatThrownBy(() -> ShimMain.parse(new String[] {"-namespace", "n", "start"})).hasMessageContaining("id");
        assertThatThrownBy(() -> ShimMain.parse(new String[] {"-namespace", "n", "-id", "x"})).hasMessageContaining("no action");
        assertThatThrownBy(() -> ShimMain.parse(new String[] {"-frob", "start"})).hasMessageContaining("-frob");
        assertThatThrownBy(() -> ShimMain.parse(new String[] {"-namespace"})).hasMessageContaining("needs an argument");
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int rc = ShimMain.run(new String[] {"-namespace", "n", "-id", "x", "frob"}, System.out,
                new PrintStream(err, true, StandardCharsets.UTF_8));
        assertThat(rc).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown action frob");
    }

    @Test
    void theSocketIsBesideContainerdsPerTaskOrPerNamespaceAndFitsSunPath() {
        String longId = "f".repeat(64);
        ShimMain.Args a = ShimMain.parse(new String[] {"-namespace", "moby", "-address",
                "/run/rabbithole/stage3/containerd.sock", "-id", longId, "start"});
        ShimMain.Args b = ShimMain.parse(new String[] {"-namespace", "moby", "-address",
                "/run/rabbithole/stage3/containerd.sock", "-id", "other", "start"});
        Path own = ShimMain.socket(a, false);
        assertThat(own.getParent()).isEqualTo(Path.of("/run/rabbithole/stage3/s"));
        assertThat(own.toString().length()).isLessThan(108);
        assertThat(ShimMain.socket(b, false)).isNotEqualTo(own);
        // shared: one socket for every task of the namespace
        assertThat(ShimMain.socket(a, true)).isEqualTo(ShimMain.socket(b, true)).isNotEqualTo(own);
        assertThat(ShimMain.socket(a, true).getFileName().toString()).startsWith("g-");
    }
}
