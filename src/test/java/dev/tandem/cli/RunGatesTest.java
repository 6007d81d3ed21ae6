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

import static org.assertj.core.api.Assertions.assertThat;

/**
 * tandem run honours the point of no return as the operator does: SQL gates and a fresh proof
 * before cutover, rollout gates only when skipped, contract's waits; a wait past --max-wait ends
 * with exit code 3 and says when it can go on; --until Verified on a Verified migration checks again.
 */
@QuarkusMainTest
class RunGatesTest {
    static final String MANIFEST = """
            apiVersion: tandem.dev/v1alpha1
            kind: SchemaMigration
            metadata: {name: gated, namespace: shop}
            spec:
              database: {secretRef: {name: shop-db}}
              targetPhase: Verified
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
                  - name: app-v2
                    rollout: {deployment: app, image: ":2.0"}
              contract:
                sql: ALTER TABLE users DROP COLUMN full_name;
                minWait: 1h
            """;

    private static String[] run(DatabaseTarget db, Path manifest, String... more) {
        String[] base = {"run", "-f", manifest.toString(), "--database", db.jdbcUrl(), "--user", db.user()};
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    @Test
    void gatesHoldCutoverUntilTheyPassAndContractWaitsForMinWait(QuarkusMainLauncher launcher, @TempDir Path dir)
            throws Exception {
        DatabaseTarget db = TestDatabase.fresh("cli_gates");
        TestDatabase.exec(db, "CREATE TABLE users (id bigint PRIMARY KEY, full_name text NOT NULL); "
                + "INSERT INTO users SELECT g, 'n' || g FROM generate_series(1, 500) g; "
                + "CREATE TABLE release_flags (drained boolean NOT NULL); INSERT INTO release_flags VALUES (false)");
        Path manifest = dir.resolve("migration.yaml");
        Files.writeString(manifest, MANIFEST);

        LaunchResult verified = launcher.launch(run(db, manifest, "--until", "Verified"));
        assertThat(verified.exitCode()).as(verified.getErrorOutput()).isZero();
        String hash = launcher.launch("plan", "-f", manifest.toString(), "-o", "hash").getOutput().strip().lines()
                .reduce((a, b) -> b).orElseThrow().strip();

        LaunchResult held = launcher.launch(run(db, manifest, "--until", "CutOver", "--plan-hash", hash, "--max-wait", "1s"));
        assertThat(held.exitCode()).as(held.getErrorOutput()).isEqualTo(3);
        assertThat(held.getErrorOutput()).contains("AwaitingGates").contains("drained (sql): returned false")
                .contains("app-v2 (rollout): needs a cluster").contains("--skip-gate app-v2").contains("--max-wait");
        assertThat(TestDatabase.columnNullable(db, "users", "full_name")).as("not cut over").isFalse();

        LaunchResult unknown = launcher.launch(run(db, manifest, "--until", "CutOver", "--plan-hash", hash,
                "--skip-gate", "nope"));
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.getErrorOutput()).contains("--skip-gate nope: the migration has no such gate; its gates are "
                + "verification, drained, app-v2");

        TestDatabase.exec(db, "UPDATE release_flags SET drained = true");
        LaunchResult cut = launcher.launch(run(db, manifest, "--until", "CutOver", "--plan-hash", hash,
                "--skip-gate", "app-v2", "--max-wait", "5s"));
        assertThat(cut.exitCode()).as(cut.getErrorOutput()).isZero();
        assertThat(cut.getOutput()).contains("Reached CutOver").contains("gates passed: verification, drained, app-v2");
        assertThat(TestDatabase.columnNullable(db, "users", "full_name")).isTrue();

        TestDatabase.exec(db, "SET application_name = 'legacy-worker'; UPDATE users SET full_name = 'late' WHERE id = 3");
        LaunchResult waits = launcher.launch(run(db, manifest, "--until", "Contracted", "--plan-hash", hash,
                "--max-wait", "1s"));
        assertThat(waits.exitCode()).as(waits.getErrorOutput()).isEqualTo(3);
        assertThat(waits.getErrorOutput()).contains("AwaitingQuiet").contains("contract possible after ")
                .contains("contract.minWait is 1h after cutover");
        assertThat(TestDatabase.columnExists(db, "users", "full_name")).isTrue();
        assertThat(TestDatabase.query(db, "SELECT count(*) FROM tandem.old_storage_writes WHERE app = 'legacy-worker'"))
                .isEqualTo(1L);
    }

    @Test
    void untilVerifiedOnAVerifiedMigrationVerifiesAgainAndFindsADivergence(QuarkusMainLauncher launcher,
                                                                          @TempDir Path dir) throws Exception {
        DatabaseTarget db = TestDatabase.fresh("cli_reverify");
        TestDatabase.exec(db, "CREATE TABLE users (id bigint PRIMARY KEY, full_name text NOT NULL); "
                + "INSERT INTO users SELECT g, 'n' || g FROM generate_series(1, 500) g; "
                + "CREATE TABLE release_flags (drained boolean NOT NULL); INSERT INTO release_flags VALUES (true)");
        Path manifest = dir.resolve("migration.yaml");
        Files.writeString(manifest, MANIFEST);
        assertThat(launcher.launch(run(db, manifest, "--until", "Verified")).exitCode()).isZero();

        LaunchResult again = launcher.launch(run(db, manifest, "--until", "Verified"));
        assertThat(again.exitCode()).as(again.getErrorOutput()).isZero();
        assertThat(again.getOutput()).contains("Verifying again").contains("verification pass 2 passed");

        TestDatabase.exec(db, "SET session_replication_role = replica; UPDATE users_pii SET full_name = 'drift' "
                + "WHERE user_id = 42; SET session_replication_role = origin");
        LaunchResult drift = launcher.launch(run(db, manifest, "--until", "Verified"));
        assertThat(drift.exitCode()).isEqualTo(1);
        assertThat(drift.getErrorOutput()).contains("VerificationFailed").contains("42");
        String hash = launcher.launch("plan", "-f", manifest.toString(), "-o", "hash").getOutput().strip().lines()
                .reduce((a, b) -> b).orElseThrow().strip();
        LaunchResult cut = launcher.launch(run(db, manifest, "--until", "CutOver", "--plan-hash", hash,
                "--skip-gate", "app-v2", "--max-wait", "2s"));
        assertThat(cut.exitCode()).as("cutover refused after the divergence").isNotZero();
        assertThat(TestDatabase.columnNullable(db, "users", "full_name")).isFalse();
    }
}
