package dev.rabbithole.stage1.daemon;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;
import dev.rabbithole.stage1.errdefs.NotFoundException;
import dev.rabbithole.stage1.image.ImageConfig;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * {@code docker run --platform OS[/ARCH[/VARIANT]]}: the {@code platform} query parameter of
 * {@code POST /containers/create} (Engine API 1.41). Docker's daemon parses it as containerd's platform specifier
 * and refuses an image whose config names another os or architecture (image-spec config.md {@code os},
 * {@code architecture}) with a 404, after which the docker CLI tries to pull the image for that platform.
 * The messages are dockerd 20.10's.
 */
public final class Platforms {
    private Platforms() { }

    /**
     * A parsed, normalised platform.
     *
     * @param os           {@code linux}, {@code windows}, ...
     * @param architecture Go's GOARCH name: {@code amd64}, {@code arm64}, {@code arm}, {@code 386}, ...
     * @param variant      {@code v7}, ... or empty
     */
    public record Platform(String os, String architecture, String variant) {
        /** @return {@code os/architecture[/variant]}, as Docker prints a platform */
        @Override
        public String toString() {
            return os + "/" + architecture + (variant.isEmpty() ? "" : "/" + variant);
        }
    }

    private static final Pattern COMPONENT = Pattern.compile("^[A-Za-z0-9_-]+$");
    private static final Set<String> KNOWN_OS = Set.of("aix", "android", "darwin", "dragonfly", "freebsd", "hurd",
            "illumos", "ios", "js", "linux", "nacl", "netbsd", "openbsd", "plan9", "solaris", "windows", "zos");
    private static final Set<String> KNOWN_ARCH = Set.of("386", "amd64", "amd64p32", "arm", "armbe", "arm64",
            "arm64be", "ppc64", "ppc64le", "loong64", "mips", "mipsle", "mips64", "mips64le", "mips64p32",
            "mips64p32le", "ppc", "riscv", "riscv64", "s390", "s390x", "sparc", "sparc64", "wasm",
            "i386", "x86_64", "x86-64", "aarch64", "armhf", "armel");

    /** @return this host's platform: {@code linux} and the JVM's architecture in Go's names */
    public static Platform host() {
        return normalize("linux", System.getProperty("os.arch", "amd64"), "");
    }

    /**
     * Parses a platform specifier: {@code OS}, {@code ARCH} (on linux), {@code OS/ARCH} or {@code OS/ARCH/VARIANT};
     * architectures are normalised ({@code x86_64} is {@code amd64}, {@code aarch64} is {@code arm64}).
     *
     * @param spec the specifier, e.g. {@code linux/arm64}
     * @return the platform; a missing architecture is this host's
     * @throws InvalidParameterException {@code "SPEC": cannot parse platform specifier: invalid argument} and
     *         the like, as dockerd answers with status 400
     */
    public static Platform parse(String spec) {
        String[] parts = spec.split("/", -1);
        for (String p : parts) {
            if (!COMPONENT.matcher(p).matches()) {
                throw new InvalidParameterException("\"" + p + "\": specifier component must match \""
                        + COMPONENT.pattern() + "\": invalid argument");
            }
        }
        switch (parts.length) {
            case 1 -> {
                String p = parts[0].toLowerCase(Locale.ROOT);
                if (KNOWN_OS.contains(p)) {
                    return normalize(p, host().architecture(), "");
                }
                if (KNOWN_ARCH.contains(p)) {
                    return normalize("linux", p, "");
                }
                throw new InvalidParameterException("\"" + spec
                        + "\": unknown operating system or architecture: invalid argument");
            }
            case 2 -> {
                return normalize(parts[0], parts[1], "");
            }
            case 3 -> {
                return normalize(parts[0], parts[1], parts[2]);
            }
            default -> throw new InvalidParameterException("\"" + spec
                    + "\": cannot parse platform specifier: invalid argument");
        }
    }

    /**
     * Refuses an image that is not for the platform asked for.
     *
     * @param spec   the {@code platform} parameter; null or empty checks nothing
     * @param ref    the image reference the user gave (for the message)
     * @param config the image's config; a missing os counts as {@code linux}, a missing architecture as this host's
     * @throws InvalidParameterException an unparseable specifier (400)
     * @throws NotFoundException {@code image with reference REF was found but does not match the specified
     *         platform: wanted linux/arm64, actual: linux/amd64} (404, as dockerd 20.10)
     */
    public static void check(String spec, String ref, ImageConfig config) {
        if (spec == null || spec.isEmpty()) {
            return;
        }
        Platform wanted = parse(spec);
        Platform actual = normalize(config == null || config.os() == null || config.os().isEmpty() ? "linux" : config.os(),
                config == null || config.architecture() == null || config.architecture().isEmpty()
                        ? host().architecture() : config.architecture(), "");
        boolean variantOk = wanted.variant().isEmpty() || actual.variant().isEmpty()
                || wanted.variant().equals(actual.variant());
        if (!wanted.os().equals(actual.os()) || !wanted.architecture().equals(actual.architecture()) || !variantOk) {
            throw new NotFoundException("image with reference " + ref
                    + " was found but does not match the specified platform: wanted " + wanted + ", actual: " + actual);
        }
    }

    /** containerd's normalisation: lower case, Go's architecture names, the default arm variants. */
    static Platform normalize(String os, String arch, String variant) {
        String o = os.toLowerCase(Locale.ROOT);
        String a = arch.toLowerCase(Locale.ROOT);
        String v = variant.toLowerCase(Locale.ROOT);
        switch (a) {
            case "i386" -> a = "386";
            case "x86_64", "x86-64" -> { a = "amd64"; v = ""; }
            case "aarch64", "arm64" -> { a = "arm64"; v = v.equals("8") || v.equals("v8") ? "" : v; }
            case "armhf" -> { a = "arm"; v = "v7"; }
            case "armel" -> { a = "arm"; v = "v6"; }
            case "arm" -> v = switch (v) {
                case "", "7" -> "v7";
                case "5", "6", "8" -> "v" + v;
                default -> v;
            };
            default -> { }
        }
        return new Platform(o, a, v);
    }
}
