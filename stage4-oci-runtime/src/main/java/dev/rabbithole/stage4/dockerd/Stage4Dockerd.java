package dev.rabbithole.stage4.dockerd;

import java.io.PrintStream;

/**
 * Stage 4's dockerd: stage 3's dockerd ({@link dev.rabbithole.stage3.dockerd.DockerdMain}) over containerd, grown
 * with what the OCI era made possible: any runtime-spec runtime per container, and images from registries.
 */
public final class Stage4Dockerd {

    private Stage4Dockerd() {
    }

    /**
     * Runs {@code dockerd}; returns when it stops.
     *
     * @param args the arguments after {@code dockerd}
     * @param out  where the help goes
     * @param err  where errors go
     * @return the exit status
     */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        // registries: --insecure-registry HOST:PORT, --registry-certs-dir DIR; pull, push and login go to them
        dev.rabbithole.stage4.distribution.RegistryOptions registry;
        try {
            registry = dev.rabbithole.stage4.distribution.RegistryOptions.parse(args);
        } catch (IllegalArgumentException e) {
            err.println("dockerd: " + e.getMessage());
            return 2;
        }
        return dev.rabbithole.stage3.dockerd.DockerdMain.run(registry.remaining(), out, err, registry.installer());
    }
}
