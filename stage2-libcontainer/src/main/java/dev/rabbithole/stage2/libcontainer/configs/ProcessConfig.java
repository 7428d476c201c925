package dev.rabbithole.stage2.libcontainer.configs;

import java.util.List;

/**
 * The workload, as the runtime-spec's "process" object.
 *
 * @param args           program and arguments; {@code args[0]} is looked up in PATH when not absolute
 * @param env            {@code KEY=VALUE} strings
 * @param cwd            absolute working directory inside the rootfs
 * @param uid            user ID the workload runs as
 * @param gid            group ID
 * @param additionalGids supplementary group IDs
 */
public record ProcessConfig(List<String> args, List<String> env, String cwd, int uid, int gid,
                            List<Integer> additionalGids) {
}
