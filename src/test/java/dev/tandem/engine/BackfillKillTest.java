package dev.tandem.engine;

import dev.tandem.plan.BackfillTuning;

import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Step;
import dev.tandem.testing.ChildJvm;
import dev.tandem.testing.TestDatabase;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The backfill process killed with SIGKILL at random moments resumes from its checkpoint, exactly. */
class BackfillKillTest {
    private static final int KILLS = 10;

    @Test
    void backfillKilledTenTimesAtRandomMomentsEndsExactWithNoBatchCopiedTwice() throws Exception {
        DatabaseTarget db = BackfillTest.usersWithRows("bf_kill", 300_000);
        MigrationPlan plan = BackfillTest.usersPlan();
        MigrationEngine engine = EngineStepTest.engine(db);
        engine.apply(plan, Step.EXPAND, null, StepListener.NONE);
        Backfiller reader = BackfillTest.backfiller(db, BackfillTuning.defaults());
        List<Long> progressAtKill = new ArrayList<>();
        try (BackfillTest.Writers writers = new BackfillTest.Writers(db, 2, 300_000)) {
            for (int kill = 0; kill < KILLS; kill++) {
                long before = reader.progress(plan).rowsProcessed();
                Process child = ChildJvm.start(BackfillInChildProcess.class, db);
                try {
                    // Let it get into its batches, then kill it at a random moment.
                    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                            .until(() -> reader.progress(plan).rowsProcessed() > before || !child.isAlive());
                    long pause = ThreadLocalRandom.current().nextLong(20, 250);
                    await().pollDelay(Duration.ofMillis(pause)).atMost(Duration.ofSeconds(5)).until(() -> true);
                } finally {
                    child.destroyForcibly();
                    child.waitFor();
                }
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() ->
                        Long.valueOf(0L).equals(TestDatabase.query(db,
                                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'tandem-backfill-0'")));
                progressAtKill.add(reader.progress(plan).rowsProcessed());
            }
            assertThat(reader.progress(plan).complete()).as("killed before finishing every time").isFalse();
            BackfillTest.backfiller(db, BackfillTuning.defaults()).run(plan, 0, 1, Backfiller.Listener.NONE);
        }
        System.out.println("backfill kill: rows done at each kill " + progressAtKill);
        assertThat(progressAtKill).isSorted();
        assertThat(progressAtKill.stream().distinct().count()).isGreaterThanOrEqualTo(KILLS / 2);
        assertThat(BackfillTest.differences(db)).isZero();
        BackfillTest.assertNoRangeCopiedTwice(db);
        assertThat(engine.apply(plan, Step.BACKFILL, null, StepListener.NONE).applied()).isTrue();
    }
}
