package dev.rabbithole.stage1.api;

import dev.rabbithole.stage1.Formats;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage1.daemon.Container;
import dev.rabbithole.stage1.daemon.ContainerState;
import dev.rabbithole.stage1.daemon.Daemon;
import dev.rabbithole.stage1.daemon.HostConfig;
import dev.rabbithole.stage1.image.Image;
import dev.rabbithole.stage1.image.ImageConfig;
import dev.rabbithole.stage1.image.LegacyConfig;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Map;

/**
 * The JSON shapes of the Engine API 1.41 responses (ContainerSummary, ContainerInspectResponse, ImageSummary,
 * ImageInspect, SystemInfo, SystemVersion), built from the daemon's records.
 */
final class Views {

    private final ObjectMapper json;
    private final Daemon daemon;

    Views(ObjectMapper json, Daemon daemon) {
        this.json = json;
        this.daemon = daemon;
    }

    // ---------------------------------------------------------------- containers

    /** {@code GET /containers/json}: one ContainerSummary. */
    ObjectNode summary(Container c) {
        ObjectNode n = json.createObjectNode();
        n.put("Id", c.id());
        n.putArray("Names").add(c.name());
        n.put("Image", c.config().image());
        n.put("ImageID", c.imageId());
        n.put("Command", CommandColumn.of(c.path(), c.args()));
        n.put("Created", epochSeconds(c.created()));
        n.set("Ports", new NetworkApi(daemon, json).summaryPorts(c));
        n.set("Labels", json.valueToTree(labels(c)));
        n.put("State", c.state().status());
        n.put("Status", status(c.state(), Instant.now()));
        n.putObject("HostConfig").put("NetworkMode", networkMode(c.hostConfig()));
        n.putObject("NetworkSettings").set("Networks", new NetworkApi(daemon, json).summaryNetworks(c));
        n.set("Mounts", VolumesApi.mounts(json, c.mountPoints()));
        return n;
    }

    /** {@code GET /containers/{id}/json}: the ContainerInspectResponse. */
    ObjectNode inspect(Container c) {
        ObjectNode n = json.createObjectNode();
        n.put("Id", c.id());
        n.put("Created", c.created());
        n.put("Path", c.path());
        n.set("Args", json.valueToTree(c.args()));
        ObjectNode state = json.valueToTree(c.state());
        n.set("State", state);
        n.put("Image", c.imageId());
        n.put("ResolvConfPath", "");
        n.put("HostnamePath", "");
        n.put("HostsPath", "");
        n.put("LogPath", c.logPath());
        n.put("Name", c.name());
        n.put("RestartCount", c.restartCount());
        n.put("Driver", c.driver());
        n.put("Platform", "linux");
        n.put("MountLabel", "");
        n.put("ProcessLabel", "");
        n.put("AppArmorProfile", "");
        n.putNull("ExecIDs");
        ObjectNode hc = json.valueToTree(c.hostConfig());
        hc.put("NetworkMode", networkMode(c.hostConfig()));
        ObjectNode restart = hc.putObject("RestartPolicy");
        HostConfig.RestartPolicy policy = c.hostConfig().restartPolicy();
        restart.put("Name", policy == null || policy.name() == null || policy.name().isEmpty() ? "no" : policy.name());
        restart.put("MaximumRetryCount", policy == null ? 0 : policy.maximumRetryCount());
        ObjectNode logConfig = hc.putObject("LogConfig");
        logConfig.put("Type", "json-file");
        logConfig.putObject("Config");
        hc.putNull("Binds");
        if (c.hostConfig().portBindings() == null) {
            hc.putObject("PortBindings");
        }
        n.set("HostConfig", hc);
        ObjectNode graph = n.putObject("GraphDriver");
        graph.put("Name", c.driver());
        graph.putObject("Data");
        n.set("Mounts", VolumesApi.mounts(json, c.mountPoints()));
        if (c.hostConfig().binds() != null) {
            hc.set("Binds", json.valueToTree(c.hostConfig().binds()));      // -v as given; null without, as dockerd
        }
        ObjectNode config = json.valueToTree(c.config());
        config.set("Labels", json.valueToTree(labels(c)));
        n.set("Config", config);
        n.set("NetworkSettings", new NetworkApi(daemon, json).settings(c));
        return n;
    }

