package dev.tandem.operator;

import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.TargetPhase;
import dev.tandem.api.v1alpha1.Reason;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.testing.OperatorStatuses;
import dev.tandem.testing.PrometheusText;
import io.micrometer.prometheus.PrometheusConfig;
import io.micrometer.prometheus.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static dev.tandem.testing.OperatorStatuses.backfillProgress;
import static dev.tandem.testing.OperatorStatuses.upTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/**
 * The figures MigrationMetrics derives from the statuses the operator writes, on a registry of its
 * own (exact values; the served endpoint is MetricsEndpointTest's).
 */
class MigrationMetricsTest {
    private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    private final MigrationMetrics metrics = new MigrationMetrics(registry);

    private PrometheusText scrape() {
        return PrometheusText.parse(registry.scrape());
    }

    private void observe(OperatorStatuses m) {
        metrics.observe(m.uid(), m.migration().getStatus(), m.now());
    }

    @Test
    void aBackfillReportsRowsCopiedRateRemainingThrottledTimeAndItsPhaseDuration() {
        OperatorStatuses m = OperatorStatuses.of("shop", "move", TargetPhase.Expanded).ready(upTo(Step.EXPAND), Phase.Expanded);
        observe(m);
        m.promote(TargetPhase.Backfilled).after(Duration.ofSeconds(1)).intend(upTo(Step.EXPAND), Phase.Backfilling);
        observe(m);
        m.after(Duration.ofSeconds(2)).reconcile(upTo(Step.EXPAND), s -> s.waiting("backfilling",
                backfillProgress(10_000, 4_000, 2_000, null), "move-backfill"));
        observe(m);
        PrometheusText t = scrape();
        assertThat(t.value("tandem_backfill_rows_copied_total")).isEqualTo(4_000);
        assertThat(t.value("tandem_backfill_rows_per_second")).isEqualTo(2_000);
        assertThat(t.value("tandem_backfill_rows_remaining")).isEqualTo(6_000);
        assertThat(t.value("tandem_migrations", "phase", "Backfilling")).isEqualTo(1);

        String lag = "replication lag 12s (throttle.maxReplicationLag 10s)";
        m.after(Duration.ofSeconds(2)).reconcile(upTo(Step.EXPAND), s -> s.waiting("paused",
                backfillProgress(10_000, 4_000, 0, lag), "move-backfill"));
        observe(m);
        assertThat(scrape().value("tandem_backfills_throttled", "reason", "replication_lag")).isEqualTo(1);
        m.after(Duration.ofSeconds(10)).reconcile(upTo(Step.EXPAND), s -> s.waiting("paused",
                backfillProgress(10_000, 4_000, 0, lag), "move-backfill"));
        observe(m);
        m.after(Duration.ofSeconds(3)).reconcile(upTo(Step.EXPAND), s -> s.waiting("backfilling",
                backfillProgress(10_000, 10_000, 3_000, null), "move-backfill"));
        observe(m);
        t = scrape();
        assertThat(t.value("tandem_backfill_throttled_seconds_total", "reason", "replication_lag")).isEqualTo(13);
        assertThat(t.value("tandem_backfill_throttled_seconds_total", "reason", "transaction_age")).isZero();
        assertThat(t.value("tandem_backfills_throttled", "reason", "replication_lag")).isZero();
        assertThat(t.value("tandem_backfill_rows_copied_total")).isEqualTo(10_000);

        m.after(Duration.ofSeconds(1)).reconcile(upTo(Step.BACKFILL), s -> {
            s.advanced(Phase.Backfilled, "backfill committed");
            s.backfillDone();
        });
        observe(m);
        t = scrape();
        assertThat(t.value("tandem_phase_duration_seconds_count", "phase", "Backfilling", "result", "Succeeded"))
                .isEqualTo(1);
        assertThat(t.value("tandem_phase_duration_seconds_sum", "phase", "Backfilling", "result", "Succeeded"))
                .isCloseTo(18, within(0.001)); // intent at +1s, committed at +19s
        assertThat(t.value("tandem_phase_duration_seconds_bucket", "phase", "Backfilling", "le", "60.0")).isEqualTo(1);
        assertThat(t.value("tandem_phase_duration_seconds_bucket", "phase", "Backfilling", "le", "10.0")).isZero();
        assertThat(t.value("tandem_backfill_rows_per_second")).isZero();
        assertThat(t.value("tandem_backfill_rows_remaining")).isZero();
        assertThat(t.value("tandem_backfill_rows_copied_total")).as("nothing copied twice").isEqualTo(10_000);
        assertThat(t.value("tandem_migrations", "phase", "Backfilled")).isEqualTo(1);
        assertThat(t.value("tandem_migrations")).as("one migration, one phase").isEqualTo(1);
    }

    @Test
    void anOperatorStartedMidBackfillCountsOnlyWhatItSeesCopied() {
        OperatorStatuses m = OperatorStatuses.of("shop", "move", TargetPhase.Backfilled)
                .intend(upTo(Step.EXPAND), Phase.Backfilling)
                .reconcile(upTo(Step.EXPAND), s -> s.waiting("b", backfillProgress(10_000, 5_000, 100, null), "j"));
        observe(m);
        assertThat(scrape().value("tandem_backfill_rows_copied_total")).isZero();
        m.after(Duration.ofSeconds(2)).reconcile(upTo(Step.EXPAND),
                s -> s.waiting("b", backfillProgress(10_000, 6_000, 100, null), "j"));
        observe(m);
        assertThat(scrape().value("tandem_backfill_rows_copied_total")).isEqualTo(1_000);
    }

