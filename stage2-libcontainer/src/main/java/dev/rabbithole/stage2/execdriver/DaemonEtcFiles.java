package dev.rabbithole.stage2.execdriver;

import dev.rabbithole.stage1.execdriver.EtcFiles;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The daemon's own {@code hostname}, {@code hosts} and {@code resolv.conf} for a container (networking writes them:
 * the container's address, its peers on a user-defined network, {@code --add-host}, {@code --dns}), handed to
 * libcontainer, which binds what its state directory holds: symlinks there to the daemon's files, so that the bind
 * mounts are of the daemon's files themselves and its later in-place rewrites (a peer joining) reach the container.
 */
final class DaemonEtcFiles {
    private DaemonEtcFiles() { }

    /**
     * @param daemonDir    the command's state directory, or null
     * @param libcontainer the container's libcontainer state directory
     * @return whether the daemon wrote the files ({@link EtcFiles#DAEMON_MARKER}) and they are now linked
     * @throws IOException a symlink cannot be made
     */
    static boolean link(Path daemonDir, Path libcontainer) throws IOException {
        if (daemonDir == null || !Files.exists(daemonDir.resolve(EtcFiles.DAEMON_MARKER))) {
            return false;
        }
        for (String name : EtcFiles.NAMES) {
            Path target = daemonDir.resolve(name).toAbsolutePath();
            if (Files.isRegularFile(target)) {
                Path link = libcontainer.resolve(name);
                Files.deleteIfExists(link);
                Files.createSymbolicLink(link, target);
            }
        }
        return true;
    }
}
