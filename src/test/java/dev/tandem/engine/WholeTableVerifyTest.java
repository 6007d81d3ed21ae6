package dev.tandem.engine;

import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.api.v1alpha1.SyncSpec;
import dev.tandem.plan.CompiledSync;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import dev.tandem.plan.VerifySql;
import dev.tandem.plan.VerifyTuning;
import dev.tandem.testing.ChildJvm;
import dev.tandem.testing.Specs;
import dev.tandem.testing.SyncSpecs;
import dev.tandem.testing.TestDatabase;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * An entry small enough is first compared whole: both tables hashed in one snapshot. A write that
 * commits while the tables are read is not seen by either side, so it raises no alarm and needs no
 * chunk; an entry that differs is compared chunk by chunk, which finds the rows.
 */
class WholeTableVerifyTest {
    static final int USERS = 20_000;
    /** Where the old side's read stops while the test holds the gate's lock. */
    static final long GATE_ROW = 10_000;
    static final int GATE_LOCK = 4242;

    /**
     * users → users_pii, full_name read through gate(): a verification connection reading user
     * {@value #GATE_ROW} waits while someone holds advisory lock {@value #GATE_LOCK}.
     */
    static MigrationPlan gatedPlan() {
        return gatedPlan(false);
    }

    /** The same, with onDelete: Keep when {@code keep}. */
    static MigrationPlan gatedPlan(boolean keep) {
        SchemaMigrationSpec spec = Specs.of(VerifierTest.PII, null, null, null);
        SyncSpec entry = SyncSpecs.entry("full-name", "users", List.of("id"), "full_name IS NOT NULL", "users_pii",
                List.of("user_id"), Map.of("user_id", "id", "full_name", "gate(full_name, id)", "nickname", "nickname",
                        "created_at", "created_at"));
        if (keep) {
            entry.setOnDelete(SyncSpec.OnDelete.Keep);
        }
        spec.setSync(List.of(entry));
        return Planner.plan("ns", "whole", spec);
    }

    /** The statement of the verification connection waiting at the gate. */
    private static String atTheGate(DatabaseTarget db) {
        return (String) TestDatabase.query(db, "SELECT a.query FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
                + "WHERE a.application_name = 'tandem-verify' AND l.locktype = 'advisory' AND NOT l.granted "
                + "AND l.classid = 0 AND l.objid = " + GATE_LOCK + " AND l.objsubid = 1");
    }

