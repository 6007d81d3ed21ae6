package dev.tandem.engine;

import dev.tandem.plan.BackfillTuning;

import dev.tandem.plan.MigrationPlan;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.testing.ChildJvm;
import dev.tandem.testing.TestDatabase;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Backfill processes killed with SIGKILL at random moments, while the application inserts, updates,
 * moves keys both ways, moves rows in and out of from.where and deletes, resume from their
 * checkpoints, exactly.
 */
class BackfillKillTest {
    private static final int KILLS = 10;

    @ParameterizedTest(name = "{0} worker(s)")
    @ValueSource(ints = {1, 2})
    void backfillKilledTenTimesAtRandomMomentsEndsExactWithNoBatchCopiedTwice(int shards) throws Exception {
        DatabaseTarget db = BackfillTest.usersWithRows("bf_kill", 300_000);
        MigrationPlan plan = BackfillTest.usersPlan();
        MigrationEngine engine = EngineStepTest.engine(db);
        engine.apply(plan, Step.EXPAND, null, StepListener.NONE);
        Backfiller reader = BackfillTest.backfiller(db, BackfillTuning.defaults());
        List<Long> progressAtKill = new ArrayList<>();
        try (BackfillTest.Writers writers = new BackfillTest.Writers(db, 2, 300_000)) {
            // Ten kills in all: with two workers, both die in each of five rounds.
            for (int round = 0; round < KILLS / shards; round++) {
                long before = reader.progress(plan).rowsProcessed();
                List<Process> children = new ArrayList<>();
                for (int shard = 0; shard < shards; shard++) {
                    children.add(ChildJvm.start(BackfillInChildProcess.class, db,
                            Map.of("CHILD_SHARD", String.valueOf(shard), "CHILD_SHARDS", String.valueOf(shards))));
                }
                try {
                    // Let them get into their batches, then kill each at a random moment.
                    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(20))
                            .until(() -> reader.progress(plan).rowsProcessed() > before
                                    || children.stream().noneMatch(Process::isAlive));
                    for (Process child : children) {
                        long pause = ThreadLocalRandom.current().nextLong(20, 250);
                        await().pollDelay(Duration.ofMillis(pause)).atMost(Duration.ofSeconds(5)).until(() -> true);
                        child.destroyForcibly();
                    }
                } finally {
                    for (Process child : children) {
                        child.destroyForcibly();
                        child.waitFor();
                    }
                }
                await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50)).until(() ->
                        Long.valueOf(0L).equals(TestDatabase.query(db,
                                "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE 'tandem-backfill-%'")));
                progressAtKill.add(reader.progress(plan).rowsProcessed());
            }
            assertThat(reader.progress(plan).complete()).as("killed before finishing every time").isFalse();
            BackfillTest.runShards(db, BackfillTuning.defaults(), plan, shards);
        }
        System.out.println("backfill kill (" + shards + " workers): rows written at each kill " + progressAtKill);
        assertThat(progressAtKill).isSorted();
        assertThat(progressAtKill.stream().distinct().count()).isGreaterThanOrEqualTo(KILLS / shards / 2);
        assertThat(BackfillTest.differences(db)).isZero();
        BackfillTest.assertNoRangeCopiedTwice(db);
        assertThat(engine.apply(plan, Step.BACKFILL, null, StepListener.NONE).applied()).isTrue();
    }
}
