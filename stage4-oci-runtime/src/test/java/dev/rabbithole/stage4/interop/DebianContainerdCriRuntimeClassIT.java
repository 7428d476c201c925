package dev.rabbithole.stage4.interop;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Issue 14 part 5 on one machine: the containerd configuration that makes stage 4's runtime a Kubernetes
 * RuntimeClass handler ({@code src/test/resources/interop/containerd-runtimeclass.toml}, which chapter 4 includes
 * by its tag {@code runtimeclass}): a runtime {@code rabbithole} of type {@code io.containerd.runc.v2} whose runc
 * option {@code BinaryName} is {@code rabbithole-runc}. Debian's containerd 1.6 starts with it and its CRI plugin
 * on; the plugin loads ({@code ctr plugins ls}: {@code cri ok}); containerd's own dump of its configuration and the
 * CRI's verbose {@code Status} (the call a kubelet makes, here by {@link CriClient}) show the handler with our
 * binary; and a container runs through the same runc shim with our binary as its {@code BinaryName}
 * ({@code ctr run --runc-binary}, which sets that option as the CRI plugin does for a pod of the RuntimeClass).
 *
 * <p>Then a pod as the kubelet runs one, through the CRI ({@link CriClient}: crictl is not packaged by Debian 12):
 * {@code RunPodSandbox} with {@code runtime_handler: rabbithole} (the sandbox, a sleeping busybox as the pause
 * image, on the node's network so that no CNI plugin is needed), {@code CreateContainer} and
 * {@code StartContainer} of a busybox in it, its exit code and its log in the CRI's log format. Skipped when not
 * root or a binary is missing.
 */
class DebianContainerdCriRuntimeClassIT {

    /** The path the resource names; the test puts this module's {@code bin/rabbithole-runc} in its place. */
    static final String BOOK_PATH = "/usr/local/bin/rabbithole-runc";

    static DebianContainerd containerd;
    static String config;

    @BeforeAll
    static void start() throws Exception {
        DebianContainerd.assumeCanRun();
        try (InputStream in = DebianContainerdCriRuntimeClassIT.class.getResourceAsStream("/interop/containerd-runtimeclass.toml")) {
            config = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertThat(config).contains(BOOK_PATH);
        // the CRI plugin's own directories under the temporary one; its stream server on loopback only
        containerd = new DebianContainerd(String.join("\n",
                "[plugins.\"io.containerd.grpc.v1.cri\"]",
                "  stream_server_address = \"127.0.0.1\"",
                "  stream_server_port = \"0\"",
                "  sandbox_image = \"" + DebianContainerd.PAUSE + "\"",
                // a sandbox asks for oom_score_adj -998; lowering it needs CAP_SYS_RESOURCE, which a host inside a
                // container may lack (runc fails as ours does): keep pods at containerd's own score
                "  restrict_oom_score_adj = true",
                "  [plugins.\"io.containerd.grpc.v1.cri\".cni]",
                "    bin_dir = \"@DIR@/cni/bin\"",
                "    conf_dir = \"@DIR@/cni/conf\"",
                "") + config.replace(BOOK_PATH, DebianContainerd.OURS.toString()));
        containerd.importBusybox();
        containerd.importBusybox("k8s.io");   // the CRI plugin's namespace
    }

    @AfterAll
    static void stop() throws Exception {
        if (containerd != null) {
            String log = containerd.log();
            containerd.close();
            System.out.println("Debian containerd's log (its last 40 lines):\n"
                    + String.join("\n", DebianContainerdRunsOurRuntimeIT.tail(log.lines().toList(), 40)));
        }
    }

    @Test
    void theCriPluginLoadsTheRuntimeClassHandler() throws Exception {
        DebianContainerd.Result plugins = containerd.ctr("plugins", "ls");
        assertThat(plugins.out()).as(plugins.toString()).containsPattern("(?m)^io\\.containerd\\.grpc\\.v1 +cri +\\S+ +ok\\s*$");
        assertThat(containerd.log()).doesNotContain("failed to load plugin io.containerd.grpc.v1.cri");

        // containerd's own reading of the file
        DebianContainerd.Result dump = DebianContainerd.run(List.of("/usr/bin/containerd", "--config",
                containerd.dir.resolve("config.toml").toString(), "config", "dump"));
        assertThat(dump.status()).as(dump.toString()).isZero();
        String rabbithole = dump.out().substring(dump.out().indexOf(
                "[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.rabbithole]"));
        assertThat(rabbithole).contains("runtime_type = \"io.containerd.runc.v2\"")
                .contains("BinaryName = \"" + DebianContainerd.OURS + "\"");
    }

    @Test
    void theCriAnswersWithTheHandlerInItsConfig() throws Exception {
        try (CriClient cri = new CriClient(containerd.socket)) {
            Map<String, String> version = cri.version();
            assertThat(version.get("runtime_name")).isEqualTo("containerd");
            assertThat(version.get("runtime_api_version")).isEqualTo("v1");
            Map<String, String> info = cri.statusInfo();
            JsonNode criConfig = new ObjectMapper().readTree(info.get("config"));
            JsonNode handler = criConfig.path("containerd").path("runtimes").path("rabbithole");
            assertThat(handler.path("runtimeType").asText()).as(info.get("config")).isEqualTo("io.containerd.runc.v2");
            assertThat(handler.path("options").path("BinaryName").asText()).isEqualTo(DebianContainerd.OURS.toString());
            assertThat(criConfig.path("containerd").path("defaultRuntimeName").asText()).isEqualTo("runc");
        }
    }

    @Test
    void aPodOfTheDefaultHandlerRunsOnDebiansRunc() throws Exception {
        runAPod("runc", "runc");
    }

    @Test
    void aPodOfTheRuntimeClassRunsOnOurBinary() throws Exception {
        runAPod("rabbithole", DebianContainerd.OURS.toString());
    }

    /** One pod's life through the CRI, with the handler given; its shim's options name the binary given. */
    private void runAPod(String handler, String binary) throws Exception {
        String name = "rh-pod-" + handler;
        Path logs = Files.createDirectories(containerd.dir.resolve("pods/default_" + name));
        byte[] pod = CriClient.podConfig(name, logs.toString(), "/" + DebianContainerd.POD_CGROUP_PARENT);
        try (CriClient cri = new CriClient(containerd.socket)) {
            // tag::cri-pod-handler[]
            String sandbox = cri.runPodSandbox(pod, handler);
            try {
                // the sandbox runs under the handler's shim, whose runtime is our binary
                String tasks = DebianContainerd.run(List.of("/usr/bin/ctr", "--address", containerd.socket.toString(),
                        "-n", "k8s.io", "task", "ls")).out();
                assertThat(tasks).containsPattern("(?m)^" + sandbox + " +[0-9]+ +RUNNING");
                long pid = Long.parseLong(tasks.replaceAll("(?s).*\n" + sandbox + " +([0-9]+) .*", "$1"));
                ProcessHandle shim = ProcessHandle.of(pid).orElseThrow().parent().orElseThrow();
                assertThat(shim.info().command().orElse("")).endsWith("containerd-shim-runc-v2");
                Path options = containerd.dir.resolve("state/io.containerd.runtime.v2.task/k8s.io/" + sandbox
                        + "/options.json");
                if (!binary.equals("runc")) {
                    assertThat(Files.readString(options)).as("the shim's runc options")
                            .contains("\"binary_name\":\"" + binary + "\"");
            // end::cri-pod-handler[]
                }

                String id = cri.createContainer(sandbox, pod, "busybox", DebianContainerd.IMAGE,
                        List.of("sh", "-c", "echo hello from rabbithole-runc in $(cat /proc/1/comm); exit 3"),
                        "busybox/0.log");
                cri.startContainer(id);
                org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).until(() ->
                        cri.containerStatus(id).get("state").equals("2"));
                Map<String, String> status = cri.containerStatus(id);
                assertThat(status.get("exit_code")).as(status.toString()).isEqualTo("3");
                assertThat(status.get("reason")).isEqualTo("Error");
                // the CRI's log format: TIME STREAM TAG MESSAGE
                assertThat(Files.readString(logs.resolve("busybox/0.log")))
                        .containsPattern("(?m)^\\S+ stdout F hello from rabbithole-runc in sh$");
            } finally {
                cri.stopAndRemovePod(sandbox);
            }
            assertThat(DebianContainerd.run(List.of("/usr/bin/ctr", "--address", containerd.socket.toString(),
                    "-n", "k8s.io", "containers", "ls", "-q")).out()).doesNotContain(sandbox);
        }
    }

    @Test
    void aContainerRunsThroughTheRuncShimWithOurBinary() throws Exception {
        Path runcRoot = Files.createDirectories(containerd.dir.resolve("runc"));
        DebianContainerd.Result r = containerd.ctr("run", "--rm", "--runtime", "io.containerd.runc.v2",
                "--runc-binary", DebianContainerd.OURS.toString(), "--runc-root", runcRoot.toString(),
                DebianContainerd.IMAGE, "pod-like", "sh", "-c", "echo hello from rabbithole-runc; exit 4");
        assertThat(r.status()).as(r.toString()).isEqualTo(4);
        assertThat(r.out()).isEqualTo("hello from rabbithole-runc\n");
    }
}
