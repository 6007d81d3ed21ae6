package dev.tandem.engine;

import dev.tandem.api.v1alpha1.Reason;

import dev.tandem.plan.BackfillTuning;

import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.api.v1alpha1.SyncSpec;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.testing.Specs;
import dev.tandem.testing.SyncSpecs;
import dev.tandem.testing.TestDatabase;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/** The backfill copies every row exactly, while the application writes, and resumes where it stopped. */
class BackfillTest {
    static final String USERS = "CREATE TABLE users (id bigint PRIMARY KEY, email text, full_name text)";
    static final String PII = "CREATE TABLE users_pii (user_id bigint PRIMARY KEY, full_name text NOT NULL)";

    static MigrationPlan usersPlan() {
        SchemaMigrationSpec spec = Specs.of(PII, null, null, null);
        spec.setSync(List.of(SyncSpecs.entry("full-name", "users", List.of("id"), "full_name IS NOT NULL", "users_pii",
                List.of("user_id"), Map.of("user_id", "id", "full_name", "full_name"))));
        return Planner.plan("ns", "backfill", spec);
    }

    /** Rows that differ between the target and f(source), both ways; 0 means equal. */
    static long differences(DatabaseTarget db) {
        return (Long) TestDatabase.query(db, "SELECT count(*) FROM ("
                + "(SELECT id, full_name FROM users WHERE full_name IS NOT NULL EXCEPT SELECT user_id, full_name FROM users_pii)"
                + " UNION ALL "
                + "(SELECT user_id, full_name FROM users_pii EXCEPT SELECT id, full_name FROM users WHERE full_name IS NOT NULL)) d");
    }

    static DatabaseTarget usersWithRows(String name, int rows) {
        DatabaseTarget db = TestDatabase.fresh(name);
        TestDatabase.exec(db, USERS + "; INSERT INTO users SELECT g, 'u' || g || '@x', "
                + "CASE WHEN g % 10 = 0 THEN NULL ELSE 'name ' || g END FROM generate_series(1, " + rows + ") g; ANALYZE users");
        return db;
    }

    /** Inserts, updates (values, keys forward and backward, in and out of where) and deletes users until stopped. */
    static final class Writers implements AutoCloseable {
        final AtomicBoolean running = new AtomicBoolean(true);
        final AtomicLong writes = new AtomicLong();
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final List<Thread> threads = new ArrayList<>();

        Writers(DatabaseTarget db, int count, long maxId) {
            AtomicLong nextId = new AtomicLong(maxId * 10);
            for (int t = 0; t < count; t++) {
                Thread thread = new Thread(() -> {
                    try (Connection c = db.connect("app-writer")) {
                        PreparedStatement insert = c.prepareStatement("INSERT INTO users VALUES (?, 'new', ?)");
                        PreparedStatement update = c.prepareStatement("UPDATE users SET full_name = ? WHERE id = ?");
                        PreparedStatement moveKey = c.prepareStatement("UPDATE users SET id = ? WHERE id = ?");
                        PreparedStatement delete = c.prepareStatement("DELETE FROM users WHERE id = ?");
                        ThreadLocalRandom r = ThreadLocalRandom.current();
                        while (running.get()) {
                            long id = 1 + r.nextLong(maxId);
                            try {
                                switch (r.nextInt(10)) {
                                    case 0, 1 -> {
                                        insert.setLong(1, nextId.incrementAndGet());
                                        insert.setString(2, r.nextInt(5) == 0 ? null : "inserted " + r.nextInt());
                                        insert.executeUpdate();
                                    }
                                    case 2 -> {
                                        // a key moved forward (past every key) or backward (before every key)
                                        long to = nextId.incrementAndGet();
                                        moveKey.setLong(1, r.nextBoolean() ? to : -to);
                                        moveKey.setLong(2, id);
                                        moveKey.executeUpdate();
                                    }
                                    case 3, 4 -> {
                                        delete.setLong(1, id);
                                        delete.executeUpdate();
                                    }
                                    default -> {
                                        update.setString(1, r.nextInt(6) == 0 ? null : "updated " + r.nextInt());
                                        update.setLong(2, id);
                                        update.executeUpdate();
                                    }
                                }
                                writes.incrementAndGet();
                            } catch (java.sql.SQLException e) {
                                if (!"40P01".equals(e.getSQLState())) {
                                    throw e;
                                }
                            }
                        }
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                });
                thread.start();
                threads.add(thread);
            }
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            for (Thread t : threads) {
                t.join(30_000);
            }
            assertThat(errors).isEmpty();
        }
    }

