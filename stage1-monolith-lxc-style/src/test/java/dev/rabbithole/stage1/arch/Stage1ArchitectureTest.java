package dev.rabbithole.stage1.arch;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The monolith's layering, as tests: one jar holds client and daemon, but the client only speaks the Engine
 * API, and the parts that stage 2 and later reuse (image store, storage, exec drivers, security) know nothing
 * of the daemon that drives them.
 */
class Stage1ArchitectureTest {

    static JavaClasses classes;

    @BeforeAll
    static void importClasses() {
        classes = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.rabbithole.stage1");
        assertThat(classes).as("stage-1 classes imported").isNotEmpty();
    }

    @Test
    void clientSpeaksOnlyTheEngineApi() {
        noClasses().that().resideInAPackage("dev.rabbithole.stage1.client..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "dev.rabbithole.stage1.daemon..", "dev.rabbithole.stage1.api..",
                        "dev.rabbithole.stage1.execdriver..", "dev.rabbithole.stage1.image..",
                        "dev.rabbithole.stage1.storage..")
                .allowEmptyShould(false)
                .check(classes);
    }

    @Test
    void execDriversKnowNoDaemon() {
        noClasses().that().resideInAnyPackage("dev.rabbithole.stage1.execdriver..",
                        "dev.rabbithole.stage1.security..", "dev.rabbithole.stage1.cgroups..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "dev.rabbithole.stage1.daemon..", "dev.rabbithole.stage1.api..", "dev.rabbithole.stage1.client..")
                .check(classes);
    }

    @Test
    void builderKnowsNoApiNorClient() {
        // the classic builder is the daemon's: it drives containers and commits through Daemon, never the API
        noClasses().that().resideInAPackage("dev.rabbithole.stage1.builder..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "dev.rabbithole.stage1.api..", "dev.rabbithole.stage1.client..")
                .allowEmptyShould(false)
                .check(classes);
    }

    @Test
    void clientTakesOnlyTheIgnoreRulesFromTheBuilder() {
        // build's context is tarred with the daemon's own .dockerignore rules, so both sides exclude the same files
        noClasses().that().resideInAPackage("dev.rabbithole.stage1.client..")
                .should().dependOnClassesThat(com.tngtech.archunit.base.DescribedPredicate.describe(
                        "builder classes other than DockerIgnore",
                        c -> c.getPackageName().startsWith("dev.rabbithole.stage1.builder")
                                && !c.getSimpleName().equals("DockerIgnore")))
                .check(classes);
    }

    @Test
    void imageStoreKnowsNoDaemonNorDriver() {
        noClasses().that().resideInAnyPackage("dev.rabbithole.stage1.image..", "dev.rabbithole.stage1.storage..")
                .should().dependOnClassesThat().resideInAnyPackage(
                        "dev.rabbithole.stage1.daemon..", "dev.rabbithole.stage1.api..", "dev.rabbithole.stage1.client..",
                        "dev.rabbithole.stage1.execdriver..")
                .check(classes);
    }
}
