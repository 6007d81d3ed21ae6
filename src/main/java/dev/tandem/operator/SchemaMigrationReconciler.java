package dev.tandem.operator;

import dev.tandem.api.v1alpha1.DatabaseStatus;
import dev.tandem.api.v1alpha1.EventReason;
import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.Reason;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.SchemaMigrationStatus;
import dev.tandem.api.v1alpha1.VerifySpec;
import dev.tandem.engine.conductor.Conductor;
import dev.tandem.engine.conductor.Crossing;
import dev.tandem.engine.conductor.Outcome;
import dev.tandem.engine.conductor.StepRequest;
import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import dev.tandem.plan.SpecValidator;
import dev.tandem.plan.VerifyTuning;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.ErrorStatusUpdateControl;
import io.javaoperatorsdk.operator.api.reconciler.EventSourceContext;
import io.javaoperatorsdk.operator.api.reconciler.PrimaryUpdateAndCacheUtils;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.javaoperatorsdk.operator.processing.event.source.EventSource;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;

/**
 * The conductor of one migration in the cluster: observes (spec, Secret, database ledger), asks the
 * engine's {@link Conductor} what to do, records intent in status before a step runs, lets the
 * conductor take one step, records the whole status, returns. The rules themselves live in the
 * engine, so {@code tandem run} follows them too.
 */
@ControllerConfiguration(name = Names.CONTROLLER, finalizerName = Names.FINALIZER, fieldManager = Names.FIELD_MANAGER)
public class SchemaMigrationReconciler implements Reconciler<SchemaMigration>, Cleaner<SchemaMigration> {
    /** How often a settled migration's gates (at Verified) and old-storage watch (at CutOver) are shown anew. */
    static final Duration PREVIEW_EVERY = Duration.ofSeconds(30);
    private final PlanPublisher plans;
    private final EventRecorder events;
    private final DatabaseConnector databases;
    private final Clock clock;
    private final MigrationMetrics metrics;
    private final Deletion deletion;
    private final JobFactory jobs;
    private final KubernetesClient client;

    public SchemaMigrationReconciler(PlanPublisher plans, EventRecorder events, DatabaseConnector databases, Clock clock,
                                     MigrationMetrics metrics, Deletion deletion, JobFactory jobs, KubernetesClient client) {
        this.client = client;
        this.plans = plans;
        this.events = events;
        this.databases = databases;
        this.clock = clock;
        this.metrics = metrics;
        this.deletion = deletion;
        this.jobs = jobs;
    }

    @Override
    public UpdateControl<SchemaMigration> reconcile(SchemaMigration m, Context<SchemaMigration> context) {
        StatusAggregator status = new StatusAggregator(m, Instant.now(clock));
        Optional<Duration> requeue = conduct(m, context.getSecondaryResource(Secret.class).orElse(null), status);
        patch(m, context, status);
        UpdateControl<SchemaMigration> control = UpdateControl.noUpdate();
        return requeue.map(control::rescheduleAfter).orElse(control);
    }

    private Optional<Duration> conduct(SchemaMigration m, Secret secret, StatusAggregator status) {
        List<String> errors = SpecValidator.validate(m.getSpec(), true);
        if (!errors.isEmpty()) {
            status.stalled(Reason.InvalidSpec, String.join("; ", errors));
            return Optional.empty();
        }
        MigrationPlan plan = Planner.plan(m);
        DatabaseConnector.Connected db = databases.connect(m, secret, plan, status, Instant.now(clock));
        if (db == null) {
            return Optional.of(DatabaseConnector.RECHECK);
        }
        status.ledger(db.ledger());
        Optional<String> secretChanged = Observed.secretChanged(m, db.ledger());
        if (secretChanged.isPresent()) {
            status.stalled(Reason.SpecImmutable, secretChanged.get());
            return Optional.empty();
        }
        Conductor.Decision decision = Conductor.decide(plan, db.ledger(), Observed.promotion(m));
        if (!(decision instanceof Conductor.Decision.Stop s && s.reason() == Reason.SpecImmutable)) {
            PlanLint.publish(m, plan, plans.publish(m, plan), status);
        }
        status.database(new DatabaseStatus(db.ledger().started() || status.previous().getDatabase() != null
                ? m.getSpec().getDatabase().getSecretRef().getName() : null, db.engine().target().server(), db.version()));
        Conductor conductor = new Conductor(db.engine());
        StepRequest request = request(m, plan, db);
        if (decision instanceof Conductor.Decision.Stop s) {
            status.stalled(s.reason(), Observed.withHint(s, m));
            return Optional.empty();
        }
        if (decision instanceof Conductor.Decision.Reached r) {
            status.ready(r.phase(), "reached " + r.phase(), Observed.nextPromotion(r, plan).orElse(null));
            Crossing ahead = conductor.preview(r.phase(), request);
            status.crossing(ahead);
            metrics.oldStorageWrites(m.getMetadata().getUid(), ahead.oldStorage() == null ? 0 : ahead.oldStorage().writes());
            Optional<Duration> again = r.phase() == Phase.Verified && !m.getSpec().isSuspended()
                    ? reverify(m, conductor, request, status) : Optional.empty();
            // after cutover the watch is shown as it counts; before, the gates as they change
            Optional<Duration> look = r.phase() == Phase.CutOver || r.phase() == Phase.Verified
                    ? Optional.of(PREVIEW_EVERY) : Optional.empty();
            return again.isPresent() && look.isPresent() ? Optional.of(again.get().compareTo(look.get()) < 0 ? again.get()
                    : look.get()) : again.or(() -> look);
        }
        return step(m, plan, conductor, request, ((Conductor.Decision.Next) decision).phase(), status);
    }

