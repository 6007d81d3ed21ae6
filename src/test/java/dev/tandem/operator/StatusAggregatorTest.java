package dev.tandem.operator;

import dev.tandem.api.v1alpha1.EventReason;
import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.Reason;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.SchemaMigrationStatus;
import dev.tandem.api.v1alpha1.StatusCondition;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.api.v1alpha1.TargetPhase;
import dev.tandem.engine.LedgerState;
import dev.tandem.engine.conductor.Outcome;
import dev.tandem.testing.Manifests;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The status one reconcile builds from the previous status and what it observed: no cluster, no database. */
class StatusAggregatorTest {
    private static final Instant T0 = Instant.parse("2026-12-01T10:00:00Z");

    private static SchemaMigration migration(SchemaMigrationStatus previous) {
        SchemaMigration m = Manifests.attributeMove("ns", "m", "db", TargetPhase.Verified);
        m.getMetadata().setGeneration(3L);
        m.setStatus(previous);
        return m;
    }

    private static LedgerState ledger(Step... committed) {
        Map<Step, Instant> steps = new EnumMap<>(Step.class);
        for (Step s : committed) {
            steps.put(s, T0);
        }
        return new LedgerState("ns/m", committed.length > 0, "h", null, steps, Set.of(), steps.get(Step.CUTOVER));
    }

    private static StatusAggregator reconcile(SchemaMigrationStatus previous, Instant at, Consumer<StatusAggregator> what) {
        StatusAggregator a = new StatusAggregator(migration(previous), at);
        what.accept(a);
        return a;
    }

    private static StatusCondition condition(SchemaMigrationStatus s, String type) {
        return s.condition(type).orElseThrow();
    }

    @Test
    void intentThenCommitMovesThePhaseAndTheMilestoneAndEmitsOneEventEach() {
        StatusAggregator intend = reconcile(null, T0, a -> {
            a.ledger(ledger());
            a.intend(Phase.Expanding, "h", "https://git.example/pull/1");
        });
        SchemaMigrationStatus s1 = intend.build();
        assertThat(s1.getPhase()).isEqualTo(Phase.Expanding);
        assertThat(s1.getObservedGeneration()).isEqualTo(3L);
        assertThat(condition(s1, Names.Conditions.RECONCILING).getStatus()).isEqualTo("True");
        assertThat(intend.events()).extracting(StatusAggregator.Event::reason).containsExactly(EventReason.StepStarted);

        StatusAggregator commit = reconcile(s1, T0.plusSeconds(5), a -> {
            a.ledger(ledger());
            a.outcome(new Outcome.Advanced(Phase.Expanded, true, "expand committed in 5 ms"), T0.plusSeconds(5));
        });
        SchemaMigrationStatus s2 = commit.build();
        assertThat(s2.getPhase()).isEqualTo(Phase.Expanded);
        assertThat(condition(s2, Names.Conditions.EXPANDED).getStatus()).isEqualTo("True");
        assertThat(s2.getHistory()).singleElement().satisfies(h -> {
            assertThat(h.getResult()).isEqualTo("Succeeded");
            assertThat(h.getReference()).isEqualTo("https://git.example/pull/1");
        });
        assertThat(commit.events()).extracting(StatusAggregator.Event::reason).containsExactly(EventReason.StepSucceeded);
    }

    @Test
    void aTargetReachedIsReadyAndAwaitsThePromotionItNames() {
        StatusAggregator a = reconcile(null, T0, r -> {
            r.ledger(ledger(Step.EXPAND, Step.BACKFILL, Step.VERIFY));
            r.ready(Phase.Verified, "reached Verified", "commit spec.targetPhase: CutOver");
        });
        SchemaMigrationStatus s = a.build();
        assertThat(condition(s, Names.Conditions.READY).getStatus()).isEqualTo("True");
        assertThat(condition(s, Names.Conditions.AWAITING_PROMOTION).getMessage()).contains("CutOver");
        assertThat(condition(s, Names.Conditions.REVERSIBLE).getStatus()).isEqualTo("True");
        assertThat(a.events()).extracting(StatusAggregator.Event::reason).containsExactly(EventReason.AwaitingPromotion);
        // The next reconcile sees the same: nothing changes, no event again, transition times kept.
        StatusAggregator again = reconcile(s, T0.plusSeconds(60), r -> {
            r.ledger(ledger(Step.EXPAND, Step.BACKFILL, Step.VERIFY));
            r.ready(Phase.Verified, "reached Verified", "commit spec.targetPhase: CutOver");
        });
        assertThat(again.changed()).isFalse();
        assertThat(again.events()).isEmpty();
        assertThat(condition(again.build(), Names.Conditions.READY).getLastTransitionTime())
                .isEqualTo(condition(s, Names.Conditions.READY).getLastTransitionTime());
    }