    /** Runs a pass in the background. */
    private static CompletableFuture<VerifyState> start(DatabaseTarget db, VerifyTuning tuning, MigrationPlan plan,
                                                        int pass) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return verifier(db, tuning).run(plan, pass, "", Verifier.Listener.NONE);
            } catch (EngineException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    private static DatabaseTarget gatedUsers(String name, MigrationPlan plan) throws Exception {
        DatabaseTarget db = TestDatabase.fresh(name);
        TestDatabase.exec(db, "CREATE FUNCTION gate(v text, id bigint) RETURNS text LANGUAGE plpgsql SET lock_timeout = 0 AS $$ BEGIN "
                + "IF id = " + GATE_ROW + " AND current_setting('application_name') = 'tandem-verify' THEN "
                + "PERFORM pg_advisory_lock_shared(" + GATE_LOCK + "); PERFORM pg_advisory_unlock_shared(" + GATE_LOCK + "); "
                + "END IF; RETURN v; END $$");
        TestDatabase.exec(db, VerifierTest.USERS + "; INSERT INTO users SELECT g, 'u' || g || '@x', "
                + "CASE WHEN g % 10 = 0 THEN NULL ELSE 'name ' || g END, 'n' || g, now() FROM generate_series(1, " + USERS
                + ") g ORDER BY g; ANALYZE users");
        VerifierTest.expandAndBackfill(db, plan);
        return db;
    }

    private static Verifier verifier(DatabaseTarget db, VerifyTuning tuning) {
        return new Verifier(db, EngineSettings.defaults("test"), tuning);
    }

    /** Waits until a verification connection waits for the gate's lock. */
    private static void awaitAtTheGate(DatabaseTarget db) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20)).until(() ->
                (Long) TestDatabase.query(db, "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
                        + "WHERE a.application_name = 'tandem-verify' AND l.locktype = 'advisory' AND NOT l.granted "
                        + "AND l.classid = 0 AND l.objid = " + GATE_LOCK + " AND l.objsubid = 1") == 1L);
    }

    /** What a test does while the pass waits at the gate. */
    private interface AtTheGate {
        void run(String statement, CompletableFuture<VerifyState> pass) throws Exception;
    }

    /**
     * Runs pass 1 with the gate held until {@code atTheGate} has run, given the statement that waits
     * there; returns the pass as it ended.
     */
    private static VerifyState throughTheGate(DatabaseTarget db, MigrationPlan plan, VerifyTuning tuning,
                                              AtTheGate atTheGate) throws Exception {
        try (Connection gate = db.connect("test-gate"); Statement g = gate.createStatement()) {
            g.execute("SELECT pg_advisory_lock(" + GATE_LOCK + ")");
            CompletableFuture<VerifyState> pass = start(db, tuning, plan, 1);
            awaitAtTheGate(db);
            atTheGate.run(atTheGate(db), pass);
            g.execute("SELECT pg_advisory_unlock(" + GATE_LOCK + ")");
            return pass.get(60, TimeUnit.SECONDS);
        }
    }

    private static long chunksPlanned(DatabaseTarget db, int pass) {
        return ((Number) TestDatabase.query(db, "SELECT chunks_planned FROM tandem.verify_progress WHERE pass = " + pass))
                .longValue();
    }

    @Test
    void anEntryUpToTheLimitIsComparedWholeAndOneAboveItOrThatDiffersChunkByChunk() throws Exception {
        MigrationPlan plan = VerifierTest.usersPlan();
        DatabaseTarget db = VerifierTest.backfilledUsers("vw_whole", USERS, plan);

        VerifyState whole = verifier(db, VerifyTuning.defaults()).run(plan, 1, "", Verifier.Listener.NONE);
        assertThat(whole.result()).as(whole.describe()).isEqualTo(VerifyState.PASSED);
        assertThat(whole.rowsWalked()).isEqualTo(USERS);
        assertThat(whole.rowsChecked()).isEqualTo(USERS - USERS / 10);
        assertThat(whole.chunksDone()).as("compared whole").isEqualTo(1);
        assertThat(chunksPlanned(db, 1)).isEqualTo(1);

        VerifyState chunked = verifier(db, VerifyTuning.defaults().withWholeTableRows(USERS / 2))
                .run(plan, 2, "", Verifier.Listener.NONE);
        assertThat(chunked.result()).as(chunked.describe()).isEqualTo(VerifyState.PASSED);
        assertThat(chunked.rowsWalked()).isEqualTo(USERS);
        assertThat(chunked.chunksDone()).as("above the limit: chunk by chunk").isGreaterThan(4);

        VerifierTest.plant(db, "UPDATE users_pii SET full_name = 'drift' WHERE user_id = 7777");
        VerifyState differs = verifier(db, VerifyTuning.defaults()).run(plan, 3, "", Verifier.Listener.NONE);
        assertThat(differs.result()).isEqualTo(VerifyState.FAILED);
        assertThat(differs.rowsWalked()).as("every row counted once, by the chunks").isEqualTo(USERS);
        assertThat(differs.chunksDone()).as("the whole differed: its chunks found the row").isGreaterThan(4);
        assertThat(VerifierTest.recorded(db, 3)).containsExactly("full-name different user_id=7777");
    }

    @Test
    void writesCommittedWhileTheWholeTablesAreReadAreSeenByNeitherSide() throws Exception {
        MigrationPlan plan = gatedPlan();
        DatabaseTarget db = gatedUsers("vw_gate", plan);
        VerifyState s = throughTheGate(db, plan, VerifyTuning.defaults(), (statement, pass) -> {
            assertThat(statement).as("the whole comparison: no key range bound").doesNotContain("$1");
            // The old side is read up to user 10,000 when these commit (each through the sync trigger): rows read
            // already and rows still ahead change, a key moves past every key, a row goes, a row comes.
            TestDatabase.exec(db, "UPDATE users SET full_name = 'changed early' WHERE id = 1");
            TestDatabase.exec(db, "UPDATE users SET full_name = 'changed late' WHERE id = 19000");
            TestDatabase.exec(db, "UPDATE users SET full_name = NULL WHERE id = 19001");
            TestDatabase.exec(db, "UPDATE users SET id = 900000 WHERE id = 2");
            TestDatabase.exec(db, "DELETE FROM users WHERE id = 3");
            TestDatabase.exec(db, "INSERT INTO users (id, full_name) VALUES (950000, 'inserted')");
            assertThat(pass).isNotDone();
        });
        assertThat(s.result()).as(s.describe()).isEqualTo(VerifyState.PASSED);
        assertThat(s.rowsWalked()).as("the rows of the snapshot taken before the writes").isEqualTo(USERS);
        assertThat(s.chunksDone()).as("both sides agreed in one snapshot: no chunk was needed").isEqualTo(1);

        VerifyState after = verifier(db, VerifyTuning.defaults()).run(plan, 2, "", Verifier.Listener.NONE);
        assertThat(after.result()).as(after.describe()).isEqualTo(VerifyState.PASSED);
        assertThat(after.rowsWalked()).isEqualTo(USERS);
        assertThat(after.rowsChecked()).as("19000 and 950000 joined the synced set, 19001 and 3 left it").isEqualTo(USERS - USERS / 10);
        assertThat(TestDatabase.query(db, "SELECT full_name FROM users_pii WHERE user_id = 19000")).isEqualTo("changed late");
    }

    @Test
    void anEntryWhoseNewTableIsAboveTheLimitOrThatKeepsRowsIsComparedChunkByChunkAtOnce() throws Exception {
        MigrationPlan plan = gatedPlan();
        DatabaseTarget db = gatedUsers("vw_big_target", plan);
        // The new table holds more rows than the old one (rows another writer put there): above the limit, it alone.
        VerifierTest.plant(db, "INSERT INTO users_pii SELECT 1000000 + g, 'other', NULL, now() FROM generate_series(1, 5000) g; "
                + "ANALYZE users_pii");
        VerifyState big = throughTheGate(db, plan, VerifyTuning.defaults().withWholeTableRows(USERS + 1_000),
                (statement, pass) -> assertThat(statement).as("a chunk's statement, bound by its key range").contains("$1"));
        assertThat(big.extra()).isEqualTo(5_000);
        assertThat(big.chunksDone()).isGreaterThan(1);

        MigrationPlan keep = gatedPlan(true);
        DatabaseTarget kept = gatedUsers("vw_keep", keep);
        TestDatabase.exec(kept, "DELETE FROM users WHERE id = 5");
        VerifyState s = throughTheGate(kept, keep, VerifyTuning.defaults(),
                (statement, pass) -> assertThat(statement).as("onDelete: Keep: a chunk's statement").contains("$1"));
        assertThat(s.result()).as(s.describe()).isEqualTo(VerifyState.PASSED);
        assertThat(s.chunksDone()).isGreaterThan(1);
    }

    @Test
    void aWorkerWaitsForTheEntryAnotherComparesWholeHoweverShortTheDatabasesLockTimeout() throws Exception {
        MigrationPlan plan = gatedPlan();
        DatabaseTarget db = gatedUsers("vw_gate_wait", plan);
        TestDatabase.exec(db, "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET lock_timeout = %L', current_database(), "
                + "'200ms'); END $$");
        VerifyState s = throughTheGate(db, plan, VerifyTuning.defaults(), (statement, pass) -> {
            // The other worker waits for the entry's lock longer than the database's lock_timeout allows a wait.
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() ->
                    (Long) TestDatabase.query(db, "SELECT count(*) FROM pg_locks l JOIN pg_stat_activity a USING (pid) "
                            + "WHERE a.application_name = 'tandem-verify' AND l.locktype = 'advisory' AND NOT l.granted "
                            + "AND l.classid = " + Ledger.LOCK_CLASS + " AND now() - a.query_start > interval '400 ms'") == 1L
                            || pass.isDone());
            assertThat(pass).as("the waiting worker is still waiting").isNotDone();
        });
        assertThat(s.result()).as(s.describe()).isEqualTo(VerifyState.PASSED);
        assertThat(s.chunksDone()).isEqualTo(1);
    }

    @Test
    void aPassKilledWhileComparingWholeComparesTheEntryAgainAndCountsItOnce() throws Exception {
        MigrationPlan plan = gatedPlan();
        DatabaseTarget db = gatedUsers("vw_gate_kill", plan);
        Verifier reader = verifier(db, VerifyTuning.defaults());
        try (Connection gate = db.connect("test-gate"); Statement g = gate.createStatement()) {
            g.execute("SELECT pg_advisory_lock(" + GATE_LOCK + ")");
            Process child = ChildJvm.start(WholeVerifyInChildProcess.class, db);
            try {
                awaitAtTheGate(db);
            } finally {
                child.destroyForcibly();
                child.waitFor();
            }
            assertThat(reader.state(plan).running()).isTrue();
            assertThat(reader.state(plan).rowsWalked()).isZero();
            // The killed worker's statement still waits at the gate, holding the entry: the resumed pass waits for it.
            CompletableFuture<VerifyState> resumed = start(db, VerifyTuning.defaults(), plan, 1);
            g.execute("SELECT pg_advisory_unlock(" + GATE_LOCK + ")");
            VerifyState s = resumed.get(60, TimeUnit.SECONDS);
            assertThat(s.result()).as(s.describe()).isEqualTo(VerifyState.PASSED);
            assertThat(s.rowsWalked()).isEqualTo(USERS);
            assertThat(s.chunksDone()).isEqualTo(1);
        }
    }

    @Test
    void theWholeTablesAreReadWithThePassesWorkersAsPostgresParallelWorkersWhateverTheServersDefault() throws Exception {
        MigrationPlan plan = VerifierTest.usersPlan();
        DatabaseTarget db = VerifierTest.backfilledUsers("vw_parallel", 2_000, plan);
        // A server that plans no parallel worker of its own, and would take one for any table if allowed.
        TestDatabase.exec(db, "DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET max_parallel_workers_per_gather = 0', "
                + "current_database()); EXECUTE format('ALTER DATABASE %I SET parallel_setup_cost = 0', current_database()); "
                + "EXECUTE format('ALTER DATABASE %I SET parallel_tuple_cost = 0', current_database()); "
                + "EXECUTE format('ALTER DATABASE %I SET min_parallel_table_scan_size = 0', current_database()); END $$");
        CompiledSync entry = plan.sync().get(0);
        try (Connection c = db.connect("test")) {
            VerifySql q = new VerifySql(entry, Catalog.columnTypes(c, entry.target(), VerifySql.compared(entry), entry.name()),
                    Catalog.columnTypes(c, entry.source(), entry.sourceKey(), entry.name()));
            ChunkComparison.Work<String> explain = () -> {
                try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("EXPLAIN " + q.wholeHashes())) {
                    StringBuilder lines = new StringBuilder();
                    while (rs.next()) {
                        lines.append(rs.getString(1)).append('\n');
                    }
                    return lines.toString();
                }
            };
            assertThat(ChunkComparison.inSnapshot(c, "1min", ChunkComparison.Plans.FREE, explain))
                    .as("the server's own setting").doesNotContain("Workers Planned");
            assertThat(ChunkComparison.inSnapshot(c, "1min", ChunkComparison.Plans.FREE, 1, explain))
                    .as("two workers: one of PostgreSQL's beside the backend").contains("Workers Planned: 1")
                    .doesNotContain("Workers Planned: 2");
        }
    }

    /** Runs pass 1 of {@link #gatedPlan()} with the default tuning in a process of its own, to be killed. */
    public static final class WholeVerifyInChildProcess {
        public static void main(String[] args) throws Exception {
            DatabaseTarget db = DatabaseTarget.ofJdbcUrl(args[0], args.length > 1 ? args[1] : null,
                    System.getenv("CHILD_DB_PASSWORD"));
            new Verifier(db, EngineSettings.defaults("child"), VerifyTuning.defaults())
                    .run(gatedPlan(), 1, "", Verifier.Listener.NONE);
        }
    }
}
