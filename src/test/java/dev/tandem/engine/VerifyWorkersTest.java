package dev.tandem.engine;

import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import dev.tandem.plan.VerifyTuning;
import dev.tandem.testing.Specs;
import dev.tandem.testing.SyncSpecs;
import dev.tandem.testing.TestDatabase;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * Several workers share a pass: every chunk is compared once by one of them, every planted
 * divergence is still found, and the chunks cut from a sample of the keys cover every row.
 */
class VerifyWorkersTest {
    static Verifier verifier(DatabaseTarget db, int chunk, int workers) {
        return new Verifier(db, EngineSettings.defaults("test"),
                VerifyTuning.defaults().withChunkSize(chunk).withParallelism(workers));
    }

    /** 3,000 users backfilled, user 1234's name drifted in the new table. */
    private static DatabaseTarget drifted(String name, MigrationPlan plan) throws Exception {
        DatabaseTarget db = VerifierTest.backfilledUsers(name, 3_000, plan);
        VerifierTest.plant(db, "UPDATE users_pii SET full_name = 'drift' WHERE user_id = 1234");
        return db;
    }

    @Test
    void threeWorkersFindEveryPlantedDivergenceWithItsKey() throws Exception {
        MigrationPlan plan = VerifierTest.usersPlan();
        DatabaseTarget db = VerifierTest.backfilledUsers("vw_planted", 5_000, plan);
        assertThat(verifier(db, 400, 3).run(plan, 1, "", Verifier.Listener.NONE).result()).isEqualTo(VerifyState.PASSED);
        VerifierTest.plant(db, "DELETE FROM users_pii WHERE user_id = 17");
        VerifierTest.plant(db, "INSERT INTO users_pii VALUES (999999, 'ghost', NULL, now())");
        VerifierTest.plant(db, "UPDATE users_pii SET nickname = '' WHERE user_id = 3");
        VerifierTest.plant(db, "UPDATE users_pii SET created_at = date_trunc('second', created_at) WHERE user_id = 2101");
        VerifierTest.plant(db, "UPDATE users_pii SET full_name = 'late' WHERE user_id = 4999");

        VerifyState s = verifier(db, 400, 3).run(plan, 2, "", Verifier.Listener.NONE);

        assertThat(s.result()).isEqualTo(VerifyState.FAILED);
        assertThat(VerifierTest.recorded(db, 2)).containsExactly("full-name different user_id=2101",
                "full-name different user_id=3", "full-name different user_id=4999", "full-name extra user_id=999999",
                "full-name missing user_id=17");
        assertThat(s.rowsWalked()).isEqualTo(5_000);
        assertThat(s.chunksDone()).as("bounds every 400 keys, and the chunk after the last bound").isEqualTo(13);
        assertThat(TestDatabase.query(db, "SELECT count(*) FROM tandem.verify_chunks"))
                .as("a finished pass forgets its chunks").isEqualTo(0L);
    }

    @Test
    void eachWorkerOfAnIndexedJobComparesItsShareAndTheLastOneEndsThePass() throws Exception {
        MigrationPlan plan = VerifierTest.usersPlan();
        DatabaseTarget db = drifted("vw_indexed", plan);
        Verifier v = verifier(db, 300, 2);

        VerifyState afterFirst = v.runWorker(plan, 1, "", 1, 2, Verifier.Listener.NONE);
        assertThat(afterFirst.running()).as("worker 0 has not compared its chunks yet").isTrue();
        assertThat(afterFirst.rowsWalked()).as("chunks 1, 3, 5, 7, 9 of 300 rows").isEqualTo(1_500);
        assertThat(TestDatabase.query(db, "SELECT count(*) FILTER (WHERE done) || '/' || count(*) FROM tandem.verify_chunks"))
                .isEqualTo("5/11");
        assertThat(v.runWorker(plan, 1, "", 1, 2, Verifier.Listener.NONE).rowsWalked())
                .as("a worker run again finds its chunks compared").isEqualTo(1_500);

        VerifyState end = v.runWorker(plan, 1, "", 0, 2, Verifier.Listener.NONE);
        assertThat(end.running()).isFalse();
        assertThat(end.result()).isEqualTo(VerifyState.FAILED);
        assertThat(end.rowsWalked()).isEqualTo(3_000);
        assertThat(end.samples()).containsExactly("full-name different user_id=1234");
    }

