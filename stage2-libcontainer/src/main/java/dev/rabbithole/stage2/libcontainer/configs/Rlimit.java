package dev.rabbithole.stage2.libcontainer.configs;

/**
 * One resource limit for setrlimit(2), as the runtime-spec's "process.rlimits".
 *
 * @param type {@code RLIMIT_NOFILE}, {@code RLIMIT_NPROC}, ...
 * @param soft soft limit (units of the resource: bytes, files, processes)
 * @param hard hard limit
 */
public record Rlimit(String type, long soft, long hard) {
}
