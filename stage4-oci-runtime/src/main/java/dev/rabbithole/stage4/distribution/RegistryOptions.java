package dev.rabbithole.stage4.distribution;

import dev.rabbithole.stage1.daemon.Daemon;

import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/**
 * Stage 4 dockerd's registry options ({@code Stage4Dockerd} parses them): {@code --insecure-registry HOST[:PORT]}
 * (repeatable; dockerd's flag) and {@code --registry-certs-dir DIR} (the directory dockerd reads as
 * {@code /etc/docker/certs.d}: {@code DIR/HOST:PORT/*.crt} are CAs for that registry).
 *
 * @param insecure the insecure registries
 * @param certsDir the CA directory, or null
 */
public record RegistryOptions(List<String> insecure, Path certsDir) {

    /** @return what installs a {@link DistributionRegistry} with these options into a daemon */
    public Consumer<Daemon> installer() {
        return daemon -> daemon.imageService().registry(new DistributionRegistry(daemon.images(),
                new RegistryHosts(insecure, certsDir), daemon.imageService()::pull));
    }
}
