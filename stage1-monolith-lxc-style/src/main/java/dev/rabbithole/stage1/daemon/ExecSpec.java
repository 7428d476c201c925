package dev.rabbithole.stage1.daemon;

import java.util.List;

/**
 * A process to run inside a running container: the body of Engine API 1.41 {@code POST /containers/{id}/exec}
 * (ExecConfig), resolved by the daemon.
 *
 * @param cmd         the program and its arguments, first element the program
 * @param env         the process's {@code KEY=VALUE} strings: the container's, then {@code -e}, already merged
 * @param user        {@code -u}: {@code uid[:gid]} or {@code name[:group]}; the daemon puts the container's User here
 *                    when the exec gives none, so empty means root (dockerd's rule)
 * @param workingDir  {@code -w}: absolute path inside the container; the daemon puts the container's WorkingDir
 *                    here when the exec gives none, and {@code /} when neither does
 * @param tty         {@code -t}: the process gets a terminal; its output is one raw stream
 * @param openStdin   {@code -i} (AttachStdin): the process reads a stdin the daemon writes to
 * @param privileged  {@code --privileged}: all capabilities, no seccomp, for this process only
 */
public record ExecSpec(List<String> cmd, List<String> env, String user, String workingDir, boolean tty,
                       boolean openStdin, boolean privileged) {
}
