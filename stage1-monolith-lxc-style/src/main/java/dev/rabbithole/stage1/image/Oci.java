package dev.rabbithole.stage1.image;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.util.List;
import java.util.Map;

/**
 * The OCI image-spec's JSON documents (descriptor.md, manifest.md, image-index.md, image-layout.md)
 * as records, and the media types the store writes and accepts. Unknown fields are ignored on read;
 * nulls are left out on write, so a document serializes the same way every time.
 */
public final class Oci {
    private Oci() { }

    /** {@code application/vnd.oci.image.index.v1+json} (image-index.md). */
    public static final String MEDIA_TYPE_INDEX = "application/vnd.oci.image.index.v1+json";
    /** {@code application/vnd.oci.image.manifest.v1+json} (manifest.md). */
    public static final String MEDIA_TYPE_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
    /** {@code application/vnd.oci.image.config.v1+json} (config.md). */
    public static final String MEDIA_TYPE_CONFIG = "application/vnd.oci.image.config.v1+json";
    /** {@code application/vnd.oci.image.layer.v1.tar+gzip}: every layer the store keeps has this type. */
    public static final String MEDIA_TYPE_LAYER_GZIP = "application/vnd.oci.image.layer.v1.tar+gzip";
    /** {@code application/vnd.oci.image.layer.v1.tar}: accepted on load, compressed before storing. */
    public static final String MEDIA_TYPE_LAYER_TAR = "application/vnd.oci.image.layer.v1.tar";
    /** Docker's image manifest v2 schema 2, accepted in OCI layouts written by Docker. */
    public static final String MEDIA_TYPE_DOCKER_MANIFEST = "application/vnd.docker.distribution.manifest.v2+json";
    /** Docker's manifest list, accepted in OCI layouts written by Docker. */
    public static final String MEDIA_TYPE_DOCKER_MANIFEST_LIST = "application/vnd.docker.distribution.manifest.list.v2+json";
    /** The annotation that names an image in an OCI layout's {@code index.json}; the store writes {@code name:tag}. */
    public static final String ANNOTATION_REF_NAME = "org.opencontainers.image.ref.name";
    /** containerd's (and Docker 25's) full image name annotation, read on load. */
    public static final String ANNOTATION_CONTAINERD_NAME = "io.containerd.image.name";
    /** {@code oci-layout}'s only field's value (image-layout.md). */
    public static final String IMAGE_LAYOUT_VERSION = "1.0.0";

    /** Jackson set up for these documents: unknown fields ignored, nulls omitted, record order kept. */
    public static final ObjectMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build()
            .setDefaultPropertyInclusion(JsonInclude.Include.NON_NULL);

    // tag::oci-documents[]
    /**
     * A content descriptor (descriptor.md).
     *
     * @param mediaType   the referenced content's media type
     * @param digest      {@code sha256:<hex>} of the referenced bytes
     * @param size        length of the referenced bytes, in bytes
     * @param annotations e.g. {@link #ANNOTATION_REF_NAME}, may be null
     * @param platform    for manifests in an index, may be null
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Descriptor(String mediaType, String digest, long size, Map<String, String> annotations,
                             Platform platform) {
        /** @return the annotation's value, or null */
        public String annotation(String key) { return annotations == null ? null : annotations.get(key); }
    }

    /**
     * A platform (image-index.md): {@code architecture} in Go's GOARCH names, {@code os} e.g. {@code linux}.
     *
     * @param architecture {@code amd64}, {@code arm64}, ...
     * @param os           {@code linux}
     * @param variant      e.g. {@code v8}, may be null
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Platform(String architecture, String os, String variant) { }

    /**
     * An image manifest (manifest.md).
     *
     * @param schemaVersion always 2
     * @param mediaType     {@link #MEDIA_TYPE_MANIFEST}
     * @param config        the config blob
     * @param layers        the layer blobs, lowest first
     * @param annotations   may be null
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Manifest(int schemaVersion, String mediaType, Descriptor config, List<Descriptor> layers,
                           Map<String, String> annotations) { }

    /**
     * An image index (image-index.md): the store's {@code index.json}.
     *
     * @param schemaVersion always 2
     * @param mediaType     {@link #MEDIA_TYPE_INDEX}
     * @param manifests     one entry per {@code name:tag} (and one without a name per untagged image)
     * @param annotations   may be null
     */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Index(int schemaVersion, String mediaType, List<Descriptor> manifests,
                        Map<String, String> annotations) { }
    // end::oci-documents[]
}
