package dev.rabbithole.stage3;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/** Stage 3's layering, as far as it exists: ttrpc is a protocol library, it knows no engine. */
class ArchitectureTest {

    static final JavaClasses CLASSES = new ClassFileImporter()
            .withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
            .importPackages("dev.rabbithole.stage3.ttrpc");

    @Test
    void ttrpcImportsNoEngineCode() {
        noClasses().that().resideInAPackage("dev.rabbithole.stage3.ttrpc..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.rabbithole.stage1..", "dev.rabbithole.stage2..",
                        "dev.rabbithole.stage3.api..")
                .check(CLASSES);
    }
}
