package dev.tandem.engine;

import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.testing.ChildJvm;
import dev.tandem.testing.TestDatabase;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The backfill of an entry with a lookup, raced by changes of looked-up rows: held open at points of
 * a batch, and in processes killed at random moments while proxies and rules change.
 */
class LookupBackfillTest {
    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final String LOOKUP_WRITE = "UPDATE proxies SET backend_api_id = 9 WHERE id IN (7, 20, 44)";

    static Stream<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (boolean inPlace : new boolean[]{true, false}) {
            for (Backfiller.Point p : new Backfiller.Point[]{Backfiller.Point.BEFORE_BATCH, Backfiller.Point.AFTER_WRITE}) {
                out.add(Arguments.of(inPlace, p));
            }
        }
        return out.stream();
    }

    /**
     * BEFORE_BATCH: the change is written (its re-derived rows uncommitted) before the batch's
     * statement and committed while the batch waits for it. AFTER_WRITE: the change comes after the
     * batch wrote its rows with the old owners, waits for the batch, and commits after it.
     */
    @ParameterizedTest(name = "in place {0}: looked-up change at {1}")
    @MethodSource("cases")
    void aLookedUpChangeRacingABatchLeavesNoStaleOwner(boolean inPlace, Backfiller.Point point) throws Exception {
        DatabaseTarget db = Seed001.database("lookup_bf_race", 2_000);
        MigrationPlan plan = Seed001.plan(inPlace);
        Seed001.expand(db, plan);
        CountDownLatch reached = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        BackfillTuning tuning = new BackfillTuning(100_000, Duration.ofMillis(200), 0, Duration.ofSeconds(10),
                Duration.ofHours(1), Duration.ofMillis(20), 1);
        Thread backfill = new Thread(() -> {
            try {
                new Backfiller(db, EngineSettings.defaults("test"), tuning).run(plan, 0, 1, new Backfiller.Listener() {
                    @Override
                    public void at(Backfiller.Point at, int entry, int shard) {
                        if (at == point && reached.getCount() > 0) {
                            reached.countDown();
                            try {
                                release.await(WAIT.toSeconds(), TimeUnit.SECONDS);
                            } catch (InterruptedException e) {
                                Thread.currentThread().interrupt();
                            }
                        }
                    }
                });
            } catch (Throwable e) {
                failure.set(e);
            }
        }, "backfill");
        backfill.start();
        assertThat(reached.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
        try (Connection app = db.connect("lookup-app")) {
            app.setAutoCommit(false);
            if (point == Backfiller.Point.BEFORE_BATCH) {
                LookupRaceTest.exec(app, LOOKUP_WRITE);
                release.countDown();
                await().atMost(WAIT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5))
                        .until(() -> !backfill.isAlive() || LookupRaceTest.waiting(db, "tandem-backfill-0"));
                app.commit();
            } else {
                CompletableFuture<Void> w = CompletableFuture.runAsync(() -> {
                    try {
                        LookupRaceTest.exec(app, LOOKUP_WRITE);
                    } catch (SQLException e) {
                        throw new IllegalStateException(e);
                    }
                });
                await().atMost(WAIT).pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(5))
                        .until(() -> w.isDone() || LookupRaceTest.waiting(db, "lookup-app"));
                release.countDown();
                w.get(WAIT.toSeconds(), TimeUnit.SECONDS);
                app.commit();
            }
        }
        backfill.join(WAIT.toMillis());
        assertThat(failure.get()).as("backfill failure").isNull();
        assertThat(Seed001.wrongOwners(db, inPlace)).as("rules whose owner is not their proxy's backend API").isZero();
        assertThat(Seed001.owner(db, inPlace, 6)).isEqualTo(9L);
        EngineStepTest.engine(db).apply(plan, dev.tandem.api.v1alpha1.Step.BACKFILL, null, StepListener.NONE);
        assertThat(Seed001.verify(db, plan, 1).result()).isEqualTo(VerifyState.PASSED);
    }

    /** Killed backfill workers resume from their checkpoints while proxies change owner and rules change proxy. */
    @Test
    void aBackfillKilledWhileLookedUpRowsChangeResumesToExactOwners() throws Exception {
        DatabaseTarget db = Seed001.database("lookup_bf_kill", 200_000);
        MigrationPlan plan = Seed001.plan(false);
        Seed001.expand(db, plan);
        Backfiller reader = new Backfiller(db, EngineSettings.defaults("test"), BackfillTuning.defaults());
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> writerFailure = new AtomicReference<>();
        Thread writer = new Thread(() -> {
            try (Connection c = db.connect("lookup-writer")) {
                while (!stop.get()) {
                    ThreadLocalRandom r = ThreadLocalRandom.current();
                    LookupRaceTest.exec(c, "UPDATE proxies SET backend_api_id = " + (r.nextInt(10) + 1) + " WHERE id = "
                            + (r.nextInt(Seed001.PROXIES) + 1));
                    LookupRaceTest.exec(c, "UPDATE proxy_rules SET proxy_id = " + (r.nextInt(Seed001.PROXIES) + 1)
                            + " WHERE id = " + (r.nextInt(200_000) + 1));
                }
            } catch (Throwable e) {
                writerFailure.set(e);
            }
        }, "lookup-writer");
        writer.start();
        try {
            for (int round = 0; round < 3; round++) {
                long before = reader.progress(plan).rowsProcessed();
                Process child = ChildJvm.start(LookupBackfillInChildProcess.class, db);
                try {
                    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                            .until(() -> reader.progress(plan).rowsProcessed() > before || !child.isAlive());
                    long pause = ThreadLocalRandom.current().nextLong(20, 250);
                    await().pollDelay(Duration.ofMillis(pause)).atMost(Duration.ofSeconds(5)).until(() -> true);
                } finally {
                    child.destroyForcibly();
                    child.waitFor();
                }
                await().atMost(WAIT).pollInterval(Duration.ofMillis(50)).until(() -> Long.valueOf(0L).equals(
                        TestDatabase.query(db, "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'tandem-backfill-%'")));
            }
            assertThat(reader.progress(plan).complete()).as("killed before finishing every time").isFalse();
            Seed001.backfill(db, plan);
        } finally {
            stop.set(true);
            writer.join(WAIT.toMillis());
        }
        assertThat(writerFailure.get()).as("the application's writes").isNull();
        assertThat(Seed001.wrongOwners(db, false)).as("rules whose owner is not their proxy's backend API").isZero();
        assertThat(Seed001.verify(db, plan, 1).result()).isEqualTo(VerifyState.PASSED);
    }
}
