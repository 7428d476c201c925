package dev.rabbithole.stage1.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage1.Main;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * docker's run flags that the daemon decides on: our client accepts them (no {@code Unknown option}) and fills
 * the create body's fields as the docker CLI 20.10 does, so the daemon's answer is what the user reads.
 */
class DockerRunFlagsTest {

    private static RunCommand parse(String... args) {
        PrintStream sink = new PrintStream(new ByteArrayOutputStream());
        CommandLine cl = Main.commandLine(sink, sink, Map.of());
        return (RunCommand) cl.parseArgs(args).subcommand().commandSpec().userObject();
    }

    @Test
    void dockersFlagsFillTheFieldsTheDockerCliFills() {
        RunCommand run = parse("run", "-it", "-p", "127.0.0.1:8080:80", "-p", "53/udp", "-v", "/srv:/data:ro",
                "-v", "/anon", "--mount", "type=bind,source=/a,target=/b,readonly", "--network", "host",
                "--restart", "on-failure:3", "--device", "/dev/fuse", "--device", "/dev/sda:/dev/xvda:r",
                "--read-only", "--tmpfs", "/run:size=1m", "--dns", "1.1.1.1", "--log-driver", "none",
                "--ipc", "host", "--pid", "host", "--uts", "host", "--init", "--stop-signal", "SIGUSR1",
                "--stop-timeout", "3", "--platform", "linux/arm64", "--group-add", "audio",
                "busybox", "true");
        ObjectNode body = run.createBody(Map.of());
        JsonNode host = body.get("HostConfig");

        assertThat(body.get("Tty").asBoolean()).isTrue();
        assertThat(body.get("OpenStdin").asBoolean()).isTrue();
        assertThat(body.get("AttachStdin").asBoolean()).isTrue();
        assertThat(body.get("StdinOnce").asBoolean()).isTrue();
        assertThat(body.get("ExposedPorts").has("80/tcp")).isTrue();
        assertThat(body.get("ExposedPorts").has("53/udp")).isTrue();
        assertThat(host.at("/PortBindings/80~1tcp/0/HostIp").asText()).isEqualTo("127.0.0.1");
        assertThat(host.at("/PortBindings/80~1tcp/0/HostPort").asText()).isEqualTo("8080");
        assertThat(host.at("/PortBindings/53~1udp/0/HostPort").asText()).isEmpty();
        assertThat(host.get("Binds").get(0).asText()).isEqualTo("/srv:/data:ro");
        assertThat(body.get("Volumes").has("/anon")).isTrue();
        assertThat(host.at("/Mounts/0/Type").asText()).isEqualTo("bind");
        assertThat(host.at("/Mounts/0/Source").asText()).isEqualTo("/a");
        assertThat(host.at("/Mounts/0/Target").asText()).isEqualTo("/b");
        assertThat(host.at("/Mounts/0/ReadOnly").asBoolean()).isTrue();
        assertThat(host.get("NetworkMode").asText()).isEqualTo("host");
        assertThat(host.at("/RestartPolicy/Name").asText()).isEqualTo("on-failure");
        assertThat(host.at("/RestartPolicy/MaximumRetryCount").asInt()).isEqualTo(3);
        assertThat(host.at("/Devices/0/PathOnHost").asText()).isEqualTo("/dev/fuse");
        assertThat(host.at("/Devices/0/PathInContainer").asText()).isEqualTo("/dev/fuse");
        assertThat(host.at("/Devices/0/CgroupPermissions").asText()).isEqualTo("rwm");
        assertThat(host.at("/Devices/1/PathInContainer").asText()).isEqualTo("/dev/xvda");
        assertThat(host.at("/Devices/1/CgroupPermissions").asText()).isEqualTo("r");
        assertThat(host.get("ReadonlyRootfs").asBoolean()).isTrue();
        assertThat(host.at("/Tmpfs/~1run").asText()).isEqualTo("size=1m");
        assertThat(host.at("/Dns/0").asText()).isEqualTo("1.1.1.1");
        assertThat(host.at("/LogConfig/Type").asText()).isEqualTo("none");
        assertThat(host.get("IpcMode").asText()).isEqualTo("host");
        assertThat(host.get("PidMode").asText()).isEqualTo("host");
        assertThat(host.get("UTSMode").asText()).isEqualTo("host");
        assertThat(host.get("Init").asBoolean()).isTrue();
        assertThat(body.get("StopSignal").asText()).isEqualTo("SIGUSR1");
        assertThat(body.get("StopTimeout").asInt()).isEqualTo(3);
        assertThat(host.at("/GroupAdd/0").asText()).isEqualTo("audio");
        assertThat(run.dockerFlags.platform()).isEqualTo("linux/arm64");
    }

    @Test
    void withoutTheFlagsTheBodyIsAsBefore() {
        ObjectNode body = parse("run", "busybox", "true").createBody(Map.of());
        JsonNode host = body.get("HostConfig");
        assertThat(body.get("Tty").asBoolean()).isFalse();
        assertThat(body.get("OpenStdin").asBoolean()).isFalse();
        assertThat(body.has("ExposedPorts")).isFalse();
        assertThat(body.has("StopSignal")).isFalse();
        assertThat(host.has("Binds")).isFalse();
        assertThat(host.has("PortBindings")).isFalse();
        assertThat(host.has("Init")).isFalse();
        assertThat(host.has("Devices")).isFalse();
        assertThat(host.has("GroupAdd")).isFalse();
    }

    @Test
    void aBadPortIsRefusedAsTheDockerCliRefusesIt() {
        assertThatThrownBy(() -> parse("run", "-p", "80:http", "busybox").createBody(Map.of()))
                .hasMessageContaining("for \"-p, --publish\" flag");
    }

    @Test
    void theFlagsDoNotEndAtTheImage() {
        // `run busybox ls -p`: -p after IMAGE is ls's
        RunCommand run = parse("run", "busybox", "ls", "-p");
        assertThat(run.command).containsExactly("ls", "-p");
        assertThat(run.createBody(Map.of()).has("ExposedPorts")).isFalse();
    }
}