    @Test
    void aFailureStallsWithItsReasonAndTheEventOfThatReason() {
        SchemaMigrationStatus intended = reconcile(null, T0, a -> {
            a.ledger(ledger(Step.EXPAND, Step.BACKFILL));
            a.intend(Phase.Verifying, "h", null);
        }).build();
        StatusAggregator failed = reconcile(intended, T0.plusSeconds(1), a -> {
            a.ledger(ledger(Step.EXPAND, Step.BACKFILL));
            a.outcome(new Outcome.Failed(Reason.VerificationFailed, "3 mismatched rows"), T0.plusSeconds(1));
        });
        SchemaMigrationStatus s = failed.build();
        assertThat(s.getPhase()).isEqualTo(Phase.Failed);
        assertThat(s.getLastError().getReason()).isEqualTo("VerificationFailed");
        assertThat(condition(s, Names.Conditions.STALLED).getStatus()).isEqualTo("True");
        assertThat(condition(s, Names.Conditions.READY).getStatus()).isEqualTo("False");
        assertThat(failed.events()).extracting(StatusAggregator.Event::reason).containsExactly(EventReason.VerificationFailed);
    }

    @Test
    void aTransientErrorIsRetriedAtAVisibleTimeAndAnnouncedOnce() {
        Outcome.Retry retry = new Outcome.Retry(Reason.LockTimeout, "blocked by pid 7", Duration.ofSeconds(15));
        StatusAggregator first = reconcile(null, T0, a -> {
            a.ledger(ledger());
            a.outcome(retry, T0);
        });
        SchemaMigrationStatus s = first.build();
        assertThat(s.getNextRetryTime()).isEqualTo("2026-12-01T10:00:15Z");
        assertThat(condition(s, Names.Conditions.RECONCILING).getStatus()).isEqualTo("True");
        assertThat(condition(s, Names.Conditions.STALLED).getStatus()).isEqualTo("False");
        assertThat(first.events()).extracting(StatusAggregator.Event::reason).containsExactly(EventReason.StepRetrying);
        StatusAggregator second = reconcile(s, T0.plusSeconds(15), a -> {
            a.ledger(ledger());
            a.outcome(retry, T0.plusSeconds(15));
        });
        assertThat(second.events()).isEmpty();
        assertThat(second.build().getLastError().getTime()).isEqualTo(s.getLastError().getTime());
    }

    @Test
    void aStatusLostIsRebuiltFromTheLedgerAndThePointOfNoReturnIsShown() {
        SchemaMigrationStatus s = reconcile(null, T0, a -> a.ledger(ledger(Step.EXPAND, Step.BACKFILL, Step.VERIFY,
                Step.CUTOVER))).build();
        assertThat(s.getPhase()).isEqualTo(Phase.CutOver);
        assertThat(condition(s, Names.Conditions.REVERSIBLE).getStatus()).isEqualTo("False");
        assertThat(s.getPointOfNoReturnTime()).isEqualTo("2026-12-01T10:00:00Z");
        assertThat(condition(s, Names.Conditions.CUT_OVER).getStatus()).isEqualTo("True");
    }

    @Test
    void anIntentNeverCarriedOutGivesWayToANewOneFromTheLedgersPhase() {
        SchemaMigrationStatus cutting = reconcile(null, T0, a -> {
            a.ledger(ledger(Step.EXPAND, Step.BACKFILL, Step.VERIFY));
            a.intend(Phase.CuttingOver, "h", null);
        }).build();
        SchemaMigrationStatus rolling = reconcile(cutting, T0.plusSeconds(1), a -> {
            a.ledger(ledger(Step.EXPAND, Step.BACKFILL, Step.VERIFY));
            a.intend(Phase.RollingBack, "h", null);
        }).build();
        assertThat(rolling.getPhase()).isEqualTo(Phase.RollingBack);
        assertThat(rolling.getHistory()).extracting(h -> h.getPhase() + " " + h.getResult())
                .containsExactly("CutOver Superseded", "RolledBack Running");
    }

    @Test
    void aMoveOffThePhaseGraphIsABug() {
        assertThatThrownBy(() -> reconcile(null, T0, a -> {
            a.ledger(ledger(Step.EXPAND));
            a.outcome(new Outcome.Advanced(Phase.Contracted, true, "contract"), T0);
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("Expanded cannot move to Contracted");
    }
}
