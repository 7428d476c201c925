package dev.rabbithole.stage1.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import dev.rabbithole.stage1.daemon.Daemon;
import dev.rabbithole.stage1.daemon.DaemonMain;
import dev.rabbithole.stage1.daemon.Registry;
import dev.rabbithole.stage1.daemon.fakes.FakeImageStore;
import dev.rabbithole.stage1.daemon.fakes.FakeSecurity;
import dev.rabbithole.stage1.daemon.fakes.FakeStorageDriver;
import dev.rabbithole.stage1.daemon.fakes.ScriptedExecDriver;
import dev.rabbithole.stage1.errdefs.NotFoundException;
import dev.rabbithole.stage1.errdefs.SystemException;
import dev.rabbithole.stage1.image.Image;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The registry seam of the Engine API: without a {@link Registry} nothing changes (stage 1's busybox "pull", no
 * {@code /auth}); with one, pull, push and login go to it, an error before the first progress message is the HTTP
 * answer and one after it ends the stream with {@code errorDetail}, as from dockerd.
 */
class RegistryApiTest {
    @TempDir
    Path root;
    private final ObjectMapper json = new ObjectMapper();
    private final List<String> calls = new CopyOnWriteArrayList<>();
    private Daemon daemon;
    private DaemonMain.Running running;
    private UnixHttp http;

    @BeforeEach
    void start() throws Exception {
        daemon = new Daemon(root.resolve("data"), new FakeImageStore(), new FakeStorageDriver(root.resolve("rootfs")),
                new ScriptedExecDriver(), new FakeSecurity());
        running = DaemonMain.start(daemon, root.resolve("docker.sock"));
        http = new UnixHttp(root.resolve("docker.sock"));
    }

    @AfterEach
    void stop() {
        running.close();
    }

    private final class Fake implements Registry {
        @Override
        public Image pull(String fromImage, String tag, String registryAuth, Progress progress) {
            calls.add("pull " + fromImage + " " + tag + " " + registryAuth);
            if (fromImage.endsWith("early")) throw new NotFoundException("manifest for " + fromImage + " not found: manifest unknown");
            progress.message(progress.object().put("status", "Pulling from app").put("id", tag));
            if (fromImage.endsWith("late")) throw new SystemException("filesystem layer verification failed");
            return daemon.images().resolve("busybox:latest");
        }

        @Override
        public void push(String name, String tag, String registryAuth, Progress progress) {
            calls.add("push " + name + " " + tag + " " + registryAuth);
            progress.message(progress.object().put("status", "The push refers to repository [" + name + "]"));
        }

        @Override
        public JsonNode login(byte[] authConfig) {
            calls.add("login " + new String(authConfig, StandardCharsets.UTF_8));
            return JsonNodeFactory.instance.objectNode().put("Status", "Login Succeeded").put("IdentityToken", "");
        }
    }

    @Test
    void withoutARegistryStageOneBehaviourStays() throws Exception {
        assertThat(http.call("POST", "/v1.41/auth", "{}").status()).isEqualTo(404);
        assertThat(http.call("POST", "/v1.41/images/busybox/push?tag=latest", null).status()).isEqualTo(404);
        assertThat(http.call("POST", "/v1.41/images/create?fromImage=alpine&tag=3", null).status()).isEqualTo(404);
    }

    @Test
    void pullPushAndLoginGoToTheRegistry() throws Exception {
        daemon.imageService().registry(new Fake());
        UnixHttp.Response pull = http.call("POST", "/v1.41/images/create?fromImage=127.0.0.1:5000/ok&tag=1", null);
        assertThat(pull.status()).isEqualTo(200);
        assertThat(json.readTree(pull.body().lines().findFirst().orElseThrow()).path("status").asText()).isEqualTo("Pulling from app");

        UnixHttp.Response early = http.call("POST", "/v1.41/images/create?fromImage=127.0.0.1:5000/early&tag=1", null);
        assertThat(early.status()).isEqualTo(404);
        assertThat(json.readTree(early.body()).path("message").asText()).contains("manifest unknown");

        UnixHttp.Response late = http.call("POST", "/v1.41/images/create?fromImage=127.0.0.1:5000/late&tag=1", null);
        assertThat(late.status()).isEqualTo(200);
        List<String> lines = late.body().lines().toList();
        JsonNode last = json.readTree(lines.get(lines.size() - 1));
        assertThat(last.path("errorDetail").path("message").asText()).isEqualTo("filesystem layer verification failed");
        assertThat(last.path("error").asText()).isEqualTo("filesystem layer verification failed");

        UnixHttp.Response push = http.call("POST", "/v1.41/images/127.0.0.1:5000/ok/push?tag=1", null);
        assertThat(push.status()).isEqualTo(200);
        assertThat(push.body()).contains("The push refers to repository [127.0.0.1:5000/ok]");

        UnixHttp.Response login = http.call("POST", "/v1.41/auth", "{\"username\":\"u\",\"password\":\"p\"}");
        assertThat(login.status()).isEqualTo(200);
        assertThat(json.readTree(login.body()).path("Status").asText()).isEqualTo("Login Succeeded");
        assertThat(calls).contains("push 127.0.0.1:5000/ok 1 null", "login {\"username\":\"u\",\"password\":\"p\"}");
    }
}
