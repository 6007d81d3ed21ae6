package dev.tandem.cli;

import dev.tandem.engine.DatabaseTarget;
import dev.tandem.testing.TestDatabase;
import io.quarkus.test.junit.main.LaunchResult;
import io.quarkus.test.junit.main.QuarkusMainLauncher;
import io.quarkus.test.junit.main.QuarkusMainTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The binary's local commands, as the README uses them. */
@QuarkusMainTest
class CliTest {
    static final String QUICKSTART = "examples/quickstart/migration.yaml";

    private static String promotedHash(Path manifest) throws Exception {
        Matcher m = Pattern.compile("planHash:\\s*\"?([0-9a-f]+)").matcher(Files.readString(manifest));
        assertThat(m.find()).isTrue();
        return m.group(1);
    }

    @Test
    void planPrintsEveryStatementWithItsLockLevelAndTheHash(QuarkusMainLauncher launcher) throws Exception {
        LaunchResult result = launcher.launch("plan", "-f", QUICKSTART);
        assertThat(result.exitCode()).isZero();
        assertThat(result.getOutput()).contains("plan hash: ").contains("CREATE TABLE users_pii")
                .contains("ALTER TABLE users DROP COLUMN full_name").contains("ACCESS EXCLUSIVE")
                .contains("Phase 4 Cutover (point of no return)");
    }

    @Test
    void everyExamplePromotesTheHashThatPlanPrints(QuarkusMainLauncher launcher) throws Exception {
        try (var dirs = Files.list(Path.of("examples"))) {
            for (Path manifest : dirs.map(d -> d.resolve("migration.yaml")).filter(Files::isRegularFile).toList()) {
                LaunchResult result = launcher.launch("plan", "-f", manifest.toString(), "-o", "hash");
                assertThat(result.exitCode()).as(manifest + ": " + result.getErrorOutput()).isZero();
                // The hash is the last line (a relaunch in one JVM may log a warning before it).
                String[] lines = result.getOutput().strip().split("\n");
                assertThat(lines[lines.length - 1].strip()).as(manifest.toString()).isEqualTo(promotedHash(manifest));
                assertThat(manifest.resolveSibling("setup.sql")).as("setup.sql beside " + manifest).exists();
            }
        }
    }

    /** Every example (one per seed scenario, plus the quick-start) runs to its target on a fresh embedded database. */
    @Test
    void everyExampleRunsToItsTargetOnAnEmbeddedDatabase(QuarkusMainLauncher launcher) throws Exception {
        try (var dirs = Files.list(Path.of("examples"))) {
            for (Path manifest : dirs.map(d -> d.resolve("migration.yaml")).filter(Files::isRegularFile).sorted().toList()) {
                LaunchResult result = launcher.launch("run", "-f", manifest.toString());
                assertThat(result.exitCode()).as(manifest + ": " + result.getErrorOutput()).isZero();
                assertThat(result.getOutput()).as(manifest.toString()).contains("Reached Contracted (5/5)");
            }
        }
    }

    @Test
    void runTheMoveAttributeExampleBackfillsThroughSyncAndReachesContracted(QuarkusMainLauncher launcher) {
        LaunchResult result = launcher.launch("run", "-f", "examples/move-attribute/migration.yaml");
        assertThat(result.exitCode()).as(result.getErrorOutput()).isZero();
        assertThat(result.getOutput()).contains("100% " + ExampleLoader.DEFAULT_ROWS + " rows").contains("Reached Contracted (5/5)")
                .contains("users_pii(user_id bigint not null, full_name text not null)");
    }

