package dev.tandem.plan.lint;

import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.cli.ManifestLoader;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The shipped examples pass the lint's default policy (no errors), and a copy inside expand (the quick-start as it once was) is flagged. */
class ExamplesLintTest {
    static LintReport lint(Path manifest) throws Exception {
        SchemaMigration m = ManifestLoader.load(manifest);
        MigrationPlan plan = Planner.plan(m);
        return Linter.lint(m.getSpec(), plan);
    }

    @Test
    void everyExampleHasNoErrors() throws Exception {
        try (var dirs = Files.list(Path.of("examples"))) {
            for (Path manifest : dirs.map(d -> d.resolve("migration.yaml")).filter(Files::isRegularFile).sorted().toList()) {
                LintReport report = lint(manifest);
                assertThat(report.hasErrors()).as(manifest + ": " + report.findings()).isFalse();
            }
        }
    }

    @Test
    void aCopyInsideExpandIsFlagged() throws Exception {
        LintReport report = lint(Path.of("src/test/resources/lint/copy-in-expand.yaml"));
        List<Finding> copies = report.findings().stream().filter(f -> f.rule().equals(Rules.FULL_TABLE_DML)).toList();
        assertThat(copies).singleElement().satisfies(f -> {
            assertThat(f.severity()).isEqualTo(Severity.WARNING);
            assertThat(f.field()).isEqualTo("spec.expand.sql");
            assertThat(f.statement()).isEqualTo(4);
            assertThat(f.message()).contains("copies every row of users into users_pii")
                    .contains("SHARE ROW EXCLUSIVE on users (statement 3)");
            assertThat(f.fix()).contains("spec.sync");
        });
    }
}
