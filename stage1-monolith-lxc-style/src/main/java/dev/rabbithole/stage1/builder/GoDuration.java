package dev.rabbithole.stage1.builder;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Go's {@code time.ParseDuration} for HEALTHCHECK's flags: {@code 30s}, {@code 1m30s}, {@code 500ms}, {@code 1h}. */
final class GoDuration {

    private static final Pattern PART = Pattern.compile("([0-9]+(?:\\.[0-9]*)?)(ns|us|µs|ms|s|m|h)");

    private GoDuration() { }

    /**
     * @return the duration in nanoseconds
     * @throws BuildFailure not a duration ({@code time: invalid duration "x"})
     */
    static long nanos(String text) {
        if (text.equals("0")) {
            return 0;
        }
        Matcher m = PART.matcher(text);
        long total = 0;
        int at = 0;
        while (m.find() && m.start() == at) {
            double v = Double.parseDouble(m.group(1));
            long unit = switch (m.group(2)) {
                case "ns" -> 1L;
                case "us", "µs" -> 1_000L;
                case "ms" -> 1_000_000L;
                case "s" -> 1_000_000_000L;
                case "m" -> 60_000_000_000L;
                default -> 3_600_000_000_000L;
            };
            total += (long) (v * unit);
            at = m.end();
        }
        if (at != text.length() || text.isEmpty()) {
            throw new BuildFailure("time: invalid duration \"" + text + "\"", 0);
        }
        return total;
    }

    /** Go's {@code time.Duration.String()}: {@code 0s}, {@code 500ms}, {@code 5s}, {@code 1m30s}, {@code 1h0m0s}. */
    static String text(long nanos) {
        if (nanos == 0) {
            return "0s";
        }
        if (nanos < 1_000_000_000L) {
            if (nanos % 1_000_000L == 0) {
                return nanos / 1_000_000L + "ms";
            }
            if (nanos % 1_000L == 0) {
                return nanos / 1_000L + "µs";
            }
            return nanos + "ns";
        }
        long h = nanos / 3_600_000_000_000L;
        long m = nanos / 60_000_000_000L % 60;
        long rest = nanos % 60_000_000_000L;
        String sec = rest % 1_000_000_000L == 0 ? String.valueOf(rest / 1_000_000_000L)
                : java.math.BigDecimal.valueOf(rest, 9).stripTrailingZeros().toPlainString();
        return (h > 0 ? h + "h" + m + "m" : m > 0 ? m + "m" : "") + sec + "s";
    }

    /**
     * The history text of a HEALTHCHECK as Docker 20.10 writes it: Go's {@code %q} of the config struct,
     * {@code &{["CMD-SHELL" "true"] "5s" "0s" "0s" '\x02'}} (the retries printed as a quoted rune).
     */
    static String healthcheckText(dev.rabbithole.stage1.image.ImageConfig.Healthcheck hc) {
        return "&{" + Builder.goQuoted(hc.test()) + " \"" + text(orZero(hc.interval())) + "\" \""
                + text(orZero(hc.timeout())) + "\" \"" + text(orZero(hc.startPeriod())) + "\" "
                + rune(hc.retries() == null ? 0 : hc.retries()) + "}";
    }

    private static long orZero(Long v) {
        return v == null ? 0 : v;
    }

    /** Go's {@code strconv.QuoteRune} for the small numbers retries are. */
    static String rune(int c) {
        String body = switch (c) {
            case 7 -> "\\a";
            case 8 -> "\\b";
            case 9 -> "\\t";
            case 10 -> "\\n";
            case 11 -> "\\v";
            case 12 -> "\\f";
            case 13 -> "\\r";
            case '\'' -> "\\'";
            case '\\' -> "\\\\";
            default -> c < 0x20 || c == 0x7f ? String.format("\\x%02x", c) : new String(Character.toChars(c));
        };
        return "'" + body + "'";
    }
}
