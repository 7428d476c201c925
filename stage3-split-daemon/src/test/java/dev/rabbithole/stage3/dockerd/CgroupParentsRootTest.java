package dev.rabbithole.stage3.dockerd;

import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** Real cgroups: an empty parent goes from every hierarchy, a parent with a child stays. */
class CgroupParentsRootTest {

    @Test
    void anEmptyParentIsRemovedFromEveryHierarchyAndOneWithAChildStays() throws Exception {
        assumeTrue("root".equals(System.getProperty("user.name")), "skipped: making cgroups needs root");
        String empty = "rh-parents-test-" + ProcessHandle.current().pid();
        String busy = empty + "-busy";
        List<Path> made = new ArrayList<>();
        try (Stream<Path> hs = Files.list(CgroupParents.CGROUP_ROOT)) {
            for (Path h : hs.filter(p -> Files.isDirectory(p) && !Files.isSymbolicLink(p)
                    && Files.exists(p.resolve("cgroup.procs"))).toList()) {
                made.add(Files.createDirectory(h.resolve(empty)));
                made.add(Files.createDirectories(h.resolve(busy).resolve("child")));
            }
        }
        if (made.isEmpty() && Files.exists(CgroupParents.CGROUP_ROOT.resolve("cgroup.procs"))) {
            made.add(Files.createDirectory(CgroupParents.CGROUP_ROOT.resolve(empty))); // pure v2
            made.add(Files.createDirectories(CgroupParents.CGROUP_ROOT.resolve(busy).resolve("child")));
        }
        assumeTrue(!made.isEmpty(), "skipped: no writable cgroup hierarchy under /sys/fs/cgroup");
        try {
            List<Path> removed = CgroupParents.removeEmpty(CgroupParents.CGROUP_ROOT, "/" + empty);
            assertThat(removed).isNotEmpty().allMatch(p -> p.getFileName().toString().equals(empty));
            assertThat(made.stream().filter(p -> p.getFileName().toString().equals(empty))).noneMatch(Files::exists);
            assertThat(CgroupParents.removeEmpty(CgroupParents.CGROUP_ROOT, busy)).isEmpty();
            assertThat(made.stream().filter(p -> p.getFileName().toString().equals("child"))).allMatch(Files::isDirectory);
            assertThat(CgroupParents.removeEmpty(CgroupParents.CGROUP_ROOT, "..")).isEmpty();
        } finally {
            for (int i = made.size() - 1; i >= 0; i--) {
                Path p = made.get(i);
                Files.deleteIfExists(p);
                if (p.getFileName().toString().equals("child")) {
                    Files.deleteIfExists(p.getParent());
                }
            }
        }
    }
}
