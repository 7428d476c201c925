package dev.rabbithole.stage2.libcontainer.arch;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The module graph is the history: libcontainer imports nothing from a daemon, neither stage 1 (not even its
 * reusable parts: Docker's seccomp profile format is translated by the native exec driver) nor the stage-2 daemon side
 * (the native exec driver, {@code stage2.Main}, its API and client), so that stage 3's runc jar carries it alone.
 */
class LibcontainerArchitectureTest {

    static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.rabbithole.stage2", "dev.rabbithole.stage1");
        assertThat(classes.stream().filter(c -> c.getPackageName().startsWith("dev.rabbithole.stage2.libcontainer")))
                .as("libcontainer classes imported").isNotEmpty();
    }

    @Test
    void libcontainerDependsOnNoDaemonApiOrClient() {
        noClasses().that().resideInAPackage("dev.rabbithole.stage2.libcontainer..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "dev.rabbithole.stage1.daemon..", "dev.rabbithole.stage1.api..",
                        "dev.rabbithole.stage1.client..", "dev.rabbithole.stage1.execdriver..",
                        "dev.rabbithole.stage2.execdriver..", "dev.rabbithole.stage2.daemon..",
                        "dev.rabbithole.stage2.api..", "dev.rabbithole.stage2.client..")
                .allowEmptyShould(false)
                .check(classes);
    }

    @Test
    void libcontainerDependsOnNoStage2ClassOutsideItself() {
        // stage2.netlink is the one library beside it, as runc's libcontainer used Go's netlink package: stage 3's
        // dockerd uses it too without depending on libcontainer
        noClasses().that().resideInAPackage("dev.rabbithole.stage2.libcontainer..")
                .should().dependOnClassesThat().resideOutsideOfPackages("dev.rabbithole.stage2.libcontainer..",
                        "dev.rabbithole.stage2.netlink..", "java..", "javax..", "com.sun.jna..",
                        "com.fasterxml.jackson..")
                .check(classes);
    }

    @Test
    void netlinkDependsOnNothingButTheJdkAndJna() {
        noClasses().that().resideInAPackage("dev.rabbithole.stage2.netlink..")
                .should().dependOnClassesThat().resideOutsideOfPackages("dev.rabbithole.stage2.netlink..",
                        "java..", "com.sun.jna..")
                .check(classes);
    }

    /**
     * The library carries no Docker policy and nothing of stage 1, so that stage 3's runc jar holds it alone: the
     * Docker seccomp profile translation is the exec driver's ({@code stage2.execdriver.DockerProfiles}).
     */
    @Test
    void libcontainerDependsOnNothingInStage1() {
        noClasses().that().resideInAPackage("dev.rabbithole.stage2.libcontainer..")
                .should().dependOnClassesThat().resideInAPackage("dev.rabbithole.stage1..")
                .allowEmptyShould(false)
                .check(classes);
    }
}
