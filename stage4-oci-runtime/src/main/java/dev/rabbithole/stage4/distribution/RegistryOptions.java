package dev.rabbithole.stage4.distribution;

import dev.rabbithole.stage1.daemon.Daemon;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Stage 4 dockerd's registry options, taken out of its command line before the rest goes to stage 3's parser:
 * {@code --insecure-registry HOST[:PORT]} (repeatable; dockerd's flag) and {@code --registry-certs-dir DIR} (the
 * directory dockerd reads as {@code /etc/docker/certs.d}: {@code DIR/HOST:PORT/*.crt} are CAs for that registry).
 *
 * @param insecure  the insecure registries
 * @param certsDir  the CA directory, or null
 * @param remaining the other arguments, in order
 */
public record RegistryOptions(List<String> insecure, Path certsDir, String[] remaining) {

    /**
     * @param args dockerd's arguments
     * @return the registry options and the rest
     * @throws IllegalArgumentException an option without its value
     */
    public static RegistryOptions parse(String[] args) {
        List<String> insecure = new ArrayList<>();
        Path certs = null;
        List<String> rest = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--insecure-registry") || a.equals("--registry-certs-dir")) {
                if (i + 1 >= args.length) throw new IllegalArgumentException(a + " needs a value");
                String v = args[++i];
                if (a.equals("--insecure-registry")) insecure.add(v); else certs = Path.of(v);
            } else if (a.startsWith("--insecure-registry=")) {
                insecure.add(a.substring(a.indexOf('=') + 1));
            } else if (a.startsWith("--registry-certs-dir=")) {
                certs = Path.of(a.substring(a.indexOf('=') + 1));
            } else {
                rest.add(a);
            }
        }
        return new RegistryOptions(List.copyOf(insecure), certs, rest.toArray(String[]::new));
    }

    /** @return what installs a {@link DistributionRegistry} with these options into a daemon */
    public Consumer<Daemon> installer() {
        return daemon -> daemon.imageService().registry(new DistributionRegistry(daemon.images(),
                new RegistryHosts(insecure, certsDir), daemon.imageService()::pull));
    }
}
