package dev.rabbithole.stage1.arch;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The monolith's layering, as tests: one jar holds client and daemon, but the client only speaks the Engine
 * API, and the parts that stage 2 and later reuse (image store, storage, exec drivers, security) know nothing
 * of the daemon that drives them.
 */
@AnalyzeClasses(packages = "dev.rabbithole.stage1", importOptions = ImportOption.DoNotIncludeTests.class)
class Stage1ArchitectureTest {

    @ArchTest
    static final ArchRule clientSpeaksOnlyTheEngineApi = noClasses()
            .that().resideInAPackage("dev.rabbithole.stage1.client..")
            .should().dependOnClassesThat().resideInAnyPackage(
                    "dev.rabbithole.stage1.daemon..", "dev.rabbithole.stage1.api..",
                    "dev.rabbithole.stage1.execdriver..", "dev.rabbithole.stage1.image..",
                    "dev.rabbithole.stage1.storage..");

    @ArchTest
    static final ArchRule execDriversKnowNoDaemon = noClasses()
            .that().resideInAnyPackage("dev.rabbithole.stage1.execdriver..", "dev.rabbithole.stage1.security..",
                    "dev.rabbithole.stage1.cgroups..")
            .should().dependOnClassesThat().resideInAnyPackage(
                    "dev.rabbithole.stage1.daemon..", "dev.rabbithole.stage1.api..", "dev.rabbithole.stage1.client..");

    @ArchTest
    static final ArchRule imageStoreKnowsNoDaemonNorDriver = noClasses()
            .that().resideInAnyPackage("dev.rabbithole.stage1.image..", "dev.rabbithole.stage1.storage..")
            .should().dependOnClassesThat().resideInAnyPackage(
                    "dev.rabbithole.stage1.daemon..", "dev.rabbithole.stage1.api..", "dev.rabbithole.stage1.client..",
                    "dev.rabbithole.stage1.execdriver..");
}
