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
import java.sql.Connection;
import java.sql.Statement;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The local mode as a person uses it: tandem run's summary and its progress in a log, the next
 * command it names, tandem status at every stage, the version, libpq URLs, and the messages of a
 * changed definition and of a transient failure.
 */
@QuarkusMainTest
class LocalModeTest {
    static final String MANIFEST = """
            apiVersion: tandem.dev/v1alpha1
            kind: SchemaMigration
            metadata: {name: local, namespace: shop}
            spec:
              database: {secretRef: {name: shop-db}}
              targetPhase: Contracted
              lockTimeout: 100ms
              expand:
                sql: CREATE TABLE users_pii (user_id bigint PRIMARY KEY, full_name text NOT NULL);
              sync:
                - name: full-name
                  from: {table: users, key: [id]}
                  to: {table: users_pii, key: [user_id]}
                  columns: {user_id: id, full_name: full_name}
              cutover:
                sql: ALTER TABLE users ALTER COLUMN full_name DROP NOT NULL;
                gates:
                  - name: drained
                    sql: SELECT bool_and(drained) FROM release_flags
              contract:
                sql: ALTER TABLE users DROP COLUMN full_name;
            """;
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The database as every PostgreSQL user types it: postgresql://user@host:port/db. */
    private static String libpq(DatabaseTarget db) {
        return "postgresql://" + db.user() + "@" + db.server();
    }

    private static DatabaseTarget database(String prefix, int rows) {
        DatabaseTarget db = TestDatabase.fresh(prefix);
        TestDatabase.exec(db, "CREATE TABLE users (id bigint PRIMARY KEY, full_name text NOT NULL); "
                + "INSERT INTO users SELECT g, 'n' || g FROM generate_series(1, " + rows + ") g; "
                + "CREATE TABLE release_flags (drained boolean NOT NULL); INSERT INTO release_flags VALUES (false)");
        return db;
    }

    private static Path manifest(Path dir, String text) throws Exception {
        Path file = dir.resolve("migration.yaml");
        Files.writeString(file, text);
        return file;
    }

