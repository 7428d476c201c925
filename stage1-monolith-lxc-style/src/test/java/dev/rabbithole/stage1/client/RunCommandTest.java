package dev.rabbithole.stage1.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage1.Main;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The mapping of docker run's flags to the create body, checked against the Engine API's field names. */
class RunCommandTest {
    private static final Map<String, String> ENV = Map.of("FROM_SHELL", "shell value");

    private static RunCommand parse(String... args) {
        PrintStream sink = new PrintStream(new ByteArrayOutputStream());
        CommandLine cl = Main.commandLine(sink, sink, ENV);
        CommandLine.ParseResult result = cl.parseArgs(args);
        return (RunCommand) result.subcommand().commandSpec().userObject();
    }

    @Test
    void everyFlagLandsInItsEngineApiField() {
        ObjectNode body = parse("run", "--rm", "--name", "demo", "-e", "A=1", "--env", "FROM_SHELL", "-e", "UNSET_HERE",
                "-w", "/tmp", "-u", "1000:1000", "-h", "box", "-m", "64m", "--cpus", "1.5", "--cpu-shares", "512",
                "--pids-limit", "20", "--cap-add", "NET_ADMIN", "--cap-add", "CAP_SYS_TIME", "--cap-drop", "ALL",
                "--group-add", "wheel", "--group-add", "777",
                "--privileged", "--security-opt", "seccomp=unconfined",
                "busybox", "sh", "-c", "echo hi").createBody(ENV);

        assertThat(body.get("Image").asText()).isEqualTo("busybox");
        assertThat(body.get("Cmd")).containsExactly(text("sh"), text("-c"), text("echo hi"));
        // -e KEY with KEY unset in the client's environment is left out (the container does not get KEY)
        assertThat(body.get("Env")).containsExactly(text("A=1"), text("FROM_SHELL=shell value"));
        assertThat(body.get("WorkingDir").asText()).isEqualTo("/tmp");
        assertThat(body.get("User").asText()).isEqualTo("1000:1000");
        assertThat(body.get("Hostname").asText()).isEqualTo("box");
        assertThat(body.get("Tty").asBoolean()).isFalse();
        assertThat(body.get("AttachStdout").asBoolean()).isTrue();
        assertThat(body.get("AttachStderr").asBoolean()).isTrue();

        JsonNode host = body.get("HostConfig");
        assertThat(host.get("AutoRemove").asBoolean()).isTrue();
        assertThat(host.get("Memory").asLong()).isEqualTo(64L * 1024 * 1024);
        assertThat(host.get("NanoCpus").asLong()).isEqualTo(1_500_000_000L);
        assertThat(host.get("CpuShares").asLong()).isEqualTo(512);
        assertThat(host.get("PidsLimit").asLong()).isEqualTo(20);
        assertThat(host.get("CapAdd")).containsExactly(text("NET_ADMIN"), text("CAP_SYS_TIME")); // sent as typed
        assertThat(host.get("GroupAdd")).containsExactly(text("wheel"), text("777"));
        assertThat(host.get("CapDrop")).containsExactly(text("ALL"));
        assertThat(host.get("Privileged").asBoolean()).isTrue();
        assertThat(host.get("SecurityOpt")).containsExactly(text("seccomp=unconfined"));
    }

    @Test
    void stopSignalStopTimeoutAndInitAreDockersFields() {
        ObjectNode body = parse("run", "--stop-signal", "USR1", "--stop-timeout", "2", "--init", "--platform",
                "linux/arm64", "busybox").createBody(ENV);
        assertThat(body.get("StopSignal").asText()).isEqualTo("USR1");
        assertThat(body.get("StopTimeout").asInt()).isEqualTo(2);
        assertThat(body.get("HostConfig").get("Init").asBoolean()).isTrue();
        ObjectNode plain = parse("run", "busybox").createBody(ENV);
        assertThat(plain.has("StopSignal")).isFalse();
        assertThat(plain.has("StopTimeout")).isFalse();
        assertThat(plain.get("HostConfig").has("Init")).isFalse();
    }

    @Test
    void deviceFlagsAreParsedAsDockersCli() {
        ObjectNode body = parse("run", "--device", "/dev/fuse", "--device", "/dev/null:r", "--device",
                "/dev/sda:/dev/xvda:rw", "busybox").createBody(ENV);
        assertThat(body.get("HostConfig").get("Devices").toString()).isEqualTo("["
                + "{\"PathOnHost\":\"/dev/fuse\",\"PathInContainer\":\"/dev/fuse\",\"CgroupPermissions\":\"rwm\"},"
                + "{\"PathOnHost\":\"/dev/null\",\"PathInContainer\":\"/dev/null\",\"CgroupPermissions\":\"r\"},"
                + "{\"PathOnHost\":\"/dev/sda\",\"PathInContainer\":\"/dev/xvda\",\"CgroupPermissions\":\"rw\"}]");
        assertThat(parse("run", "busybox").createBody(ENV).get("HostConfig").has("Devices")).isFalse();
        assertThatThrownBy(() -> parse("run", "--device", "/dev/fuse:rel", "busybox").createBody(ENV))
                .hasMessage("rel is not an absolute path");
        assertThatThrownBy(() -> parse("run", "--device", "/dev/fuse:/dev/fuse:rwx", "busybox").createBody(ENV))
                .hasMessage("bad mode specified: rwx");
        assertThatThrownBy(() -> parse("run", "--device", "a:b:c:d", "busybox").createBody(ENV))
                .hasMessage("invalid device specification: a:b:c:d");
    }

