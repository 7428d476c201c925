package dev.rabbithole.stage1.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage1.daemon.Daemon;
import dev.rabbithole.stage1.daemon.DaemonMain;
import dev.rabbithole.stage1.daemon.fakes.FakeImageStore;
import dev.rabbithole.stage1.daemon.fakes.FakeProcess;
import dev.rabbithole.stage1.daemon.fakes.FakeSecurity;
import dev.rabbithole.stage1.daemon.fakes.FakeStorageDriver;
import dev.rabbithole.stage1.daemon.fakes.ScriptedExecDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

class ApiServerTest {

    @TempDir
    Path root;

    final ObjectMapper json = new ObjectMapper();
    ScriptedExecDriver exec;
    FakeStorageDriver storage;
    DaemonMain.Running running;
    UnixHttp http;
    Path socket;

    @BeforeEach
    void start() throws Exception {
        exec = new ScriptedExecDriver();
        storage = new FakeStorageDriver(root.resolve("rootfs"));
        socket = root.resolve("run/sub/docker.sock");
        Files.createDirectories(socket.getParent());
        Files.writeString(socket, "stale"); // a stale socket file is replaced
        Daemon daemon = new Daemon(root.resolve("data"), new FakeImageStore(), storage, exec, new FakeSecurity());
        running = DaemonMain.start(daemon, socket);
        http = new UnixHttp(socket);
    }

    @AfterEach
    void stop() {
        running.close();
        assertThat(socket).doesNotExist();
    }

    JsonNode call(String method, String path, String body, int expectedStatus) throws Exception {
        UnixHttp.Response r = http.call(method, path, body);
        assertThat(r.status()).as(method + " " + path + ": " + r.body()).isEqualTo(expectedStatus);
        return r.body().isEmpty() ? null : json.readTree(r.body());
    }

    String create(String name, String body) throws Exception {
        return call("POST", "/v1.41/containers/create" + (name == null ? "" : "?name=" + name), body, 201)
                .get("Id").asText();
    }

