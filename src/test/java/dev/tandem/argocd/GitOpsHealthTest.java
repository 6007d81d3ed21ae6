package dev.tandem.argocd;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.TargetPhase;
import dev.tandem.engine.conductor.Conductor;
import dev.tandem.operator.Names;
import dev.tandem.api.v1alpha1.Reason;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.testing.Kstatus;
import dev.tandem.testing.OperatorStatuses;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;
import java.util.Set;

import static dev.tandem.testing.OperatorStatuses.upTo;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * What Argo CD (deploy/argocd/health.lua) and Flux (kstatus) make of the statuses the operator
 * writes, built by the operator's own status aggregator in the order the reconciler calls it. A
 * migration waiting for its next promotion is Healthy / Current, one that needs a person Degraded /
 * Failed, one the operator is working on Progressing / InProgress.
 */
class GitOpsHealthTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private record Health(String argo, String flux, String argoMessage) {
    }

    private static Health health(SchemaMigration m) throws Exception {
        Map<String, String> argo = ArgoHealthCheckTest.health(m);
        JsonNode stored = JSON.valueToTree(m); // the object as the API server stores and serves it
        return new Health(argo.get("status"), Kstatus.compute(stored).status(), argo.get("message"));
    }

    @Test
    void aMigrationWaitingForItsNextPromotionIsHealthyAndCurrent() throws Exception {
        OperatorStatuses m = OperatorStatuses.of("shop", "move", TargetPhase.Expanded).ready(upTo(Step.EXPAND), Phase.Expanded);
        assertThat(m.migration().getStatus().isTrue(Names.Conditions.AWAITING_PROMOTION)).isTrue();
        Health h = health(m.migration());
        assertThat(h.argo()).isEqualTo("Healthy");
        assertThat(h.flux()).isEqualTo(Kstatus.CURRENT);
        assertThat(h.argoMessage()).contains("next: commit spec.targetPhase: Backfilled");
    }

    @Test
    void aVerifiedMigrationWaitingAtThePointOfNoReturnIsHealthyAndCurrentAndNamesThePlanHash() throws Exception {
        OperatorStatuses m = OperatorStatuses.of("shop", "move", TargetPhase.Verified).ready(upTo(Step.VERIFY), Phase.Verified);
        Health h = health(m.migration());
        assertThat(h.argo()).isEqualTo("Healthy");
        assertThat(h.flux()).isEqualTo(Kstatus.CURRENT);
        assertThat(h.argoMessage()).contains("planHash: \"" + m.plan().hash() + "\"");
    }

    @Test
    void aFinishedMigrationIsHealthyAndCurrent() throws Exception {
        OperatorStatuses contracted = OperatorStatuses.of("shop", "move", TargetPhase.Contracted)
                .ready(upTo(Step.CONTRACT), Phase.Contracted);
        assertThat(health(contracted.migration())).extracting(Health::argo, Health::flux)
                .containsExactly("Healthy", Kstatus.CURRENT);
        OperatorStatuses rolledBack = OperatorStatuses.of("shop", "undo", TargetPhase.RolledBack)
                .ready(Set.of(Step.EXPAND, Step.ROLLBACK), Phase.RolledBack);
        assertThat(health(rolledBack.migration())).extracting(Health::argo, Health::flux)
                .containsExactly("Healthy", Kstatus.CURRENT);
    }

    @Test
    void aStepRecordedAsIntendedIsProgressingAndInProgress() throws Exception {
        OperatorStatuses m = OperatorStatuses.of("shop", "move", TargetPhase.Expanded).intend(Set.of(), Phase.Expanding);
        assertThat(health(m.migration())).extracting(Health::argo, Health::flux)
                .containsExactly("Progressing", Kstatus.IN_PROGRESS);
    }

    @Test
    void aRunningBackfillIsProgressingAndInProgressEvenWhileItsThrottlePausesIt() throws Exception {
        OperatorStatuses m = OperatorStatuses.of("shop", "move", TargetPhase.Backfilled)
                .intend(upTo(Step.EXPAND), Phase.Backfilling).after(Duration.ofSeconds(2))
                .reconcile(upTo(Step.EXPAND), s -> s.waiting("backfilling: 40%",
                        OperatorStatuses.backfillProgress(10_000, 4_000, 2_000, null), "move-backfill-1"));
        assertThat(health(m.migration())).extracting(Health::argo, Health::flux)
                .containsExactly("Progressing", Kstatus.IN_PROGRESS);

        m.after(Duration.ofSeconds(2)).reconcile(upTo(Step.EXPAND), s -> s.waiting("backfilling: 40%, paused",
                OperatorStatuses.backfillProgress(10_000, 4_000, 0, "replication lag 12s (throttle.maxReplicationLag 10s)"),
                "move-backfill-1"));
        assertThat(health(m.migration())).extracting(Health::argo, Health::flux)
                .containsExactly("Progressing", Kstatus.IN_PROGRESS);
    }

    @Test
    void aLockTimeoutBeingRetriedIsProgressingAndInProgress() throws Exception {
        OperatorStatuses m = OperatorStatuses.of("shop", "move", TargetPhase.Expanded).intend(Set.of(), Phase.Expanding)
                .reconcile(Set.of(), s -> s.retrying(Reason.LockTimeout, "expand could not take its locks",
                        OperatorStatuses.T0.plusSeconds(15)));
        assertThat(health(m.migration())).extracting(Health::argo, Health::flux)
                .containsExactly("Progressing", Kstatus.IN_PROGRESS);
    }

    @Test
    void aFailedVerificationIsDegradedAndFailed() throws Exception {
        OperatorStatuses m = OperatorStatuses.of("shop", "move", TargetPhase.Verified)
                .intend(upTo(Step.BACKFILL), Phase.Verifying);
        m.reconcile(upTo(Step.BACKFILL), s -> {
            s.verification(m.verifyPass(1, 10_000, 3), null, null);
            s.failed(Reason.VerificationFailed, "verification pass 1 failed: 3 rows differ");
        });
        assertThat(m.migration().getStatus().getPhase()).isEqualTo(Phase.Failed);
        Health h = health(m.migration());
        assertThat(h.argo()).isEqualTo("Degraded");
        assertThat(h.flux()).isEqualTo(Kstatus.FAILED);
        assertThat(h.argoMessage()).startsWith(Reason.VerificationFailed.name() + ": ");
    }

    @Test
    void aPromotionWithoutTheReviewedPlanHashIsDegradedAndFailed() throws Exception {
        OperatorStatuses m = OperatorStatuses.of("shop", "move", TargetPhase.Verified).ready(upTo(Step.VERIFY), Phase.Verified);
        m.migration().getSpec().setTargetPhase(TargetPhase.CutOver); // committed without promotion.planHash
        m.migration().getMetadata().setGeneration(2L);
        Conductor.Decision.Stop stop = (Conductor.Decision.Stop) Conductor.decide(m.plan(),
                new dev.tandem.engine.LedgerState("shop/move", true, m.plan().hash(), m.uid(),
                        Map.of(Step.EXPAND, OperatorStatuses.T0, Step.BACKFILL, OperatorStatuses.T0,
                                Step.VERIFY, OperatorStatuses.T0), Set.of(), null),
                new Conductor.Promotion(TargetPhase.CutOver, null));
        m.reconcile(upTo(Step.VERIFY), s -> s.stalled(stop.reason(), stop.message()));
        Health h = health(m.migration());
        assertThat(h.argo()).isEqualTo("Degraded");
        assertThat(h.flux()).isEqualTo(Kstatus.FAILED);
        assertThat(h.argoMessage()).startsWith(Reason.PlanHashMismatch.name());
    }

    @Test
    void aCommitTheOperatorHasNotObservedYetIsProgressingAndInProgressThoughTheOldStatusIsReady() throws Exception {
        OperatorStatuses m = OperatorStatuses.of("shop", "move", TargetPhase.Expanded).ready(upTo(Step.EXPAND), Phase.Expanded)
                .promote(TargetPhase.Backfilled);
        assertThat(m.migration().getStatus().isTrue(Names.Conditions.READY)).isTrue();
        assertThat(health(m.migration())).extracting(Health::argo, Health::flux)
                .containsExactly("Progressing", Kstatus.IN_PROGRESS);
    }

    @Test
    void aSuspendedMigrationIsSuspendedInArgoAndCurrentInFlux() throws Exception {
        OperatorStatuses m = OperatorStatuses.of("shop", "move", TargetPhase.Backfilled);
        m.migration().getSpec().setSuspend(true);
        m.reconcile(upTo(Step.EXPAND), s -> s.suspended(Phase.Expanded));
        // kstatus has no "suspended": nothing is reconciling and nothing is stalled, so it is Current
        assertThat(health(m.migration())).extracting(Health::argo, Health::flux)
                .containsExactly("Suspended", Kstatus.CURRENT);
    }

    @Test
    void aMigrationBeingDeletedIsTerminatingInFlux() throws Exception {
        OperatorStatuses m = OperatorStatuses.of("shop", "move", TargetPhase.Expanded).ready(upTo(Step.EXPAND), Phase.Expanded);
        m.migration().getMetadata().setDeletionTimestamp("2026-03-01T11:00:00Z");
        assertThat(health(m.migration()).flux()).isEqualTo(Kstatus.TERMINATING);
    }

    /**
     * Before the operator writes a first status there is nothing for kstatus to read, and its rule
     * for an object without conditions is Current; Argo CD's check says Progressing. A Flux
     * Kustomization that waits on migrations should therefore also wait on the operator's
     * Deployment (dependsOn), so that the operator runs before migrations are judged.
     */
    @Test
    void aMigrationTheOperatorHasNotSeenIsProgressingInArgoButCurrentByKstatusRules() throws Exception {
        SchemaMigration unseen = OperatorStatuses.of("shop", "move", TargetPhase.Expanded).migration();
        assertThat(health(unseen)).extracting(Health::argo, Health::flux)
                .containsExactly("Progressing", Kstatus.CURRENT);
    }
}
