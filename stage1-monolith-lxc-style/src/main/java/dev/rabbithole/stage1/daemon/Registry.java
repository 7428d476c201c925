package dev.rabbithole.stage1.daemon;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.rabbithole.stage1.image.Image;

/**
 * The seam through which a daemon reaches image registries: {@code docker pull}, {@code docker push} and
 * {@code docker login} (Engine API 1.41 {@code POST /images/create?fromImage=}, {@code POST /images/{name}/push},
 * {@code POST /auth}). Stages 1 to 3 install none and keep their built-in busybox "pull"; stage 4 installs a
 * distribution-spec client ({@link ImageService#registry(Registry)}).
 *
 * <p>Errors are {@link dev.rabbithole.stage1.errdefs.EngineException}s. One thrown before the first progress
 * message becomes the HTTP answer (Docker's {@code Error response from daemon: ...}); one thrown after it ends
 * the stream with an {@code errorDetail} message, as dockerd's JSON progress stream does.
 */
public interface Registry {

    /**
     * Where a pull or push writes its JSON progress messages (moby's {@code jsonmessage.JSONMessage}:
     * {@code status}, {@code id}, {@code progressDetail {current, total}} in bytes, {@code progress}).
     * Safe to call from several threads.
     */
    interface Progress {
        /** Writes one message as one line of the stream. */
        void message(ObjectNode message);

        /** @return a new empty message object */
        ObjectNode object();
    }

    /**
     * Pulls an image and stores it.
     *
     * @param fromImage    the reference as the client sent it, e.g. {@code localhost:5000/app}, {@code app@sha256:...}
     * @param tag          the {@code tag} query parameter (a tag or a digest), empty or null for none
     * @param registryAuth the {@code X-Registry-Auth} header (base64url JSON AuthConfig), or null
     * @param progress     the stream
     * @return the stored image
     */
    Image pull(String fromImage, String tag, String registryAuth, Progress progress);

    /**
     * Pushes a local image.
     *
     * @param name         {@code [host[:port]/]repo}, the path parameter
     * @param tag          the {@code tag} query parameter, empty or null for every tag of the repository
     * @param registryAuth the {@code X-Registry-Auth} header, or null
     * @param progress     the stream
     */
    void push(String name, String tag, String registryAuth, Progress progress);

    /**
     * {@code POST /auth}: checks credentials against a registry.
     *
     * @param authConfig the request body, JSON {@code {username, password, serveraddress}} or {@code identitytoken}
     * @return the answer, {@code {"Status": "Login Succeeded", "IdentityToken": ""}}
     * @throws dev.rabbithole.stage1.errdefs.EngineException refused credentials (401) or an unreachable registry
     */
    JsonNode login(byte[] authConfig);
}
