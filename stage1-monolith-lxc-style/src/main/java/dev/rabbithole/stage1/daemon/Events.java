package dev.rabbithole.stage1.daemon;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/**
 * The daemon's event log, as moby's {@code daemon/events}: every container and image event goes here when it
 * happens; the last {@value #KEPT} are kept in memory for {@code GET /events?since=} (Docker keeps 256 too), and
 * subscribers get new ones as they come. Events are not persisted: a restarted daemon starts with none.
 */
public final class Events {

    /** How many past events are kept for {@code since}. */
    public static final int KEPT = 256;

    /** Receives events; called on the thread that emitted, in order, so it must not block. */
    public interface Listener {
        /** @param event the event */
        void onEvent(Event event);
    }

    private final Deque<Event> recent = new ArrayDeque<>();
    private final List<Sub> subscribers = new CopyOnWriteArrayList<>();
    private long lastNano;

    private record Sub(Predicate<Event> filter, Listener listener) { }

    /**
     * Records an event stamped now and hands it to the subscribers whose filter takes it.
     *
     * @param type       {@code container} or {@code image}
     * @param action     the action
     * @param actorId    the actor's ID
     * @param attributes the attributes (copied, sorted by key as Docker's JSON has them)
     * @return the event
     */
    public Event emit(String type, String action, String actorId, Map<String, String> attributes) {
        Event e;
        synchronized (this) {
            long now = Event.nanos(Instant.now());
            lastNano = Math.max(now, lastNano + 1);          // strictly increasing: since/until are exact
            e = new Event(type, action, actorId, java.util.Collections.unmodifiableMap(new TreeMap<>(attributes)),
                    lastNano);
            recent.addLast(e);
            if (recent.size() > KEPT) {
                recent.removeFirst();
            }
            for (Sub s : subscribers) {
                if (s.filter().test(e)) {
                    s.listener().onEvent(e);
                }
            }
        }
        return e;
    }

    /**
     * A container event: Actor.ID the container's ID, Attributes its labels, {@code name} (without the slash) and
     * {@code image} (as the user named it), then {@code extra}.
     *
     * @param c      the container
     * @param action {@code create}, {@code start}, {@code die}, ...
     * @param extra  more attributes ({@code exitCode}, {@code signal}, ...)
     * @return the event
     */
    public Event container(Container c, String action, Map<String, String> extra) {
        Map<String, String> attrs = new TreeMap<>();
        if (c.config().labels() != null) {
            attrs.putAll(c.config().labels());
        }
        attrs.put("image", c.config().image());
        attrs.put("name", c.name().startsWith("/") ? c.name().substring(1) : c.name());
        attrs.putAll(extra);
        return emit("container", action, c.id(), attrs);
    }

    /**
     * Subscribes: first the kept events at or after {@code since} that the filter takes, then new ones, in order,
     * none twice and none lost in between.
     *
     * @param since    replay kept events from this time, or null for none
     * @param filter   which events the listener gets
     * @param listener the receiver; it must not block
     * @return the subscription; close it to stop
     */
    public Subscription subscribe(Instant since, Predicate<Event> filter, Listener listener) {
        Sub sub = new Sub(filter, listener);
        synchronized (this) {
            if (since != null) {
                long from = Event.nanos(since);
                for (Event e : new ArrayList<>(recent)) {
                    if (e.timeNano() >= from && filter.test(e)) {
                        listener.onEvent(e);
                    }
                }
            }
            subscribers.add(sub);
        }
        return () -> subscribers.remove(sub);
    }

    /** @return the kept events, oldest first */
    public synchronized List<Event> recent() {
        return List.copyOf(recent);
    }
}