    @Test
    void aWorkerDoneWithItsShareHelpsARunningWorkerExceptWithTheChunkItHolds() throws Exception {
        MigrationPlan plan = VerifierTest.usersPlan();
        DatabaseTarget db = drifted("vw_help", plan);
        Verifier v = verifier(db, 300, 2);
        Ledger ledger = new Ledger(EngineSettings.defaults("test").trackingSchema());

        // Worker 0 runs and compares chunk 4 (user ids 1201 to 1500): it holds its presence and that chunk.
        try (Connection worker0 = db.connect("worker-0")) {
            assertThat(ledger.trySessionLock(worker0, ChunkClaims.presence(plan, 1, 0, 2))).isTrue();
            assertThat(ledger.trySessionLock(worker0, ChunkClaims.chunk(plan, 1, plan.sync().get(0), 4))).isTrue();

            VerifyState helped = v.runWorker(plan, 1, "", 1, 2, Verifier.Listener.NONE);

            assertThat(helped.running()).as("chunk 4 is not compared yet").isTrue();
            assertThat(helped.rowsWalked()).as("its own chunks and worker 0's others, of 300 rows each").isEqualTo(2_700);
            assertThat(TestDatabase.query(db, "SELECT string_agg(chunk::text, ',') FROM tandem.verify_chunks WHERE NOT done"))
                    .isEqualTo("4");
        }

        VerifyState end = v.runWorker(plan, 1, "", 0, 2, Verifier.Listener.NONE);
        assertThat(end.running()).isFalse();
        assertThat(end.rowsWalked()).isEqualTo(3_000);
        assertThat(end.samples()).containsExactly("full-name different user_id=1234");
    }

    @Test
    void chunksCutFromASampleOfACompositeKeyCoverEveryRowOnce() throws Exception {
        SchemaMigrationSpec spec = Specs.of("CREATE TABLE items_v2 (tenant text, n int, ref uuid NOT NULL, qty smallint, "
                + "label varchar(20), PRIMARY KEY (tenant, n))", null, null, null);
        spec.setSync(List.of(SyncSpecs.entry("items", "items", List.of("tenant", "n"), null, "items_v2",
                List.of("tenant", "n"), Map.of("tenant", "tenant", "n", "n", "ref", "ref", "qty", "qty", "label", "label"))));
        MigrationPlan plan = Planner.plan("ns", "composite", spec);
        DatabaseTarget db = TestDatabase.fresh("vw_sample");
        // n sorts differently as text ('10' < '9'): the bounds must be compared in the key's own types.
        TestDatabase.exec(db, "CREATE TABLE items (tenant text, n int, ref uuid NOT NULL, qty smallint, label varchar(20), "
                + "PRIMARY KEY (tenant, n)); INSERT INTO items SELECT t, g, md5(t || g)::uuid, (g % 300)::smallint, "
                + "CASE WHEN g % 7 = 0 THEN NULL ELSE 'l' || g END FROM unnest(ARRAY['alpha', 'beta', 'gamma']) t, "
                + "generate_series(1, 40000) g ORDER BY md5(t || g); ANALYZE items");
        VerifierTest.expandAndBackfill(db, plan);

        // 15,000 rows per chunk is more than a sample keeps per chunk: the bounds come from a sample of the pages.
        VerifyState clean = new Verifier(db, EngineSettings.defaults("test"), VerifyTuning.defaults().withChunkSize(15_000)
                .withParallelism(2).withWholeTableRows(0)).run(plan, 1, "", Verifier.Listener.NONE);
        assertThat(clean.result()).as(clean.describe()).isEqualTo(VerifyState.PASSED);
        assertThat(clean.rowsWalked()).isEqualTo(120_000);
        assertThat((double) clean.chunksDone()).isCloseTo(9, within(3.0));

        VerifierTest.plant(db, "UPDATE items_v2 SET label = 'l9 ' WHERE tenant = 'beta' AND n = 9; "
                + "UPDATE items_v2 SET qty = 1 WHERE tenant = 'gamma' AND n = 40000; "
                + "UPDATE items_v2 SET ref = md5('x')::uuid WHERE tenant = 'alpha' AND n = 10; "
                + "UPDATE items_v2 SET label = NULL WHERE tenant = 'alpha' AND n = 20000");
        VerifyState s = verifier(db, 15_000, 2).run(plan, 2, "", Verifier.Listener.NONE);
        assertThat(s.rowsWalked()).isEqualTo(120_000);
        assertThat(VerifierTest.recorded(db, 2)).containsExactly("items different tenant=alpha, n=10",
                "items different tenant=alpha, n=20000", "items different tenant=beta, n=9",
                "items different tenant=gamma, n=40000");
    }