    private static String[] run(DatabaseTarget db, Path manifest, String... more) {
        String[] base = {"run", "-f", manifest.toString(), "--database", libpq(db)};
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    private static String hash(QuarkusMainLauncher launcher, Path manifest) {
        return launcher.launch("plan", "-f", manifest.toString(), "-o", "hash").getOutput().strip().lines()
                .reduce((a, b) -> b).orElseThrow().strip();
    }

    private static String line(String output, String prefix) {
        return output.lines().filter(l -> l.strip().startsWith(prefix)).findFirst().orElse("").strip();
    }

    @Test
    void runNamesTheVeryNextPhaseAndStatusReadsEveryStageWithoutRunningAnything(QuarkusMainLauncher launcher,
                                                                              @TempDir Path dir) throws Exception {
        DatabaseTarget db = database("cli_local", 2000);
        Path manifest = manifest(dir, MANIFEST);
        String hash = hash(launcher, manifest);

        LaunchResult fresh = launcher.launch("status", "-f", manifest.toString(), "--database", libpq(db));
        assertThat(fresh.exitCode()).as(fresh.getErrorOutput()).isZero();
        assertThat(fresh.getOutput()).contains("phase:        Pending (0/5)").contains("none yet")
                .contains("--until Expanded");
        assertThat(TestDatabase.query(db, "SELECT count(*) FROM pg_namespace WHERE nspname = 'tandem'"))
                .as("status created nothing").isEqualTo(0L);

        String[][] steps = {{"Expanded", "1/5", "Backfilled"}, {"Backfilled", "2/5", "Verified"}};
        for (String[] step : steps) {
            LaunchResult r = launcher.launch(run(db, manifest, "--until", step[0]));
            assertThat(r.exitCode()).as(r.getErrorOutput()).isZero();
            assertThat(r.getOutput()).contains("Reached " + step[0] + " (" + step[1] + ")");
            assertThat(line(r.getOutput(), "next:")).isEqualTo("next:         tandem run -f " + manifest
                    + " --database " + libpq(db) + " --until " + step[2]);
        }
        LaunchResult verified = launcher.launch(run(db, manifest, "--until", "Verified"));
        assertThat(verified.exitCode()).as(verified.getErrorOutput()).isZero();
        assertThat(line(verified.getOutput(), "next:")).contains("--until CutOver --plan-hash " + hash)
                .contains("point of no return");

        LaunchResult mid = launcher.launch("status", "-f", manifest.toString(), "--database", libpq(db));
        assertThat(mid.exitCode()).as(mid.getErrorOutput()).isZero();
        assertThat(mid.getOutput()).contains("phase:        Verified (3/5)").contains("step:         expand")
                .contains("step:         backfill").contains("step:         verify")
                .contains("backfill:     100% 2000 of ~").contains("complete")
                .contains("verification: verification pass 1 passed: 2000 rows checked, 0 mismatched")
                .contains("gate:         verification (verification) holds")
                .contains("gate:         drained (sql)").contains("does not hold")
                .contains("--until CutOver --plan-hash " + hash);
        JsonNode json = JSON.readTree(launcher.launch("status", "-f", manifest.toString(), "--database", libpq(db),
                "-o", "json").getOutput());
        assertThat(json.path("phase").asText()).isEqualTo("Verified");
        assertThat(json.path("steps")).hasSize(3);
        assertThat(json.path("backfill").path("rowsCopied").asLong()).isEqualTo(2000);
        assertThat(json.path("verification").path("result").asText()).isEqualTo("Passed");
        assertThat(json.path("gates").get(1).path("passed").asBoolean()).isFalse();

        LaunchResult held = launcher.launch(run(db, manifest, "--until", "CutOver", "--plan-hash", hash,
                "--max-wait", "1s"));
        assertThat(held.exitCode()).as(held.getErrorOutput()).isEqualTo(3);
        assertThat(held.getOutput()).contains("Summary (exit 3").contains("phase:        Verified (3/5)")
                .contains("time:         CutOver ").contains("(not reached)")
                .contains("next:         run the same command again when AwaitingGates is over");

        TestDatabase.exec(db, "UPDATE release_flags SET drained = true");
        LaunchResult cut = launcher.launch(run(db, manifest, "--until", "CutOver", "--plan-hash", hash));
        assertThat(cut.exitCode()).as(cut.getErrorOutput()).isZero();
        TestDatabase.exec(db, "SET application_name = 'legacy-worker'; UPDATE users SET full_name = 'late' WHERE id = 3");
        LaunchResult after = launcher.launch("status", "-f", manifest.toString(), "--database", libpq(db));
        assertThat(after.getOutput()).contains("phase:        CutOver (4/5)")
                .contains("old storage:  1 writes since cutover (Watch); latest ").contains("legacy-worker")
                .contains("--until Contracted --plan-hash " + hash);

        LaunchResult contracted = launcher.launch(run(db, manifest, "--until", "Contracted", "--plan-hash", hash));
        assertThat(contracted.exitCode()).as(contracted.getErrorOutput()).isZero();
        assertThat(contracted.getOutput()).contains("old storage:  1 write seen since cutover (latest: UPDATE ")
                .contains("next:         nothing: the migration is Contracted");
        LaunchResult done = launcher.launch("status", "-f", manifest.toString(), "--database", libpq(db));
        assertThat(done.exitCode()).as(done.getErrorOutput()).isZero();
        assertThat(done.getOutput()).contains("phase:        Contracted (5/5)").contains("step:         contract")
                .contains("next:         nothing: the migration is Contracted").doesNotContain("backfill:");
    }

    /** The run's last lines: time per phase as the run saw it, rows and rows/s, passes; a log gets no '\r'. */
    @Test
    void runEndsWithASummaryAndReportsEachPhaseWithItsRealDuration(QuarkusMainLauncher launcher, @TempDir Path dir)
            throws Exception {
        DatabaseTarget db = database("cli_summary", 30000);
        TestDatabase.exec(db, "UPDATE release_flags SET drained = true");
        Path manifest = manifest(dir, MANIFEST);
        LaunchResult r = launcher.launch(run(db, manifest, "--plan-hash", hash(launcher, manifest)));
        assertThat(r.exitCode()).as(r.getErrorOutput()).isZero();
        String out = r.getOutput();
        assertThat(out).doesNotContain("\r").contains("Backfilling ... [").contains(" of ~").contains("ETA");
        Matcher copy = Pattern.compile("100% 30000 rows in (\\d+) ms").matcher(out);
        Matcher phase = Pattern.compile("done: Backfilled in ([0-9.]+) s").matcher(out);
        assertThat(copy.find()).as(out).isTrue();
        assertThat(phase.find()).as(out).isTrue();
        assertThat(Double.parseDouble(phase.group(1)) * 1000).as("the phase includes the copy")
                .isGreaterThanOrEqualTo(Long.parseLong(copy.group(1)) - 100);
        assertThat(out.lines().filter(l -> l.strip().equals("Verifying ...")).count()).isEqualTo(1);
        assertThat(out).contains("Summary (exit 0, ").contains("phase:        Contracted (5/5)")
                .containsPattern("time: +Expanded [0-9.]+ s, Backfilled [0-9.]+ s, Verified [0-9.]+ s, CutOver [0-9.]+ s, "
                        + "Contracted [0-9.]+ s")
                .containsPattern("backfill: +30000 rows copied in [0-9.]+ s \\([0-9]+ rows/s\\)")
                .contains("verification: 1 pass, latest passed: 30000 rows checked, 0 mismatched")
                .contains("old storage:  0 writes seen since cutover")
                .contains("next:         nothing: the migration is Contracted");
    }

    @Test
    void aRolledBackMigrationIsReachedWithoutEmptyParentheses(QuarkusMainLauncher launcher, @TempDir Path dir)
            throws Exception {
        DatabaseTarget db = database("cli_rollback", 100);
        Path manifest = manifest(dir, MANIFEST);
        assertThat(launcher.launch(run(db, manifest, "--until", "Expanded")).exitCode()).isZero();
        LaunchResult back = launcher.launch(run(db, manifest, "--until", "RolledBack"));
        assertThat(back.exitCode()).as(back.getErrorOutput()).isZero();
        assertThat(back.getOutput()).contains("Reached RolledBack\n").doesNotContain("()")
                .contains("next:         nothing: the migration is RolledBack");
    }

    /** An edited manifest and another migration under the same name look alike: both SpecImmutable, before any work. */
    @Test
    void aDefinitionChangedAfterExpandIsRefusedAsSpecImmutableBeforeAnyBackfill(QuarkusMainLauncher launcher,
                                                                              @TempDir Path dir) throws Exception {
        DatabaseTarget db = database("cli_immutable", 1000);
        Path manifest = manifest(dir, MANIFEST);
        assertThat(launcher.launch(run(db, manifest, "--until", "Expanded")).exitCode()).isZero();
        Files.writeString(manifest, MANIFEST.replace("full_name: full_name}", "full_name: upper(full_name)}"));
        LaunchResult changed = launcher.launch(run(db, manifest, "--until", "Backfilled"));
        assertThat(changed.exitCode()).isEqualTo(2);
        assertThat(changed.getErrorOutput()).contains("error: SpecImmutable: ").contains("edited after expand")
                .contains("another migration with the same metadata.name").contains("Nothing was run")
                .doesNotContain("PlanMismatch");
        assertThat(changed.getOutput()).doesNotContain("Backfilling");
        assertThat(TestDatabase.query(db, "SELECT count(*) FROM users_pii")).isEqualTo(0L);
        LaunchResult status = launcher.launch("status", "-f", manifest.toString(), "--database", libpq(db));
        assertThat(status.exitCode()).isZero();
        assertThat(status.getOutput()).contains("SpecImmutable");
    }

    @Test
    void aTransientFailureSaysToRunAgainAndIsNotClaimedToBeRetried(QuarkusMainLauncher launcher, @TempDir Path dir)
            throws Exception {
        DatabaseTarget db = database("cli_transient", 100);
        Path manifest = manifest(dir, MANIFEST.replace("expand:\n    sql: ", "expand:\n    sql: ALTER TABLE users ADD "
                + "COLUMN note text; "));
        try (Connection blocker = db.connect("blocker"); Statement s = blocker.createStatement()) {
            blocker.setAutoCommit(false);
            s.execute("SELECT count(*) FROM users"); // holds ACCESS SHARE until the transaction ends
            LaunchResult r = launcher.launch(run(db, manifest, "--until", "Expanded"));
            assertThat(r.exitCode()).isEqualTo(1);
            assertThat(r.getErrorOutput()).contains("LockTimeout").contains("run the same command again")
                    .doesNotContain("is retried");
            assertThat(r.getOutput()).contains("Summary (exit 1")
                    .contains("next:         run the same command again when the cause has cleared");
            blocker.rollback();
        }
        LaunchResult again = launcher.launch(run(db, manifest, "--until", "Expanded"));
        assertThat(again.exitCode()).as(again.getErrorOutput()).isZero();
    }

    @Test
    void everyCommandPrintsTheProjectVersion(QuarkusMainLauncher launcher) throws Exception {
        Matcher m = Pattern.compile("<artifactId>tandem</artifactId>\\s*<version>([^<]+)</version>")
                .matcher(Files.readString(Path.of("pom.xml")));
        assertThat(m.find()).isTrue();
        for (String[] args : new String[][]{{"--version"}, {"plan", "--version"}, {"run", "--version"},
                {"status", "--version"}}) {
            LaunchResult r = launcher.launch(args);
            assertThat(r.exitCode()).isZero();
            assertThat(r.getOutput().strip()).as(String.join(" ", args)).endsWith("tandem " + m.group(1));
        }
    }

    @Test
    void statusNeedsADatabaseAndPlanTakesALibpqUrl(QuarkusMainLauncher launcher, @TempDir Path dir) throws Exception {
        Path manifest = manifest(dir, MANIFEST);
        LaunchResult none = launcher.launch("status", "-f", manifest.toString());
        assertThat(none.exitCode()).isEqualTo(2);
        assertThat(none.getErrorOutput()).contains("give --database URL");
        DatabaseTarget db = database("cli_plan_url", 10);
        LaunchResult plan = launcher.launch("plan", "-f", manifest.toString(), "--database", libpq(db),
                "--fail-on", "never");
        assertThat(plan.exitCode()).as(plan.getErrorOutput()).isZero();
        LaunchResult postgres = launcher.launch("plan", "-f", manifest.toString(), "--database",
                "postgres://" + db.user() + "@" + db.server(), "-o", "json", "--fail-on", "never");
        assertThat(postgres.exitCode()).as(postgres.getErrorOutput()).isZero();
        assertThat(JSON.readTree(postgres.getOutput()).path("lint").path("catalog").asBoolean()).isTrue();
    }
}