    /** Suspended, or the intent not yet recorded, or one step. */
    private Optional<Duration> step(SchemaMigration m, MigrationPlan plan, Conductor conductor, StepRequest request,
                                    Phase next, StatusAggregator status) {
        if (m.getSpec().isSuspended()) {
            status.suspended(status.previous().getPhase() == null ? Phase.Pending : status.currentPhase().settled());
            jobs.suspendAll(m);
            return Optional.empty();
        }
        Phase inFlight = next.inFlightPhase().orElseThrow();
        if (status.previous().getPhase() != inFlight) {
            Crossing crossing = conductor.crossing(next, request);
            status.crossing(crossing);
            if (crossing.oldStorage() != null) {
                metrics.oldStorageWrites(m.getMetadata().getUid(), crossing.oldStorage().writes());
            }
            if (!crossing.allowed()) {
                status.held(crossing.held());
                return Optional.of(crossing.held().recheck());
            }
            if ((inFlight == Phase.RollingBack || inFlight == Phase.CuttingOver) && plan.verifies()) {
                jobs.deleteAll(m); // a running backfill or verification must not work on what the step changes
            }
            status.intend(inFlight, plan.hash(), Observed.reference(m));
            return Optional.of(Duration.ZERO);
        }
        Outcome outcome = conductor.advance(next, request);
        status.outcome(outcome, Instant.now(clock));
        metrics.verification(m.getMetadata().getUid(), outcome.verification());
        if (outcome instanceof Outcome.Waiting w) {
            return Optional.of(w.recheck());
        }
        if (outcome instanceof Outcome.Held h) {
            return Optional.of(h.recheck());
        }
        if (outcome instanceof Outcome.Retry r) {
            return Optional.of(r.retryIn());
        }
        return outcome instanceof Outcome.Advanced ? Optional.of(Duration.ZERO) : Optional.empty();
    }

    /** Waiting at Verified: keep re-verifying (spec.verify.reverifyEvery) and show the latest pass. */
    private Optional<Duration> reverify(SchemaMigration m, Conductor conductor, StepRequest request,
                                        StatusAggregator status) {
        return conductor.watch(request).flatMap(w -> {
            status.watch(w);
            metrics.verification(m.getMetadata().getUid(), w.state());
            return Optional.ofNullable(w.recheck());
        });
    }

    private StepRequest request(SchemaMigration m, MigrationPlan plan, DatabaseConnector.Connected db) {
        VerifySpec verify = m.getSpec().getVerify();
        return new StepRequest(m.getMetadata().getUid(), plan, BackfillTuning.from(m.getSpec().getBackfill()),
                VerifyTuning.from(verify), verify == null || verify.getRetry() == null ? "" : verify.getRetry(),
                jobs.forMigration(m, db.secret()), metrics.observer(), Instant.now(clock),
                new RolloutGatekeeper(client, m.getMetadata().getNamespace()));
    }

    /** Emits the events this reconcile earned and patches status when it changed. */
    private void patch(SchemaMigration m, Context<SchemaMigration> context, StatusAggregator status) {
        status.events().forEach(e -> events.record(m, e.reason(), e.message()));
        if (status.changed()) {
            SchemaMigrationStatus built = status.build();
            PrimaryUpdateAndCacheUtils.updateStatusAndCacheResource(m, context, r -> {
                r.setStatus(built);
                return r;
            });
        }
        metrics.observe(m.getMetadata().getUid(), status.build(), Instant.now(clock));
    }

    /** An error the reconcile could not handle itself (e.g. the API server refused a write): shown, retried. */
    @Override
    public ErrorStatusUpdateControl<SchemaMigration> updateErrorStatus(SchemaMigration m, Context<SchemaMigration> context,
                                                                      Exception e) {
        StatusAggregator status = new StatusAggregator(m, Instant.now(clock));
        status.retrying(Reason.OperatorError, "the operator could not finish this reconcile: "
                + e.getClass().getSimpleName() + ": " + e.getMessage(), Instant.now(clock));
        m.setStatus(status.build());
        return ErrorStatusUpdateControl.patchStatus(m);
    }

    @Override
    public DeleteControl cleanup(SchemaMigration m, Context<SchemaMigration> context) {
        metrics.forget(m.getMetadata().getUid());
        return deletion.cleanup(m, context.getSecondaryResource(Secret.class).orElse(null));
    }

    @Override
    public List<EventSource<?, SchemaMigration>> prepareEventSources(EventSourceContext<SchemaMigration> context) {
        List<EventSource<?, SchemaMigration>> sources = new java.util.ArrayList<>(List.of(SecretWatch.eventSource(context),
                JobWatch.eventSource(context)));
        sources.addAll(RolloutWatch.eventSources(context));
        return sources;
    }

    /** For tests: the Event a stalled status emits. */
    static EventReason eventFor(String reason) {
        return Observed.reason(reason).map(Reason::event).orElse(EventReason.StepFailed);
    }
}
