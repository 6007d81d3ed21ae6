package dev.tandem.engine;

import dev.tandem.api.v1alpha1.Reason;

import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.api.v1alpha1.SyncSpec;
import dev.tandem.api.v1alpha1.VerifySpec;
import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import dev.tandem.api.v1alpha1.Step;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** Verification finds every planted divergence, with its key, and never a false one. */
class VerifierTest {
    static final String USERS = "CREATE TABLE users (id bigint PRIMARY KEY, email text, full_name text, nickname text, "
            + "created_at timestamptz NOT NULL DEFAULT now())";
    static final String PII = "CREATE TABLE users_pii (user_id bigint PRIMARY KEY, full_name text NOT NULL, nickname text, "
            + "created_at timestamptz NOT NULL)";

    static MigrationPlan usersPlan() {
        return usersPlan(List.of());
    }

    static MigrationPlan usersPlan(List<VerifySpec.VerifyCheck> checks) {
        SchemaMigrationSpec spec = Specs.of(PII, null, null, null);
        spec.setSync(List.of(SyncSpecs.entry("full-name", "users", List.of("id"), "full_name IS NOT NULL", "users_pii",
                List.of("user_id"), Map.of("user_id", "id", "full_name", "full_name", "nickname", "nickname",
                        "created_at", "created_at"))));
        VerifySpec verify = new VerifySpec();
        verify.setChecks(checks);
        spec.setVerify(verify);
        return Planner.plan("ns", "verify", spec);
    }

    /** Users 1..rows (every 10th without full_name), expanded, backfilled, Backfilled committed. */
    static DatabaseTarget backfilledUsers(String name, int rows, MigrationPlan plan) throws Exception {
        DatabaseTarget db = TestDatabase.fresh(name);
        TestDatabase.exec(db, USERS + "; INSERT INTO users SELECT g, 'u' || g || '@x', "
                + "CASE WHEN g % 10 = 0 THEN NULL ELSE 'name ' || g END, CASE WHEN g % 3 = 0 THEN NULL ELSE 'n' || g END, "
                + "'2024-01-01'::timestamptz + g * interval '1.234567 second' FROM generate_series(1, " + rows + ") g; "
                + "ANALYZE users");
        expandAndBackfill(db, plan);
        return db;
    }

    /** Expands the plan, backfills every entry and commits Backfilled. */
    static void expandAndBackfill(DatabaseTarget db, MigrationPlan plan) throws Exception {
        MigrationEngine engine = EngineStepTest.engine(db);
        engine.apply(plan, Step.EXPAND, null, StepListener.NONE);
        new Backfiller(db, EngineSettings.defaults("test"), BackfillTuning.defaults()).run(plan, 0, 1, Backfiller.Listener.NONE);
        engine.apply(plan, Step.BACKFILL, null, StepListener.NONE);
    }

    /** Runs SQL with the sync triggers off, as a bug or a manual fix outside the migration would. */
    static void plant(DatabaseTarget db, String sql) {
        TestDatabase.exec(db, "SET session_replication_role = replica; " + sql + "; SET session_replication_role = origin");
    }

    static Verifier verifier(DatabaseTarget db, int chunk) {
        return new Verifier(db, EngineSettings.defaults("test"), VerifyTuning.defaults().withChunkSize(chunk));
    }

    /** A verifier that compares every entry chunk by chunk, however small. */
    static Verifier chunked(DatabaseTarget db, int chunk) {
        return new Verifier(db, EngineSettings.defaults("test"),
                VerifyTuning.defaults().withChunkSize(chunk).withWholeTableRows(0));
    }

