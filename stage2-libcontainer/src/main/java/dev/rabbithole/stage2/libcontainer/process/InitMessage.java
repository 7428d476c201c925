package dev.rabbithole.stage2.libcontainer.process;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;

/**
 * One line of the init protocol, as JSON. Parent to init: {@code {"type":"config",...}} then
 * {@code {"type":"go"}}. Init to parent: {@code {"type":"error","error":"pivot_root: Invalid argument"}} or
 * {@code {"type":"exec","path":"/bin/sh"}} just before execve(2).
 *
 * @param type       {@code config}, {@code go}, {@code exec} or {@code error}
 * @param config     for {@code config}: the container
 * @param hostname   for {@code config}: host path of the file bound on /etc/hostname, or null
 * @param hosts      for {@code config}: host path of the file bound on /etc/hosts, or null
 * @param resolvConf for {@code config}: host path of the file bound on /etc/resolv.conf, or null
 * @param path       for {@code exec}: the program about to be executed
 * @param error      for {@code error}: what failed, e.g. {@code chdir: No such file or directory}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record InitMessage(String type, ContainerConfig config, String hostname, String hosts, String resolvConf,
                          String path, String error) {
    /** the parent's "go on": the init's pid is in the cgroup */
    public static final String GO = "go";
    /** the parent's container description */
    public static final String CONFIG = "config";
    /** the init reached execve */
    public static final String EXEC = "exec";
    /** the init failed */
    public static final String ERROR = "error";

    /** @return a {@code go} message */
    public static InitMessage go() {
        return new InitMessage(GO, null, null, null, null, null, null);
    }

    /** @param message what failed @return an {@code error} message */
    public static InitMessage error(String message) {
        return new InitMessage(ERROR, null, null, null, null, null, message);
    }

    /** @param path the program @return an {@code exec} message */
    public static InitMessage exec(String path) {
        return new InitMessage(EXEC, null, null, null, null, path, null);
    }
}
