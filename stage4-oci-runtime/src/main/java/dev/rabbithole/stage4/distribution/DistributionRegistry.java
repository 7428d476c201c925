package dev.rabbithole.stage4.distribution;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage1.daemon.Registry;
import dev.rabbithole.stage1.image.Image;
import dev.rabbithole.stage1.image.ImageStore;

import java.io.IOException;
import java.io.InputStream;
import java.net.http.HttpResponse;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;

/**
 * Stage 4's {@link Registry}: a distribution-spec client (opencontainers/distribution-spec spec.md, Docker's token
 * authentication) on {@link java.net.http.HttpClient}. {@code docker pull} and {@code docker push} through
 * {@link Puller} and {@link Pusher}; {@code docker login} checks the credentials on the registry's {@code /v2/}.
 * Docker Hub's {@code busybox:latest} stays stage 1's built-in image (this machine reaches no Internet registry).
 */
public final class DistributionRegistry implements Registry {
    /** Layers downloaded at once (dockerd's {@code max-concurrent-downloads} default). */
    public static final int CONCURRENT_DOWNLOADS = 3;

    private final RegistryHosts hosts;
    private final ImageStore store;
    private final Puller puller;
    private final Pusher pusher;
    private final BiFunction<String, String, Image> builtin;

    /**
     * @param store    the image store pulls add to and pushes read from
     * @param hosts    how each registry host is reached (insecure registries, CA directory)
     * @param builtin  what answers a pull of Docker Hub's {@code busybox:latest}: stage 1's
     *                 {@link dev.rabbithole.stage1.daemon.ImageService#pull} of its built-in image; or null
     */
    public DistributionRegistry(ImageStore store, RegistryHosts hosts, BiFunction<String, String, Image> builtin) {
        this.store = store;
        this.hosts = hosts;
        this.builtin = builtin;
        AtomicInteger n = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(CONCURRENT_DOWNLOADS, r -> {
            Thread t = new Thread(r, "layer-download-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.puller = new Puller(hosts, store, pool);
        this.pusher = new Pusher(hosts, store);
    }

    /**
     * {@inheritDoc}
     *
     * @throws RegistryException the registry refused or could not be reached (404 {@code manifest unknown}; 500 for
     *         the rest, refused credentials included, as dockerd 20.10 answers)
     * @throws dev.rabbithole.stage1.errdefs.InvalidParameterException an invalid reference
     */
    @Override
    public Image pull(String fromImage, String tag, String registryAuth, Progress progress) {
        ImageReference ref = ImageReference.parse(fromImage, tag);
        if (builtin != null && ref.domain().equals(ImageReference.DOCKER_HUB) && ref.path().equals("library/busybox")
                && "latest".equals(ref.tag()) && ref.digest() == null) {
            Image image = builtin.apply(fromImage, tag);
            ProgressMessages p = new ProgressMessages(progress);
            p.status("latest", "Pulling from library/busybox");
            p.status("Built from the host's static busybox, no registry");
            p.status("Digest: " + image.manifestDigest());
            p.status("Status: Image is up to date for busybox:latest");
            return image;
        }
        return puller.pull(ref, AuthConfig.fromHeader(registryAuth), progress);
    }

    /** {@inheritDoc} */
    @Override
    public void push(String name, String tag, String registryAuth, Progress progress) {
        pusher.push(name, tag, AuthConfig.fromHeader(registryAuth), progress);
    }

    /**
     * {@inheritDoc}
     *
     * <p>As dockerd: {@code GET /v2/}; no challenge is a success; a Basic challenge is answered with the
     * credentials (a 401 again is a refusal); a Bearer challenge asks the token server for a token with them.
     */
    @Override
    public JsonNode login(byte[] authConfig) {
        AuthConfig auth = AuthConfig.fromJson(authConfig);
        String server = auth.serverAddress() == null || auth.serverAddress().isEmpty()
                || auth.serverAddress().contains("index.docker.io") ? ImageReference.DOCKER_HUB : auth.serverAddress();
        server = server.replaceFirst("^https?://", "");
        int slash = server.indexOf('/');
        if (slash >= 0) server = server.substring(0, slash);
        RegistryClient client = new RegistryClient(hosts, server, "", auth, "");
        Map<String, String> challenge = client.challenge();
        if (challenge != null) {
            String scheme = challenge.getOrDefault("scheme", "");
            if (scheme.equals("bearer")) {
                client.token(challenge.get("realm"), challenge.get("service"), null);
            } else if (scheme.equals("basic")) {
                if (!auth.hasPassword()) throw new RegistryException(500, "UNAUTHORIZED", "no basic auth credentials");
                try {
                    HttpResponse<InputStream> r = client.send("GET", "/v2/", Map.of(), null);
                    r.body().close();
                    if (r.statusCode() != 200) {
                        throw new RegistryException(500, "UNAUTHORIZED", "login attempt to " + client.base().resolve("/v2/")
                                + " failed with status: " + r.statusCode() + " " + reason(r.statusCode()));
                    }
                } catch (IOException e) {
                    throw new RegistryException(500, null, "Get \"" + client.base().resolve("/v2/") + "\": " + RegistryClient.describe(e, client.base().resolve("/v2/")));
                } catch (RegistryException e) {
                    if ("UNAUTHORIZED".equals(e.code())) {
                        throw new RegistryException(500, "UNAUTHORIZED", "login attempt to " + client.base().resolve("/v2/")
                                + " failed with status: 401 Unauthorized");
                    }
                    throw e;
                }
            }
        }
        ObjectNode answer = JsonNodeFactory.instance.objectNode();
        answer.put("Status", "Login Succeeded");
        answer.put("IdentityToken", "");
        return answer;
    }

    private static String reason(int status) {
        return switch (status) {
            case 401 -> "Unauthorized";
            case 403 -> "Forbidden";
            default -> "";
        };
    }

    /** @return the hosts configuration (insecure registries, CA directory) */
    public RegistryHosts hosts() {
        return hosts;
    }

}
