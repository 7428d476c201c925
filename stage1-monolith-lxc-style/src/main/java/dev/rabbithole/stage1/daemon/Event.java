package dev.rabbithole.stage1.daemon;

import java.time.Instant;
import java.util.Map;

/**
 * One daemon event, as Engine API 1.41 {@code GET /events} streams it (moby's {@code events.Message}):
 * {@code {"Type":"container","Action":"die","Actor":{"ID":...,"Attributes":{"exitCode":"0","image":"busybox",
 * "name":"web"}},"scope":"local","time":1700000000,"timeNano":1700000000123456789}}, for containers also the
 * older top-level {@code status} (the action), {@code id} and {@code from} (the image).
 *
 * @param type       {@code container} or {@code image}
 * @param action     {@code create}, {@code start}, {@code die}, {@code exec_create: CMD ARGS}, {@code pull}, ...
 * @param actorId    the container's 64-hex ID, or the image's reference or ID
 * @param attributes string key/values: for containers {@code name}, {@code image}, the labels and what the action
 *                   adds ({@code exitCode}, {@code signal}, {@code execID}, {@code height}/{@code width})
 * @param timeNano   when it happened, nanoseconds since the Unix epoch
 */
public record Event(String type, String action, String actorId, Map<String, String> attributes, long timeNano) {

    /** @return the time, seconds since the Unix epoch (the {@code time} field) */
    public long timeSeconds() {
        return Math.floorDiv(timeNano, 1_000_000_000L);
    }

    /** @return the time as an instant */
    public Instant instant() {
        return Instant.ofEpochSecond(timeSeconds(), Math.floorMod(timeNano, 1_000_000_000L));
    }

    /** @return the action without what follows a colon: {@code exec_create} of {@code exec_create: sh -c x} */
    public String baseAction() {
        int colon = action.indexOf(':');
        return colon < 0 ? action : action.substring(0, colon);
    }

    /** @return nanoseconds since the epoch of an instant */
    static long nanos(Instant t) {
        return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }
}