    /** "entry kind key" of every recorded mismatch of a pass, sorted. */
    static List<String> recorded(DatabaseTarget db, int pass) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = db.connect("test"); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(
                "SELECT entry_name || ' ' || kind || ' ' || key FROM tandem.verify_mismatches WHERE pass = " + pass
                        + " ORDER BY 1")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    @Test
    void plantedDivergencesOfEveryKindAreFoundWithTheirKeys() throws Exception {
        MigrationPlan plan = usersPlan();
        DatabaseTarget db = backfilledUsers("vf_planted", 5_000, plan);
        assertThat(verifier(db, 700).run(plan, 1, "", Verifier.Listener.NONE).result()).isEqualTo(VerifyState.PASSED);
        plant(db, "DELETE FROM users_pii WHERE user_id = 17");                                   // missing in new
        plant(db, "INSERT INTO users_pii VALUES (999999, 'ghost', NULL, now())");                // extra: no old row
        plant(db, "INSERT INTO users_pii VALUES (60, 'wrong partition', NULL, now())");          // old row outside where
        plant(db, "UPDATE users_pii SET full_name = 'changed' WHERE user_id = 23");              // different value
        plant(db, "UPDATE users_pii SET nickname = '' WHERE user_id = 3");                       // '' where old is NULL
        plant(db, "UPDATE users_pii SET nickname = NULL WHERE user_id = 4");                     // NULL where old is text
        plant(db, "UPDATE users_pii SET created_at = date_trunc('second', created_at) WHERE user_id = 53"); // precision
        plant(db, "UPDATE users_pii SET full_name = 'late' WHERE user_id = 4999");               // last chunk

        VerifyState s = verifier(db, 700).run(plan, 2, "", Verifier.Listener.NONE);

        assertThat(s.result()).isEqualTo(VerifyState.FAILED);
        assertThat(s.missing()).isEqualTo(1);
        assertThat(s.extra()).isEqualTo(2);
        assertThat(s.different()).isEqualTo(5);
        assertThat(recorded(db, 2)).containsExactly("full-name different user_id=23", "full-name different user_id=3",
                "full-name different user_id=4", "full-name different user_id=4999", "full-name different user_id=53",
                "full-name extra user_id=60", "full-name extra user_id=999999", "full-name missing user_id=17");
        assertThat(s.rowsWalked()).isEqualTo(5_000);
        assertThat(s.samples()).hasSize(5);
        assertThat(s.describe()).contains("8 mismatched (1 missing in new, 2 extra in new, 5 different)");
        assertThat(TestDatabase.query(db, "SELECT old_row || ' / ' || new_row FROM tandem.verify_mismatches "
                + "WHERE pass = 2 AND key = 'user_id=3'")).asString().contains(",,").contains(",\"\",");
    }

