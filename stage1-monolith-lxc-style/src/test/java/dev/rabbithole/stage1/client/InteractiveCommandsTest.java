package dev.rabbithole.stage1.client;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage1.Main;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The client's exec, events and run -d -i: the request bodies and queries the docker CLI 20.10 sends. */
class InteractiveCommandsTest {

    private static Object parse(String... args) {
        PrintStream sink = new PrintStream(new ByteArrayOutputStream());
        CommandLine cl = Main.commandLine(sink, sink, Map.of());
        return cl.parseArgs(args).subcommand().commandSpec().userObject();
    }

    @Test
    void execSendsDockersExecConfig_andItsOptionsEndAtTheContainer() {
        var exec = (InteractiveCommands.Exec) parse("exec", "-i", "-e", "A=1", "-u", "1000:1000", "-w", "/srv",
                "box", "sh", "-c", "echo -e x");
        ObjectNode body = exec.body();
        assertThat(body.get("AttachStdin").asBoolean()).isTrue();
        assertThat(body.get("AttachStdout").asBoolean()).isTrue();
        assertThat(body.get("Tty").asBoolean()).isFalse();
        assertThat(body.get("User").asText()).isEqualTo("1000:1000");
        assertThat(body.get("WorkingDir").asText()).isEqualTo("/srv");
        assertThat(body.get("Env")).extracting(JsonNode::asText).containsExactly("A=1");
        assertThat(body.get("Cmd")).extracting(JsonNode::asText).containsExactly("sh", "-c", "echo -e x");

        ObjectNode detached = ((InteractiveCommands.Exec) parse("exec", "-d", "-i", "box", "true")).body();
        assertThat(detached.get("Detach").asBoolean()).isTrue();
        assertThat(detached.get("AttachStdin").asBoolean()).isFalse();
        assertThat(detached.get("AttachStdout").asBoolean()).isFalse();
    }

    @Test
    void eventsSendsSinceUntilAndFiltersAsDockerDoes() {
        var events = (InteractiveCommands.Events) parse("events", "--since", "1700000000", "--until", "1700000060",
                "-f", "type=container", "-f", "event=die", "-f", "event=start");
        String q = URLDecoder.decode(events.query(), StandardCharsets.UTF_8);
        assertThat(q).startsWith("?since=1700000000").contains("&until=1700000060")
                .contains("filters={\"type\":{\"container\":true},\"event\":{\"die\":true,\"start\":true}}");
    }

    @Test
    void eventsPrintsDockersDefaultLine() {
        String line = InteractiveCommands.Events.human("{\"Type\":\"container\",\"Action\":\"die\",\"Actor\":{\"ID\":"
                + "\"abc\",\"Attributes\":{\"exitCode\":\"3\",\"name\":\"web\"}},\"time\":1700000000,"
                + "\"timeNano\":1700000000123456789}");
        assertThat(line).matches("2023-11-1\\dT\\d\\d:\\d\\d:20\\.123456789\\S+ container die abc \\(exitCode=3, name=web\\)");
    }

    @Test
    void runDashDDashIKeepsStdinOpenWithoutAttachingIt() {
        ObjectNode body = ((RunCommand) parse("run", "-d", "-i", "busybox", "cat")).createBody(Map.of());
        assertThat(body.get("OpenStdin").asBoolean()).isTrue();
        assertThat(body.get("AttachStdin").asBoolean()).isFalse();
        assertThat(body.get("StdinOnce").asBoolean()).isFalse();
        ObjectNode attached = ((RunCommand) parse("run", "-i", "busybox", "cat")).createBody(Map.of());
        assertThat(attached.get("AttachStdin").asBoolean()).isTrue();
        assertThat(attached.get("StdinOnce").asBoolean()).isTrue();
    }
}
