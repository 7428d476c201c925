package dev.rabbithole.labs.check;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The checkers' own cleanup of the labs' cgroups (/sys/fs/cgroup/CONTROLLER/rabbithole-labs/NAME, cgroup v1). */
public final class Cgroups {
    private Cgroups() {}

    /**
     * Removes a container's cgroups, moving any process left in them to the root cgroup first, and the
     * {@code rabbithole-labs} parent when it is left empty.
     *
     * @param name the container's name
     */
    public static void remove(String name) {
        for (String controller : List.of("memory", "pids", "cpu")) {
            Path g = Path.of("/sys/fs/cgroup", controller, "rabbithole-labs", name);
            if (Files.isDirectory(g)) {
                removeOne(controller, g);
            }
            try {
                Files.deleteIfExists(g.getParent()); // rabbithole-labs itself, once no lab's cgroup is left in it
            } catch (IOException stillUsed) {
                // another lab's cgroup is below it
            }
        }
    }

    /** Moves what is left in one cgroup to the root, then removes it (the kernel may need a moment after an exit). */
    private static void removeOne(String controller, Path g) {
        for (String pid : Proc.lines(g.resolve("cgroup.procs"))) {
            try {
                Files.writeString(Path.of("/sys/fs/cgroup", controller, "cgroup.procs"), pid);
            } catch (IOException gone) {
                // the process exited meanwhile
            }
        }
        for (int i = 0; i < 100 && Files.exists(g); i++) {
            try {
                Files.delete(g);
            } catch (IOException busy) {
                try {
                    Thread.sleep(20);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }
}
