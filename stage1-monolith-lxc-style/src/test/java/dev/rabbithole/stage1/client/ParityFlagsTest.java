package dev.rabbithole.stage1.client;

import com.fasterxml.jackson.databind.JsonNode;
import dev.rabbithole.stage1.Main;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The client flags of issue 7, item 8 and 9: images filters, logs --since/--until, save, ps --no-trunc. */
class ParityFlagsTest {
    static final Map<String, String> ENV = Map.of();

    static Object parse(String... args) {
        PrintStream sink = new PrintStream(new ByteArrayOutputStream());
        CommandLine cl = Main.commandLine(sink, sink, ENV);
        return cl.parseArgs(args).subcommand().commandSpec().userObject();
    }

    static String enc(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8);
    }

    @Test
    void imagesFlagsBecomeDockersFilters() {
        ImageCommands.Images plain = (ImageCommands.Images) parse("images");
        assertThat(plain.query()).isEmpty();
        // docker images -q busybox: the repository is the reference filter
        ImageCommands.Images repo = (ImageCommands.Images) parse("images", "-q", "busybox");
        assertThat(repo.query()).isEqualTo("?filters=" + enc("{\"reference\":{\"busybox\":true}}"));
        ImageCommands.Images many = (ImageCommands.Images) parse("images", "-a", "-f", "dangling=true",
                "--filter", "label=a=b", "-f", "label=c", "bu*");
        assertThat(many.query()).isEqualTo("?all=1&filters="
                + enc("{\"dangling\":{\"true\":true},\"label\":{\"a=b\":true,\"c\":true},\"reference\":{\"bu*\":true}}"));
        ImageCommands.Images bad = (ImageCommands.Images) parse("images", "-f", "dangling");
        assertThatThrownBy(bad::query).hasMessageContaining("bad format of filter");
    }

    @Test
    void saveAsksForEveryName() {
        ImageCommands.Save save = (ImageCommands.Save) parse("save", "-o", "out.tar", "busybox", "two:layers");
        assertThat(save.path()).isEqualTo("/images/get?names=busybox&names=two%3Alayers");
    }

    @Test
    void sinceAndUntilTakeTheFormsOfTheDockerCli() {
        Instant now = Instant.parse("2024-06-01T12:00:00Z");
        ZoneId utc = ZoneOffset.UTC;
        ZoneId plus2 = ZoneOffset.ofHours(2);
        // durations: that long before now, whole seconds
        assertThat(Timestamps.toUnix("10m", now, utc)).isEqualTo(Long.toString(now.getEpochSecond() - 600));
        assertThat(Timestamps.toUnix("1h30m", now, utc)).isEqualTo(Long.toString(now.getEpochSecond() - 5400));
        assertThat(Timestamps.toUnix("1.5h", now, utc)).isEqualTo(Long.toString(now.getEpochSecond() - 5400));
        assertThat(Timestamps.toUnix("1500ms", now, utc)).isEqualTo(Long.toString(now.getEpochSecond() - 2));
        // RFC 3339 and its shorter forms; without a zone, local time
        assertThat(Timestamps.toUnix("2024-01-02T15:04:05Z", now, utc)).isEqualTo("1704207845.000000000");
        assertThat(Timestamps.toUnix("2024-01-02T15:04:05.5Z", now, utc)).isEqualTo("1704207845.500000000");
        assertThat(Timestamps.toUnix("2024-01-02T17:04:05+02:00", now, utc)).isEqualTo("1704207845.000000000");
        assertThat(Timestamps.toUnix("2024-01-02T15:04:05", now, utc)).isEqualTo("1704207845.000000000");
        assertThat(Timestamps.toUnix("2024-01-02T17:04:05", now, plus2)).isEqualTo("1704207845.000000000");
        assertThat(Timestamps.toUnix("2024-01-02T15:04", now, utc)).isEqualTo("1704207840.000000000");
        assertThat(Timestamps.toUnix("2024-01-02T15", now, utc)).isEqualTo("1704207600.000000000");
        assertThat(Timestamps.toUnix("2024-01-02", now, utc)).isEqualTo("1704153600.000000000");
        assertThat(Timestamps.toUnix("2024-01-02Z", now, utc)).isEqualTo("1704153600.000000000");
        // Unix time passes as typed
        assertThat(Timestamps.toUnix("1704207845", now, utc)).isEqualTo("1704207845");
        assertThat(Timestamps.toUnix("1704207845.25", now, utc)).isEqualTo("1704207845.25");
        assertThat(Timestamps.toUnix("0", now, utc)).isEqualTo("0");
        assertThatThrownBy(() -> Timestamps.toUnix("abc", now, utc))
                .hasMessage("failed to parse value as time or duration: \"abc\"");
        assertThatThrownBy(() -> Timestamps.toUnix("2020-13-01", now, utc)).hasMessageContaining("2020-13-01");
    }

    @Test
    void logsSendsTheBoundsAndRefusesBadOnesWithTheClisWords() {
        ContainerCommands.Logs logs = (ContainerCommands.Logs) parse("logs", "--since", "2024-01-02T15:04:05Z",
                "--until", "1704207900", "c");
        assertThat(logs.timeQuery()).isEqualTo("&since=1704207845.000000000&until=1704207900");
        ContainerCommands.Logs bad = (ContainerCommands.Logs) parse("logs", "--since", "abc", "c");
        assertThatThrownBy(bad::timeQuery)
                .hasMessage("invalid value for \"since\": failed to parse value as time or duration: \"abc\"");
    }

    @Test
    void psNoTruncKeepsTheWholeIdAndCommand() throws Exception {
        JsonNode list = EngineClient.JSON.readTree("[{\"Id\":\"" + "f".repeat(64) + "\",\"Image\":\"busybox\","
                + "\"Command\":\"echo 'a b' it's tab\\tx q\\\"q \",\"Created\":0,\"Status\":\"Exited (0)\","
                + "\"Names\":[\"/q2\"]}]");
        String cut = Listings.psTable(list, Instant.ofEpochSecond(10));
        assertThat(cut).contains("\"echo 'a b' it's tab…\"").contains("ffffffffffff ");
        String whole = Listings.psTable(list, Instant.ofEpochSecond(10), true);
        // what docker ps --no-trunc printed for the same container on Docker 20.10
        assertThat(whole).contains("\"echo 'a b' it's tab\\tx q\\\"q \"").contains("f".repeat(64));
    }
}
