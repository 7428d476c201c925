package dev.rabbithole.stage1.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage1.Main;
import dev.rabbithole.stage1.daemon.Daemon;
import dev.rabbithole.stage1.daemon.DaemonMain;
import dev.rabbithole.stage1.daemon.fakes.FakeImageStore;
import dev.rabbithole.stage1.daemon.fakes.FakeSecurity;
import dev.rabbithole.stage1.daemon.fakes.FakeStorageDriver;
import dev.rabbithole.stage1.daemon.fakes.ScriptedExecDriver;
import dev.rabbithole.stage1.execdriver.Mount;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The {@code /volumes} endpoints, a container's mounts through create, start, inspect and {@code rm -v}, and our
 * client's {@code volume} commands, against a daemon with a scripted exec driver (no root, no containers).
 */
class VolumesApiTest {

    @TempDir
    Path root;

    final ObjectMapper json = new ObjectMapper();
    ScriptedExecDriver exec;
    DaemonMain.Running running;
    UnixHttp http;
    Path socket;

    @BeforeEach
    void start() throws Exception {
        exec = new ScriptedExecDriver();
        socket = root.resolve("docker.sock");
        Daemon daemon = new Daemon(root.resolve("data"), new FakeImageStore(),
                new FakeStorageDriver(root.resolve("rootfs")), exec, new FakeSecurity());
        running = DaemonMain.start(daemon, socket);
        http = new UnixHttp(socket);
    }

    @AfterEach
    void stop() {
        running.close();
    }

    JsonNode call(String method, String path, String body, int expectedStatus) throws Exception {
        UnixHttp.Response r = http.call(method, path, body);
        assertThat(r.status()).as(method + " " + path + ": " + r.body()).isEqualTo(expectedStatus);
        return r.body().isEmpty() ? null : json.readTree(r.body());
    }

    @Test
    void volumesThroughTheApi() throws Exception {
        JsonNode v = call("POST", "/v1.41/volumes/create", "{\"Name\":\"data\",\"Labels\":{\"a\":\"b\"}}", 201);
        assertThat(v.get("Mountpoint").asText()).isEqualTo(root.resolve("data/volumes/data/_data").toString());
        assertThat(v.get("Driver").asText()).isEqualTo("local");
        assertThat(v.get("Scope").asText()).isEqualTo("local");
        assertThat(v.get("Options").isNull()).isTrue();
        assertThat(call("GET", "/v1.41/volumes", null, 200).get("Volumes")).hasSize(1);
        assertThat(call("GET", "/v1.41/volumes/nope", null, 404).get("message").asText())
                .isEqualTo("get nope: no such volume");

        String id = call("POST", "/v1.41/containers/create", "{\"Image\":\"busybox\",\"Cmd\":[\"true\"],"
                + "\"Volumes\":{\"/anon\":{}},\"HostConfig\":{\"Binds\":[\"data:/d:ro\"],\"Tmpfs\":{\"/t\":\"size=1m\"},"
                + "\"ReadonlyRootfs\":true}}", 201).get("Id").asText();
        JsonNode inspect = call("GET", "/v1.41/containers/" + id + "/json", null, 200);
        assertThat(inspect.get("HostConfig").get("Binds").toString()).isEqualTo("[\"data:/d:ro\"]");
        assertThat(inspect.get("HostConfig").get("ReadonlyRootfs").asBoolean()).isTrue();
        JsonNode mounts = inspect.get("Mounts");
        assertThat(mounts).hasSize(2);
        assertThat(mounts.get(0).toString()).isEqualTo("{\"Type\":\"volume\",\"Name\":\"data\",\"Source\":\""
                + v.get("Mountpoint").asText() + "\",\"Destination\":\"/d\",\"Driver\":\"local\",\"Mode\":\"ro\","
                + "\"RW\":false,\"Propagation\":\"\"}");
        String anon = mounts.get(1).get("Name").asText();
        assertThat(anon).hasSize(64);
        assertThat(call("DELETE", "/v1.41/volumes/data", null, 409).get("message").asText())
                .isEqualTo("remove data: volume is in use - [" + id + "]");
        assertThat(call("GET", "/v1.41/volumes?filters=%7B%22dangling%22%3A%5B%22true%22%5D%7D", null, 200)
                .get("Volumes")).isEmpty();

        // start: the exec driver gets the mounts, parents first, and --read-only
        call("POST", "/v1.41/containers/" + id + "/start", null, 204);
        var cmd = exec.started.get(exec.started.size() - 1);
        assertThat(cmd.readonlyRootfs()).isTrue();
        assertThat(cmd.mounts()).extracting(Mount::destination).containsExactlyInAnyOrder("/d", "/anon", "/t");
        assertThat(cmd.mounts()).filteredOn(m -> m.destination().equals("/d")).singleElement()
                .extracting(Mount::options).isEqualTo(List.of("rbind", "ro"));
        exec.last().exit(0);

        // rm -v: the anonymous volume goes, the named one stays
        org.awaitility.Awaitility.await().until(() -> !call("GET", "/v1.41/containers/" + id + "/json", null, 200)
                .get("State").get("Running").asBoolean());
        call("DELETE", "/v1.41/containers/" + id + "?v=1", null, 204);
        assertThat(root.resolve("data/volumes").resolve(anon)).doesNotExist();
        JsonNode pruned = call("POST", "/v1.41/volumes/prune", null, 200);
        assertThat(pruned.get("VolumesDeleted").toString()).isEqualTo("[\"data\"]");
        assertThat(call("GET", "/v1.41/volumes", null, 200).get("Volumes")).isEmpty();
    }

    @Test
    void ourClientsVolumeCommands() throws Exception {
        assertThat(client("volume", "create", "--label", "k=v", "mine")).isEqualTo("mine\n");
        assertThat(client("volume", "ls")).isEqualTo("DRIVER    VOLUME NAME\nlocal     mine\n");
        assertThat(client("volume", "inspect", "mine")).contains("\"Name\": \"mine\"").contains("\"k\": \"v\"");
        assertThat(client("run", "-d", "-v", "mine:/m", "--volumes-from", "nosuch", "busybox", "true"))
                .isEmpty();                                            // refused: No such container (on stderr)
        assertThat(client("volume", "rm", "mine")).isEqualTo("mine\n");
        assertThat(client("volume", "ls", "-q")).isEmpty();
        assertThat(Files.exists(root.resolve("data/volumes/mine"))).isFalse();
    }

    private String client(String... args) {
        String[] all = new String[args.length + 2];
        all[0] = "-H";
        all[1] = "unix://" + socket;
        System.arraycopy(args, 0, all, 2, args.length);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Main.execute(all, new PrintStream(out, true), new PrintStream(new ByteArrayOutputStream(), true), Map.of());
        return out.toString();
    }
}
