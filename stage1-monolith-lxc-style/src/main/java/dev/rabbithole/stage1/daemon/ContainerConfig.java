package dev.rabbithole.stage1.daemon;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;
import java.util.Map;

/**
 * The portable part of a container's configuration: the top level of the Engine API's
 * {@code POST /containers/create} body and the {@code Config} object of {@code GET /containers/{id}/json}
 * (Engine API 1.41, "ContainerConfig"). Unknown fields are ignored; absent fields are null.
 *
 * @param hostname     {@code --hostname}; null or empty means the first 12 characters of the ID
 * @param user         {@code -u}: {@code uid[:gid]} or {@code name[:group]}; null or empty means the image's
 * @param env          {@code -e} values, {@code KEY=VALUE}; merged over the image's Env by key
 * @param cmd          the command; null or empty means the image's Cmd (unless Entrypoint is given)
 * @param entrypoint   {@code --entrypoint}; null means the image's Entrypoint
 * @param image        the image reference the user gave ({@code busybox}, {@code sha256:...})
 * @param workingDir   {@code -w}, absolute path inside the rootfs; null or empty means the image's, else {@code /}
 * @param tty          {@code -t}: output is one raw stream, not multiplexed frames
 * @param openStdin    {@code -i}
 * @param attachStdin  the CLI attaches stdin
 * @param attachStdout the CLI attaches stdout
 * @param attachStderr the CLI attaches stderr
 * @param labels       {@code --label} key/values
 * @param stopSignal   {@code --stop-signal}: what {@code docker stop} sends first ({@code SIGTERM} when null; the image's
 *                     StopSignal when the user gave none), a name or number as {@code kill -s} takes it
 * @param stopTimeout  {@code --stop-timeout}: seconds {@code docker stop} waits before SIGKILL when the request gives
 *                     none; null means 10, negative waits for ever
 * @param stdinOnce    {@code docker run -i} without {@code -d}: the container's stdin is closed when the first attached
 *                     client's stdin ends (its half-close), so {@code echo hi | docker run -i IMAGE cat} ends
 * @param exposedPorts {@code --expose} and the image's EXPOSE: {@code PORT/PROTO} keys ({@code 80/tcp}) to empty
 *                     objects, as the Engine API has them; null for none
 * @param volumes      the image's VOLUME and {@code -v PATH}: container paths to empty objects; null for none
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.ALWAYS)
public record ContainerConfig(
        @JsonProperty("Hostname") String hostname,
        @JsonProperty("User") String user,
        @JsonProperty("Env") List<String> env,
        @JsonProperty("Cmd") List<String> cmd,
        @JsonProperty("Entrypoint") List<String> entrypoint,
        @JsonProperty("Image") String image,
        @JsonProperty("WorkingDir") String workingDir,
        @JsonProperty("Tty") boolean tty,
        @JsonProperty("OpenStdin") boolean openStdin,
        @JsonProperty("AttachStdin") boolean attachStdin,
        @JsonProperty("AttachStdout") boolean attachStdout,
        @JsonProperty("AttachStderr") boolean attachStderr,
        @JsonProperty("Labels") Map<String, String> labels,
        @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("StopSignal") String stopSignal,
        @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("StopTimeout") Integer stopTimeout,
        @JsonProperty("StdinOnce") boolean stdinOnce,
        @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("ExposedPorts") Map<String, Map<String, Object>> exposedPorts,
        @JsonInclude(JsonInclude.Include.NON_NULL) @JsonProperty("Volumes") Map<String, Map<String, Object>> volumes) {

    /** A config without exposed ports and volumes (the parameter list before those fields existed). */
    public ContainerConfig(String hostname, String user, List<String> env, List<String> cmd, List<String> entrypoint,
                           String image, String workingDir, boolean tty, boolean openStdin, boolean attachStdin,
                           boolean attachStdout, boolean attachStderr, Map<String, String> labels,
                           String stopSignal, Integer stopTimeout, boolean stdinOnce) {
        this(hostname, user, env, cmd, entrypoint, image, workingDir, tty, openStdin, attachStdin, attachStdout,
                attachStderr, labels, stopSignal, stopTimeout, stdinOnce, null, null);
    }

    /** A config without StdinOnce (the parameter list before stdin existed). */
    public ContainerConfig(String hostname, String user, List<String> env, List<String> cmd, List<String> entrypoint,
                           String image, String workingDir, boolean tty, boolean openStdin, boolean attachStdin,
                           boolean attachStdout, boolean attachStderr, Map<String, String> labels,
                           String stopSignal, Integer stopTimeout) {
        this(hostname, user, env, cmd, entrypoint, image, workingDir, tty, openStdin, attachStdin, attachStdout,
                attachStderr, labels, stopSignal, stopTimeout, false);
    }

    /** A config without a stop signal or timeout (the parameter list before those fields existed). */
    public ContainerConfig(String hostname, String user, List<String> env, List<String> cmd, List<String> entrypoint,
                           String image, String workingDir, boolean tty, boolean openStdin, boolean attachStdin,
                           boolean attachStdout, boolean attachStderr, Map<String, String> labels) {
        this(hostname, user, env, cmd, entrypoint, image, workingDir, tty, openStdin, attachStdin, attachStdout,
                attachStderr, labels, null, null);
    }

    /**
     * A config with just an image and a command, as {@code docker run IMAGE CMD...} sends it.
     *
     * @param image the image reference
     * @param cmd   the command, may be empty for the image's default
     * @return the config, everything else unset
     */
    public static ContainerConfig of(String image, String... cmd) {
        return new ContainerConfig(null, null, null, cmd.length == 0 ? null : List.of(cmd), null, image,
                null, false, false, false, true, true, null);
    }
}
