package dev.rabbithole.stage3;

import com.google.protobuf.Descriptors.Descriptor;
import dev.rabbithole.stage3.api.containers.ContainersGrpc;
import dev.rabbithole.stage3.api.events.EventsGrpc;
import dev.rabbithole.stage3.api.eventtypes.TaskExit;
import dev.rabbithole.stage3.api.runc.Options;
import dev.rabbithole.stage3.api.shim.TaskGrpc;
import dev.rabbithole.stage3.api.tasks.TasksGrpc;
import dev.rabbithole.stage3.api.types.task.Process;
import dev.rabbithole.stage3.api.version.VersionGrpc;
import io.grpc.MethodDescriptor;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The names on the wire (gRPC paths {@code /package.Service/Method}, Any type URLs) and a sample of field numbers,
 * as containerd 1.6 has them: a typo in a .proto file shows here before it shows as an UNIMPLEMENTED from a real
 * containerd or shim.
 */
class ProtoContractTest {

    @Test
    void servicesAndMethodsHaveContainerdsNames() {
        assertThat(methods(ContainersGrpc.getServiceDescriptor())).containsExactly(
                "containerd.services.containers.v1.Containers/Get", "containerd.services.containers.v1.Containers/List",
                "containerd.services.containers.v1.Containers/ListStream", "containerd.services.containers.v1.Containers/Create",
                "containerd.services.containers.v1.Containers/Update", "containerd.services.containers.v1.Containers/Delete");
        assertThat(methods(TasksGrpc.getServiceDescriptor())).map(m -> m.substring(m.indexOf('/') + 1)).containsExactly(
                "Create", "Start", "Delete", "DeleteProcess", "Get", "List", "Kill", "Exec", "ResizePty", "CloseIO",
                "Pause", "Resume", "ListPids", "Checkpoint", "Update", "Metrics", "Wait");
        assertThat(TasksGrpc.SERVICE_NAME).isEqualTo("containerd.services.tasks.v1.Tasks");
        assertThat(methods(EventsGrpc.getServiceDescriptor())).containsExactly(
                "containerd.services.events.v1.Events/Publish", "containerd.services.events.v1.Events/Forward",
                "containerd.services.events.v1.Events/Subscribe");
        assertThat(methods(VersionGrpc.getServiceDescriptor())).containsExactly("containerd.services.version.v1.Version/Version");
        assertThat(methods(dev.rabbithole.stage3.api.events.ttrpc.EventsGrpc.getServiceDescriptor()))
                .containsExactly("containerd.services.events.ttrpc.v1.Events/Forward");
        assertThat(methods(TaskGrpc.getServiceDescriptor())).map(m -> m.substring(m.indexOf('/') + 1)).containsExactly(
                "State", "Create", "Start", "Delete", "Pids", "Pause", "Resume", "Checkpoint", "Kill", "Exec", "ResizePty",
                "CloseIO", "Update", "Wait", "Stats", "Connect", "Shutdown");
        assertThat(TaskGrpc.SERVICE_NAME).isEqualTo("containerd.task.v2.Task");
    }

    @Test
    void messageNamesAndFieldNumbersAreContainerds() {
        assertThat(TaskExit.getDescriptor().getFullName()).isEqualTo("containerd.events.TaskExit");
        assertThat(numbers(TaskExit.getDescriptor(), "container_id", "id", "pid", "exit_status", "exited_at"))
                .containsExactly(1, 2, 3, 4, 5);
        assertThat(Options.getDescriptor().getFullName()).isEqualTo("containerd.runc.v1.Options");
        assertThat(numbers(Options.getDescriptor(), "binary_name", "root", "systemd_cgroup", "criu_work_path"))
                .containsExactly(6, 7, 9, 11);
        assertThat(Process.getDescriptor().getFullName()).isEqualTo("containerd.v1.types.Process");
        assertThat(numbers(dev.rabbithole.stage3.api.tasks.CreateTaskRequest.getDescriptor(),
                "container_id", "rootfs", "stdin", "terminal", "checkpoint", "options", "runtime_path"))
                .containsExactly(1, 3, 4, 7, 8, 9, 10);
        assertThat(numbers(dev.rabbithole.stage3.api.shim.CreateTaskRequest.getDescriptor(),
                "id", "bundle", "rootfs", "terminal", "stdin", "options")).containsExactly(1, 2, 3, 4, 5, 10);
        assertThat(numbers(dev.rabbithole.stage3.api.shim.StateResponse.getDescriptor(), "status", "exited_at", "exec_id"))
                .containsExactly(4, 10, 11);
        assertThat(dev.rabbithole.stage3.api.types.Mount.getDescriptor().getFullName()).isEqualTo("containerd.types.Mount");
        assertThat(dev.rabbithole.stage3.api.types.Descriptor.getDescriptor().findFieldByName("annotations").getNumber())
                .isEqualTo(5);
    }

    @Test
    void cgroupMetricsAreContainerdsV1Metrics() {
        // what Tasks.Metrics carries in its Any on a cgroup v1 host (containerd/cgroups stats/v1)
        assertThat(dev.rabbithole.stage3.api.cgroups.Metrics.getDescriptor().getFullName())
                .isEqualTo("io.containerd.cgroups.v1.Metrics");
        assertThat(numbers(dev.rabbithole.stage3.api.cgroups.Metrics.getDescriptor(), "pids", "cpu", "memory", "blkio",
                "network")).containsExactly(2, 3, 4, 5, 7);
        assertThat(numbers(dev.rabbithole.stage3.api.cgroups.CPUUsage.getDescriptor(), "total", "kernel", "user", "per_cpu"))
                .containsExactly(1, 2, 3, 4);
        assertThat(numbers(dev.rabbithole.stage3.api.cgroups.MemoryStat.getDescriptor(), "cache", "pg_pg_in",
                "hierarchical_swap_limit", "total_inactive_file", "usage", "swap", "kernel_tcp"))
                .containsExactly(1, 7, 17, 30, 33, 34, 36);
        assertThat(numbers(dev.rabbithole.stage3.api.cgroups.MemoryEntry.getDescriptor(), "limit", "usage", "max", "failcnt"))
                .containsExactly(1, 2, 3, 4);
        assertThat(numbers(dev.rabbithole.stage3.api.cgroups.BlkIOEntry.getDescriptor(), "op", "device", "major", "minor",
                "value")).containsExactly(1, 2, 3, 4, 5);
        assertThat(numbers(dev.rabbithole.stage3.api.cgroups.PidsStat.getDescriptor(), "current", "limit"))
                .containsExactly(1, 2);
    }

    private static List<String> methods(io.grpc.ServiceDescriptor service) {
        return service.getMethods().stream().map(MethodDescriptor::getFullMethodName).toList();
    }

    private static List<Integer> numbers(Descriptor message, String... fields) {
        return java.util.Arrays.stream(fields).map(f -> message.findFieldByName(f).getNumber()).toList();
    }

}
