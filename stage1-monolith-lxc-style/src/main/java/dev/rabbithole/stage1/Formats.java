package dev.rabbithole.stage1;

import java.time.Duration;

/** Text the daemon and the client word the same way as Docker's (its go-units package). */
public final class Formats {

    private Formats() { }

    /**
     * Formats a duration as the docker CLI does in its CREATED and STATUS columns:
     * "Less than a second", "1 second", "N seconds", "About a minute", "N minutes", "About an hour",
     * "N hours" (under 48 hours), "N days" (under two weeks), "N weeks" (under two months),
     * "N months" (under two years), "N years". Follows go-units' {@code HumanDuration}, which Docker's daemon
     * (the {@code Status} of {@code GET /containers/json}) and CLI both use: hours are rounded to the nearest
     * up to "N months"; the years come from the whole hours ({@code int(d.Hours())/24/365}).
     *
     * @param d the elapsed time; negative durations (clock skew) count as zero
     * @return the phrase, without "ago"
     */
    public static String humanDuration(Duration d) {
        long seconds = Math.max(0, d.getSeconds());
        if (seconds < 1) {
            return "Less than a second";
        } else if (seconds == 1) {
            return "1 second";
        } else if (seconds < 60) {
            return seconds + " seconds";
        }
        long minutes = seconds / 60;
        if (minutes == 1) {
            return "About a minute";
        } else if (minutes < 60) {
            return minutes + " minutes";
        }
        long hours = Math.round(seconds / 3600.0);
        if (hours == 1) {
            return "About an hour";
        } else if (hours < 48) {
            return hours + " hours";
        } else if (hours < 24 * 7 * 2) {
            return hours / 24 + " days";
        } else if (hours < 24 * 30 * 2) {
            return hours / 24 / 7 + " weeks";
        } else if (hours < 24 * 365 * 2) {
            return hours / 24 / 30 + " months";
        }
        return seconds / 3600 / 24 / 365 + " years";
    }
}