    @Test
    void entriesKeyedOtherwiseAndInPlaceDerivationsAreComparedToo() throws Exception {
        SchemaMigrationSpec spec = Specs.of("CREATE TABLE breeds (id serial PRIMARY KEY, name text UNIQUE NOT NULL); "
                + "ALTER TABLE dogs ADD COLUMN breed_id int REFERENCES breeds(id); "
                + "CREATE TABLE destinations (namespace_id int, name text, category text NOT NULL, config jsonb, "
                + "PRIMARY KEY (namespace_id, name))", null, null, null);
        SyncSpec breeds = SyncSpecs.entry("breeds", "dogs", List.of("id"), "breed IS NOT NULL", "breeds",
                List.of("name"), Map.of("name", "breed"));
        breeds.setOnDelete(SyncSpec.OnDelete.Keep);
        SyncSpec breedId = SyncSpecs.entry("breed-id", "dogs", List.of("id"), null, "dogs", List.of(),
                Map.of("breed_id", "(SELECT b.id FROM breeds b WHERE b.name = dogs.breed)"));
        SyncSpec http = SyncSpecs.entry("http", "http_destinations", List.of("id"), null, "destinations",
                List.of("namespace_id", "name"), Map.of("namespace_id", "namespace_id", "name", "name",
                        "category", "'http'", "config", "jsonb_build_object('url', url)"));
        http.getTo().setWhere("category = 'http'");
        SyncSpec aws = SyncSpecs.entry("aws", "s3_destinations", List.of("id"), null, "destinations",
                List.of("namespace_id", "name"), Map.of("namespace_id", "namespace_id", "name", "name",
                        "category", "'aws'", "config", "jsonb_build_object('bucket', bucket)"));
        aws.getTo().setWhere("category = 'aws'");
        spec.setSync(List.of(breeds, breedId, http, aws));
        MigrationPlan plan = Planner.plan("ns", "shapes", spec);
        DatabaseTarget db = TestDatabase.fresh("vf_shapes");
        TestDatabase.exec(db, "CREATE TABLE dogs (id int PRIMARY KEY, name text, breed text); "
                + "INSERT INTO dogs SELECT g, 'dog ' || g, (ARRAY['poodle', 'pug', 'beagle', NULL])[1 + g % 4] "
                + "FROM generate_series(1, 2000) g; "
                + "CREATE TABLE http_destinations (id int PRIMARY KEY, namespace_id int, name text, url text, UNIQUE (namespace_id, name)); "
                + "CREATE TABLE s3_destinations (id int PRIMARY KEY, namespace_id int, name text, bucket text, UNIQUE (namespace_id, name)); "
                + "INSERT INTO http_destinations SELECT g, g % 50, 'h' || g, 'https://x/' || g FROM generate_series(1, 3000) g; "
                + "INSERT INTO s3_destinations SELECT g, g % 50, 's' || g, 'b' || g FROM generate_series(1, 3000) g; ANALYZE");
        expandAndBackfill(db, plan);
        assertThat(verifier(db, 500).run(plan, 1, "", Verifier.Listener.NONE).result()).isEqualTo(VerifyState.PASSED);

        plant(db, "INSERT INTO breeds (name) VALUES ('unused')");                      // Keep: an extra is fine
        plant(db, "UPDATE dogs SET breed_id = NULL WHERE id = 5");                      // in place: different
        plant(db, "UPDATE dogs SET breed_id = (SELECT id FROM breeds WHERE name = 'pug') WHERE id = 12"); // NULL breed
        plant(db, "UPDATE destinations SET category = 'aws' WHERE namespace_id = 11 AND name = 'h11'"); // wrong partition
        plant(db, "UPDATE destinations SET config = '{\"url\": \"https://y/\"}' WHERE namespace_id = 20 AND name = 'h20'");
        plant(db, "DELETE FROM destinations WHERE namespace_id = 1 AND name = 's1'");
        plant(db, "UPDATE dogs SET breed = 'corgi' WHERE id = 2");                      // a breed never copied

        VerifyState s = verifier(db, 500).run(plan, 2, "", Verifier.Listener.NONE);

        assertThat(recorded(db, 2)).containsExactly(
                "aws extra namespace_id=11, name=h11",
                "aws missing namespace_id=1, name=s1",
                "breed-id different id=12",
                "breed-id different id=2",
                "breed-id different id=5",
                "breeds missing name=corgi",
                "http different namespace_id=20, name=h20",
                "http missing namespace_id=11, name=h11");
        assertThat(s.result()).isEqualTo(VerifyState.FAILED);
    }

