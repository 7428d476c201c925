package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The OCI runtimes a daemon runs containers with, by name: dockerd 20.10's runtimes ({@code --add-runtime NAME=PATH},
 * {@code --default-runtime NAME}), which {@code docker run --runtime NAME} picks from (Engine API 1.41
 * {@code HostConfig.Runtime} of {@code POST /containers/create}) and {@code GET /info} lists ({@code Runtimes},
 * {@code DefaultRuntime}). Stages 1 to 3 run every container one way and have none
 * ({@link ContainerRuntime#ociRuntimes()} is null): there a create that names a runtime is refused.
 *
 * @param defaultName the runtime of a container that names none; a key of {@code paths}
 * @param paths       runtime name to its executable (an absolute path, or a name the shim looks up on its
 *                    {@code PATH}, as dockerd's {@code runc}), in the order {@code GET /info} lists them
 */
public record OciRuntimes(String defaultName, Map<String, String> paths) {

    /**
     * @throws IllegalArgumentException the default is not one of the runtimes
     */
    public OciRuntimes {
        paths = Collections.unmodifiableMap(new LinkedHashMap<>(paths));
        if (!paths.containsKey(defaultName)) {
            throw new IllegalArgumentException("specified default runtime '" + defaultName + "' does not exist");
        }
    }

    /**
     * dockerd 20.10's refusal of a runtime it does not know, at create and at start (400).
     *
     * @param name the name a container asked for
     * @return {@code Unknown runtime specified NAME}
     */
    public static InvalidParameterException unknown(String name) {
        return new InvalidParameterException("Unknown runtime specified " + name);
    }

    /**
     * The runtime a container runs with.
     *
     * @param name its {@code HostConfig.Runtime}; null or empty for the default
     * @return the runtime's name, the default's for none
     * @throws InvalidParameterException {@code Unknown runtime specified NAME}
     */
    public String nameOf(String name) {
        String n = name == null || name.isEmpty() ? defaultName : name;
        if (!paths.containsKey(n)) {
            throw unknown(n);
        }
        return n;
    }

    /**
     * Checks {@code HostConfig.Runtime} at {@code POST /containers/create} and records the runtime the container
     * runs with, as dockerd 20.10 does (its inspect shows {@code "Runtime": "runc"} for a container created without
     * {@code --runtime}), so that a later change of {@code --default-runtime} does not change it.
     *
     * @param runtimes   the daemon's runtimes; null when it has none (stages 1 to 3)
     * @param hostConfig the create body's host config; null for the default
     * @return the host config to store: with the runtime's name filled in; unchanged without runtimes
     * @throws InvalidParameterException a name not among the runtimes: {@code Unknown runtime specified NAME}; without
     *                                   runtimes, any name: {@code --runtime (HostConfig.Runtime) is not supported by
     *                                   stage 1} (the stage's name put in by the API server)
     */
    public static HostConfig resolve(OciRuntimes runtimes, HostConfig hostConfig) {
        String asked = hostConfig == null ? null : hostConfig.runtime();
        if (runtimes == null) {
            if (asked != null && !asked.isEmpty()) {
                throw new InvalidParameterException("--runtime (HostConfig.Runtime) is not supported by stage 1");
            }
            return hostConfig;
        }
        return (hostConfig == null ? HostConfig.DEFAULT : hostConfig).withRuntime(runtimes.nameOf(asked));
    }
}
