package dev.rabbithole.stage1.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage1.daemon.Daemon;
import dev.rabbithole.stage1.daemon.DaemonMain;
import dev.rabbithole.stage1.daemon.fakes.FakeImageStore;
import dev.rabbithole.stage1.daemon.fakes.FakeSecurity;
import dev.rabbithole.stage1.daemon.fakes.FakeStorageDriver;
import dev.rabbithole.stage1.daemon.fakes.ScriptedExecDriver;
import dev.rabbithole.stage1.image.Image;
import dev.rabbithole.stage1.image.ImageConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Where Docker 20.10's daemon and ours were seen to differ (issue 7, item 8), checked over the API: the image
 * list's filters, the ps COMMAND text, and the time bounds of the logs.
 */
class ParityRoutesTest {

    @TempDir
    static Path root;

    static final ObjectMapper JSON = new ObjectMapper();
    static DaemonMain.Running running;
    static UnixHttp http;
    static FakeImageStore images;

    static final String RED = "sha256:" + "a".repeat(64);
    static final String OLD = "sha256:" + "c".repeat(64);
    static final String NONE = "sha256:" + "e".repeat(64);

    @BeforeAll
    static void start() throws Exception {
        images = new FakeImageStore();   // busybox:latest, created 2024-01-01
        images.add(image(OLD, List.of("old:1", "old:2"), "2020-05-05T00:00:00.5Z", null));
        images.add(image(RED, List.of("labelled:v1", "other/labelled:v1"), "2025-01-01T00:00:00Z",
                Map.of("color", "red", "solo", "")));
        images.add(image(NONE, List.of(), "2025-06-01T00:00:00Z", Map.of("color", "blue")));
        Daemon daemon = new Daemon(root.resolve("data"), images, new FakeStorageDriver(root.resolve("rootfs")),
                new ScriptedExecDriver(), new FakeSecurity());
        running = DaemonMain.start(daemon, root.resolve("docker.sock"));
        http = new UnixHttp(root.resolve("docker.sock"));
    }

    @AfterAll
    static void stop() {
        if (running != null) {
            running.close();
        }
    }

    static Image image(String id, List<String> tags, String created, Map<String, String> labels) {
        return new Image(id, tags, "sha256:" + "d".repeat(64),
                new ImageConfig("amd64", "linux", created, new ImageConfig.Defaults(null, null, null, List.of("sh"),
                        null, labels), new ImageConfig.RootFs("layers", List.of("sha256:" + "1".repeat(64)))),
                List.of("sha256:" + "2".repeat(64)), 10, Instant.parse(created).getEpochSecond());
    }

    static UnixHttp.Response get(String path) throws Exception {
        return http.call("GET", path, null);
    }

    /** {@code GET /images/json?filters=F} as the docker CLI sends {@code -f} values: {"key":{"value":true}}. */
    static UnixHttp.Response images(String... filters) throws Exception {
        var f = JSON.createObjectNode();
        for (String kv : filters) {
            int eq = kv.indexOf('=');
            var values = f.has(kv.substring(0, eq)) ? (com.fasterxml.jackson.databind.node.ObjectNode) f.get(kv.substring(0, eq))
                    : f.putObject(kv.substring(0, eq));
            values.put(kv.substring(eq + 1), true);
        }
        return get("/v1.41/images/json?filters=" + URLEncoder.encode(f.toString(), StandardCharsets.UTF_8));
    }

    /** The listed images as "ID-letter:tag,tag". */
    static List<String> listed(String... filters) throws Exception {
        UnixHttp.Response r = images(filters);
        assertThat(r.status()).as(r.body()).isEqualTo(200);
        List<String> out = new ArrayList<>();
        for (JsonNode i : JSON.readTree(r.body())) {
            List<String> tags = new ArrayList<>();
            i.path("RepoTags").forEach(t -> tags.add(t.asText()));
            out.add(i.path("Id").asText().charAt(7) + ":" + String.join(",", tags));
        }
        return out;
    }

