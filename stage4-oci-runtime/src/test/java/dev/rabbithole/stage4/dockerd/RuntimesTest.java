package dev.rabbithole.stage4.dockerd;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage3.dockerd.ContainerdRuntime;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The runtimes' table from dockerd's flags, with Debian's dockerd 20.10's refusals (run by hand, quoted here). */
class RuntimesTest {

    private static final Path EXEC = Path.of("/run/rh-test");

    private static Runtimes of(List<String> added, String def) {
        return Runtimes.of(added, def, "/opt/rh/bin/rabbithole-runc", "io.containerd.rabbithole.v2", EXEC);
    }

    @Test
    void builtInsAsDockerdListsThemPlusOurs() {
        Runtimes r = of(List.of("crun=/usr/bin/crun"), null);
        assertThat(r.table().paths()).containsEntry("runc", "runc")
                .containsEntry("rabbithole", "/opt/rh/bin/rabbithole-runc")
                .containsEntry("io.containerd.runc.v2", "runc").containsEntry("io.containerd.runtime.v1.linux", "runc")
                .containsEntry("crun", "/usr/bin/crun");
        assertThat(r.table().defaultName()).isEqualTo("rabbithole");
        assertThat(Runtimes.of(null, null, null, "io.containerd.runc.v2", EXEC).table().defaultName())
                .isEqualTo("runc");
        assertThat(Runtimes.of(null, null, null, "io.containerd.runc.v2", EXEC).table().paths().get("rabbithole"))
                .isEqualTo("rabbithole-runc");
        assertThat(of(List.of("crun=/usr/bin/crun"), "crun").table().defaultName()).isEqualTo("crun");
    }

    @Test
    void eachContainerRunsItsRuntimeUnderTheShimWithItsOwnRoot() {
        Runtimes r = of(List.of("crun=/usr/bin/crun"), "runc");
        assertThat(r.shim("crun")).isEqualTo(new ContainerdRuntime.Shim("io.containerd.rabbithole.v2",
                "/usr/bin/crun", "/run/rh-test/runtime-crun"));
        assertThat(r.shim(null).binaryName()).isEqualTo("runc");
        assertThat(r.shim("").root()).isEqualTo("/run/rh-test/runtime-runc");
        assertThat(r.shim("rabbithole").binaryName()).isEqualTo("/opt/rh/bin/rabbithole-runc");
        // a container created with a runtime this daemon no longer has: dockerd 20.10 refuses its start alike
        assertThatThrownBy(() -> r.shim("rh")).isInstanceOf(InvalidParameterException.class)
                .hasMessage("Unknown runtime specified rh");
    }

    @Test
    void badFlagsGetDockerdsWords() {
        assertThatThrownBy(() -> of(List.of("bad"), null))
                .hasMessage("invalid argument \"bad\" for \"--add-runtime\" flag: invalid runtime argument: bad");
        assertThatThrownBy(() -> of(List.of("x="), null))
                .hasMessage("invalid argument \"x=\" for \"--add-runtime\" flag: invalid runtime argument: x=");
        assertThatThrownBy(() -> of(List.of("runc=/usr/sbin/runc"), null))
                .hasMessage("invalid argument \"runc=/usr/sbin/runc\" for \"--add-runtime\" flag: runtime name 'runc' "
                        + "is reserved");
        assertThatThrownBy(() -> of(List.of("rabbithole=/bin/true"), null)).hasMessageEndingWith(
                "runtime name 'rabbithole' is reserved");
        assertThatThrownBy(() -> of(List.of("rh=/usr/sbin/runc", "rh=/bin/true"), null))
                .hasMessage("invalid argument \"rh=/bin/true\" for \"--add-runtime\" flag: runtime 'rh' was already "
                        + "defined");
        assertThatThrownBy(() -> of(List.of(), "nope")).hasMessage("specified default runtime 'nope' does not exist");
        // the name becomes a directory under the exec root: nothing that leaves it
        assertThatThrownBy(() -> of(List.of("../x=/bin/true"), null)).hasMessageContaining("invalid runtime name '../x'");
        assertThatThrownBy(() -> of(List.of("..=/bin/true"), null)).hasMessageContaining("invalid runtime name '..'");
        // dockerd lets an added runtime take a listed containerd name
        assertThat(of(List.of("io.containerd.runc.v2=/usr/bin/crun"), null).table().paths())
                .containsEntry("io.containerd.runc.v2", "/usr/bin/crun");
    }

    @Test
    void theCommandLineRefusesABadRuntimeBeforeItStartsAnything() {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        PrintStream e = new PrintStream(err, true, StandardCharsets.UTF_8);
        assertThat(Stage4Dockerd.run(new String[] {"--data-root", "/nonexistent/rh", "--add-runtime", "bad"},
                System.out, e)).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo(
                "dockerd: invalid argument \"bad\" for \"--add-runtime\" flag: invalid runtime argument: bad\n");
        err.reset();
        assertThat(Stage4Dockerd.run(new String[] {"--data-root", "/nonexistent/rh", "--default-runtime", "nope"},
                System.out, e)).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8))
                .isEqualTo("dockerd: specified default runtime 'nope' does not exist\n");
    }

    @Test
    void helpNamesTheStage4DefaultsAndTheRuntimeFlags() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(Stage4Dockerd.run(new String[] {"--help"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                System.err)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("--add-runtime=NAME=PATH", "--default-runtime=NAME",
                "/var/lib/rabbithole/stage4", "/run/rabbithole/stage4", "rh-stage4", "10.201.4.1/24");
        assertThat(Stage4Dockerd.DEFAULT_HOST).isEqualTo("unix:///run/rabbithole/stage4/docker.sock");
        // the bridge and subnet stage 1's network package gives stage 4, which the help names
        assertThat(dev.rabbithole.stage1.network.NetworkOptions.defaultBridge(4)).isEqualTo("rh-stage4");
        assertThat(dev.rabbithole.stage1.network.NetworkOptions.defaultBip(4)).isEqualTo("10.201.4.1/24");
        assertThat(Stage4Dockerd.STAGE4.version()).isEqualTo("0.1.0-stage4");
    }
}