    @Test
    void aFailedVerificationShowsAsStalledWithItsReasonMismatchesAndAFailedPass() {
        OperatorStatuses m = OperatorStatuses.of("shop", "move", TargetPhase.Verified).intend(upTo(Step.BACKFILL), Phase.Verifying);
        observe(m);
        var pass = m.verifyPass(1, 10_000, 3);
        m.after(Duration.ofMinutes(2)).reconcile(upTo(Step.BACKFILL), s -> {
            s.verification(pass, null, null);
            s.failed(Reason.VerificationFailed, "verification pass 1 failed: 3 rows differ");
        });
        metrics.verification(m.uid(), pass);
        metrics.verification(m.uid(), pass); // the same pass seen again is not counted again
        observe(m);
        PrometheusText t = scrape();
        assertThat(t.value("tandem_migrations_stalled", "reason", Reason.VerificationFailed.name())).isEqualTo(1);
        assertThat(t.value("tandem_migrations_verification_failed")).isEqualTo(1);
        assertThat(t.value("tandem_migrations", "phase", "Failed")).isEqualTo(1);
        assertThat(t.value("tandem_verification_mismatched_rows")).isEqualTo(3);
        assertThat(t.value("tandem_verification_passes_total", "result", "Failed")).isEqualTo(1);
        assertThat(t.value("tandem_verification_passes_total", "result", "Passed")).isZero();
        assertThat(t.value("tandem_verification_rows_checked_total")).isEqualTo(10_000);
        assertThat(t.value("tandem_phase_duration_seconds_count", "phase", "Verifying", "result", "Failed")).isEqualTo(1);

        metrics.forget(m.uid()); // deleted
        t = scrape();
        assertThat(t.value("tandem_migrations_stalled", "reason", Reason.VerificationFailed.name())).isZero();
        assertThat(t.value("tandem_migrations_verification_failed")).isZero();
        assertThat(t.value("tandem_verification_mismatched_rows")).isZero();
        assertThat(t.value("tandem_migrations")).isZero();
    }

    @Test
    void lockTimeoutRetriesAreCountedByStepAndExhaustedStepsApart() {
        metrics.stepListener().lockTimeout(Step.EXPAND, 0, 1, Duration.ofMillis(100), List.of());
        metrics.stepListener().lockTimeout(Step.EXPAND, 0, 2, Duration.ofMillis(200), List.of());
        metrics.lockTimeout(Step.CUTOVER.key());
        PrometheusText t = scrape();
        assertThat(t.value("tandem_lock_timeout_retries_total", "step", "expand")).isEqualTo(2);
        assertThat(t.value("tandem_lock_timeout_retries_total", "step", "cutover")).isZero();
        assertThat(t.value("tandem_lock_timeouts_total", "step", "cutover")).isEqualTo(1);
    }

    @Test
    void oldStorageWritesGrowByWhatTheWatchCountedSinceTheLastLook() {
        OperatorStatuses m = OperatorStatuses.of("shop", "move", TargetPhase.CutOver).ready(upTo(Step.CUTOVER), Phase.CutOver);
        observe(m);
        assertThat(scrape().value("tandem_old_storage_writes_total")).isZero();
        metrics.oldStorageWrites(m.uid(), 5);
        metrics.oldStorageWrites(m.uid(), 5);
        metrics.oldStorageWrites(m.uid(), 7);
        assertThat(scrape().value("tandem_old_storage_writes_total")).isEqualTo(7);
        metrics.oldStorageWrites("uid-seen-first-after-a-restart", 40); // baseline only
        assertThat(scrape().value("tandem_old_storage_writes_total")).isEqualTo(7);
    }

    @Test
    void noMetricIsLabelledByMigrationAndEveryOneIsDescribed() {
        OperatorStatuses m = OperatorStatuses.of("shop", "move", TargetPhase.Expanded).intend(java.util.Set.of(), Phase.Expanding);
        observe(m);
        m.after(Duration.ofSeconds(1)).reconcile(upTo(Step.EXPAND), s -> s.advanced(Phase.Expanded, "expand committed"));
        observe(m);
        metrics.step("expand", "applied", Duration.ofMillis(80));
        PrometheusText t = scrape();
        assertThat(t.samples()).allSatisfy(s -> assertThat(s.labels().keySet()).as(s.name())
                .doesNotContain("name", "migration", "namespace", "uid", "schemamigration"));
        assertThat(t.help()).allSatisfy((name, help) -> assertThat(help).as(name).isNotBlank());
        assertThat(t.types()).containsEntry("tandem_backfill_rows_copied_total", "counter")
                .containsEntry("tandem_migrations", "gauge").containsEntry("tandem_phase_duration_seconds", "histogram");
    }

    @Test
    void throttleReasonsFallIntoABoundedSetOfClasses() {
        assertThat(MigrationMetrics.throttleClass("replication lag 12s (throttle.maxReplicationLag 10s)"))
                .isEqualTo(MigrationMetrics.THROTTLE_REPLICATION_LAG);
        assertThat(MigrationMetrics.throttleClass("transaction of pid 4711 open for 400s (throttle.maxTransactionAge 300s)"))
                .isEqualTo(MigrationMetrics.THROTTLE_TRANSACTION_AGE);
        assertThat(MigrationMetrics.throttleClass("something new")).isEqualTo(MigrationMetrics.THROTTLE_OTHER);
        assertThat(MigrationMetrics.throttleClass(null)).isNull();
    }
}
