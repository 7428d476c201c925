package dev.rabbithole.stage4;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * Stage 4's layering: the runtime stays the bottom of the stack (no engine above it inside it), and the engine
 * reaches a runtime only through containerd, as stage 3's dockerd does.
 */
class ArchitectureTest {

    static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.rabbithole.stage4");

    @Test
    void theRuntimeImportsNoEngine() {
        // a runtime-spec runtime reads a bundle and drives the kernel (libcontainer); dockerd, containerd, the shim
        // and the Engine API are its callers, never its dependencies
        noClasses().that().resideInAPackage("dev.rabbithole.stage4.runc..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.rabbithole.stage3.containerd..",
                        "dev.rabbithole.stage3.dockerd..", "dev.rabbithole.stage3.shim..",
                        "dev.rabbithole.stage4.dockerd..", "dev.rabbithole.stage1.daemon..", "dev.rabbithole.stage1.api..",
                        "dev.rabbithole.stage2.execdriver..")
                .allowEmptyShould(true)
                .check(CLASSES);
    }

    @Test
    void dockerdImportsNoRuntime() {
        // stage 4's dockerd runs any OCI runtime, so it cannot link one: it names a binary to containerd
        noClasses().that().resideInAPackage("dev.rabbithole.stage4.dockerd..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.rabbithole.stage2.libcontainer..",
                        "dev.rabbithole.stage3.shim..", "dev.rabbithole.stage3.runc..", "dev.rabbithole.stage4.runc..",
                        "dev.rabbithole.stage3.containerd..")
                .allowEmptyShould(true)
                .check(CLASSES);
    }
}