    private static Map<String, String> labels(Container c) {
        return c.config().labels() == null ? Map.of() : c.config().labels();
    }

    private static String networkMode(HostConfig hc) {
        return hc.networkMode() == null || hc.networkMode().isEmpty() ? "default" : hc.networkMode();
    }

    /**
     * The {@code Status} column of {@code docker ps}: {@code Up 3 seconds}, {@code Exited (3) 5 seconds ago},
     * {@code Created}, {@code Removal In Progress}.
     */
    static String status(ContainerState s, Instant now) {
        return switch (s.status()) {
            case "running" -> "Up " + Formats.humanDuration(Duration.between(parse(s.startedAt()), now));
            case "paused" -> "Up " + Formats.humanDuration(Duration.between(parse(s.startedAt()), now)) + " (Paused)";
            case "exited" -> "Exited (" + s.exitCode() + ") "
                    + Formats.humanDuration(Duration.between(parse(s.finishedAt()), now)) + " ago";
            case "removing" -> "Removal In Progress";
            case "restarting" -> "Restarting (" + s.exitCode() + ") "
                    + Formats.humanDuration(Duration.between(parse(s.finishedAt()), now)) + " ago";
            default -> "Created";
        };
    }

    private static Instant parse(String time) {
        try {
            return Instant.parse(time);
        } catch (DateTimeParseException e) {
            return Instant.EPOCH;
        }
    }

    private static long epochSeconds(String time) {
        return parse(time).getEpochSecond();
    }

    // ---------------------------------------------------------------- images

    /** {@code GET /images/json}: one ImageSummary. */
    ObjectNode imageSummary(Image image) {
        ObjectNode n = json.createObjectNode();
        n.put("Id", image.id());
        n.put("ParentId", daemon.images().parent(image.id()).orElse(""));
        // dockerd 20.10: RepoDigests null when there are none; an image with neither tags nor digests is listed as
        // <none>:<none> and <none>@<none>
        List<String> digests = daemon.images().repoDigests(image.id());
        boolean dangling = image.repoTags().isEmpty() && digests.isEmpty();
        n.set("RepoTags", json.valueToTree(dangling ? List.of("<none>:<none>") : image.repoTags()));
        n.set("RepoDigests", dangling ? json.valueToTree(List.of("<none>@<none>"))
                : digests.isEmpty() ? json.nullNode() : json.valueToTree(digests));
        n.put("Created", image.createdEpochSeconds());
        n.put("Size", image.size());
        n.put("VirtualSize", image.size());
        n.put("SharedSize", -1);
        n.set("Labels", json.valueToTree(imageLabels(image)));
        n.put("Containers", -1);
        return n;
    }

    /** {@code GET /images/{name}/json}: the ImageInspect. */
    ObjectNode imageInspect(Image image) {
        ImageConfig cfg = image.config();
        ObjectNode n = json.createObjectNode();
        n.put("Id", image.id());
        n.set("RepoTags", json.valueToTree(image.repoTags()));
        n.set("RepoDigests", json.valueToTree(daemon.images().repoDigests(image.id())));
        com.fasterxml.jackson.databind.JsonNode raw = rawConfig(image);     // fields ImageConfig does not keep
        n.put("Parent", daemon.images().parent(image.id()).orElse(""));
        String comment = raw.path("comment").asText("");
        if (comment.isEmpty() && raw.path("history").size() > 0) {      // dockerd: else the last history entry's
            comment = raw.path("history").get(raw.path("history").size() - 1).path("comment").asText("");
        }
        n.put("Comment", comment);
        n.put("Created", cfg != null && cfg.created() != null ? cfg.created()
                : Instant.ofEpochSecond(image.createdEpochSeconds()).toString());
        // dockerd's container.Config shape, every field it always prints (LegacyConfig)
        n.put("Container", raw.path("container").asText(""));
        n.set("ContainerConfig", LegacyConfig.containerConfig(raw.get("container_config")));
        n.put("DockerVersion", raw.path("docker_version").asText(""));
        n.put("Author", raw.path("author").asText(""));
        n.set("Config", raw.path("config").isObject() ? LegacyConfig.containerConfig(raw.get("config"))
                : cfg != null && cfg.config() != null ? LegacyConfig.containerConfig(json.valueToTree(cfg.config()))
                : json.nullNode());
        n.put("Architecture", cfg != null && cfg.architecture() != null ? cfg.architecture() : goArch());
        if (!raw.path("variant").asText("").isEmpty()) n.put("Variant", raw.path("variant").asText());
        n.put("Os", cfg != null && cfg.os() != null ? cfg.os() : "linux");
        n.put("Size", image.size());
        n.put("VirtualSize", image.size());
        ObjectNode graph = n.putObject("GraphDriver");
        graph.put("Name", daemon.storageDriver().name());
        graph.putObject("Data");
        ObjectNode rootfs = n.putObject("RootFS");
        rootfs.put("Type", "layers");
        rootfs.set("Layers", json.valueToTree(cfg != null && cfg.rootfs() != null && cfg.rootfs().diffIds() != null
                ? cfg.rootfs().diffIds() : List.of()));
        n.putObject("Metadata").put("LastTagTime", ContainerState.ZERO_TIME);
        return n;
    }

