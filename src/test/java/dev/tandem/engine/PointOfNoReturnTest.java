package dev.tandem.engine;

import dev.tandem.api.v1alpha1.ContractSpec;
import dev.tandem.api.v1alpha1.CutoverSpec;
import dev.tandem.api.v1alpha1.OldStorageMode;
import dev.tandem.api.v1alpha1.Reason;
import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.api.v1alpha1.VerifySpec;
import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import dev.tandem.plan.TrackingSql;
import dev.tandem.testing.Specs;
import dev.tandem.testing.SyncSpecs;
import dev.tandem.testing.TestDatabase;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * Cutover and contract against real PostgreSQL: cutover is all or nothing, the old-storage watch
 * counts (or refuses) exactly the writes that still touch the migrated data, contract leaves only
 * the ledger, a contract that cannot run can be changed after cutover.
 */
class PointOfNoReturnTest {
    static final String USERS = "CREATE TABLE users (id bigint PRIMARY KEY, email text, full_name text NOT NULL); "
            + "INSERT INTO users SELECT g, 'u' || g || '@x', 'name ' || g FROM generate_series(1, 200) g";
    static final String PII = "CREATE TABLE users_pii (user_id bigint PRIMARY KEY, full_name text NOT NULL)";

    static SchemaMigrationSpec moveName(String name, OldStorageMode mode, String cutoverSql, String contractSql) {
        SchemaMigrationSpec spec = Specs.of(PII, null, null, "DROP TABLE users_pii");
        spec.setSync(List.of(SyncSpecs.entry("full-name", "users", List.of("id"), null, "users_pii", List.of("user_id"),
                Map.of("user_id", "id", "full_name", "full_name"))));
        CutoverSpec cutover = new CutoverSpec(cutoverSql);
        cutover.setOldStorage(mode);
        spec.setCutover(cutover);
        spec.setContract(contractSql == null ? null : new ContractSpec(contractSql));
        spec.setVerify(new VerifySpec());
        return spec;
    }

    /** Expanded, backfilled, verified (a clean pass), Verified committed. */
    static MigrationEngine verified(DatabaseTarget db, MigrationPlan plan) throws Exception {
        MigrationEngine engine = EngineStepTest.engine(db);
        engine.apply(plan, Step.EXPAND, null, StepListener.NONE);
        new Backfiller(db, EngineSettings.defaults("test"), BackfillTuning.defaults()).run(plan, 0, 1, Backfiller.Listener.NONE);
        engine.apply(plan, Step.BACKFILL, null, StepListener.NONE);
        assertThat(VerifierTest.verifier(db, 1000).run(plan, 1, "", Verifier.Listener.NONE).result())
                .isEqualTo(VerifyState.PASSED);
        engine.apply(plan, Step.VERIFY, null, StepListener.NONE);
        return engine;
    }

