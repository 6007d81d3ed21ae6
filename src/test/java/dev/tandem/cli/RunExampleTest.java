package dev.tandem.cli;

import io.quarkus.test.junit.main.LaunchResult;
import io.quarkus.test.junit.main.QuarkusMainLauncher;
import io.quarkus.test.junit.main.QuarkusMainTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** tandem run --example NAME --size ROWS: an example's schema and generated data in the embedded database. */
@QuarkusMainTest
class RunExampleTest {
    @Test
    void anExampleRunsByNameAtTheChosenSize(QuarkusMainLauncher launcher) {
        LaunchResult result = launcher.launch("run", "--example", "proxy-rules", "--size", "750");
        assertThat(result.exitCode()).as(result.getErrorOutput()).isZero();
        assertThat(result.getOutput()).contains("Loaded setup.sql and generate.sql (size 750)")
                .contains("750 rows").contains("Reached Contracted (5/5)")
                .contains("proxy_rules_proxies(proxy_rule_id bigint not null, proxy_id bigint not null)");
    }

    @Test
    void anExampleRunsByThePathOfItsFolder(QuarkusMainLauncher launcher) {
        LaunchResult result = launcher.launch("run", "--example", "examples/normalize-field", "--until", "Expanded");
        assertThat(result.exitCode()).as(result.getErrorOutput()).isZero();
        assertThat(result.getOutput()).contains("generate.sql (size " + ExampleLoader.DEFAULT_ROWS + ")")
                .contains("Reached Expanded");
    }

    @Test
    void aSetupFileThatCannotRunAsOneScriptIsRefusedNamingTheFileAndWhatToLeaveOut(QuarkusMainLauncher launcher,
                                                                                 @TempDir Path dir) throws Exception {
        Files.copy(Path.of("examples/quickstart/migration.yaml"), dir.resolve("migration.yaml"));
        Files.writeString(dir.resolve("setup.sql"), Files.readString(Path.of("examples/quickstart/setup.sql"))
                + "\nVACUUM users;\n");
        LaunchResult result = launcher.launch("run", "-f", dir.resolve("migration.yaml").toString());
        assertThat(result.exitCode()).as(result.getOutput()).isEqualTo(2);
        assertThat(result.getErrorOutput()).contains(dir.resolve("setup.sql").toString())
                .contains("VACUUM cannot be executed").contains("leave out VACUUM").contains("nothing was migrated");
        assertThat(result.getOutput()).doesNotContain("Expanding");
    }

    @Test
    void anUnknownExampleIsRefusedNamingTheExamples(QuarkusMainLauncher launcher) {
        LaunchResult result = launcher.launch("run", "--example", "no-such-example");
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.getErrorOutput()).contains("--example no-such-example").contains("proxy-rules")
                .contains("normalize-field");
    }

    @Test
    void aSizeWithoutAGeneratorOrWithADatabaseIsRefused(QuarkusMainLauncher launcher) {
        LaunchResult quick = launcher.launch("run", "--example", "quickstart", "--size", "10");
        assertThat(quick.exitCode()).isEqualTo(2);
        assertThat(quick.getErrorOutput()).contains("--size 10").contains("no generate.sql");
        LaunchResult both = launcher.launch("run", "--example", "quickstart", "-f", "examples/quickstart/migration.yaml");
        assertThat(both.exitCode()).isEqualTo(2);
        assertThat(both.getErrorOutput()).contains("not both");
        LaunchResult neither = launcher.launch("run");
        assertThat(neither.exitCode()).isEqualTo(2);
        assertThat(neither.getErrorOutput()).contains("-f FILE").contains("--example NAME");
        LaunchResult db = launcher.launch("run", "--example", "proxy-rules", "--size", "10", "--database",
                "postgresql://localhost:1/x");
        assertThat(db.exitCode()).isEqualTo(2);
        assertThat(db.getErrorOutput()).contains("--size");
    }
}