    @Test
    void aCleanMigrationUnderConcurrentWritesVerifiesCleanPassAfterPass() throws Exception {
        MigrationPlan plan = BackfillTest.usersPlan();
        DatabaseTarget db = BackfillTest.usersWithRows("vf_clean", 40_000);
        MigrationEngine engine = EngineStepTest.engine(db);
        engine.apply(plan, Step.EXPAND, null, StepListener.NONE);
        List<VerifyState> passes = new ArrayList<>();
        try (BackfillTest.Writers writers = new BackfillTest.Writers(db, 3, 40_000)) {
            BackfillTest.runShards(db, BackfillTuning.defaults(), plan, 1);
            engine.apply(plan, Step.BACKFILL, null, StepListener.NONE);
            for (int pass = 1; pass <= 8; pass++) {
                // Odd passes compare the table whole (one snapshot), even ones chunk by chunk (a snapshot each).
                Verifier v = pass % 2 == 1 ? verifier(db, 1 + ThreadLocalRandom.current().nextInt(200, 5000))
                        : chunked(db, 1 + ThreadLocalRandom.current().nextInt(200, 5000));
                passes.add(v.run(plan, pass, "",
                        Verifier.Listener.NONE));
            }
            assertThat(writers.writes.get()).isGreaterThan(100);
            System.out.println("verification under writes: " + writers.writes.get() + " concurrent writes during "
                    + passes.size() + " passes");
        }
        assertThat(passes).allSatisfy(p -> {
            assertThat(p.result()).as(p.describe()).isEqualTo(VerifyState.PASSED);
            assertThat(p.mismatches()).isZero();
            assertThat(p.rowsChecked()).isGreaterThan(30_000);
        });
        for (int i = 0; i < passes.size(); i++) {
            // A whole pass's two sides always agree in its snapshot: falling back to chunks would be a false difference.
            assertThat(passes.get(i).chunksDone()).as("pass " + (i + 1)).isEqualTo(i % 2 == 0 ? 1 : passes.get(i).chunksDone());
            if (i % 2 == 1) {
                assertThat(passes.get(i).chunksDone()).as("pass " + (i + 1) + ", chunk by chunk").isGreaterThan(1);
            }
        }
        assertThat(passes.get(passes.size() - 1).consecutivePassed()).isEqualTo(8);
        assertThat(engine.apply(plan, Step.VERIFY, null, StepListener.NONE).applied()).isTrue();
    }

