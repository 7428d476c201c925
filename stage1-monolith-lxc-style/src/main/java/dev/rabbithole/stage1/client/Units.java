package dev.rabbithole.stage1.client;

import dev.rabbithole.stage1.Formats;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The units the docker CLI reads and prints: memory sizes on the command line ({@code -m 512m}),
 * CPU counts ({@code --cpus 1.5}), image sizes ({@code 4.87MB}) and durations ({@code 3 seconds}).
 * The behaviour follows the documented output of the docker CLI (docker run reference, "Runtime
 * constraints on resources"; {@code docker ps} and {@code docker images} columns).
 */
public final class Units {
    private Units() { }

    /** A size as the CLI accepts it: a decimal number, an optional unit letter, optional "i" and "b". */
    private static final Pattern SIZE = Pattern.compile("^(\\d+(?:\\.\\d+)?) ?([kKmMgGtTpP])?[iI]?[bB]?$");

    /**
     * Parses a memory size as {@code docker run -m} does: binary units (k = 1024 bytes, m, g, t, p),
     * case-insensitive, an optional trailing {@code b} or {@code ib}; a bare number is bytes.
     * Examples: {@code 512m} = 536870912, {@code 1g} = 1073741824, {@code 10k} = 10240, {@code 64} = 64.
     *
     * @param text what the user typed
     * @return the size in bytes
     * @throws IllegalArgumentException with the CLI's message {@code invalid size: 'TEXT'} when the text is not a size
     */
    public static long parseMemoryBytes(String text) {
        Matcher m = SIZE.matcher(text == null ? "" : text.trim());
        if (!m.matches()) {
            throw new IllegalArgumentException("invalid size: '" + text + "'");
        }
        BigDecimal number = new BigDecimal(m.group(1));
        long multiplier = 1;
        if (m.group(2) != null) {
            int power = "kmgtp".indexOf(Character.toLowerCase(m.group(2).charAt(0))) + 1;
            multiplier = 1L << (10 * power);
        }
        BigDecimal bytes = number.multiply(BigDecimal.valueOf(multiplier));
        if (bytes.compareTo(BigDecimal.valueOf(Long.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("invalid size: '" + text + "'");
        }
        return bytes.longValue();
    }

    /**
     * Parses {@code --cpus} (a decimal number of CPUs) into the Engine API's {@code HostConfig.NanoCpus}:
     * CPUs times 10^9. {@code 1.5} gives 1500000000.
     *
     * @param text what the user typed
     * @return nano CPUs (10^-9 CPU units)
     * @throws IllegalArgumentException when the text is not a number ({@code failed to parse X as a rational number}),
     *         is negative, or has more than nine decimals ({@code value is too precise})
     */
    public static long parseNanoCpus(String text) {
        BigDecimal cpus;
        try {
            cpus = new BigDecimal(text.trim());
        } catch (NumberFormatException | NullPointerException e) {
            throw new IllegalArgumentException("failed to parse " + text + " as a rational number");
        }
        if (cpus.signum() < 0) {
            throw new IllegalArgumentException("invalid value " + text + ": cpus must not be negative");
        }
        BigDecimal nanos = cpus.movePointRight(9);
        if (nanos.stripTrailingZeros().scale() > 0) {
            throw new IllegalArgumentException("value is too precise");
        }
        return nanos.longValueExact();
    }

    /**
     * Formats a size as the docker CLI's SIZE columns do: decimal units (1 kB = 1000 bytes), three
     * significant digits, no trailing zeros, no space: {@code 4866048} gives {@code 4.87MB},
     * {@code 1000} gives {@code 1kB}, {@code 512} gives {@code 512B}.
     *
     * @param bytes a size in bytes (negative is printed as is, in bytes)
     * @return the human-readable size
     */
    public static String humanSize(long bytes) {
        String[] units = {"B", "kB", "MB", "GB", "TB", "PB", "EB"};
        BigDecimal size = BigDecimal.valueOf(bytes);
        BigDecimal thousand = BigDecimal.valueOf(1000);
        int unit = 0;
        while (size.abs().compareTo(thousand) >= 0 && unit < units.length - 1) {
            size = size.divide(thousand);
            unit++;
        }
        BigDecimal rounded = size.round(new MathContext(3, RoundingMode.HALF_EVEN)).stripTrailingZeros();
        if (rounded.abs().compareTo(thousand) >= 0 && unit < units.length - 1) {
            // 999999 rounds to 1000kB: say 1MB instead
            rounded = rounded.divide(thousand).round(new MathContext(3, RoundingMode.HALF_EVEN)).stripTrailingZeros();
            unit++;
        }
        return rounded.toPlainString() + units[unit];
    }

    /**
     * The STATUS column of {@code docker ps} for a container, computed from its state the way the
     * daemon words it: {@code Up 3 seconds}, {@code Exited (0) 2 minutes ago}, {@code Created}.
     * The daemon usually sends this text in {@code GET /containers/json}'s {@code Status}; this is the
     * same wording for code that has only the state.
     *
     * @param state      {@code created}, {@code running}, {@code exited}, {@code dead}, ... (Engine API {@code State.Status})
     * @param exitCode   the exit status (0-255) for exited containers
     * @param since      for running: how long it has been up; for exited: how long ago it finished
     * @return the status text
     */
    public static String containerStatus(String state, int exitCode, Duration since) {
        switch (state == null ? "" : state.toLowerCase(Locale.ROOT)) {
            case "running":
                return "Up " + Formats.humanDuration(since);
            case "exited":
                return "Exited (" + exitCode + ") " + Formats.humanDuration(since) + " ago";
            case "created":
                return "Created";
            case "removing":
                return "Removal In Progress";
            case "dead":
                return "Dead";
            case "paused":
                return "Up " + Formats.humanDuration(since) + " (Paused)";
            default:
                return state == null ? "" : state;
        }
    }
}
