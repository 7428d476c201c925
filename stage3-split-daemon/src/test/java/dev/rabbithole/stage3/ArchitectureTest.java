package dev.rabbithole.stage3;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * Stage 3's layering, as far as it exists: ttrpc is a protocol library, it knows no engine; containerd knows no
 * daemon, Engine API or libcontainer.
 */
class ArchitectureTest {

    static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.rabbithole.stage3.ttrpc", "dev.rabbithole.stage3.containerd", "dev.rabbithole.stage3.shim",
                    "dev.rabbithole.stage3.runc", "dev.rabbithole.stage3.dockerd");

    @Test
    void ttrpcImportsNoEngineCode() {
        noClasses().that().resideInAPackage("dev.rabbithole.stage3.ttrpc..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.rabbithole.stage1..", "dev.rabbithole.stage2..",
                        "dev.rabbithole.stage3.api..")
                .check(CLASSES);
    }

    @Test
    void containerdImportsNoDaemonApiOrLibcontainer() {
        // containerd supervises through shims and speaks protocols; the engine's daemon, its API and the in-house
        // container library are below or above it (stage 3's dockerd and runc), never inside it
        noClasses().that().resideInAPackage("dev.rabbithole.stage3.containerd..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.rabbithole.stage1.daemon..",
                        "dev.rabbithole.stage1.api..", "dev.rabbithole.stage2.libcontainer..",
                        "dev.rabbithole.stage3.dockerd..", "dev.rabbithole.stage3.shim..", "dev.rabbithole.stage3.runc..")
                .check(CLASSES);
    }

    @Test
    void shimImportsNoDaemonLibcontainerOrContainerd() {
        // the shim runs a runtime binary (runc's CLI) and speaks ttrpc to containerd: it links no engine code
        noClasses().that().resideInAPackage("dev.rabbithole.stage3.shim..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.rabbithole.stage1.daemon..",
                        "dev.rabbithole.stage1.api..", "dev.rabbithole.stage2.libcontainer..",
                        "dev.rabbithole.stage3.dockerd..", "dev.rabbithole.stage3.containerd..", "dev.rabbithole.stage3.runc..")
                .check(CLASSES);
    }

    @Test
    void runcImportsNoContainerdDockerdShimOrDaemon() {
        // runc is the bottom of the split: it reads config.json and drives libcontainer; Docker's policy
        // (stage 2's exec driver) and everything above it stay out
        noClasses().that().resideInAPackage("dev.rabbithole.stage3.runc..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.rabbithole.stage3.containerd..",
                        "dev.rabbithole.stage3.dockerd..", "dev.rabbithole.stage3.shim..",
                        "dev.rabbithole.stage1.daemon..", "dev.rabbithole.stage1.api..",
                        "dev.rabbithole.stage2.execdriver..")
                .check(CLASSES);
    }

    @Test
    void dockerdImportsNoLibcontainerShimOrRunc() {
        // dockerd runs no container itself: it asks containerd (gRPC stubs in stage3.api); Docker's policy (default
        // capabilities, seccomp profile, masked paths) comes from stage 1 and stage 2's exec driver package
        noClasses().that().resideInAPackage("dev.rabbithole.stage3.dockerd..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.rabbithole.stage2.libcontainer..",
                        "dev.rabbithole.stage3.shim..", "dev.rabbithole.stage3.runc..", "dev.rabbithole.stage3.containerd..")
                .check(CLASSES);
    }
}
