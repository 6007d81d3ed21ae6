package dev.tandem.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.testing.TestDatabase;
import io.quarkus.test.junit.main.LaunchResult;
import io.quarkus.test.junit.main.QuarkusMainLauncher;
import io.quarkus.test.junit.main.QuarkusMainTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/** tandem plan as the review step: exit codes, the policy, JSON for CI bots, the promoted hash, catalog sizes. */
@QuarkusMainTest
class PlanLintCliTest {
    /** A manifest with findings: the quick-start as it once was, copying every row inside expand. */
    static final String MANIFEST = "src/test/resources/lint/copy-in-expand.yaml";
    /** Its promoted hash, as the manifest says. */
    static final String HASH = hash();

    private static String hash() {
        try {
            java.util.regex.Matcher m = java.util.regex.Pattern.compile("planHash:\\s*\"?([0-9a-f]+)")
                    .matcher(Files.readString(Path.of(MANIFEST)));
            assertThat(m.find()).isTrue();
            return m.group(1);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static Path variant(Path dir, String from, String to) throws Exception {
        String text = Files.readString(Path.of(MANIFEST));
        assertThat(text).contains(from);
        Path file = dir.resolve("migration.yaml");
        Files.writeString(file, text.replace(from, to));
        return file;
    }

    private static String json(LaunchResult result) {
        String out = "\n" + result.getOutput();
        return out.substring(out.indexOf("\n{") + 1);
    }

    @Test
    void planShowsWhatAReviewerSignsAndTheFindings(QuarkusMainLauncher launcher) {
        LaunchResult result = launcher.launch("plan", "-f", MANIFEST);
        assertThat(result.exitCode()).as(result.getErrorOutput()).isZero();
        assertThat(result.getOutput()).contains("target phase: Contracted (promotion.planHash " + HASH + " matches this plan")
                .contains("timeouts: lockTimeout 2s, statementTimeout 15m (default)")
                .contains("== Lint — 0 errors, 1 warning, 0 notes")
                .contains("WARNING full-table-dml-in-transaction — spec.expand.sql statement 4, users")
                .contains("fix: let a sync entry (spec.sync) do it");
    }

    @Test
    void anErrorFailsWithExitCodeTwo(QuarkusMainLauncher launcher, @TempDir Path dir) throws Exception {
        Path file = variant(dir, "ALTER TABLE users ALTER COLUMN full_name DROP NOT NULL;",
                "ALTER TABLE users ALTER COLUMN full_name DROP NOT NULL;\n      TRUNCATE users;");
        LaunchResult result = launcher.launch("plan", "-f", file.toString());
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.getOutput()).contains("ERROR truncate — spec.cutover.sql statement 4, users");
        assertThat(result.getErrorOutput()).contains("--fail-on error");
    }

    @Test
    void aStaleHashIsAnError(QuarkusMainLauncher launcher, @TempDir Path dir) throws Exception {
        Path file = variant(dir, "planHash: " + HASH, "planHash: 0123456789ab");
        LaunchResult result = launcher.launch("plan", "-f", file.toString());
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.getOutput()).contains("promotion.planHash 0123456789ab does NOT match this plan")
                .contains("ERROR plan-hash — spec.promotion.planHash")
                .contains("fix: review this plan, then set spec.promotion.planHash: " + HASH);
        LaunchResult hash = launcher.launch("plan", "-f", file.toString(), "-o", "hash");
        assertThat(hash.exitCode()).as("-o hash prints the hash, whatever the lint says").isZero();
        String[] lines = hash.getOutput().strip().split("\n");
        assertThat(lines[lines.length - 1].strip()).isEqualTo(HASH);
    }

    @Test
    void failOnSetsThePolicy(QuarkusMainLauncher launcher, @TempDir Path dir) throws Exception {
        assertThat(launcher.launch("plan", "-f", MANIFEST, "--fail-on", "warning").exitCode()).isEqualTo(2);
        Path stale = variant(dir, "planHash: " + HASH, "planHash: 0123456789ab");
        assertThat(launcher.launch("plan", "-f", stale.toString(), "--fail-on", "never").exitCode()).isZero();
        LaunchResult bad = launcher.launch("plan", "-f", MANIFEST, "--fail-on", "sometimes");
        assertThat(bad.exitCode()).isEqualTo(2);
        assertThat(bad.getErrorOutput()).contains("--fail-on").contains("error, warning or never");
    }

    @Test
    void jsonCarriesTheReviewAndTheFindings(QuarkusMainLauncher launcher, @TempDir Path dir) throws Exception {
        Path stale = variant(dir, "planHash: " + HASH, "planHash: 0123456789ab");
        LaunchResult result = launcher.launch("plan", "-f", stale.toString(), "-o", "json");
        assertThat(result.exitCode()).isEqualTo(2);
        JsonNode plan = new ObjectMapper().readTree(json(result));
        assertThat(plan.get("hash").asText()).isEqualTo(HASH);
        assertThat(plan.get("steps")).isNotEmpty();
        assertThat(plan.at("/review/targetPhase").asText()).isEqualTo("Contracted");
        assertThat(plan.at("/review/planHashMatches").asBoolean()).isFalse();
        assertThat(plan.at("/lint/errors").asInt()).isEqualTo(1);
        assertThat(plan.at("/lint/warnings").asInt()).isEqualTo(1);
        JsonNode first = plan.at("/lint/findings/0");
        assertThat(first.get("severity").asText()).isEqualTo("ERROR");
        assertThat(first.get("rule").asText()).isEqualTo("plan-hash");
        JsonNode copy = plan.at("/lint/findings/1");
        assertThat(copy.get("field").asText()).isEqualTo("spec.expand.sql");
        assertThat(copy.get("statement").asInt()).isEqualTo(4);
        assertThat(copy.get("lock").asText()).isEqualTo("ROW EXCLUSIVE");
        assertThat(copy.get("underLock").asText()).isEqualTo("scans");
        assertThat(copy.get("fix").asText()).contains("spec.sync");
    }

    @Test
    void withADatabaseFindingsSayHowLargeTheTableIs(QuarkusMainLauncher launcher) throws Exception {
        DatabaseTarget db = TestDatabase.fresh("plancli");
        TestDatabase.exec(db, Files.readString(Path.of("examples/quickstart/setup.sql")) + "; ANALYZE users");
        LaunchResult result = launcher.launch("plan", "-f", MANIFEST, "--database", db.jdbcUrl(), "--user", db.user());
        assertThat(result.exitCode()).as(result.getErrorOutput()).isZero();
        assertThat(result.getOutput()).contains("(with the database's catalog)")
                .containsPattern("spec.expand.sql statement 4, users: scans [0-9.]+ kB \\(1000 rows\\) under ROW EXCLUSIVE");
        assertThat(TestDatabase.tableExists(db, "users_pii")).as("plan changes nothing").isFalse();
    }

    @Test
    void aDatabaseThatCannotBeReadIsNamed(QuarkusMainLauncher launcher) {
        LaunchResult result = launcher.launch("plan", "-f", MANIFEST, "--database", "jdbc:mysql://x/y");
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.getErrorOutput()).contains("--database");
    }
}