    /** The image's config blob as stored (comment, author, docker_version), or an empty object when unreadable. */
    private com.fasterxml.jackson.databind.JsonNode rawConfig(Image image) {
        try (java.io.InputStream in = daemon.images().openBlob(image.id())) {
            return json.readTree(in);
        } catch (java.io.IOException | RuntimeException e) {
            return json.createObjectNode();
        }
    }

    private static Map<String, String> imageLabels(Image image) {
        if (image.config() == null || image.config().config() == null || image.config().config().labels() == null) {
            return Map.of();
        }
        return image.config().config().labels();
    }

    // ---------------------------------------------------------------- system

    /** {@code GET /version}: the SystemVersion. */
    ObjectNode version() {
        ObjectNode n = json.createObjectNode();
        n.putObject("Platform").put("Name", dev.rabbithole.stage1.Stage.current().platform());
        ArrayNode components = n.putArray("Components");
        ObjectNode engine = components.addObject();
        engine.put("Name", "Engine");
        engine.put("Version", dev.rabbithole.stage1.Stage.current().version());
        ObjectNode details = engine.putObject("Details");
        details.put("ApiVersion", ApiServer.API_VERSION);
        details.put("Arch", goArch());
        details.put("Experimental", "false");
        details.put("JavaVersion", System.getProperty("java.version"));
        details.put("KernelVersion", kernelVersion());
        details.put("MinAPIVersion", ApiServer.MIN_API_VERSION);
        details.put("Os", "linux");
        ObjectNode driver = components.addObject();
        driver.put("Name", "exec driver");
        driver.put("Version", daemon.execDriver().name());
        n.put("Version", dev.rabbithole.stage1.Stage.current().version());
        n.put("ApiVersion", ApiServer.API_VERSION);
        n.put("MinAPIVersion", ApiServer.MIN_API_VERSION);
        n.put("GitCommit", "");
        // no Go here: the runtime is the JVM, reported in its place
        n.put("GoVersion", "java" + System.getProperty("java.version"));
        n.put("Os", "linux");
        n.put("Arch", goArch());
        n.put("KernelVersion", kernelVersion());
        n.put("BuildTime", "");
        return n;
    }

