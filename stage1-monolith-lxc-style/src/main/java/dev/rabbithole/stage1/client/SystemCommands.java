package dev.rabbithole.stage1.client;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code version} and {@code info}: {@code GET /version} and {@code GET /info} (Engine API v1.41). */
public final class SystemCommands {
    private SystemCommands() { }

    /** @return this jar's version, the one the daemon reports too ({@link dev.rabbithole.stage1.Stage#version()}) */
    public static String clientVersion() {
        return dev.rabbithole.stage1.Stage.current().version();
    }

    /** {@code version}: the client's version, then the daemon's {@code GET /version} fields. */
    @Command(name = "version", description = "Show the client and daemon versions.")
    public static final class Version extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;

        @Override
        protected int execute(EngineClient client) {
            context.out().println("Client: rabbithole " + dev.rabbithole.stage1.Stage.current().name());
            line(" ", "Version", clientVersion());
            line(" ", "API version", EngineClient.API_VERSION);
            line(" ", "Java version", System.getProperty("java.version"));
            line(" ", "OS/Arch", "linux/" + System.getProperty("os.arch"));
            context.out().println();
            JsonNode v = client.get("/version");
            context.out().println("Server:");
            String[][] fields = {{"Version", "Version"}, {"ApiVersion", "API version"}, {"MinAPIVersion", "Minimum API version"},
                    {"Os", "OS"}, {"Arch", "Arch"}, {"KernelVersion", "Kernel version"}, {"GitCommit", "Git commit"},
                    {"BuildTime", "Built"}};
            for (String[] f : fields) {
                if (v.hasNonNull(f[0])) {
                    line(" ", f[1], v.get(f[0]).asText());
                }
            }
            v.path("Components").forEach(c -> line(" ", c.path("Name").asText("component"), c.path("Version").asText("")));
            return 0;
        }

        private void line(String indent, String label, String value) {
            context.out().printf("%s%-21s%s%n", indent, label + ":", value); // "Minimum API version:" is 20
        }
    }

    /** {@code info}: the daemon's {@code GET /info}, the fields docker info shows first. */
    @Command(name = "info", description = "Show daemon-wide information.")
    public static final class Info extends ClientCommand {
        @Option(names = "--help", usageHelp = true, description = "Show this help.") boolean help;

        @Override
        protected int execute(EngineClient client) {
            JsonNode i = client.get("/info");
            String[][] fields = {{"Containers", "Containers"}, {"ContainersRunning", " Running"}, {"ContainersPaused", " Paused"},
                    {"ContainersStopped", " Stopped"}, {"Images", "Images"}, {"ServerVersion", "Server Version"},
                    {"Driver", "Storage Driver"}, {"ExecutionDriver", "Execution Driver"}, {"CgroupDriver", "Cgroup Driver"},
                    {"CgroupVersion", "Cgroup Version"}, {"KernelVersion", "Kernel Version"}, {"OperatingSystem", "Operating System"},
                    {"OSType", "OSType"}, {"Architecture", "Architecture"}, {"NCPU", "CPUs"}, {"MemTotal", "Total Memory"},
                    {"Name", "Name"}, {"ID", "ID"}, {"DockerRootDir", "Docker Root Dir"}};
            context.out().println("Server:");
            for (String[] f : fields) {
                JsonNode value = i.get(f[0]);
                if (value == null || value.isNull()) {
                    continue;
                }
                String text = f[0].equals("MemTotal") ? Units.humanSize(value.asLong()) : value.asText();
                context.out().println(" " + f[1] + ": " + text);
                if (f[0].equals("ExecutionDriver")) {
                    i.path("ExecutionDriverStatus").forEach(pair ->
                            context.out().println("  " + pair.path(0).asText() + ": " + pair.path(1).asText()));
                }
            }
            JsonNode security = i.path("SecurityOptions");
            if (security.size() > 0) {
                context.out().println(" Security Options:");
                security.forEach(s -> context.out().println("  " + s.asText()));
            }
            return 0;
        }
    }
}