    static Backfiller backfiller(DatabaseTarget db, BackfillTuning tuning) {
        return new Backfiller(db, EngineSettings.defaults("test"), tuning);
    }

    @Test
    void aMillionRowsAreCopiedExactlyWhileWritersInsertUpdateMoveKeysAndDelete() throws Exception {
        int rows = Integer.getInteger("tandem.test.backfillRows", 1_000_000);
        DatabaseTarget db = usersWithRows("bf_million", rows);
        MigrationPlan plan = usersPlan();
        MigrationEngine engine = EngineStepTest.engine(db);
        engine.apply(plan, Step.EXPAND, null, StepListener.NONE);
        long started = System.nanoTime();
        Writers writers = new Writers(db, 3, rows);
        try (writers) {
            runShards(db, BackfillTuning.defaults(), plan, 2);
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        System.out.printf("backfill: %d rows in %.1f s with %d concurrent writes%n", rows, seconds, writers.writes.get());
        assertThat(writers.writes.get()).isGreaterThan(100);
        if (differences(db) != 0) {
            try (Connection c = db.connect("dbg"); var rs = c.createStatement().executeQuery(
                    "SELECT 'src', id::text, full_name FROM (SELECT id, full_name FROM users WHERE full_name IS NOT NULL EXCEPT SELECT user_id, full_name FROM users_pii) a"
                    + " UNION ALL SELECT 'tgt', user_id::text, full_name FROM (SELECT user_id, full_name FROM users_pii EXCEPT SELECT id, full_name FROM users WHERE full_name IS NOT NULL) b")) {
                while (rs.next()) {
                    String id = rs.getString(2);
                    System.out.println("DIFF " + rs.getString(1) + " " + id + " " + rs.getString(3)
                            + " src=" + TestDatabase.query(db, "SELECT row(u.*, u.xmin, u.ctid)::text FROM users u WHERE id = " + id)
                            + " tgt=" + TestDatabase.query(db, "SELECT row(p.*, p.xmin)::text FROM users_pii p WHERE user_id = " + id)
                            + " log=" + TestDatabase.query(db, "SELECT string_agg(key::text || '@' || logged_at, ',') FROM tandem.sync_removals WHERE key[1] = '" + id + "'")
                            + " err=" + TestDatabase.query(db, "SELECT count(*) FROM tandem.sync_errors"));
                }
            }
            System.out.println("DBG entries " + TestDatabase.query(db, "SELECT row(e.*)::text FROM tandem.backfill_entries e"));
            System.out.println("DBG batches " + TestDatabase.query(db, "SELECT string_agg(shard || ':' || first_page || '-' || end_page || ':' || mode || ':' || xid, ' ' ORDER BY xid) FROM tandem.backfill_batch_log"));
        }
        assertThat(differences(db)).isZero();
        BackfillProgress p = backfiller(db, BackfillTuning.defaults()).progress(plan);
        assertThat(p.complete()).isTrue();
        assertThat(p.percent()).isEqualTo(100);
        assertThat(p.rowsProcessed()).isGreaterThanOrEqualTo(rows * 6L / 10);
        assertNoRangeCopiedTwice(db);
        assertThat(engine.apply(plan, Step.BACKFILL, null, StepListener.NONE).applied()).isTrue();
    }

    /** Runs the workers of an Indexed Job side by side, as its pods would. */
    static void runShards(DatabaseTarget db, BackfillTuning tuning, MigrationPlan plan, int shards) throws Exception {
        List<Thread> workers = new ArrayList<>();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        for (int shard = 0; shard < shards; shard++) {
            int s = shard;
            Thread w = new Thread(() -> {
                try {
                    backfiller(db, tuning).run(plan, s, shards, Backfiller.Listener.NONE);
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            w.start();
            workers.add(w);
        }
        for (Thread w : workers) {
            w.join(600_000);
        }
        assertThat(failures).isEmpty();
    }

    static void assertNoRangeCopiedTwice(DatabaseTarget db) {
        // Within a shard, each batch starts where the previous committed one ended: no overlap, no gap; and the
        // batches of a shard cover exactly its page range.
        assertThat(TestDatabase.query(db, "SELECT count(*) FROM (SELECT first_page, lag(end_page) OVER "
                + "(PARTITION BY migration, entry, shard ORDER BY batch) AS prev, batch FROM tandem.backfill_batch_log) b "
                + "WHERE batch > 1 AND first_page IS DISTINCT FROM prev")).isEqualTo(0L);
        assertThat(TestDatabase.query(db, "SELECT count(*) FROM tandem.backfill_shards s WHERE s.next_page <> s.end_page "
                + "OR s.first_page <> coalesce((SELECT min(b.first_page) FROM tandem.backfill_batch_log b WHERE "
                + "(b.migration, b.entry, b.shard) = (s.migration, s.entry, s.shard)), s.first_page)")).isEqualTo(0L);
        assertThat(TestDatabase.query(db, "SELECT coalesce(sum(written), 0) = (SELECT sum(rows_written) FROM "
                + "tandem.backfill_shards) FROM tandem.backfill_batch_log")).isEqualTo(true);
    }

    /** pg_class's figures of users_pii: pages, all-visible pages, estimated rows (-1: never vacuumed nor analyzed). */
    private static String visibility(DatabaseTarget db) {
        return (String) TestDatabase.query(db, "SELECT relpages || '/' || relallvisible || '/' || reltuples::bigint "
                + "FROM pg_class WHERE oid = 'users_pii'::regclass");
    }

    @Test
    void theBackfillLeavesItsTargetVacuumedForTheFirstReader() throws Exception {
        DatabaseTarget db = usersWithRows("bf_vacuum", 20_000);
        MigrationPlan plan = usersPlan();
        EngineStepTest.engine(db).apply(plan, Step.EXPAND, null, StepListener.NONE);
        TestDatabase.exec(db, "ALTER TABLE users_pii SET (autovacuum_enabled = false)"); // only the backfill vacuums
        List<Backfiller.Point> points = new CopyOnWriteArrayList<>();
        backfiller(db, BackfillTuning.defaults()).run(plan, 0, 1, new Backfiller.Listener() {
            @Override
            public void at(Backfiller.Point point, int entry, int shard) {
                points.add(point);
            }
        });
        assertThat(points).containsSubsequence(Backfiller.Point.AFTER_COMMIT, Backfiller.Point.BEFORE_VACUUM,
                Backfiller.Point.AFTER_VACUUM).endsWith(Backfiller.Point.AFTER_VACUUM);
        // Every page all-visible (hint bits set, visibility map written) and the row estimate exact: 18,000 of
        // the 20,000 users have a full_name.
        String[] v = visibility(db).split("/");
        assertThat(Long.parseLong(v[0])).isPositive();
        assertThat(v[1]).isEqualTo(v[0]);
        assertThat(v[2]).isEqualTo("18000");
        assertThat(differences(db)).isZero();
    }

    @Test
    void theClosingVacuumSkipsATableAnotherVacuumHoldsInsteadOfWaiting() throws Exception {
        DatabaseTarget db = usersWithRows("bf_vacuum_skip", 2_000);
        MigrationPlan plan = usersPlan();
        EngineStepTest.engine(db).apply(plan, Step.EXPAND, null, StepListener.NONE);
        TestDatabase.exec(db, "ALTER TABLE users_pii SET (autovacuum_enabled = false)");
        try (Connection other = db.connect("maintenance")) {
            other.setAutoCommit(false);
            List<Throwable> failures = new CopyOnWriteArrayList<>();
            Thread worker = new Thread(() -> {
                try {
                    backfiller(db, BackfillTuning.defaults()).run(plan, 0, 1, new Backfiller.Listener() {
                        @Override
                        public void at(Backfiller.Point point, int entry, int shard) {
                            if (point == Backfiller.Point.BEFORE_VACUUM) {
                                // The lock a VACUUM (or ANALYZE, or CREATE INDEX CONCURRENTLY) holds, taken by
                                // another session right before the closing VACUUM, and held until the test ends.
                                try {
                                    other.createStatement().execute("LOCK TABLE users_pii IN SHARE UPDATE EXCLUSIVE MODE");
                                } catch (java.sql.SQLException e) {
                                    throw new IllegalStateException(e);
                                }
                            }
                        }
                    });
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            worker.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> !worker.isAlive());
            assertThat(failures).isEmpty();
            assertThat(TestDatabase.query(db, "SELECT count(*) FROM pg_locks WHERE relation = 'users_pii'::regclass "
                    + "AND mode = 'ShareUpdateExclusiveLock' AND granted")).isEqualTo(1L);
            other.rollback();
        }
        assertThat(backfiller(db, BackfillTuning.defaults()).progress(plan).complete()).isTrue();
        assertThat(visibility(db)).endsWith("/0/-1"); // skipped: never vacuumed
        assertThat(differences(db)).isZero();
    }

    @Test
    void theBackfillStepCannotCommitBeforeEveryRowIsCopied() throws Exception {
        DatabaseTarget db = usersWithRows("bf_incomplete", 100);
        MigrationPlan plan = usersPlan();
        MigrationEngine engine = EngineStepTest.engine(db);
        engine.apply(plan, Step.EXPAND, null, StepListener.NONE);
        assertThatThrownBy(() -> engine.apply(plan, Step.BACKFILL, null, StepListener.NONE))
                .isInstanceOfSatisfying(EngineException.class,
                        e -> assertThat(e.reason()).isEqualTo(Reason.BackfillIncomplete));
    }

    @Test
    void aLongOpenTransactionPausesTheCopyAndSaysWhy() throws Exception {
        DatabaseTarget db = usersWithRows("bf_throttle", 5_000);
        MigrationPlan plan = usersPlan();
        EngineStepTest.engine(db).apply(plan, Step.EXPAND, null, StepListener.NONE);
        BackfillTuning tuning = new BackfillTuning(100, Duration.ofMillis(200), 0, Duration.ofSeconds(10),
                Duration.ofMillis(500), Duration.ofMillis(50), 1);
        Thread worker;
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        try (Connection old = db.connect("forgotten-session")) {
            old.setAutoCommit(false);
            old.createStatement().executeQuery("SELECT 1").close();
            int pid = ((Number) rowValue(old, "SELECT pg_backend_pid()")).intValue();
            await().atMost(Duration.ofSeconds(10)).until(() -> Boolean.TRUE.equals(TestDatabase.query(db,
                    "SELECT now() - xact_start > interval '700 milliseconds' FROM pg_stat_activity WHERE pid = " + pid)));
            worker = new Thread(() -> {
                try {
                    backfiller(db, tuning).run(plan, 0, 1, Backfiller.Listener.NONE);
                } catch (Throwable e) {
                    failures.add(e);
                }
            });
            worker.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                String reason = backfiller(db, tuning).progress(plan).throttledReason();
                return reason != null && reason.contains("pid " + pid) && reason.contains("maxTransactionAge");
            });
            long before = backfiller(db, tuning).progress(plan).rowsProcessed();
            // While paused nothing moves; wait a few poll rounds and look again.
            await().pollDelay(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).until(() -> true);
            assertThat(backfiller(db, tuning).progress(plan).rowsProcessed()).isEqualTo(before);
            assertThat(before).isLessThan(5_000);
            old.rollback();
        }
        worker.join(60_000);
        assertThat(failures).isEmpty();
        assertThat(backfiller(db, tuning).progress(plan).complete()).isTrue();
        assertThat(backfiller(db, tuning).progress(plan).throttledReason()).isNull();
        assertThat(differences(db)).isZero();
    }

    @Test
    void autoBatchSizeAdaptsAndSkewedKeysSplitEvenlyAcrossWorkers() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("bf_skew");
        // Keys crowd at the low end: a min/max split would give one worker nearly everything.
        TestDatabase.exec(db, USERS + "; INSERT INTO users SELECT g::bigint * g * g, 'x', 'n' FROM generate_series(1, 40000) g;"
                + " ANALYZE users");
        MigrationPlan plan = usersPlan();
        EngineStepTest.engine(db).apply(plan, Step.EXPAND, null, StepListener.NONE);
        BackfillTuning tuning = new BackfillTuning(null, Duration.ofMillis(20), 0, Duration.ofSeconds(10),
                Duration.ofMinutes(5), Duration.ofMillis(50), 4);
        runShards(db, tuning, plan, 4);
        assertThat(differences(db)).isZero();
        @SuppressWarnings("unchecked")
        List<Object> perShard = new ArrayList<>();
        try (Connection c = db.connect("t"); var rs = c.createStatement().executeQuery(
                "SELECT rows_written FROM tandem.backfill_shards ORDER BY shard")) {
            while (rs.next()) {
                perShard.add(rs.getLong(1));
            }
        }
        assertThat(perShard).hasSize(4).allSatisfy(n -> assertThat((Long) n).isBetween(6_000L, 14_000L));
        assertThat(TestDatabase.query(db, "SELECT count(DISTINCT end_page - first_page) > 1 FROM tandem.backfill_batch_log"))
                .isEqualTo(true);
    }

    @Test
    void inPlaceDerivationsBackfillAfterTheLookupTheyReadFrom() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("bf_dogs");
        TestDatabase.exec(db, "CREATE TABLE dogs (id bigint PRIMARY KEY, name text NOT NULL, breed text);"
                + "INSERT INTO dogs SELECT g, 'dog ' || g, CASE WHEN g % 7 = 0 THEN NULL ELSE 'breed ' || (g % 13) END "
                + "FROM generate_series(1, 3000) g");
        SyncSpec breeds = SyncSpecs.entry("breeds", "dogs", List.of("id"), "breed IS NOT NULL", "breeds", List.of("name"),
                Map.of("name", "breed"));
        breeds.setOnDelete(SyncSpec.OnDelete.Keep);
        SchemaMigrationSpec spec = Specs.of("CREATE TABLE breeds (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, "
                + "name text NOT NULL UNIQUE); ALTER TABLE dogs ADD COLUMN breed_id bigint REFERENCES breeds (id)", null, null, null);
        spec.setSync(List.of(breeds, SyncSpecs.entry("breed-id", "dogs", List.of("id"), null, "dogs", List.of(),
                Map.of("breed_id", "(SELECT b.id FROM breeds b WHERE b.name = dogs.breed)"))));
        MigrationPlan plan = Planner.plan("ns", "dogs", spec);
        EngineStepTest.engine(db).apply(plan, Step.EXPAND, null, StepListener.NONE);
        backfiller(db, BackfillTuning.defaults()).run(plan, 0, 1, Backfiller.Listener.NONE);
        assertThat(TestDatabase.query(db, "SELECT count(*) FROM dogs d LEFT JOIN breeds b ON b.id = d.breed_id "
                + "WHERE d.breed IS DISTINCT FROM b.name")).isEqualTo(0L);
        assertThat(TestDatabase.query(db, "SELECT count(*) FROM breeds")).isEqualTo(13L);
    }

    private static Object rowValue(Connection c, String sql) throws Exception {
        try (var rs = c.createStatement().executeQuery(sql)) {
            rs.next();
            return rs.getObject(1);
        }
    }

    @Test
    void aTargetWhoseColumnsShareTheSourceNamesIsCopiedCompletely() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("bf_samenames");
        TestDatabase.exec(db, "CREATE TABLE events (id bigint PRIMARY KEY, action text NOT NULL, data jsonb);"
                + "INSERT INTO events SELECT g, 'pushed', jsonb_build_object('n', g) FROM generate_series(1, 5000) g");
        SchemaMigrationSpec spec = Specs.of("CREATE TABLE events_v2 (id bigint PRIMARY KEY, action text NOT NULL, n int)",
                null, null, null);
        spec.setSync(List.of(SyncSpecs.entry("events", "events", List.of("id"), null, "events_v2", List.of("id"),
                Map.of("id", "id", "action", "action", "n", "(data->>'n')::int"))));
        MigrationPlan plan = Planner.plan("ns", "samenames", spec);
        EngineStepTest.engine(db).apply(plan, Step.EXPAND, null, StepListener.NONE);
        backfiller(db, new BackfillTuning(700, Duration.ofMillis(200), 0, Duration.ofSeconds(10), Duration.ofMinutes(5),
                Duration.ofMillis(50), 1)).run(plan, 0, 1, Backfiller.Listener.NONE);
        assertThat(TestDatabase.query(db, "SELECT count(*) FROM events_v2 WHERE n = id")).isEqualTo(5000L);
    }
}
