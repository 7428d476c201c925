package dev.rabbithole.stage1.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage1.daemon.Daemon;
import dev.rabbithole.stage1.daemon.DaemonMain;
import dev.rabbithole.stage1.daemon.fakes.FakeImageStore;
import dev.rabbithole.stage1.daemon.fakes.FakeSecurity;
import dev.rabbithole.stage1.daemon.fakes.FakeStorageDriver;
import dev.rabbithole.stage1.daemon.fakes.ScriptedExecDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** {@code docker kill} (SIGKILL) returns once the container has exited, as dockerd's does; other signals at once. */
class KillWaitsTest {

    @TempDir
    Path root;

    final ObjectMapper json = new ObjectMapper();
    ScriptedExecDriver exec;
    DaemonMain.Running running;
    UnixHttp http;

    @BeforeEach
    void start() {
        exec = new ScriptedExecDriver();
        Path socket = root.resolve("docker.sock");
        Daemon daemon = new Daemon(root.resolve("data"), new FakeImageStore(),
                new FakeStorageDriver(root.resolve("rootfs")), exec, new FakeSecurity());
        running = DaemonMain.start(daemon, socket);
        http = new UnixHttp(socket);
    }

    @AfterEach
    void stop() {
        running.close();
    }

    JsonNode state(String name) throws Exception {
        return json.readTree(http.call("GET", "/v1.41/containers/" + name + "/json", null).body()).get("State");
    }

    @Test
    void killWithSigkillReturnsAfterTheExit() throws Exception {
        UnixHttp.Response created = http.call("POST", "/v1.41/containers/create?name=k1",
                "{\"Image\":\"busybox\",\"Cmd\":[\"sleep\",\"100\"]}");
        assertThat(created.status()).as(created.body()).isEqualTo(201);
        assertThat(http.call("POST", "/v1.41/containers/k1/start", null).status()).isEqualTo(204);
        // the process takes a while to die, as a real one does; the kill must wait for it
        exec.last().dyingMillis = 500;

        UnixHttp.Response killed = http.call("POST", "/v1.41/containers/k1/kill", null);
        assertThat(killed.status()).as(killed.body()).isEqualTo(204);
        JsonNode state = state("k1");
        assertThat(state.get("Status").asText()).isEqualTo("exited");
        assertThat(state.get("ExitCode").asInt()).isEqualTo(137);
    }

    @Test
    void otherSignalsReturnAtOnce() throws Exception {
        http.call("POST", "/v1.41/containers/create?name=k2", "{\"Image\":\"busybox\",\"Cmd\":[\"sleep\",\"100\"]}");
        assertThat(http.call("POST", "/v1.41/containers/k2/start", null).status()).isEqualTo(204);
        exec.last().dyingMillis = 60_000;                  // far longer than the test takes

        assertThat(http.call("POST", "/v1.41/containers/k2/kill?signal=SIGUSR1", null).status()).isEqualTo(204);
        assertThat(state("k2").get("Status").asText()).isEqualTo("running");
        assertThat(exec.last().signals).containsExactly(10);
        exec.last().exit(0);
    }
}