    @Test
    void planRejectsAnUnknownFieldAndNamesIt(QuarkusMainLauncher launcher, @TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, Files.readString(Path.of(QUICKSTART)).replace("  expand:", "  expnad:"));
        LaunchResult result = launcher.launch("plan", "-f", bad.toString());
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.getErrorOutput()).contains("unknown field spec.expnad");
    }

    @Test
    void planRejectsAnInvalidSpecNamingTheField(QuarkusMainLauncher launcher, @TempDir Path dir) throws Exception {
        Path bad = dir.resolve("bad.yaml");
        Files.writeString(bad, Files.readString(Path.of(QUICKSTART)).replace("lockTimeout: 2s", "lockTimeout: soon"));
        LaunchResult result = launcher.launch("plan", "-f", bad.toString());
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.getErrorOutput()).contains("spec.lockTimeout");
    }

    /** The README's run command: embedded PostgreSQL, setup.sql loaded, every phase run. */
    @Test
    void runTheQuickstartOnAnEmbeddedDatabaseReachesContracted(QuarkusMainLauncher launcher) {
        LaunchResult result = launcher.launch("run", "-f", QUICKSTART);
        assertThat(result.exitCode()).as(result.getErrorOutput()).isZero();
        assertThat(result.getOutput()).contains("Loaded setup.sql").contains("Reached Contracted (5/5)")
                .contains("users(id bigint not null, email text not null, created_at")
                .contains("users_pii(user_id bigint not null, full_name text not null)");
    }

    @Test
    void runStopsAtUntilRefusesCutoverWithoutTheHashAndResumes(QuarkusMainLauncher launcher) throws Exception {
        DatabaseTarget db = TestDatabase.fresh("cli");
        TestDatabase.exec(db, Files.readString(Path.of("examples/quickstart/setup.sql")));
        String hash = promotedHash(Path.of(QUICKSTART));

        LaunchResult verified = launcher.launch("run", "-f", QUICKSTART, "--database", db.jdbcUrl(), "--user",
                db.user(), "--until", "Verified");
        assertThat(verified.exitCode()).as(verified.getErrorOutput()).isZero();
        assertThat(verified.getOutput()).contains("Reached Verified").contains("--plan-hash " + hash);
        assertThat(TestDatabase.tableExists(db, "users_pii")).isTrue();
        assertThat(TestDatabase.columnNullable(db, "users", "full_name")).isFalse();

        LaunchResult wrong = launcher.launch("run", "-f", QUICKSTART, "--database", db.jdbcUrl(), "--user",
                db.user(), "--until", "CutOver", "--plan-hash", "0123456789ab");
        assertThat(wrong.exitCode()).isEqualTo(2);
        assertThat(wrong.getErrorOutput()).contains(hash);
        assertThat(TestDatabase.columnNullable(db, "users", "full_name")).isFalse();

        LaunchResult cut = launcher.launch("run", "-f", QUICKSTART, "--database", db.jdbcUrl(), "--user",
                db.user(), "--until", "CutOver", "--plan-hash", hash);
        assertThat(cut.exitCode()).as(cut.getErrorOutput()).isZero();
        assertThat(cut.getOutput()).doesNotContain("Expanding").contains("CuttingOver").contains("Reached CutOver");
        assertThat(TestDatabase.columnNullable(db, "users", "full_name")).isTrue();

        // Every row of users reached users_pii through the sync entry and the backfill before cutover.
        assertThat(TestDatabase.query(db, "SELECT count(*) FROM users_pii")).isEqualTo(1000L);

        LaunchResult back = launcher.launch("run", "-f", QUICKSTART, "--database", db.jdbcUrl(), "--user",
                db.user(), "--until", "RolledBack");
        assertThat(back.exitCode()).isEqualTo(1);
        assertThat(back.getErrorOutput()).contains("point of no return");
        assertThat(TestDatabase.tableExists(db, "users_pii")).isTrue();
    }

    @Test
    void runRejectsADatabaseUrlThatIsNotPostgres(QuarkusMainLauncher launcher) {
        LaunchResult result = launcher.launch("run", "-f", QUICKSTART, "--database", "jdbc:mysql://x/y", "--until", "Expanded");
        assertThat(result.exitCode()).isEqualTo(2);
        assertThat(result.getErrorOutput()).contains("--database");
    }
}