    static void as(DatabaseTarget db, String app, String sql) throws SQLException {
        try (Connection c = db.connect(app); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    static long count(DatabaseTarget db, String sql) {
        return ((Number) TestDatabase.query(db, sql)).longValue();
    }

    @Test
    void theWatchCountsOnlyWritesThatTouchTheMigratedData() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("pnr_watch");
        TestDatabase.exec(db, USERS);
        MigrationPlan plan = Planner.plan("ns", "watch", moveName("watch", OldStorageMode.Watch,
                "ALTER TABLE users ALTER COLUMN full_name DROP NOT NULL", "ALTER TABLE users DROP COLUMN full_name"));
        MigrationEngine engine = verified(db, plan);
        engine.apply(plan, Step.CUTOVER, null, StepListener.NONE);
        assertThat(engine.oldStorage(plan).writes()).isZero();

        // the new application: other columns, new rows without the old column, deletes of rows that stay elsewhere
        as(db, "app-v2", "UPDATE users SET email = 'new@x' WHERE id = 1");
        as(db, "app-v2", "INSERT INTO users (id, email) VALUES (1001, 'n@x')");
        as(db, "app-v2", "DELETE FROM users WHERE id = 2");
        as(db, "app-v2", "UPDATE users SET full_name = full_name WHERE id = 3"); // names the column, changes nothing
        assertThat(engine.oldStorage(plan).writes()).as("nothing touched the migrated data").isZero();

        // a legacy writer still on the old column
        as(db, "legacy-worker", "UPDATE users SET full_name = 'late' WHERE id = 4");
        as(db, "legacy-worker", "INSERT INTO users (id, email, full_name) VALUES (1002, 'l@x', 'legacy')");
        OldStorageState old = engine.oldStorage(plan);
        assertThat(old.writes()).isEqualTo(2);
        assertThat(old.lastOp()).isEqualTo("INSERT");
        assertThat(old.lastTable()).isEqualTo("public.users");
        assertThat(old.lastApp()).isEqualTo("legacy-worker");
        assertThat(old.lastRole()).isNotBlank();
        assertThat(old.describeLast()).isEqualTo("INSERT public.users by legacy-worker (role " + old.lastRole() + ")");
        assertThat(TestDatabase.query(db, "SELECT full_name FROM users_pii WHERE user_id = 4"))
                .as("the sync triggers are gone: the new storage does not follow the old any more").isEqualTo("name 4");
    }

    @Test
    void rejectRefusesWritesToTheMigratedDataNamingTheMigration() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("pnr_reject");
        TestDatabase.exec(db, USERS);
        MigrationPlan plan = Planner.plan("ns", "reject", moveName("reject", OldStorageMode.Reject,
                "ALTER TABLE users ALTER COLUMN full_name DROP NOT NULL", null));
        MigrationEngine engine = verified(db, plan);
        engine.apply(plan, Step.CUTOVER, null, StepListener.NONE);

        as(db, "app-v2", "UPDATE users SET email = 'ok@x' WHERE id = 1");
        as(db, "app-v2", "INSERT INTO users (id, email) VALUES (1001, 'n@x')");
        assertThatThrownBy(() -> as(db, "legacy-worker", "UPDATE users SET full_name = 'late' WHERE id = 4"))
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("public.users: this storage is retired: migration ns/reject cut over");
        assertThat(TestDatabase.query(db, "SELECT full_name FROM users WHERE id = 4")).isEqualTo("name 4");
    }

    @Test
    void aSwapIsWatchedOnTheTableThatWasOldEvenAfterItsRename() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("pnr_swap");
        TestDatabase.exec(db, "CREATE TABLE events (id bigint PRIMARY KEY, payload text); "
                + "INSERT INTO events SELECT g, 'p' || g FROM generate_series(1, 100) g");
        SchemaMigrationSpec spec = Specs.of("CREATE TABLE events_new (id bigint PRIMARY KEY, payload text)", null, null, null);
        spec.setSync(List.of(SyncSpecs.entry("events", "events", List.of("id"), null, "events_new", List.of("id"),
                Map.of("id", "id", "payload", "payload"))));
        spec.setCutover(new CutoverSpec("ALTER TABLE events RENAME TO events_old; ALTER TABLE events_new RENAME TO events"));
        spec.setContract(new ContractSpec("DROP TABLE events_old"));
        spec.setVerify(new VerifySpec());
        MigrationPlan plan = Planner.plan("ns", "swap", spec);
        MigrationEngine engine = verified(db, plan);
        engine.apply(plan, Step.CUTOVER, null, StepListener.NONE);

        as(db, "app-v2", "INSERT INTO events VALUES (500, 'new'); DELETE FROM events WHERE id = 1");
        assertThat(engine.oldStorage(plan).writes()).as("the new table under the old name is not watched").isZero();
        as(db, "legacy", "DELETE FROM events_old WHERE id = 7");
        as(db, "legacy", "INSERT INTO events_old VALUES (900, 'x')");
        OldStorageState old = engine.oldStorage(plan);
        assertThat(old.writes()).as("the whole table is old storage: deletes count").isEqualTo(2);
        assertThat(old.lastTable()).isEqualTo("public.events_old");

