package dev.rabbithole.stage1.api;

import dev.rabbithole.stage1.errdefs.InvalidParameterException;

import java.time.Instant;

/**
 * The {@code since} and {@code until} parameters of {@code GET /containers/{id}/logs} (Engine API 1.41): Unix
 * time as {@code SECONDS} or {@code SECONDS.FRACTION}, the fraction's digits read as a decimal fraction of a
 * second ({@code 1700000000.5} is half a second past), as Docker's daemon parses them.
 */
final class UnixTimestamp {
    private UnixTimestamp() { }

    /**
     * @param name  the parameter's name, for the error
     * @param value the parameter, null or empty for none
     * @return the time, or null when absent (or {@code 0} for {@code until}, which Docker reads as no bound)
     * @throws InvalidParameterException a value that is not {@code SECONDS[.FRACTION]}
     */
    static Instant parse(String name, String value) {
        if (value == null || value.isEmpty() || (name.equals("until") && value.equals("0"))) {
            return null;
        }
        if (!value.matches("-?[0-9]{1,18}(\\.[0-9]{1,9})?")) {
            throw new InvalidParameterException("invalid value for " + name + ": " + value
                    + " (Unix time in seconds, with an optional fraction)");
        }
        int dot = value.indexOf('.');
        long seconds = Long.parseLong(dot < 0 ? value : value.substring(0, dot));
        long nanos = 0;
        if (dot >= 0) {
            String digits = value.substring(dot + 1);
            nanos = Long.parseLong((digits + "000000000").substring(0, 9));
        }
        return Instant.ofEpochSecond(seconds, nanos);
    }
}