    @Test
    void aComputedNumericOfADeclaredScaleIsComparedByValueAndEveryChangeOfItIsFound() throws Exception {
        SchemaMigrationSpec spec = Specs.of("CREATE TABLE orders_v2 (id bigint PRIMARY KEY, total numeric(12,2), "
                + "ratio numeric)", null, null, null);
        spec.setSync(List.of(SyncSpecs.entry("totals", "orders", List.of("id"), null, "orders_v2", List.of("id"),
                Map.of("id", "id", "total", "qty * price", "ratio", "price / 4"))));
        MigrationPlan plan = Planner.plan("ns", "numeric", spec);
        DatabaseTarget db = TestDatabase.fresh("vw_numeric");
        TestDatabase.exec(db, "CREATE TABLE orders (id bigint PRIMARY KEY, qty int, price numeric(10,2)); "
                + "INSERT INTO orders SELECT g, CASE WHEN g % 11 = 0 THEN NULL ELSE g % 7 END, (g % 1000) / 10.0 "
                + "FROM generate_series(1, 3000) g; ANALYZE orders");
        VerifierTest.expandAndBackfill(db, plan);
        VerifyState clean = verifier(db, 500, 2).run(plan, 1, "", Verifier.Listener.NONE);
        assertThat(clean.result()).as(clean.describe()).isEqualTo(VerifyState.PASSED);

        // A cent off, a NULL for a zero, a zero for a NULL, and (unconstrained numeric) 1.0 where f(old) gives 1.00.
        VerifierTest.plant(db, "UPDATE orders_v2 SET total = total + 0.01 WHERE id = 5; "
                + "UPDATE orders_v2 SET total = NULL WHERE id = 7; UPDATE orders_v2 SET total = 0 WHERE id = 11; "
                + "UPDATE orders_v2 SET ratio = 1.0 WHERE id = 40");
        assertThat(TestDatabase.query(db, "SELECT (price / 4)::text FROM orders WHERE id = 40")).isEqualTo("1.00000000000000000000");
        VerifyState s = verifier(db, 500, 2).run(plan, 2, "", Verifier.Listener.NONE);
        assertThat(VerifierTest.recorded(db, 2)).containsExactly("totals different id=11", "totals different id=40",
                "totals different id=5", "totals different id=7");
    }

    @Test
    void rowsWhoseExpressionsRaiseAreErrorsByKeyAndEveryOtherRowIsCompared() throws Exception {
        SchemaMigrationSpec spec = Specs.of("CREATE TABLE payloads (event_id bigint PRIMARY KEY, body jsonb)", null, null, null);
        spec.setSync(List.of(SyncSpecs.entry("payload", "events", List.of("id"), null, "payloads", List.of("event_id"),
                Map.of("event_id", "id", "body", "data::jsonb"))));
        MigrationPlan plan = Planner.plan("ns", "errors", spec);
        DatabaseTarget db = TestDatabase.fresh("vw_errors");
        TestDatabase.exec(db, "CREATE TABLE events (id bigint PRIMARY KEY, data text); INSERT INTO events "
                + "SELECT g, '{\"n\": ' || g || '}' FROM generate_series(1, 3000) g; ANALYZE events");
        VerifierTest.expandAndBackfill(db, plan);
        VerifierTest.plant(db, "UPDATE events SET data = 'not json' WHERE id IN (17, 2500); "
                + "UPDATE payloads SET body = '{}' WHERE event_id = 1800");

        VerifyState s = verifier(db, 500, 2).run(plan, 1, "", Verifier.Listener.NONE);

        assertThat(s.rowsWalked()).isEqualTo(3_000);
        assertThat(s.different()).isEqualTo(3);
        assertThat(VerifierTest.recorded(db, 1)).hasSize(3)
                .anySatisfy(m -> assertThat(m).startsWith("payload error id=17: invalid input syntax for type json"))
                .anySatisfy(m -> assertThat(m).startsWith("payload error id=2500: invalid input syntax for type json"))
                .contains("payload different event_id=1800");
    }

    @Test
    void twoWorkersUnderConcurrentWritesRaiseNoFalseAlarm() throws Exception {
        MigrationPlan plan = BackfillTest.usersPlan();
        DatabaseTarget db = BackfillTest.usersWithRows("vw_writes", 30_000);
        MigrationEngine engine = EngineStepTest.engine(db);
        engine.apply(plan, Step.EXPAND, null, StepListener.NONE);
        List<VerifyState> passes = new ArrayList<>();
        try (BackfillTest.Writers writers = new BackfillTest.Writers(db, 3, 30_000)) {
            BackfillTest.runShards(db, BackfillTuning.defaults(), plan, 1);
            engine.apply(plan, Step.BACKFILL, null, StepListener.NONE);
            for (int pass = 1; pass <= 4; pass++) {
                // Odd passes compare the table whole (one snapshot), even ones chunk by chunk (a snapshot each).
                Verifier v = pass % 2 == 1 ? verifier(db, 1_000 + 700 * pass, 2)
                        : new Verifier(db, EngineSettings.defaults("test"), VerifyTuning.defaults()
                        .withChunkSize(1_000 + 700 * pass).withParallelism(2).withWholeTableRows(0));
                passes.add(v.run(plan, pass, "", Verifier.Listener.NONE));
            }
            assertThat(writers.writes.get()).isGreaterThan(100);
        }
        assertThat(passes).allSatisfy(p -> {
            assertThat(p.result()).as(p.describe()).isEqualTo(VerifyState.PASSED);
            assertThat(p.rowsChecked()).isGreaterThan(20_000);
        });
        for (int i = 0; i < passes.size(); i++) {
            // A whole pass's two sides always agree in its snapshot: falling back to chunks would be a false difference.
            assertThat(passes.get(i).chunksDone()).as("pass " + (i + 1)).isEqualTo(i % 2 == 0 ? 1 : passes.get(i).chunksDone());
            if (i % 2 == 1) {
                assertThat(passes.get(i).chunksDone()).as("pass " + (i + 1) + ", chunk by chunk").isGreaterThan(1);
            }
        }
    }
}