    @Test
    void imageFiltersSelectAsDockersDo() throws Exception {
        assertThat(listed()).hasSize(4);
        // docker images busybox / -q busybox: the positional argument is reference=busybox
        assertThat(listed("reference=busybox")).containsExactly("b:busybox:latest");
        // a glob on name:tag or on the name; only the matching tags are listed
        assertThat(listed("reference=old:2")).containsExactly("c:old:2");
        assertThat(listed("reference=lab*")).containsExactly("a:labelled:v1");
        assertThat(listed("reference=*/lab*")).containsExactly("a:other/labelled:v1");
        assertThat(listed("reference=busybox", "reference=old")).containsExactlyInAnyOrder("b:busybox:latest",
                "c:old:1,old:2");
        assertThat(listed("reference=nothing*")).isEmpty();
        assertThat(listed("dangling=true")).containsExactly("e:<none>:<none>");   // dockerd 20.10's placeholder
        assertThat(listed("dangling=false")).hasSize(3).doesNotContain("e:<none>:<none>");
        assertThat(listed("label=color")).containsExactlyInAnyOrder("a:labelled:v1,other/labelled:v1", "e:<none>:<none>");
        assertThat(listed("label=color=red")).containsExactly("a:labelled:v1,other/labelled:v1");
        assertThat(listed("label=solo=")).containsExactly("a:labelled:v1,other/labelled:v1");
        assertThat(listed("label=color", "label=solo")).containsExactly("a:labelled:v1,other/labelled:v1");
        assertThat(listed("before=busybox")).containsExactly("c:old:1,old:2");
        assertThat(listed("since=busybox")).containsExactlyInAnyOrder("a:labelled:v1,other/labelled:v1", "e:<none>:<none>");
        assertThat(listed("since=old:1", "before=labelled:v1")).containsExactly("b:busybox:latest");
    }

    @Test
    void badImageFiltersAreRefusedWithDockersWords() throws Exception {
        UnixHttp.Response bad = images("dangling=maybe");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.body()).contains("Invalid filter 'dangling=[maybe]'");
        assertThat(images("foo=bar").body()).contains("Invalid filter 'foo'");
        UnixHttp.Response pattern = images("reference=[");
        assertThat(pattern.status()).isEqualTo(400);
        assertThat(pattern.body()).contains("syntax error in pattern");
        UnixHttp.Response missing = images("since=nosuch");
        assertThat(missing.status()).isEqualTo(404);
        assertThat(missing.body()).contains("No such image: nosuch:latest");
    }

    @Test
    void imageSizeIsTheStoresUnpackedSize() throws Exception {
        JsonNode list = JSON.readTree(images("reference=busybox").body());
        assertThat(list.get(0).get("Size").asLong()).isEqualTo(1234);     // what the store says, unchanged
        assertThat(list.get(0).get("VirtualSize").asLong()).isEqualTo(1234);
    }

    @Test
    void psCommandQuotesArgumentsWithSpacesAsDockersDaemon() throws Exception {
        UnixHttp.Response created = http.call("POST", "/v1.41/containers/create?name=quoting",
                "{\"Image\":\"busybox\",\"Cmd\":[\"sh\",\"-c\",\"exit 2\",\"\",\"tab\\tx\",\"q\\\"q\"]}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        JsonNode list = JSON.readTree(get("/v1.41/containers/json?all=1").body());
        JsonNode c = null;
        for (JsonNode n : list) {
            if (n.path("Names").get(0).asText().equals("/quoting")) c = n;
        }
        assertThat(c).isNotNull();
        // Docker 20.10 printed "sh -c 'exit 2'" (its CLI then adds the double quotes and the ellipsis)
        assertThat(c.get("Command").asText()).isEqualTo("sh -c 'exit 2'  tab\tx q\"q");
    }

    @Test
    void logsKeepOnlyWhatIsWithinSinceAndUntil() throws Exception {
        UnixHttp.Response created = http.call("POST", "/v1.41/containers/create?name=timed",
                "{\"Image\":\"busybox\",\"Cmd\":[\"echo\",\"line\"]}");
        String id = JSON.readTree(created.body()).get("Id").asText();
        assertThat(http.call("POST", "/v1.41/containers/" + id + "/start", null).status()).isEqualTo(204);
        await().until(() -> JSON.readTree(get("/v1.41/containers/" + id + "/json").body())
                .path("State").path("Status").asText().equals("exited"));
        String all = logs(id, "");
        assertThat(all).contains("line");
        long now = Instant.now().getEpochSecond();
        assertThat(logs(id, "&since=0")).isEqualTo(all);
        assertThat(logs(id, "&until=0")).isEqualTo(all);            // 0: no bound, as Docker reads it
        assertThat(logs(id, "&since=" + (now - 3600) + ".5")).isEqualTo(all);
        assertThat(logs(id, "&since=" + (now + 3600))).isEmpty();
        assertThat(logs(id, "&until=" + (now - 3600) + ".000000001")).isEmpty();
        assertThat(logs(id, "&until=" + (now + 3600))).isEqualTo(all);
        UnixHttp.Response bad = get("/v1.41/containers/" + id + "/logs?stdout=1&since=yesterday");
        assertThat(bad.status()).isEqualTo(400);
        assertThat(bad.body()).contains("since");
    }

    private static String logs(String id, String query) throws Exception {
        try (UnixHttp.Conn c = http.open("GET", "/v1.41/containers/" + id + "/logs?stdout=1&stderr=1" + query,
                null, Map.of())) {
            assertThat(c.status).isEqualTo(200);
            return new String(c.body(), StandardCharsets.ISO_8859_1);
        }
    }
}