    /** {@code GET /info}: the SystemInfo, with every field the docker CLI's {@code docker info} prints. */
    ObjectNode info() {
        List<Container> all = daemon.list(true);
        long paused = all.stream().filter(c -> c.state().paused()).count();
        long running = all.stream().filter(c -> c.state().running()).count() - paused;
        ObjectNode n = json.createObjectNode();
        n.put("ID", "");
        n.put("Containers", all.size());
        n.put("ContainersRunning", running);
        n.put("ContainersPaused", paused);
        n.put("ContainersStopped", all.size() - running - paused);
        int images;
        try {
            images = daemon.images().list().size();
        } catch (RuntimeException e) {
            images = 0;
        }
        n.put("Images", images);
        n.put("Driver", daemon.storageDriver().name());
        n.putArray("DriverStatus");
        ObjectNode plugins = n.putObject("Plugins");
        plugins.putArray("Volume");
        plugins.putArray("Network");
        plugins.putNull("Authorization");
        plugins.putArray("Log").add("json-file");
        n.put("MemoryLimit", true);
        n.put("SwapLimit", false);
        n.put("KernelMemory", false);
        n.put("CpuCfsPeriod", true);
        n.put("CpuCfsQuota", true);
        n.put("CPUShares", true);
        n.put("CPUSet", true);
        n.put("PidsLimit", true);
        n.put("IPv4Forwarding", true);
        n.put("BridgeNfIptables", false);
        n.put("BridgeNfIp6tables", false);
        n.put("Debug", false);
        n.put("NFd", 0);
        n.put("OomKillDisable", false);
        n.put("NGoroutines", Thread.activeCount());
        n.put("SystemTime", Instant.now().toString());
        n.put("LoggingDriver", "json-file");
        n.put("CgroupDriver", "cgroupfs");
        n.put("CgroupVersion", Files.exists(Path.of("/sys/fs/cgroup/cgroup.controllers")) ? "2" : "1");
        n.put("NEventsListener", 0);
        n.put("KernelVersion", kernelVersion());
        n.put("OperatingSystem", osRelease("PRETTY_NAME", "Linux"));
        n.put("OSVersion", osRelease("VERSION_ID", ""));
        n.put("OSType", "linux");
        n.put("Architecture", System.getProperty("os.arch").equals("amd64") ? "x86_64" : System.getProperty("os.arch"));
        n.put("IndexServerAddress", "");
        ObjectNode registry = n.putObject("RegistryConfig");
        registry.putArray("AllowNondistributableArtifactsCIDRs");
        registry.putArray("AllowNondistributableArtifactsHostnames");
        registry.putArray("InsecureRegistryCIDRs");
        registry.putObject("IndexConfigs");
        registry.putArray("Mirrors");
        n.put("NCPU", Runtime.getRuntime().availableProcessors());
        n.put("MemTotal", memTotal());
        n.putNull("GenericResources");
        n.put("DockerRootDir", daemon.dataRoot().toAbsolutePath().toString());
        n.put("HttpProxy", "");
        n.put("HttpsProxy", "");
        n.put("NoProxy", "");
        n.put("Name", hostname());
        n.putArray("Labels");
        n.put("ExperimentalBuild", false);
        n.put("ServerVersion", dev.rabbithole.stage1.Stage.current().version());
        n.put("ExecutionDriver", daemon.execDriver().name());
        ArrayNode execStatus = n.putArray("ExecutionDriverStatus"); // rabbithole extension: [[label, value], ...]
        daemon.execDriver().status().forEach((k, v) -> execStatus.addArray().add(k).add(v));
        ObjectNode runtimes = n.putObject("Runtimes");
        dev.rabbithole.stage1.daemon.OciRuntimes oci = daemon.ociRuntimes();     // stage 4: --add-runtime
        if (oci == null) {
            runtimes.putObject(daemon.execDriver().name()).put("path", daemon.execDriver().name());
        } else {
            oci.paths().forEach((name, path) -> runtimes.putObject(name).put("path", path));
        }
        n.put("DefaultRuntime", oci == null ? daemon.execDriver().name() : oci.defaultName());
        ObjectNode swarm = n.putObject("Swarm");
        swarm.put("NodeID", "");
        swarm.put("NodeAddr", "");
        swarm.put("LocalNodeState", "inactive");
        swarm.put("ControlAvailable", false);
        swarm.put("Error", "");
        swarm.putNull("RemoteManagers");
        n.put("LiveRestoreEnabled", false);
        n.put("Isolation", "");
        n.put("InitBinary", "");
        for (String commit : List.of("ContainerdCommit", "RuncCommit", "InitCommit")) {
            ObjectNode c = n.putObject(commit);
            c.put("ID", "");
            c.put("Expected", "");
        }
        n.putArray("SecurityOptions").add("name=seccomp,profile=default");
        n.putArray("Warnings");
        return n;
    }

    static String goArch() {
        String arch = System.getProperty("os.arch");
        return switch (arch) {
            case "amd64", "x86_64" -> "amd64";
            case "aarch64" -> "arm64";
            default -> arch;
        };
    }

    static String kernelVersion() {
        return System.getProperty("os.version");
    }

    private static String osRelease(String key, String fallback) {
        try {
            for (String line : Files.readAllLines(Path.of("/etc/os-release"))) {
                if (line.startsWith(key + "=")) {
                    return line.substring(key.length() + 1).replace("\"", "");
                }
            }
        } catch (IOException ignored) {
            // not every system has it
        }
        return fallback;
    }

    private static long memTotal() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException ignored) {
            // reported as 0
        }
        return 0;
    }

    private static String hostname() {
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "localhost";
        }
    }
}