    @Test
    void pingAnswersWithTheHeadersTheCliReads() throws Exception {
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socket))).isEqualTo("rw-rw----");
        for (String method : List.of("GET", "HEAD")) {
            UnixHttp.Response r = http.call(method, "/_ping", null);
            assertThat(r.status()).isEqualTo(200);
            assertThat(r.headers()).containsEntry("api-version", "1.41").containsEntry("ostype", "linux")
                    .containsEntry("docker-experimental", "false");
            assertThat(r.headers().get("server")).startsWith("rabbithole");
            assertThat(r.body()).isEqualTo(method.equals("GET") ? "OK" : "");
        }
        assertThat(http.call("GET", "/v1.41/_ping", null).body()).isEqualTo("OK");
    }

    @Test
    void versionInfoAndUnknownRoutes() throws Exception {
        JsonNode v = call("GET", "/v1.41/version", null, 200);
        assertThat(v.get("ApiVersion").asText()).isEqualTo("1.41");
        assertThat(v.get("MinAPIVersion").asText()).isEqualTo("1.12");
        assertThat(v.get("Version").asText()).isEqualTo(Daemon.VERSION);
        assertThat(v.get("Os").asText()).isEqualTo("linux");
        assertThat(v.get("Components").get(0).get("Name").asText()).isEqualTo("Engine");

        create("one", "{\"Image\":\"busybox\",\"Cmd\":[\"echo\",\"x\"]}");
        JsonNode info = call("GET", "/info", null, 200);
        assertThat(info.get("Containers").asInt()).isEqualTo(1);
        assertThat(info.get("ContainersStopped").asInt()).isEqualTo(1);
        assertThat(info.get("Images").asInt()).isEqualTo(1);
        assertThat(info.get("Driver").asText()).isEqualTo("fake");
        assertThat(info.get("ExecutionDriver").asText()).isEqualTo("scripted");
        assertThat(info.get("DockerRootDir").asText()).isEqualTo(root.resolve("data").toString());
        assertThat(info.get("CgroupVersion").asText()).isIn("1", "2");
        assertThat(info.get("NCPU").asInt()).isPositive();
        assertThat(info.get("SecurityOptions").get(0).asText()).isEqualTo("name=seccomp,profile=default");

        assertThat(call("GET", "/v1.41/nothing/here", null, 404).get("message").asText()).isEqualTo("page not found");
        assertThat(call("GET", "/v1.50/version", null, 400).get("message").asText()).contains("too new");
    }

    @Test
    void runLikeTheCli_attachThenWaitThenStart() throws Exception {
        String id = create(null, "{\"Image\":\"busybox\",\"Cmd\":[\"fail\",\"3\",\"oops\"],\"AttachStdout\":true,"
                + "\"AttachStderr\":true,\"HostConfig\":{\"AutoRemove\":false,\"Unknown\":1},\"Extra\":[1]}");
        UnixHttp.Conn attach = http.open("POST", "/v1.41/containers/" + id + "/attach?stream=1&stdout=1&stderr=1",
                null, Map.of("Connection", "Upgrade", "Upgrade", "tcp"));
        assertThat(attach.status).isEqualTo(101);
        assertThat(attach.reason).isEqualTo("UPGRADED");
        assertThat(attach.header("Content-Type")).isEqualTo("application/vnd.docker.raw-stream");
        assertThat(attach.header("Upgrade")).isEqualTo("tcp");

        UnixHttp.Conn wait = http.open("POST", "/v1.41/containers/" + id + "/wait?condition=next-exit", null, Map.of());
        assertThat(wait.status).isEqualTo(200); // headers arrive before the container even starts

        call("POST", "/v1.41/containers/" + id + "/start", null, 204);
        List<UnixHttp.Frame> frames = UnixHttp.frames(attach.in); // until the daemon closes it
        attach.close();
        assertThat(frames).containsExactlyInAnyOrder(new UnixHttp.Frame(1, "about to fail\n"),
                new UnixHttp.Frame(2, "oops\n"));

        JsonNode status = json.readTree(wait.body());
        wait.close();
        assertThat(status.get("StatusCode").asInt()).isEqualTo(3);
        assertThat(status.get("Error").isNull()).isTrue();

        call("POST", "/v1.41/containers/" + id + "/start", null, 204); // it can start again
        await().atMost(Duration.ofSeconds(10)).until(() -> exec.processes.size() == 2 && exec.last().exited());
    }

    @Test
    void attachWithoutUpgradeAnswers200AndTheSameStream() throws Exception {
        String id = create("plain", "{\"Image\":\"busybox\",\"Cmd\":[\"sleep\"]}");
        UnixHttp.Conn attach = http.open("POST", "/containers/plain/attach?stream=1&stdout=1&stderr=1", null, Map.of());
        assertThat(attach.status).isEqualTo(200);
        call("POST", "/containers/" + id + "/start", null, 204);
        FakeProcess p = exec.last();
        p.stdout("hello\n");
        p.exit(0);
        assertThat(UnixHttp.frames(attach.in)).containsExactly(new UnixHttp.Frame(1, "hello\n"));
        attach.close();
    }

    @Test
    void logsAreFramedAndFollowEndsAtExit() throws Exception {
        String id = create("logger", "{\"Image\":\"busybox\",\"Cmd\":[\"sleep\"]}");
        call("POST", "/v1.41/containers/logger/start", null, 204);
        FakeProcess p = exec.last();
        p.stdout("a\n").stderr("b\n");
        await().atMost(Duration.ofSeconds(10)).until(() -> http.call("GET",
                "/containers/logger/logs?stdout=1&stderr=1", null).body().contains("b"));

        UnixHttp.Conn follow = http.open("GET", "/v1.41/containers/" + id + "/logs?stdout=1&stderr=1&follow=1&tail=all",
                null, Map.of());
        assertThat(follow.status).isEqualTo(200);
        assertThat(follow.header("Content-Type")).startsWith("application/vnd.docker.");
        CompletableFuture<byte[]> body = CompletableFuture.supplyAsync(() -> {
            try {
                return follow.body();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        p.stdout("c\n");
        p.exit(0);
        List<UnixHttp.Frame> frames = UnixHttp.frames(new java.io.ByteArrayInputStream(body.get(10, TimeUnit.SECONDS)));
        follow.close();
        assertThat(frames).contains(new UnixHttp.Frame(1, "a\n"), new UnixHttp.Frame(2, "b\n"),
                new UnixHttp.Frame(1, "c\n"));

        UnixHttp.Conn tail = http.open("GET", "/containers/logger/logs?stdout=1&tail=1&timestamps=1", null, Map.of());
        List<UnixHttp.Frame> last = UnixHttp.frames(new java.io.ByteArrayInputStream(tail.body()));
        tail.close();
        assertThat(last).hasSize(1);
        assertThat(last.get(0).stream()).isEqualTo(1);
        assertThat(last.get(0).text()).matches("\\d{4}-\\d\\d-\\d\\dT\\S+Z c\n");
    }

    @Test
    void psAndInspectShowWhatTheCliPrints() throws Exception {
        String id = create("shown", "{\"Image\":\"busybox\",\"Cmd\":[\"sleep\",\"1000\"],\"Labels\":{\"a\":\"b\"}}");
        assertThat(call("GET", "/v1.41/containers/json", null, 200)).isEmpty();
        JsonNode all = call("GET", "/v1.41/containers/json?all=1", null, 200);
        assertThat(all).hasSize(1);
        assertThat(all.get(0).get("Names").get(0).asText()).isEqualTo("/shown");
        assertThat(all.get(0).get("Status").asText()).isEqualTo("Created");
        assertThat(all.get(0).get("Command").asText()).isEqualTo("sleep 1000");

        call("POST", "/containers/shown/start", null, 204);
        call("POST", "/containers/shown/start", null, 304);
        JsonNode ps = call("GET", "/v1.41/containers/json", null, 200);
        assertThat(ps.get(0).get("Id").asText()).isEqualTo(id);
        assertThat(ps.get(0).get("State").asText()).isEqualTo("running");
        assertThat(ps.get(0).get("Status").asText()).startsWith("Up ");
        assertThat(ps.get(0).get("ImageID").asText()).isEqualTo(FakeImageStore.BUSYBOX_ID);
        assertThat(ps.get(0).get("Labels").get("a").asText()).isEqualTo("b");

        JsonNode c = call("GET", "/v1.41/containers/" + id.substring(0, 8) + "/json", null, 200);
        assertThat(c.get("Id").asText()).isEqualTo(id);
        assertThat(c.get("Name").asText()).isEqualTo("/shown");
        assertThat(c.get("Path").asText()).isEqualTo("sleep");
        assertThat(c.get("Args").get(0).asText()).isEqualTo("1000");
        assertThat(c.get("State").get("Running").asBoolean()).isTrue();
        assertThat(c.get("State").get("Pid").asLong()).isEqualTo(exec.last().pid());
        assertThat(c.get("Config").get("Hostname").asText()).isEqualTo(id.substring(0, 12));
        assertThat(c.get("Config").get("Tty").asBoolean()).isFalse();
        assertThat(c.get("HostConfig").get("LogConfig").get("Type").asText()).isEqualTo("json-file");

        call("POST", "/containers/shown/kill?signal=SIGTERM", null, 204);
        await().atMost(Duration.ofSeconds(10)).until(() -> json.readTree(http.call("GET",
                "/containers/json?all=1", null).body()).get(0).get("Status").asText().startsWith("Exited (143) "));
        call("POST", "/containers/shown/stop?t=1", null, 304);
        assertThat(call("POST", "/containers/shown/kill", null, 409).get("message").asText()).contains("not running");
    }

    @Test
    void removeConflictsAndMissingThings() throws Exception {
        String id = create("keeper", "{\"Image\":\"busybox\",\"Cmd\":[\"stubborn\"]}");
        assertThat(call("POST", "/containers/create?name=keeper", "{\"Image\":\"busybox\"}", 409).get("message")
                .asText()).isEqualTo("Conflict. The container name \"/keeper\" is already in use by container \""
                + id + "\". You have to remove (or rename) that container to be able to reuse that name.");
        call("POST", "/containers/keeper/start", null, 204);
        assertThat(call("DELETE", "/v1.41/containers/keeper", null, 409).get("message").asText())
                .startsWith("You cannot remove a running container " + id);
        assertThat(call("DELETE", "/v1.41/images/busybox", null, 409).get("message").asText())
                .startsWith("conflict: unable to remove repository reference \"busybox\" (must force)");
        call("DELETE", "/v1.41/containers/keeper?force=1&v=1", null, 204);
        assertThat(storage.removed).contains(id);
        assertThat(exec.last().signals).containsExactly(9);

        assertThat(call("GET", "/containers/keeper/json", null, 404).get("message").asText())
                .isEqualTo("No such container: keeper");
        assertThat(call("POST", "/containers/nope/start", null, 404).get("message").asText())
                .isEqualTo("No such container: nope");
        assertThat(call("POST", "/containers/nope/attach?stream=1&stdout=1", null, 404)).isNotNull();
        assertThat(call("POST", "/containers/create", "{\"Image\":\"alpine\"}", 404).get("message").asText())
                .isEqualTo("No such image: alpine");
        assertThat(call("GET", "/images/alpine/json", null, 404).get("message").asText())
                .isEqualTo("No such image: alpine");
        assertThat(call("POST", "/containers/create", "{\"Image\":\"busybox\",\"HostConfig\":{\"Memory\":1024}}", 400)
                .get("message").asText()).isEqualTo("Minimum memory limit allowed is 6MB");
        assertThat(call("POST", "/containers/create",
                "{\"Image\":\"busybox\",\"HostConfig\":{\"CapAdd\":[\"CAP_BOGUS\"]}}", 400)).isNotNull();
        assertThat(call("POST", "/containers/create", "{not json", 400)).isNotNull();
    }

    String message(String body) throws Exception {
        return call("POST", "/v1.41/containers/create", body, 400).get("message").asText();
    }

    @Test
    void createValidatesTheEnvironment() throws Exception {
        assertThat(message("{\"Image\":\"busybox\",\"Env\":[\"=x\"]}")).isEqualTo("invalid environment variable: =x");
        assertThat(message("{\"Image\":\"busybox\",\"Env\":[\"A=1\\n2\"]}"))
                .startsWith("invalid environment variable: A: ").contains("newline");
        // as Docker's Config.Env: the request's entries first, as given (KEY without a value too: it unsets KEY
        // in the workload's environment), then the image's whose names the request does not use
        String id = create(null, "{\"Image\":\"busybox\",\"Env\":[\"UNSET_IN_CLIENT\",\"FROM_IMAGE\",\"A=1\"]}");
        JsonNode env = call("GET", "/containers/" + id + "/json", null, 200).get("Config").get("Env");
        assertThat(env).extracting(JsonNode::asText)
                .containsExactly("UNSET_IN_CLIENT", "FROM_IMAGE", "A=1", Daemon.DEFAULT_PATH);
    }

    @Test
    void createRefusesStdinAndATty() throws Exception {
        for (String field : List.of("OpenStdin", "AttachStdin", "StdinOnce", "Tty")) {
            assertThat(message("{\"Image\":\"busybox\",\"" + field + "\":true}")).as(field)
                    .startsWith("stage 1 does not support stdin (-i) or a TTY (-t): ");
        }
        assertThat(call("GET", "/containers/json?all=1", null, 200)).isEmpty();
    }

    @Test
    void createTakesDevicesAndRefusesWhatTheDockerCliRefuses() throws Exception {
        assertThat(message("{\"Image\":\"busybox\",\"HostConfig\":{\"Devices\":[{\"PathOnHost\":\"/dev/fuse\","
                + "\"PathInContainer\":\"rel\",\"CgroupPermissions\":\"rwm\"}]}}")).isEqualTo("rel is not an absolute path");
        assertThat(message("{\"Image\":\"busybox\",\"HostConfig\":{\"Devices\":[{\"PathOnHost\":\"/dev/fuse\","
                + "\"PathInContainer\":\"/dev/fuse\",\"CgroupPermissions\":\"rwx\"}]}}")).isEqualTo("bad mode specified: rwx");
        assertThat(message("{\"Image\":\"busybox\",\"HostConfig\":{\"Devices\":{}}}"))
                .contains("HostConfig.Devices is not an array");
        String id = create(null, "{\"Image\":\"busybox\",\"HostConfig\":{\"Devices\":[{\"PathOnHost\":\"/dev/null\","
                + "\"PathInContainer\":\"/dev/mynull\",\"CgroupPermissions\":\"r\"}]}}");
        JsonNode devices = call("GET", "/containers/" + id + "/json", null, 200).get("HostConfig").get("Devices");
        assertThat(devices.get(0).get("PathInContainer").asText()).isEqualTo("/dev/mynull");
        assertThat(devices.get(0).get("CgroupPermissions").asText()).isEqualTo("r");
    }

    @Test
    void createRefusesFlagsStage1WouldIgnore() throws Exception {
        Map<String, String> refused = new java.util.LinkedHashMap<>();
        refused.put("\"DeviceCgroupRules\":[\"c 10:229 rwm\"]", "--device-cgroup-rule");
        refused.put("\"IpcMode\":\"host\"", "--ipc host");
        refused.put("\"PidMode\":\"host\"", "--pid (HostConfig.PidMode)");
        refused.put("\"UTSMode\":\"host\"", "--uts (HostConfig.UTSMode)");
        refused.put("\"LogConfig\":{\"Type\":\"none\",\"Config\":{}}", "--log-driver none");
        refused.put("\"Runtime\":\"runc\"", "--runtime (HostConfig.Runtime)");     // no named runtimes before stage 4
        for (Map.Entry<String, String> r : refused.entrySet()) {
            assertThat(message("{\"Image\":\"busybox\",\"HostConfig\":{" + r.getKey() + "}}")).as(r.getKey())
                    .contains(r.getValue()).endsWith("is not supported by stage 1"
                            + (r.getValue().startsWith("--ipc")
                            ? ": containers get their own IPC namespace" : r.getValue().startsWith("--log-driver")
                            ? ": logs are always json-file" : ""));
        }
        // networking: a daemon without a bridge (--bridge=none) has no bridge network and publishes nothing
        assertThat(call("POST", "/v1.41/containers/create", "{\"Image\":\"busybox\",\"HostConfig\":{\"NetworkMode\":"
                + "\"bridge\"}}", 404).get("message").asText()).isEqualTo("network bridge not found");
        assertThat(message("{\"Image\":\"busybox\",\"HostConfig\":{\"PortBindings\":{\"80/tcp\":[{\"HostIp\":\"\","
                + "\"HostPort\":\"8080\"}]}}}")).isEqualTo("conflicting options: port publishing and the container type "
                + "network mode");
        assertThat(message("{\"Image\":\"busybox\",\"HostConfig\":{\"PortBindings\":{\"80/tcp\":[{\"HostIp\":\"\","
                + "\"HostPort\":\"99999\"}]}}}")).isEqualTo("Invalid hostPort: 99999");
        // mounts are the daemon's now (issue 12): a duplicate destination is refused with dockerd's message
        assertThat(message("{\"Image\":\"busybox\",\"HostConfig\":{\"Binds\":[\"a1:/x\"],"
                + "\"Mounts\":[{\"Type\":\"tmpfs\",\"Target\":\"/x\"}]}}")).isEqualTo("Duplicate mount point: /x");
        // what the docker CLI sends when none of these flags is given is accepted
        create(null, "{\"Image\":\"busybox\",\"Tty\":false,\"OpenStdin\":false,\"AttachStdin\":false,"
                + "\"StdinOnce\":false,\"Volumes\":{},\"ExposedPorts\":{\"80/tcp\":{}},\"HostConfig\":{\"Binds\":null,"
                + "\"LogConfig\":{\"Type\":\"\",\"Config\":{}},\"NetworkMode\":\"default\",\"PortBindings\":{},"
                + "\"RestartPolicy\":{\"Name\":\"no\",\"MaximumRetryCount\":0},\"VolumesFrom\":null,\"CapAdd\":null,"
                + "\"Dns\":[],\"DnsOptions\":[],\"DnsSearch\":[],\"ExtraHosts\":null,\"IpcMode\":\"\",\"PidMode\":\"\","
                + "\"UTSMode\":\"\",\"UsernsMode\":\"\",\"CgroupnsMode\":\"\",\"ShmSize\":0,\"Devices\":[],"
                + "\"MemorySwappiness\":-1,\"Ulimits\":[],\"PidsLimit\":0,\"ConsoleSize\":[0,0],\"MaskedPaths\":null}}");
        create(null, "{\"Image\":\"busybox\",\"HostConfig\":{\"NetworkMode\":\"none\",\"RestartPolicy\":{\"Name\":\"\"}}}");
    }

    @Test
    void psFiltersAndLimit() throws Exception {
        String first = create("web-1", "{\"Image\":\"busybox\",\"Cmd\":[\"fail\",\"3\",\"x\"],\"Labels\":{\"tier\":\"front\"}}");
        call("POST", "/containers/web-1/start", null, 204);
        await().atMost(Duration.ofSeconds(10)).until(() -> exec.last().exited());
        await().atMost(Duration.ofSeconds(10)).until(() -> json.readTree(http.call("GET", "/containers/web-1/json",
                null).body()).get("State").get("Status").asText().equals("exited"));
        String second = create("db", "{\"Image\":\"busybox\",\"Cmd\":[\"sleep\"]}");
        call("POST", "/containers/db/start", null, 204);
        String third = create("web-2", "{\"Image\":\"busybox\",\"Cmd\":[\"sleep\"]}");

        assertThat(ids("/containers/json")).containsExactly(second);
        assertThat(ids("/containers/json?limit=2")).containsExactly(third, second);
        assertThat(ids("/containers/json?all=1&filters=" + enc("{\"name\":{\"web\":true}}"))).containsExactly(third, first);
        assertThat(ids("/containers/json?filters=" + enc("{\"status\":{\"exited\":true}}"))).containsExactly(first);
        assertThat(ids("/containers/json?filters=" + enc("{\"status\":[\"created\",\"running\"]}")))
                .containsExactly(third, second);
        assertThat(ids("/containers/json?all=1&filters=" + enc("{\"id\":{\"" + second.substring(0, 10) + "\":true}}")))
                .containsExactly(second);
        assertThat(ids("/containers/json?all=1&filters=" + enc("{\"exited\":{\"3\":true}}"))).containsExactly(first);
        assertThat(ids("/containers/json?all=1&filters=" + enc("{\"label\":{\"tier=front\":true}}"))).containsExactly(first);
        assertThat(ids("/containers/json?all=1&filters=" + enc("{\"name\":{\"web\":true},\"status\":{\"created\":true}}")))
                .containsExactly(third);

        assertThat(call("GET", "/containers/json?filters=" + enc("{\"foo\":{\"bar\":true}}"), null, 400)
                .get("message").asText()).isEqualTo("invalid filter 'foo'");
        assertThat(call("GET", "/containers/json?filters=" + enc("{\"status\":{\"sleeping\":true}}"), null, 400)
                .get("message").asText()).isEqualTo("invalid filter 'status=sleeping'");
        assertThat(call("GET", "/containers/json?filters=" + enc("{\"before\":{\"db\":true}}"), null, 400)
                .get("message").asText()).startsWith("filter 'before' is not supported by stage 1");
        call("DELETE", "/containers/db?force=1", null, 204);
    }

    List<String> ids(String path) throws Exception {
        List<String> ids = new java.util.ArrayList<>();
        call("GET", path, null, 200).forEach(c -> ids.add(c.get("Id").asText()));
        return ids;
    }

    static String enc(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8);
    }

    @Test
    void autoRemoveWithWaitRemoved() throws Exception {
        String id = create(null, "{\"Image\":\"busybox\",\"Cmd\":[\"fail\",\"7\",\"x\"],\"HostConfig\":{\"AutoRemove\":true}}");
        UnixHttp.Conn wait = http.open("POST", "/v1.41/containers/" + id + "/wait?condition=removed", null, Map.of());
        assertThat(wait.status).isEqualTo(200);
        call("POST", "/v1.41/containers/" + id + "/start", null, 204);
        assertThat(json.readTree(wait.body()).get("StatusCode").asInt()).isEqualTo(7);
        wait.close();
        call("GET", "/containers/" + id + "/json", null, 404);
        assertThat(call("GET", "/containers/json?all=1", null, 200)).isEmpty();
    }

    @Test
    void imagesListInspectPullLoadAndDelete() throws Exception {
        JsonNode list = call("GET", "/v1.41/images/json", null, 200);
        assertThat(list).hasSize(1);
        assertThat(list.get(0).get("Id").asText()).isEqualTo(FakeImageStore.BUSYBOX_ID);
        assertThat(list.get(0).get("RepoTags").get(0).asText()).isEqualTo("busybox:latest");
        assertThat(list.get(0).get("SharedSize").asInt()).isEqualTo(-1);
        assertThat(list.get(0).get("RepoDigests").isNull()).as("dockerd 20.10: null, no digests").isTrue();

        JsonNode img = call("GET", "/v1.41/images/busybox/json", null, 200);
        assertThat(img.get("Os").asText()).isEqualTo("linux");
        assertThat(img.get("RootFS").get("Type").asText()).isEqualTo("layers");
        assertThat(img.get("Config").get("Cmd").get(0).asText()).isEqualTo("sh");

        UnixHttp.Response pull = http.call("POST", "/v1.41/images/create?fromImage=busybox&tag=latest", null);
        assertThat(pull.status()).isEqualTo(200);
        assertThat(pull.body()).contains("\"status\":\"Status: Image is up to date for busybox:latest\"");
        assertThat(call("POST", "/v1.41/images/create?fromImage=alpine&tag=3", null, 404).get("message").asText())
                .contains("pull access denied for alpine");

        UnixHttp.Response load = http.call("POST", "/v1.41/images/load?quiet=0", "image loaded:v1");
        assertThat(load.status()).isEqualTo(200);
        assertThat(json.readTree(load.body()).get("stream").asText()).isEqualTo("Loaded image: loaded:v1\n");
        assertThat(http.call("POST", "/images/load", "garbage").status()).isEqualTo(400);

        JsonNode deleted = call("DELETE", "/v1.41/images/loaded:v1", null, 200);
        assertThat(deleted.get(0).get("Untagged").asText()).isEqualTo("loaded:v1");
        assertThat(deleted.get(1).get("Deleted").asText()).startsWith("sha256:");
    }
}