    @Test
    void defaultsLeaveLimitsOutAndCmdNull() {
        ObjectNode body = parse("run", "busybox").createBody(ENV);
        assertThat(body.get("Cmd").isNull()).isTrue();
        assertThat(body.get("HostConfig").has("Memory")).isFalse();
        assertThat(body.get("HostConfig").has("NanoCpus")).isFalse();
        assertThat(body.get("HostConfig").has("PidsLimit")).isFalse();
        assertThat(body.get("HostConfig").get("AutoRemove").asBoolean()).isFalse();
    }

    @Test
    void optionParsingStopsAtTheImage() {
        RunCommand run = parse("run", "-d", "busybox", "ls", "-l", "--rm", "-m", "1g");
        ObjectNode body = run.createBody(ENV);
        assertThat(body.get("Cmd")).containsExactly(text("ls"), text("-l"), text("--rm"), text("-m"), text("1g"));
        assertThat(body.get("HostConfig").get("AutoRemove").asBoolean()).isFalse();
        assertThat(body.get("HostConfig").has("Memory")).isFalse();
        assertThat(body.get("AttachStdout").asBoolean()).isFalse(); // -d attaches nothing
    }

    @Test
    void aSeccompProfileFileIsInlinedAsCompactJson(@TempDir Path dir) throws Exception {
        Path profile = dir.resolve("profile.json");
        Files.writeString(profile, "{\n  \"defaultAction\": \"SCMP_ACT_ALLOW\",\n  \"syscalls\": [\n    {\"names\": [\"mkdir\"], \"action\": \"SCMP_ACT_ERRNO\"}\n  ]\n}\n");
        ObjectNode body = parse("run", "--security-opt", "seccomp=" + profile, "--security-opt", "no-new-privileges", "busybox").createBody(ENV);
        assertThat(body.get("HostConfig").get("SecurityOpt")).containsExactly(
                text("seccomp={\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":\"SCMP_ACT_ERRNO\"}]}"),
                text("no-new-privileges"));
    }

    @Test
    void badValuesGiveDockersMessages(@TempDir Path dir) {
        assertThatThrownBy(() -> parse("run", "-m", "12x", "busybox").createBody(ENV))
                .hasMessage("invalid argument \"12x\" for \"-m, --memory\" flag: invalid size: '12x'");
        assertThatThrownBy(() -> parse("run", "--cpus", "lots", "busybox").createBody(ENV))
                .hasMessageContaining("failed to parse lots as a rational number");
        String nope = dir.resolve("nope.json").toString();
        assertThatThrownBy(() -> parse("run", "--security-opt", "seccomp=" + nope, "busybox").createBody(ENV))
                .hasMessage("opening seccomp profile (" + nope + ") failed: open " + nope + ": no such file or directory");
        assertThatThrownBy(() -> parse("run", "--security-opt", "seccomp=" + dir, "busybox").createBody(ENV))
                .hasMessage("opening seccomp profile (" + dir + ") failed: read " + dir + ": is a directory");
        assertThatThrownBy(() -> parse("run", "--security-opt", "bogus", "busybox").createBody(ENV))
                .hasMessage("Invalid --security-opt: \"bogus\"");
    }

    @Test
    void psFlagsBecomeDockersQuery() {
        PrintStream sink = new PrintStream(new ByteArrayOutputStream());
        CommandLine cl = Main.commandLine(sink, sink, ENV);
        ContainerCommands.Ps ps = (ContainerCommands.Ps) cl.parseArgs("ps", "-a", "-n", "3", "--filter", "name=web",
                "-f", "status=exited", "-f", "name=db").subcommand().commandSpec().userObject();
        assertThat(ps.query()).isEqualTo("?all=1&limit=3&filters="
                + java.net.URLEncoder.encode("{\"name\":{\"web\":true,\"db\":true},\"status\":{\"exited\":true}}",
                java.nio.charset.StandardCharsets.UTF_8));
        ContainerCommands.Ps latest = (ContainerCommands.Ps) Main.commandLine(sink, sink, ENV).parseArgs("ps", "-l")
                .subcommand().commandSpec().userObject();
        assertThat(latest.query()).isEqualTo("?limit=1");
    }

    @Test
    void startErrorsMapToDockersExitCodes() {
        assertThat(RunCommand.startErrorExitCode("exec: \"nope\": executable file not found in $PATH")).isEqualTo(127);
        assertThat(RunCommand.startErrorExitCode("stat /bin/x: no such file or directory")).isEqualTo(127);
        assertThat(RunCommand.startErrorExitCode("exec /etc: permission denied")).isEqualTo(126);
        assertThat(RunCommand.startErrorExitCode("cgroup: out of memory")).isEqualTo(125);
    }

    @Test
    void inspectPrintsLikeDocker() throws Exception {
        JsonNode node = EngineClient.JSON.readTree("[{\"Id\":\"abc\",\"Args\":[],\"Config\":{},\"State\":{\"Pid\":42}}]");
        assertThat(ContainerCommands.Inspect.pretty(node)).isEqualTo(
                "[\n    {\n        \"Id\": \"abc\",\n        \"Args\": [],\n        \"Config\": {},\n"
                        + "        \"State\": {\n            \"Pid\": 42\n        }\n    }\n]");
    }

    private static JsonNode text(String s) {
        return EngineClient.JSON.getNodeFactory().textNode(s);
    }
}