        engine.apply(plan, Step.CONTRACT, null, StepListener.NONE);
        assertNothingOfTandemButTheLedger(db, plan);
        as(db, "app-v2", "INSERT INTO events VALUES (501, 'after contract')");
    }

    @Test
    void aSwappedTableThatContractDropsUnderItsNewNameCountsDeletesThoughColumnsStayBehind() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("pnr_swap_drop");
        TestDatabase.exec(db, "CREATE TABLE events (id bigint PRIMARY KEY, payload text, title text); "
                + "INSERT INTO events SELECT g, 'p' || g, 't' || g FROM generate_series(1, 100) g");
        SchemaMigrationSpec spec = Specs.of("CREATE TABLE events_new (id bigint PRIMARY KEY, payload text)", null, null, null);
        spec.setSync(List.of(SyncSpecs.entry("events", "events", List.of("id"), null, "events_new", List.of("id"),
                Map.of("id", "id", "payload", "payload"))));
        spec.setCutover(new CutoverSpec("ALTER TABLE events RENAME TO events_old; ALTER TABLE events_new RENAME TO events"));
        spec.setContract(new ContractSpec("DROP TABLE events_old"));
        spec.setVerify(new VerifySpec());
        MigrationPlan plan = Planner.plan("ns", "swapdrop", spec);
        MigrationEngine engine = verified(db, plan);
        engine.apply(plan, Step.CUTOVER, null, StepListener.NONE);

        as(db, "legacy", "DELETE FROM events_old WHERE id = 7");
        as(db, "legacy", "UPDATE events_old SET title = 'not migrated' WHERE id = 8");
        OldStorageState old = engine.oldStorage(plan);
        assertThat(old.writes()).as("title is not migrated, but contract drops the whole table: the delete counts, "
                + "the title update does not").isEqualTo(1);
        assertThat(old.lastOp()).isEqualTo("DELETE");
        assertThat(old.lastTable()).isEqualTo("public.events_old");
    }

    @Test
    void contractLeavesNothingOfTandemButTheLedger() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("pnr_clean");
        TestDatabase.exec(db, USERS);
        MigrationPlan plan = Planner.plan("ns", "clean", moveName("clean", OldStorageMode.Watch,
                "ALTER TABLE users ALTER COLUMN full_name DROP NOT NULL", "ALTER TABLE users DROP COLUMN full_name"));
        MigrationEngine engine = verified(db, plan);
        engine.apply(plan, Step.CUTOVER, null, StepListener.NONE);
        as(db, "legacy", "UPDATE users SET full_name = 'late' WHERE id = 4");
        StepResult contract = engine.apply(plan, Step.CONTRACT, null, StepListener.NONE);
        assertThat(contract.applied()).isTrue();
        assertThat(TestDatabase.columnExists(db, "users", "full_name")).isFalse();
        assertNothingOfTandemButTheLedger(db, plan);
        assertThat(engine.state(plan.key()).settledPhase()).isEqualTo(dev.tandem.api.v1alpha1.Phase.Contracted);
        assertThat(engine.oldStorage(plan).writes()).isZero();
        as(db, "app-v2", "INSERT INTO users (id, email) VALUES (2000, 'z@x'); UPDATE users SET email = 'q' WHERE id = 5");
        assertThat(engine.apply(plan, Step.CONTRACT, null, StepListener.NONE).applied()).as("exactly once").isFalse();
    }

    @Test
    void anotherMigrationInFlightKeepsTheWorkTables() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("pnr_two");
        TestDatabase.exec(db, USERS + "; CREATE TABLE t (id int PRIMARY KEY)");
        MigrationPlan plan = Planner.plan("ns", "first", moveName("first", OldStorageMode.Watch,
                "ALTER TABLE users ALTER COLUMN full_name DROP NOT NULL", null));
        MigrationEngine engine = verified(db, plan);
        MigrationPlan other = Planner.plan("ns", "second", Specs.of("ALTER TABLE t ADD COLUMN b int", null, null, null));
        engine.apply(other, Step.EXPAND, null, StepListener.NONE);
        engine.apply(plan, Step.CUTOVER, null, StepListener.NONE);
        engine.apply(plan, Step.CONTRACT, null, StepListener.NONE);
        assertThat(TestDatabase.query(db, "SELECT to_regclass('tandem." + TrackingSql.VERIFY_PASSES + "') IS NOT NULL"))
                .isEqualTo(true);
        assertThat(count(db, "SELECT count(*) FROM tandem.verify_passes WHERE migration = 'ns/first'")).isZero();
        engine.apply(other, Step.BACKFILL, null, StepListener.NONE);
    }

    static void assertNothingOfTandemButTheLedger(DatabaseTarget db, MigrationPlan plan) throws SQLException {
        dev.tandem.testing.TandemCatalog.assertNothingOfTandemButTheLedger(db, plan.key());
    }

    @Test
    void aCutoverThatFailsLeavesTheSyncInPlaceAndSaysSoTruthfully() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("pnr_atomic");
        TestDatabase.exec(db, USERS);
        MigrationPlan plan = Planner.plan("ns", "atomic", moveName("atomic", OldStorageMode.Watch,
                "ALTER TABLE users ALTER COLUMN full_name DROP NOT NULL; ALTER TABLE no_such_table ADD COLUMN x int", null));
        MigrationEngine engine = verified(db, plan);
        assertThatThrownBy(() -> engine.apply(plan, Step.CUTOVER, null, StepListener.NONE))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.reason()).isEqualTo(Reason.SqlError))
                .hasMessageContaining("no_such_table");
        assertThat(engine.state(plan.key()).pastPointOfNoReturn()).isFalse();
        assertThat(TestDatabase.columnNullable(db, "users", "full_name")).isFalse();
        as(db, "app", "INSERT INTO users VALUES (3000, 'a@x', 'after the failed cutover')");
        assertThat(TestDatabase.query(db, "SELECT full_name FROM users_pii WHERE user_id = 3000"))
                .as("still synced").isEqualTo("after the failed cutover");
        assertThat(count(db, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'tandem_watch%'")).isZero();
    }

    @Test
    void aFailingContractCanBeChangedAfterCutover() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("pnr_revise");
        TestDatabase.exec(db, USERS);
        MigrationPlan plan = Planner.plan("ns", "revise", moveName("revise", OldStorageMode.Watch,
                "ALTER TABLE users ALTER COLUMN full_name DROP NOT NULL", "ALTER TABLE users DROP COLUMN no_such_column"));
        MigrationEngine engine = verified(db, plan);
        engine.apply(plan, Step.CUTOVER, null, StepListener.NONE);
        assertThatThrownBy(() -> engine.apply(plan, Step.CONTRACT, null, StepListener.NONE))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.reason()).isEqualTo(Reason.SqlError));
        assertThat(count(db, "SELECT count(*) FROM pg_trigger WHERE tgname LIKE 'tandem_watch%'"))
                .as("the failed contract rolled back: the watch is still there").isPositive();

        MigrationPlan changedCutover = Planner.plan("ns", "revise", moveName("revise", OldStorageMode.Watch,
                "SELECT 1", "ALTER TABLE users DROP COLUMN full_name"));
        assertThatThrownBy(() -> engine.apply(changedCutover, Step.CONTRACT, null, StepListener.NONE))
                .as("only contract may change").isInstanceOfSatisfying(EngineException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.PlanMismatch));

        MigrationPlan revised = Planner.plan("ns", "revise", moveName("revise", OldStorageMode.Watch,
                "ALTER TABLE users ALTER COLUMN full_name DROP NOT NULL", "ALTER TABLE users DROP COLUMN full_name"));
        assertThat(revised.baseHash()).isEqualTo(plan.baseHash());
        engine.apply(revised, Step.CONTRACT, null, StepListener.NONE);
        assertThat(engine.state(plan.key()).planHash()).isEqualTo(revised.hash());
        assertThat(TestDatabase.columnExists(db, "users", "full_name")).isFalse();
    }

    @Test
    void aCutoverBehindALongTransactionNeverHoldsTheApplicationLongerThanLockTimeout() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("pnr_lock");
        TestDatabase.exec(db, USERS);
        MigrationPlan plan = Planner.plan("ns", "lock", moveName("lock", OldStorageMode.Watch,
                "ALTER TABLE users ALTER COLUMN full_name DROP NOT NULL", null));
        verified(db, plan);
        MigrationEngine patient = new MigrationEngine(db, EngineSettings.defaults("test")
                .withTimeouts(Duration.ofMillis(200), Duration.ofSeconds(30))
                .withRetries(1000, Duration.ofMillis(20), Duration.ofMillis(50)));
        try (Connection blocker = db.connect("long-report")) {
            blocker.setAutoCommit(false);
            try (Statement s = blocker.createStatement()) {
                s.execute("UPDATE users SET email = 'held' WHERE id = 1"); // holds ROW EXCLUSIVE on users
            }
            CompletableFuture<StepResult> cutover = CompletableFuture.supplyAsync(() -> {
                try {
                    return patient.apply(plan, Step.CUTOVER, null, StepListener.NONE);
                } catch (EngineException e) {
                    throw new IllegalStateException(e);
                }
            });
            await().atMost(Duration.ofSeconds(10)).until(() -> count(db, "SELECT count(*) FROM pg_stat_activity "
                    + "WHERE application_name LIKE 'tandem-test%' AND wait_event_type = 'Lock'") > 0);
            // application writes queue behind the waiting cutover at most lockTimeout, while the blocker still holds
            for (int i = 0; i < 5; i++) {
                CompletableFuture<Void> write = CompletableFuture.runAsync(() -> {
                    try {
                        as(db, "app", "UPDATE users SET email = 'w' WHERE id = 10");
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
                write.get(5, TimeUnit.SECONDS);
            }
            assertThat(cutover).isNotDone();
            blocker.commit();
            assertThat(cutover.get(30, TimeUnit.SECONDS).applied()).isTrue();
        }
    }
}
