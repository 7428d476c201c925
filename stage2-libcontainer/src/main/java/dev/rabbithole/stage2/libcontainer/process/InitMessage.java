package dev.rabbithole.stage2.libcontainer.process;

import com.fasterxml.jackson.annotation.JsonInclude;
import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.system.RecordingSyscalls;

import java.util.List;

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
 * @param seccomp    for {@code config}: the filter compiled by the parent ({@code struct sock_filter[]}, base64 in
 *                   JSON), or null for none
 * @param path       for {@code exec}: the program about to be executed
 * @param calls      for {@code exec}: the kernel calls the init made and is about to make, in order
 * @param error      for {@code error}: what failed, e.g. {@code chdir: No such file or directory}
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record InitMessage(String type, ContainerConfig config, String hostname, String hosts, String resolvConf,
                          byte[] seccomp, String path, List<RecordingSyscalls.Call> calls, String error) {
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
        return new InitMessage(GO, null, null, null, null, null, null, null, null);
    }

    /** @param message what failed @return an {@code error} message */
    public static InitMessage error(String message) {
        return new InitMessage(ERROR, null, null, null, null, null, null, null, message);
    }

    /**
     * @param path  the program
     * @param calls the init's kernel calls, the last ones included
     * @return an {@code exec} message
     */
    public static InitMessage exec(String path, List<RecordingSyscalls.Call> calls) {
        return new InitMessage(EXEC, null, null, null, null, null, path, calls, null);
    }

    /**
     * @param config     the container
     * @param hostname   host path of the /etc/hostname file
     * @param hosts      host path of the /etc/hosts file
     * @param resolvConf host path of the /etc/resolv.conf file
     * @param seccomp    the compiled filter, or null
     * @return a {@code config} message
     */
    public static InitMessage config(ContainerConfig config, String hostname, String hosts, String resolvConf,
                                     byte[] seccomp) {
        return new InitMessage(CONFIG, config, hostname, hosts, resolvConf, seccomp, null, null, null);
    }
}
