package dev.rabbithole.stage2.libcontainer.process;

import dev.rabbithole.stage2.libcontainer.configs.ContainerConfig;
import dev.rabbithole.stage2.libcontainer.system.RecordingSyscalls;

import java.util.List;
import java.util.Map;

/**
 * One message of the init protocol (encoded by {@code InitCodec}). Parent to init: {@code config}, then
 * {@code go}. Init to parent: {@code error} ({@code pivot_root: Invalid argument}) or {@code exec} (the program,
 * the kernel calls) just before execve(2).
 *
 * @param type       {@code config}, {@code go}, {@code exec} or {@code error}
 * @param config     for {@code config}: the container
 * @param hostname   for {@code config}: host path of the file bound on /etc/hostname, or null
 * @param hosts      for {@code config}: host path of the file bound on /etc/hosts, or null
 * @param resolvConf for {@code config}: host path of the file bound on /etc/resolv.conf, or null
 * @param seccomp    for {@code config}: the filter compiled by the parent ({@code struct sock_filter[]}), or null for
 *                   none
 * @param path       for {@code exec}: the program about to be executed
 * @param calls      for {@code exec}: the kernel calls the init made and is about to make, in order
 * @param error      for {@code error}: what failed, e.g. {@code chdir: No such file or directory}
 * @param timings    for {@code exec}: microseconds from the init's main() to each of its steps, in order
 *                   ({@code connected}, {@code config parsed}, ...), for start-time breakdowns
 * @param execFifo   for {@code config}: host path of the start gate, a FIFO the init opens before pivot_root
 *                   and blocks on right before its last calls until {@code start} writes one byte to it; null for
 *                   no gate (the init goes straight on to execve)
 * @param failedCall for {@code error}: the system call that failed ({@code pivot_root}), or null when the
 *                   failure was not a system call's
 * @param errno      for {@code error}: that call's errno, 0 when none
 */
public record InitMessage(String type, ContainerConfig config, String hostname, String hosts, String resolvConf,
                          byte[] seccomp, String path, List<RecordingSyscalls.Call> calls, String error,
                          Map<String, Long> timings, String execFifo, String failedCall, int errno) {
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
        return new InitMessage(GO, null, null, null, null, null, null, null, null, null, null, null, 0);
    }

    /** @param message what failed @return an {@code error} message */
    public static InitMessage error(String message) {
        return error(message, null, 0);
    }

    /**
     * @param message    what failed
     * @param failedCall the failing system call, or null
     * @param errno      its errno, or 0
     * @return an {@code error} message
     */
    public static InitMessage error(String message, String failedCall, int errno) {
        return new InitMessage(ERROR, null, null, null, null, null, null, null, message, null, null, failedCall,
                errno);
    }

    /**
     * @param path    the program
     * @param calls   the init's kernel calls, the last ones included
     * @param timings microseconds from the init's main() to each step, or null
     * @return an {@code exec} message
     */
    public static InitMessage exec(String path, List<RecordingSyscalls.Call> calls, Map<String, Long> timings) {
        return new InitMessage(EXEC, null, null, null, null, null, path, calls, null, timings, null, null, 0);
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
        return config(config, hostname, hosts, resolvConf, seccomp, null);
    }

    /**
     * @param config     the container
     * @param hostname   host path of the /etc/hostname file
     * @param hosts      host path of the /etc/hosts file
     * @param resolvConf host path of the /etc/resolv.conf file
     * @param seccomp    the compiled filter, or null
     * @param execFifo   host path of the start gate, or null for none
     * @return a {@code config} message
     */
    public static InitMessage config(ContainerConfig config, String hostname, String hosts, String resolvConf,
                                     byte[] seccomp, String execFifo) {
        return new InitMessage(CONFIG, config, hostname, hosts, resolvConf, seccomp, null, null, null, null,
                execFifo, null, 0);
    }
}
