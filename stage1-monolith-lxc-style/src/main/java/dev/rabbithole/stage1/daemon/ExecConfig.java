package dev.rabbithole.stage1.daemon;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;

import java.util.List;

/**
 * The body of Engine API 1.41 {@code POST /containers/{id}/exec} (ExecConfig), as {@code docker exec} sends it.
 * Unknown fields are ignored; absent ones are null or false.
 *
 * @param cmd          the program and its arguments; required
 * @param env          {@code -e}: {@code KEY=VALUE} strings over the container's Env
 * @param user         {@code -u}: {@code uid[:gid]} or {@code name[:group]}; empty for the container's user
 * @param workingDir   {@code -w}: absolute path; empty for the container's working directory
 * @param tty          {@code -t}
 * @param attachStdin  {@code -i}: the process gets a stdin the client writes to
 * @param attachStdout the client reads stdout
 * @param attachStderr the client reads stderr
 * @param privileged   {@code --privileged}
 * @param detachKeys   {@code --detach-keys}, e.g. {@code ctrl-p,ctrl-q}; empty for the default
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record ExecConfig(
        @JsonProperty("Cmd") List<String> cmd,
        @JsonProperty("Env") List<String> env,
        @JsonProperty("User") String user,
        @JsonProperty("WorkingDir") String workingDir,
        @JsonProperty("Tty") boolean tty,
        @JsonProperty("AttachStdin") boolean attachStdin,
        @JsonProperty("AttachStdout") boolean attachStdout,
        @JsonProperty("AttachStderr") boolean attachStderr,
        @JsonProperty("Privileged") boolean privileged,
        @JsonProperty("DetachKeys") String detachKeys) {

    /**
     * @param cmd the program and its arguments
     * @return an exec of {@code cmd} attached to stdout and stderr, everything else unset
     */
    public static ExecConfig of(String... cmd) {
        return new ExecConfig(List.of(cmd), null, null, null, false, false, true, true, false, null);
    }
}
