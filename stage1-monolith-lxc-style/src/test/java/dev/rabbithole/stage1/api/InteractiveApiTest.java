package dev.rabbithole.stage1.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.rabbithole.stage1.daemon.ContainerRuntime;
import dev.rabbithole.stage1.daemon.Daemon;
import dev.rabbithole.stage1.daemon.DaemonMain;
import dev.rabbithole.stage1.daemon.ExecSpec;
import dev.rabbithole.stage1.daemon.fakes.FakeImageStore;
import dev.rabbithole.stage1.daemon.fakes.FakeSecurity;
import dev.rabbithole.stage1.daemon.fakes.FakeStorageDriver;
import dev.rabbithole.stage1.daemon.fakes.ScriptedExecDriver;
import dev.rabbithole.stage1.execdriver.Command;
import dev.rabbithole.stage1.execdriver.ContainerProcess;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The interactive part of the Engine API 1.41 against a runtime that can do stdin, a terminal and exec (as stage
 * 3's will): attach with {@code stdin=1}, StdinOnce, detach keys, {@code /containers/{id}/resize}, the exec
 * endpoints, {@code GET /events}; and the refusals of a runtime that cannot (stages 1 and 2).
 */
class InteractiveApiTest {

    @TempDir
    Path root;

    final ObjectMapper json = new ObjectMapper();
    CatRuntime runtime;
    DaemonMain.Running running;
    UnixHttp http;

    @BeforeEach
    void start() {
        runtime = new CatRuntime(root.resolve("state"));
        Daemon daemon = new Daemon(root.resolve("data"), new FakeImageStore(),
                new FakeStorageDriver(root.resolve("rootfs")), new ScriptedExecDriver(), new FakeSecurity(), runtime);
        running = DaemonMain.start(daemon, root.resolve("d.sock"));
        http = new UnixHttp(root.resolve("d.sock"));
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

    String create(String name, String body) throws Exception {
        return call("POST", "/v1.41/containers/create?name=" + name, body, 201).get("Id").asText();
    }

    UnixHttp.Conn upgrade(String path, String body) throws IOException {
        return http.open("POST", path, body, Map.of("Connection", "Upgrade", "Upgrade", "tcp"));
    }

    static void send(UnixHttp.Conn c, String text) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            c.channel.write(b);
        }
    }

    @Test
    void runDashILikeTheCli_stdinBeforeTheStartReachesTheContainerAndItsEndClosesIt() throws Exception {
        String id = create("cat", "{\"Image\":\"busybox\",\"Cmd\":[\"cat\"],\"OpenStdin\":true,\"AttachStdin\":true,"
                + "\"StdinOnce\":true,\"AttachStdout\":true,\"AttachStderr\":true}");
        JsonNode config = call("GET", "/containers/cat/json", null, 200).get("Config");
        assertThat(config.get("OpenStdin").asBoolean()).isTrue();
        assertThat(config.get("StdinOnce").asBoolean()).isTrue();
        UnixHttp.Conn attach = upgrade("/v1.41/containers/" + id + "/attach?stream=1&stdin=1&stdout=1&stderr=1", null);
        assertThat(attach.status).isEqualTo(101);
        send(attach, "hello\n");
        attach.channel.shutdownOutput();              // the CLI's CloseWrite: the end of the piped input
        call("POST", "/v1.41/containers/" + id + "/start", null, 204);
        List<UnixHttp.Frame> frames = UnixHttp.frames(attach.in);
        attach.close();
        assertThat(frames).containsExactly(new UnixHttp.Frame(1, "hello\n"));
        assertThat(runtime.started.get(0).stdio()).isEqualTo(new Command.Stdio(true, false));
        JsonNode state = call("GET", "/containers/cat/json", null, 200).get("State");
        assertThat(state.get("ExitCode").asInt()).isZero();
    }

    @Test
    void withoutStdinOnceTheInputStaysOpenWhenTheClientLeaves_andDetachKeysEndOnlyTheAttachment() throws Exception {
        String id = create("keep", "{\"Image\":\"busybox\",\"Cmd\":[\"cat\"],\"OpenStdin\":true}");
        call("POST", "/containers/keep/start", null, 204);
        UnixHttp.Conn first = upgrade("/containers/keep/attach?stream=1&stdin=1&stdout=1", null);
        send(first, "one\n");
        assertThat(UnixHttp.frames(new java.io.ByteArrayInputStream(first.in.readNBytes(12))))
                .containsExactly(new UnixHttp.Frame(1, "one\n"));
        first.close();                                  // not StdinOnce: cat keeps running
        UnixHttp.Conn second = upgrade("/containers/keep/attach?stream=1&stdin=1&stdout=1&detachKeys=ctrl-x", null);
        send(second, "two\n");
        assertThat(UnixHttp.frames(new java.io.ByteArrayInputStream(second.in.readNBytes(12))))
                .containsExactly(new UnixHttp.Frame(1, "two\n"));
        send(second, "\u0018");                        // ctrl-x: detach
        assertThat(second.in.read()).isEqualTo(-1);     // the daemon closes the connection
        second.close();
        assertThat(call("GET", "/containers/" + id + "/json", null, 200).get("State").get("Running").asBoolean())
                .isTrue();
        assertThat(runtime.last().input.toString(StandardCharsets.UTF_8)).isEqualTo("one\ntwo\n");
        call("POST", "/containers/keep/kill", null, 204);
    }

    @Test
    void aTtyContainerStreamsRawBytesAndResizesItsTerminal() throws Exception {
        create("tty", "{\"Image\":\"busybox\",\"Cmd\":[\"cat\"],\"OpenStdin\":true,\"Tty\":true}");
        assertThat(call("POST", "/containers/tty/resize?h=24&w=80", null, 409).get("message").asText())
                .endsWith(" is not running");
        call("POST", "/containers/tty/start", null, 204);
        UnixHttp.Conn attach = upgrade("/containers/tty/attach?stream=1&stdin=1&stdout=1&stderr=1", null);
        send(attach, "raw\n");
        assertThat(new String(attach.in.readNBytes(4), StandardCharsets.UTF_8)).isEqualTo("raw\n"); // no header
        attach.close();
        call("POST", "/containers/tty/resize?h=24&w=80", null, 200);
        assertThat(runtime.last().sizes).containsExactly("80x24");
        assertThat(call("POST", "/containers/tty/resize?h=x&w=80", null, 400).get("message").asText())
                .isEqualTo("strconv.Atoi: parsing \"x\": invalid syntax");
        call("POST", "/containers/tty/kill", null, 204);
    }

    @Test
    void execCreateStartInspect_withTheContainersEnvThenTheExecs_andItsUserAndDirectory() throws Exception {
        create("box", "{\"Image\":\"busybox\",\"Cmd\":[\"cat\"],\"OpenStdin\":true,\"User\":\"nobody\","
                + "\"WorkingDir\":\"/srv\",\"Env\":[\"A=container\",\"B=kept\"]}");
        assertThat(call("POST", "/containers/nothing/exec", "{\"Cmd\":[\"true\"]}", 404).get("message").asText())
                .isEqualTo("No such container: nothing");
        String cid = call("GET", "/containers/box/json", null, 200).get("Id").asText();
        assertThat(call("POST", "/containers/box/exec", "{\"Cmd\":[\"true\"]}", 409).get("message").asText())
                .isEqualTo("Container " + cid + " is not running");
        assertThat(call("POST", "/containers/box/exec", "{\"Cmd\":[]}", 400).get("message").asText())
                .isEqualTo("No exec command specified");
        call("POST", "/containers/box/start", null, 204);

        String execId = call("POST", "/v1.41/containers/box/exec", "{\"Cmd\":[\"sh\",\"-c\",\"exit 3\"],"
                + "\"Env\":[\"A=exec\"],\"AttachStdout\":true,\"AttachStderr\":true}", 201).get("Id").asText();
        JsonNode before = call("GET", "/v1.41/exec/" + execId + "/json", null, 200);
        assertThat(before.get("Running").asBoolean()).isFalse();
        assertThat(before.get("ExitCode").isNull()).isTrue();
        assertThat(before.get("ContainerID").asText()).isEqualTo(cid);
        assertThat(before.get("ProcessConfig").get("entrypoint").asText()).isEqualTo("sh");

        UnixHttp.Conn start = upgrade("/v1.41/exec/" + execId + "/start", "{\"Detach\":false,\"Tty\":false}");
        assertThat(start.status).isEqualTo(101);
        List<UnixHttp.Frame> frames = UnixHttp.frames(start.in);       // until the exec exits
        start.close();
        assertThat(frames).containsExactlyInAnyOrder(new UnixHttp.Frame(1, "exec sh\n"),
                new UnixHttp.Frame(2, "to stderr\n"));
        JsonNode after = call("GET", "/v1.41/exec/" + execId + "/json", null, 200);
        assertThat(after.get("ExitCode").asInt()).isEqualTo(3);   // recorded before the stream ended
        assertThat(after.get("Running").asBoolean()).isFalse();
        assertThat(after.get("Pid").asLong()).isPositive();

        ExecSpec spec = runtime.execs.get(0);
        assertThat(spec.cmd()).containsExactly("sh", "-c", "exit 3");
        assertThat(spec.env()).contains("A=exec", "B=kept").doesNotContain("A=container");
        assertThat(spec.env().get(0)).startsWith("PATH=");
        assertThat(spec.user()).isEqualTo("nobody");
        assertThat(spec.workingDir()).isEqualTo("/srv");

        UnixHttp.Response again = http.call("POST", "/v1.41/exec/" + execId + "/start", "{}");
        assertThat(again.status()).isEqualTo(409);
        assertThat(again.body()).contains("Error: Exec command " + execId + " has already run");
        assertThat(call("GET", "/exec/nothing/json", null, 404).get("message").asText())
                .isEqualTo("No such exec instance: nothing");

        // -d: 200 at once; -u and -w given: used instead of the container's
        String detached = call("POST", "/containers/box/exec", "{\"Cmd\":[\"sh\",\"-c\",\"exit 0\"],\"User\":\"0:0\","
                + "\"WorkingDir\":\"/tmp\"}", 201).get("Id").asText();
        call("POST", "/exec/" + detached + "/start", "{\"Detach\":true}", 200);
        await().atMost(Duration.ofSeconds(10)).until(() ->
                call("GET", "/exec/" + detached + "/json", null, 200).get("ExitCode").asInt(-1) == 0);
        assertThat(runtime.execs.get(1).user()).isEqualTo("0:0");
        assertThat(runtime.execs.get(1).workingDir()).isEqualTo("/tmp");

        // removing the container drops its exec instances
        call("DELETE", "/containers/box?force=1", null, 204);
        call("GET", "/exec/" + execId + "/json", null, 404);
    }

    @Test
    void execWithStdinGetsTheClientsBytesAndItsEnd() throws Exception {
        create("si", "{\"Image\":\"busybox\",\"Cmd\":[\"cat\"],\"OpenStdin\":true}");
        call("POST", "/containers/si/start", null, 204);
        String execId = call("POST", "/containers/si/exec", "{\"Cmd\":[\"cat\"],\"AttachStdin\":true,"
                + "\"AttachStdout\":true,\"AttachStderr\":true}", 201).get("Id").asText();
        UnixHttp.Conn start = upgrade("/exec/" + execId + "/start", "{}");
        send(start, "piped\n");
        start.channel.shutdownOutput();
        List<UnixHttp.Frame> frames = UnixHttp.frames(start.in);
        start.close();
        assertThat(frames).containsExactly(new UnixHttp.Frame(1, "piped\n"));
        assertThat(call("GET", "/exec/" + execId + "/json", null, 200).get("ExitCode").asInt()).isZero();
        call("POST", "/containers/si/kill", null, 204);
    }

    @Test
    void eventsStreamTheLifecycleInOrder_withSinceUntilAndFilters() throws Exception {
        long since = Instant.now().getEpochSecond() - 1;
        String id = create("ev", "{\"Image\":\"busybox\",\"Cmd\":[\"cat\"],\"OpenStdin\":true,"
                + "\"Labels\":{\"team\":\"a\"}}");
        call("POST", "/containers/ev/start", null, 204);
        String execId = call("POST", "/containers/ev/exec", "{\"Cmd\":[\"true\"]}", 201).get("Id").asText();
        call("POST", "/exec/" + execId + "/start", "{\"Detach\":true}", 200);
        await().atMost(Duration.ofSeconds(10)).until(() ->
                call("GET", "/exec/" + execId + "/json", null, 200).get("ExitCode").isInt());
        call("POST", "/containers/ev/kill?signal=TERM", null, 204);
        await().atMost(Duration.ofSeconds(10)).until(() ->
                !call("GET", "/containers/ev/json", null, 200).get("State").get("Running").asBoolean());
        call("DELETE", "/containers/ev", null, 204);
        long until = Instant.now().getEpochSecond() + 1;

        UnixHttp.Response all = http.call("GET", "/v1.41/events?since=" + since + "&until=" + until, null);
        assertThat(all.status()).isEqualTo(200);
        assertThat(all.headers().get("content-type")).isEqualTo("application/json");
        List<JsonNode> events = new ArrayList<>();
        for (String line : all.body().split("\n")) {
            events.add(json.readTree(line));
        }
        assertThat(events).extracting(e -> e.get("Action").asText()).containsExactly("create", "start",
                "exec_create: true ", "exec_start: true ", "exec_die", "kill", "die", "destroy");
        JsonNode die = events.get(6);
        assertThat(die.get("Type").asText()).isEqualTo("container");
        assertThat(die.get("status").asText()).isEqualTo("die");
        assertThat(die.get("id").asText()).isEqualTo(id);
        assertThat(die.get("from").asText()).isEqualTo("busybox");
        assertThat(die.get("scope").asText()).isEqualTo("local");
        assertThat(die.get("Actor").get("ID").asText()).isEqualTo(id);
        assertThat(die.get("Actor").get("Attributes").toString())
                .isEqualTo("{\"exitCode\":\"143\",\"image\":\"busybox\",\"name\":\"ev\","
                        + "\"org.example.origin\":\"fake\",\"team\":\"a\"}");   // the labels, the image's too
        assertThat(die.get("timeNano").asLong() / 1_000_000_000L).isEqualTo(die.get("time").asLong());
        assertThat(events.get(5).get("Actor").get("Attributes").get("signal").asText()).isEqualTo("15");
        assertThat(events.get(4).get("Actor").get("Attributes").get("execID").asText()).isEqualTo(execId);

        String filtered = http.call("GET", "/events?since=" + since + "&until=" + until + "&filters="
                + java.net.URLEncoder.encode("{\"event\":{\"exec_create\":true,\"die\":true},\"container\":{\"ev\":true}}",
                StandardCharsets.UTF_8), null).body();
        assertThat(filtered.lines().map(l -> {
            try {
                return json.readTree(l).get("Action").asText();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }).toList()).containsExactly("exec_create: true ", "die");
        assertThat(http.call("GET", "/events?since=" + since + "&until=" + until + "&filters="
                + java.net.URLEncoder.encode("{\"label\":[\"team=b\"]}", StandardCharsets.UTF_8), null).body()).isEmpty();
        assertThat(call("GET", "/events?since=" + until + "&until=" + since, null, 400).get("message").asText())
                .startsWith("`since` time");
    }

    @Test
    void imageEventsAsDockerd_pullLoadUntagDelete() throws Exception {
        long since = Instant.now().getEpochSecond() - 1;
        assertThat(http.call("POST", "/images/create?fromImage=busybox&tag=latest", null).status()).isEqualTo(200);
        assertThat(http.call("POST", "/images/load", "image loaded:v1").status()).isEqualTo(200);
        call("DELETE", "/images/loaded:v1", null, 200);
        long until = Instant.now().getEpochSecond() + 1;
        List<JsonNode> events = new ArrayList<>();
        for (String line : http.call("GET", "/events?since=" + since + "&until=" + until, null).body().split("\n")) {
            events.add(json.readTree(line));
        }
        assertThat(events).extracting(e -> e.get("Action").asText()).containsExactly("pull", "load", "untag", "delete");
        assertThat(events).allSatisfy(e -> {
            assertThat(e.get("Type").asText()).isEqualTo("image");
            assertThat(e.get("status").asText()).isEqualTo(e.get("Action").asText());
            assertThat(e.has("from")).isFalse();
        });
        assertThat(events.get(0).get("Actor").get("ID").asText()).isEqualTo("busybox:latest");
        assertThat(events.get(0).get("Actor").get("Attributes").get("name").asText()).isEqualTo("busybox");
        String loadedId = events.get(1).get("Actor").get("ID").asText();
        assertThat(loadedId).startsWith("sha256:");
        assertThat(events.get(2).get("Actor").get("ID").asText()).isEqualTo(loadedId);
        assertThat(events.get(3).get("Actor").get("Attributes").get("name").asText()).startsWith("sha256:");
        assertThat(http.call("GET", "/events?since=" + since + "&until=" + until + "&filters="
                + java.net.URLEncoder.encode("{\"type\":[\"container\"]}", StandardCharsets.UTF_8), null).body())
                .isEmpty();
    }

    @Test
    void stopAndOomEventsComeInDockersOrder() throws Exception {
        long since = Instant.now().getEpochSecond() - 1;
        create("st", "{\"Image\":\"busybox\",\"Cmd\":[\"cat\"]}");
        call("POST", "/containers/st/start", null, 204);
        call("POST", "/containers/st/stop?t=5", null, 204);
        create("oomed", "{\"Image\":\"busybox\",\"Cmd\":[\"cat\"],\"OpenStdin\":true}");
        call("POST", "/containers/oomed/start", null, 204);
        CatProcess p = runtime.last();
        p.oom = true;
        p.exit(137);
        await().atMost(Duration.ofSeconds(10)).until(() ->
                !call("GET", "/containers/oomed/json", null, 200).get("State").get("Running").asBoolean());
        long until = Instant.now().getEpochSecond() + 1;
        List<String> seen = new ArrayList<>();
        for (String line : http.call("GET", "/events?since=" + since + "&until=" + until, null).body().split("\n")) {
            JsonNode e = json.readTree(line);
            seen.add(e.get("Actor").get("Attributes").get("name").asText() + " " + e.get("Action").asText()
                    + (e.get("Actor").get("Attributes").has("signal")
                    ? " " + e.get("Actor").get("Attributes").get("signal").asText() : ""));
        }
        assertThat(seen).containsExactly("st create", "st start", "st kill 15", "st die", "st stop",
                "oomed create", "oomed start", "oomed oom", "oomed die");
    }

    @Test
    void eventsFollowLiveUntilTheClientLeaves() throws Exception {
        try (UnixHttp.Conn events = http.open("GET", "/events", null, Map.of())) {
            assertThat(events.status).isEqualTo(200);
            create("live", "{\"Image\":\"busybox\",\"Cmd\":[\"cat\"]}");
            JsonNode first = json.readTree(events.chunk());
            assertThat(first.get("Action").asText()).isEqualTo("create");
            assertThat(first.get("Actor").get("Attributes").get("name").asText()).isEqualTo("live");
        }
    }

    @Test
    void aRuntimeWithoutExecStdinOrTtyRefusesThemClearly() throws Exception {
        Path socket = root.resolve("s1.sock");
        ScriptedExecDriver driver = new ScriptedExecDriver();
        try (DaemonMain.Running stage1 = DaemonMain.start(new Daemon(root.resolve("data1"), new FakeImageStore(),
                new FakeStorageDriver(root.resolve("rootfs1")), driver, new FakeSecurity()), socket)) {
            UnixHttp s1 = new UnixHttp(socket);
            UnixHttp.Response tty = s1.call("POST", "/containers/create", "{\"Image\":\"busybox\",\"Tty\":true}");
            assertThat(tty.status()).isEqualTo(400);
            assertThat(tty.body()).contains("stage 1 does not support stdin (-i) or a TTY (-t): ");
            UnixHttp.Response created = s1.call("POST", "/containers/create?name=s1",
                    "{\"Image\":\"busybox\",\"Cmd\":[\"sleep\"]}");
            assertThat(created.status()).as(created.body()).isEqualTo(201);
            assertThat(s1.call("POST", "/containers/s1/start", null).status()).isEqualTo(204);
            UnixHttp.Response exec = s1.call("POST", "/containers/s1/exec", "{\"Cmd\":[\"true\"]}");
            assertThat(exec.status()).isEqualTo(501);
            assertThat(json.readTree(exec.body()).get("message").asText())
                    .startsWith("stage 1 does not support exec (docker exec, POST /exec/{id}/start)");
            assertThat(s1.call("POST", "/containers/s1/resize?h=10&w=20", null).status()).isEqualTo(200);
            assertThat(s1.call("POST", "/containers/s1/kill", null).status()).isEqualTo(204);
        }
    }

    // ---------------------------------------------------------------- a runtime with stdin, tty and exec

    /** Containers and execs that echo their stdin ({@code cat}) or print a line and exit ({@code sh -c exit N}). */
    static final class CatRuntime implements ContainerRuntime {
        final Path state;
        final List<Command> started = new CopyOnWriteArrayList<>();
        final List<CatProcess> processes = new CopyOnWriteArrayList<>();
        final List<ExecSpec> execs = new CopyOnWriteArrayList<>();

        CatRuntime(Path state) { this.state = state; }

        CatProcess last() { return processes.get(processes.size() - 1); }

        @Override
        public ContainerProcess start(Command command) {
            started.add(command);
            CatProcess p = new CatProcess(command.stdio().openStdin(), command.stdio().tty());
            processes.add(p);
            return p;
        }

        @Override
        public ContainerProcess exec(String containerId, String execId, ExecSpec spec) {
            execs.add(spec);
            CatProcess p = new CatProcess(spec.openStdin(), spec.tty());
            if (spec.cmd().get(0).equals("sh")) {
                p.out.push(("exec sh\n").getBytes(StandardCharsets.UTF_8));
                p.err.push(("to stderr\n").getBytes(StandardCharsets.UTF_8));
                p.exit(Integer.parseInt(spec.cmd().get(2).substring("exit ".length())));
            } else if (spec.cmd().get(0).equals("true")) {
                p.exit(0);
            }
            return p;
        }

        @Override public Restored restore(String containerId, Instant startedAt) { return Restored.died(Instant.now()); }
        @Override public Path stateDir(String containerId) { return state.resolve(containerId); }
        @Override public List<String> explain(String containerId) { return List.of(); }
        @Override public void close() { }
    }

    /** A process whose stdout echoes its stdin; the end of stdin ends it with 0; signals end it with 128 + n. */
    static final class CatProcess implements ContainerProcess {
        private static final AtomicLong PIDS = new AtomicLong(50000);
        final long pid = PIDS.incrementAndGet();
        final Queue out = new Queue();
        final Queue err = new Queue();
        final ByteArrayOutputStream input = new ByteArrayOutputStream();
        final List<String> sizes = new CopyOnWriteArrayList<>();
        final CompletableFuture<Integer> exit = new CompletableFuture<>();
        final boolean openStdin;
        final boolean tty;
        volatile boolean oom;

        @Override public boolean oomKilled() { return oom; }

        CatProcess(boolean openStdin, boolean tty) {
            this.openStdin = openStdin;
            this.tty = tty;
        }

        synchronized void exit(int code) {
            if (!exit.isDone()) {
                out.end();
                err.end();
                exit.complete(code);
            }
        }

        @Override public long pid() { return pid; }
        @Override public InputStream stdout() { return out; }
        @Override public InputStream stderr() { return err; }
        @Override public void signal(int signal) { exit(128 + signal); }

        @Override
        public int waitFor() throws InterruptedException {
            try {
                return exit.get();
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e);
            }
        }

        @Override
        public OutputStream stdin() {
            if (!openStdin) {
                return null;
            }
            return new OutputStream() {
                @Override
                public void write(int b) { write(new byte[] {(byte) b}, 0, 1); }

                @Override
                public void write(byte[] b, int off, int len) {
                    synchronized (input) {
                        input.write(b, off, len);
                    }
                    out.push(java.util.Arrays.copyOfRange(b, off, off + len));
                }

                @Override
                public void close() { exit(0); }
            };
        }

        @Override
        public void resize(int columns, int rows) {
            if (!tty) {
                throw new UnsupportedOperationException("no terminal");
            }
            sizes.add(columns + "x" + rows);
        }
    }

    /** Bytes pushed, then EOF. */
    static final class Queue extends InputStream {
        private static final byte[] EOF = new byte[0];
        private final LinkedBlockingQueue<byte[]> queue = new LinkedBlockingQueue<>();
        private byte[] current;
        private int pos;
        private boolean ended;

        void push(byte[] data) { queue.add(data.clone()); }

        void end() { queue.add(EOF); }

        @Override
        public int read() {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public synchronized int read(byte[] b, int off, int len) {
            if (ended) {
                return -1;
            }
            try {
                while (current == null || pos >= current.length) {
                    current = queue.take();
                    pos = 0;
                    if (current == EOF) {
                        ended = true;
                        return -1;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return -1;
            }
            int n = Math.min(len, current.length - pos);
            System.arraycopy(current, pos, b, off, n);
            pos += n;
            return n;
        }
    }
}
