package dev.rabbithole.stage3.containerd;

import dev.rabbithole.stage3.api.events.Envelope;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class EventFilterTest {

    static Envelope env(String ns, String topic) {
        return Envelope.newBuilder().setNamespace(ns).setTopic(topic).build();
    }

    @Test
    void dockerdsSubscriptionSelectsItsNamespacesTaskEvents() {
        // what dockerd 20.10's libcontainerd asks for
        Predicate<Envelope> p = EventFilter.parse(List.of("namespace==moby,topic~=|^/tasks/|"));
        assertThat(p.test(env("moby", "/tasks/exit"))).isTrue();
        assertThat(p.test(env("moby", "/containers/create"))).isFalse();
        assertThat(p.test(env("other", "/tasks/exit"))).isFalse();
    }

    @Test
    void filtersAreAlternativesAndValuesMayBeQuoted() {
        Predicate<Envelope> p = EventFilter.parse(List.of("topic==\"/tasks/oom\"", "namespace!=a"));
        assertThat(p.test(env("a", "/tasks/oom"))).isTrue();
        assertThat(p.test(env("b", "/tasks/exit"))).isTrue();
        assertThat(p.test(env("a", "/tasks/exit"))).isFalse();
        assertThat(EventFilter.parse(List.of()).test(env("x", "/y"))).isTrue();
        assertThat(EventFilter.parse(List.of("topic")).test(env("x", "/y"))).isTrue();
        assertThat(EventFilter.parse(List.of("event.id==x")).test(env("x", "/y"))).isFalse();
    }

    @Test
    void aBadFilterIsAnInvalidArgument() {
        for (String bad : List.of("topic==", "topic~=|(|", "==x", "topic==|open")) {
            StatusRuntimeException e = catchThrowableOfType(StatusRuntimeException.class, () -> EventFilter.parse(List.of(bad)));
            assertThat(e).as(bad).isNotNull();
            assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            assertThat(e.getStatus().getDescription()).contains("failed to parse filter");
        }
    }
}
