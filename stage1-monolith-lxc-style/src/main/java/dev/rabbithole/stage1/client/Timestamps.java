package dev.rabbithole.stage1.client;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The values {@code docker logs --since/--until} accept, turned into the Engine API's Unix time
 * ({@code SECONDS.NANOSECONDS}) as the docker CLI does (its {@code timetypes.GetTimestamp}):
 *
 * <ul>
 * <li>a Go duration, {@code 10m}, {@code 1h30m}, {@code 1.5h}, {@code 300ms}: that long before now (whole
 *     seconds)</li>
 * <li>RFC 3339 and its shorter forms: {@code 2024-01-02T15:04:05.5Z}, {@code 2024-01-02T15:04:05+01:00},
 *     {@code 2024-01-02T15:04}, {@code 2024-01-02T15}, {@code 2024-01-02}; without a zone the time is local</li>
 * <li>Unix time, {@code 1700000000} or {@code 1700000000.123}, passed on as it is</li>
 * </ul>
 */
public final class Timestamps {
    private static final Pattern DURATION = Pattern.compile("[-+]?(?:(?:[0-9]+(?:\\.[0-9]*)?|\\.[0-9]+)(?:ns|us|µs|μs|ms|s|m|h))+");
    private static final Pattern DURATION_PART = Pattern.compile("([0-9]*(?:\\.[0-9]*)?)(ns|us|µs|μs|ms|s|m|h)");
    private static final Pattern UNIX = Pattern.compile("-?[0-9]+(?:\\.[0-9]+)?");

    private Timestamps() { }

    /**
     * @param value what the user typed
     * @param now   the reference time for durations
     * @param zone  the zone of times without one
     * @return {@code SECONDS} for a duration or as typed for Unix time, else {@code SECONDS.NNNNNNNNN}
     * @throws IllegalArgumentException neither a duration, nor a time, nor Unix time (the CLI's words:
     *         {@code failed to parse value as time or duration: "x"})
     */
    public static String toUnix(String value, Instant now, ZoneId zone) {
        if (!value.equals("0") && DURATION.matcher(value).matches()) {
            return Long.toString(now.minusNanos(durationNanos(value)).getEpochSecond());
        }
        Instant t;
        try {
            t = parseTime(value, zone);
        } catch (DateTimeParseException e) {
            t = null;
        }
        if (t == null) {
            if (value.contains("-")) {
                throw new IllegalArgumentException("parsing time \"" + value + "\": not a valid RFC 3339 time");
            }
            if (!UNIX.matcher(value).matches()) {
                throw new IllegalArgumentException("failed to parse value as time or duration: \"" + value + "\"");
            }
            return value;
        }
        return String.format("%d.%09d", t.getEpochSecond(), t.getNano());
    }

    private static long durationNanos(String value) {
        boolean negative = value.startsWith("-");
        String rest = value.replaceFirst("^[-+]", "");
        BigDecimal total = BigDecimal.ZERO;
        Matcher m = DURATION_PART.matcher(rest);
        while (m.find()) {
            BigDecimal unit = switch (m.group(2)) {
                case "ns" -> BigDecimal.ONE;
                case "us", "µs", "μs" -> BigDecimal.valueOf(1_000L);
                case "ms" -> BigDecimal.valueOf(1_000_000L);
                case "s" -> BigDecimal.valueOf(1_000_000_000L);
                case "m" -> BigDecimal.valueOf(60_000_000_000L);
                default -> BigDecimal.valueOf(3_600_000_000_000L);
            };
            total = total.add(new BigDecimal(m.group(1)).multiply(unit));
        }
        long nanos = total.longValue();
        return negative ? -nanos : nanos;
    }

    /** @return the time, or null when the value has none of the time forms */
    private static Instant parseTime(String value, ZoneId zone) {
        boolean zoned = value.chars().anyMatch(c -> c == 'z' || c == 'Z' || c == '+')
                || value.chars().filter(c -> c == '-').count() == 3;
        String v = value.replace('z', 'Z');
        if (!v.contains("-")) {
            return null;
        }
        if (!v.contains("T")) {
            if (!zoned) {
                return LocalDate.parse(v).atStartOfDay(zone).toInstant();
            }
            // 2006-01-02Z07:00: a date, then its zone
            String date = v.substring(0, 10);
            String offset = v.substring(10);
            return OffsetDateTime.parse(date + "T00:00:00" + offset).toInstant();
        }
        int t = v.indexOf('T');
        String clock = v.substring(t + 1);
        String offset = "";
        if (zoned) {
            int z = Math.max(Math.max(clock.indexOf('Z'), clock.indexOf('+')), clock.indexOf('-'));
            if (z < 0) {
                return null;
            }
            offset = clock.substring(z);
            clock = clock.substring(0, z);
        }
        long colons = clock.chars().filter(c -> c == ':').count();
        if (colons == 0) {
            clock = clock + ":00:00";
        } else if (colons == 1 && !clock.contains(".")) {
            clock = clock + ":00";
        }
        String full = v.substring(0, t + 1) + clock;
        if (zoned) {
            return OffsetDateTime.parse(full + offset).toInstant();
        }
        return LocalDateTime.parse(full).atZone(zone).toInstant();
    }
}