    @Test
    void aPassKilledThreeTimesResumesAndCountsEveryRowOnce() throws Exception {
        MigrationPlan plan = usersPlan();
        DatabaseTarget db = backfilledUsers("vf_kill", 200_000, plan);
        plant(db, "DELETE FROM users_pii WHERE user_id IN (11, 150001)");
        plant(db, "UPDATE users_pii SET full_name = 'x' WHERE user_id = 99999");
        Verifier reader = verifier(db, 500);
        List<Long> walkedAtKill = new ArrayList<>();
        for (int kill = 0; kill < 3; kill++) {
            long before = reader.state(plan).rowsWalked();
            Process child = ChildJvm.start(VerifyInChildProcess.class, db);
            try {
                await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                        .until(() -> reader.state(plan).rowsWalked() > before || !child.isAlive());
                long pause = ThreadLocalRandom.current().nextLong(20, 200);
                await().pollDelay(Duration.ofMillis(pause)).atMost(Duration.ofSeconds(5)).until(() -> true);
            } finally {
                child.destroyForcibly();
                child.waitFor();
            }
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() ->
                    Long.valueOf(0L).equals(TestDatabase.query(db,
                            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tandem-verify'")));
            walkedAtKill.add(reader.state(plan).rowsWalked());
        }
        System.out.println("verification kill: rows walked at each kill " + walkedAtKill);
        assertThat(reader.state(plan).running()).as("killed before finishing every time").isTrue();
        VerifyState s = reader.run(plan, 1, "", Verifier.Listener.NONE);
        assertThat(walkedAtKill).isSorted();
        assertThat(s.rowsWalked()).isEqualTo(200_000);
        assertThat(s.missing()).isEqualTo(2);
        assertThat(s.different()).isEqualTo(1);
        assertThat(s.extra()).isZero();
        assertThat(recorded(db, 1)).containsExactly("full-name different user_id=99999",
                "full-name missing user_id=11", "full-name missing user_id=150001");
        assertThat(reader.run(plan, 1, "", Verifier.Listener.NONE).rowsWalked()).as("a finished pass is not run again")
                .isEqualTo(200_000);
    }

    @Test
    void checksMustReturnTrueAndCannotWrite() throws Exception {
        List<VerifySpec.VerifyCheck> checks = List.of(
                new VerifySpec.VerifyCheck("no-orphans", "SELECT count(*) = 0 FROM users_pii p LEFT JOIN users u "
                        + "ON u.id = p.user_id WHERE u.id IS NULL"),
                new VerifySpec.VerifyCheck("all-named", "SELECT count(*) = 0 FROM users WHERE full_name IS NULL"),
                new VerifySpec.VerifyCheck("broken", "SELECT no_such_column FROM users_pii"),
                new VerifySpec.VerifyCheck("writes", "DELETE FROM users_pii RETURNING true"));
        MigrationPlan plan = usersPlan(checks);
        DatabaseTarget db = backfilledUsers("vf_checks", 300, plan);
        VerifyState s = verifier(db, 1000).run(plan, 1, "", Verifier.Listener.NONE);
        assertThat(s.result()).isEqualTo(VerifyState.FAILED);
        assertThat(s.mismatches()).isZero();
        assertThat(s.failedChecks()).hasSize(3);
        assertThat(s.failedChecks().get(0)).isEqualTo("all-named: returned false");
        assertThat(s.failedChecks().get(1)).isEqualTo("broken: could not run: column \"no_such_column\" does not exist "
                + "(at character 8 of the statement) (SQLSTATE 42703)");
        // Run as a subquery, a statement that writes is not even a query to PostgreSQL's grammar.
        assertThat(s.failedChecks().get(2)).startsWith("writes: could not run: syntax error").endsWith("(SQLSTATE 42601)");
        assertThat(TestDatabase.query(db, "SELECT count(*) FROM users_pii")).isEqualTo(270L);

        MigrationPlan inconclusive = usersPlan(List.of(checks.get(0), checks.get(2)));
        DatabaseTarget db2 = backfilledUsers("vf_checks2", 300, inconclusive);
        assertThat(verifier(db2, 1000).run(inconclusive, 1, "", Verifier.Listener.NONE).result())
                .isEqualTo(VerifyState.INCONCLUSIVE);
    }

    @Test
    void aFailedPassAfterVerifiedWithdrawsItAndCutoverWaitsForACleanPass() throws Exception {
        MigrationPlan plan = usersPlan();
        DatabaseTarget db = backfilledUsers("vf_revoke", 2_000, plan);
        MigrationEngine engine = EngineStepTest.engine(db);
        assertThatThrownBy(() -> engine.apply(plan, Step.VERIFY, null, StepListener.NONE))
                .isInstanceOfSatisfying(EngineException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.VerificationIncomplete));
        assertThat(verifier(db, 500).run(plan, 1, "", Verifier.Listener.NONE).passed()).isTrue();
        assertThat(engine.apply(plan, Step.VERIFY, null, StepListener.NONE).applied()).isTrue();

        plant(db, "UPDATE users_pii SET full_name = 'drift' WHERE user_id = 1234");
        VerifyState failed = verifier(db, 500).run(plan, 2, "", Verifier.Listener.NONE);
        assertThat(failed.result()).isEqualTo(VerifyState.FAILED);
        assertThat(failed.message()).contains("user_id=1234").contains("Verified withdrawn");
        assertThat(engine.state(plan.key()).settledPhase()).isEqualTo(dev.tandem.api.v1alpha1.Phase.Backfilled);
        assertThatThrownBy(() -> engine.apply(plan, Step.CUTOVER, null, StepListener.NONE))
                .isInstanceOf(EngineException.class);
        assertThatThrownBy(() -> engine.apply(plan, Step.VERIFY, null, StepListener.NONE))
                .isInstanceOfSatisfying(EngineException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.VerificationIncomplete));

        plant(db, "UPDATE users_pii SET full_name = 'name 1234' WHERE user_id = 1234");
        assertThat(verifier(db, 500).run(plan, 3, "", Verifier.Listener.NONE).passed()).isTrue();
        assertThat(engine.apply(plan, Step.VERIFY, null, StepListener.NONE).applied()).isTrue();
        assertThat(engine.apply(plan, Step.CUTOVER, null, StepListener.NONE).applied()).isTrue();
        assertThatThrownBy(() -> verifier(db, 500).run(plan, 4, "", Verifier.Listener.NONE))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.getMessage()).contains("cut over"));
    }

    @Test
    void passesRunInOrder() throws Exception {
        MigrationPlan plan = usersPlan();
        DatabaseTarget db = backfilledUsers("vf_order", 100, plan);
        assertThatThrownBy(() -> verifier(db, 500).run(plan, 2, "", Verifier.Listener.NONE))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.getMessage()).contains("the next pass is 1"));
    }
}
