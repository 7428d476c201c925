package dev.rabbithole.stage1.volume;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * One mount of a container as the daemon records it at create (Docker's {@code MountPoints} of
 * {@code config.v2.json}) and shows it in {@code GET /containers/{id}/json}'s {@code Mounts} (the first eight
 * fields; Engine API 1.41 {@code MountPoint}).
 *
 * @param type         {@code bind}, {@code volume} or {@code tmpfs}
 * @param name         the volume's name; empty for bind and tmpfs
 * @param source       the host path: the bind's source, the volume's {@code _data} directory; empty for tmpfs
 * @param destination  the absolute path inside the container
 * @param driver       {@code local} for a volume; empty otherwise
 * @param mode         the mode words of {@code -v} as given ({@code ro}, {@code ro,rslave}); {@code z} for a
 *                     named volume given without any (as dockerd shows it); empty for {@code --mount}
 * @param rw           false when mounted read-only
 * @param propagation  {@code rprivate} (a bind's default), {@code rshared}, ...; empty for volumes and tmpfs
 * @param anonymous    a volume the container created without a name (image {@code VOLUME}, {@code -v /PATH},
 *                     {@code --mount type=volume} without source): removed with {@code rm -v} and {@code --rm}
 * @param copyData     a new volume is filled from the image's directory at the destination (not {@code nocopy})
 * @param createSource a {@code -v} bind whose missing source is created as a directory at start
 * @param nonRecursive a plain {@code bind}, not {@code rbind} ({@code bind-nonrecursive})
 * @param tmpfsOptions for tmpfs: mount(8) data options ({@code size=BYTES,mode=OCTAL}); empty for the defaults
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.ALWAYS)
public record MountPoint(@JsonProperty("Type") String type,
                         @JsonProperty("Name") String name,
                         @JsonProperty("Source") String source,
                         @JsonProperty("Destination") String destination,
                         @JsonProperty("Driver") String driver,
                         @JsonProperty("Mode") String mode,
                         @JsonProperty("RW") boolean rw,
                         @JsonProperty("Propagation") String propagation,
                         @JsonProperty("Anonymous") boolean anonymous,
                         @JsonProperty("CopyData") boolean copyData,
                         @JsonProperty("CreateSource") boolean createSource,
                         @JsonProperty("NonRecursive") boolean nonRecursive,
                         @JsonProperty("TmpfsOptions") String tmpfsOptions) {

    /** @return a copy mounted read-write ({@code true}) or read-only, for {@code --volumes-from NAME:rw|ro} */
    public MountPoint withRw(boolean value) {
        return new MountPoint(type, name, source, destination, driver, mode, value, propagation, anonymous,
                copyData, createSource, nonRecursive, tmpfsOptions);
    }

    /** @return whether this mount holds a volume of the store */
    public boolean isVolume() {
        return "volume".equals(type);
    }
}
