package dev.tandem.operator;

import dev.tandem.api.v1alpha1.DatabaseStatus;
import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.PlanStatus;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.SchemaMigrationStatus;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.engine.EngineException;
import dev.tandem.engine.LedgerState;
import dev.tandem.engine.MigrationEngine;
import dev.tandem.operator.handlers.HandlerResult;
import dev.tandem.operator.handlers.PhaseHandlers;
import dev.tandem.operator.handlers.StepContext;
import dev.tandem.operator.handlers.VerifyHandler;
import dev.tandem.api.v1alpha1.VerifySpec;
import dev.tandem.plan.VerifyTuning;
import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import dev.tandem.plan.SpecValidator;
import io.fabric8.kubernetes.api.model.Secret;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
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
 * The conductor: observes the database ledger, checks the gates, asks the handler of the next
 * phase for one step, records the whole status, returns. Intent is recorded in status before a
 * step runs; on the next pass the ledger tells whether the step already committed.
 */
@ControllerConfiguration(name = Names.CONTROLLER, finalizerName = Names.FINALIZER, fieldManager = Names.FIELD_MANAGER)
public class SchemaMigrationReconciler implements Reconciler<SchemaMigration>, Cleaner<SchemaMigration> {
    static final Duration RECHECK_SECRET = Duration.ofMinutes(2);

    private final PhaseHandlers handlers;
    private final PlanPublisher plans;
    private final EventRecorder events;
    private final EngineFactory engines;
    private final Clock clock;
    private final MigrationMetrics metrics;
    private final Deletion deletion;
    private final JobFactory jobs;

    public SchemaMigrationReconciler(PhaseHandlers handlers, PlanPublisher plans, EventRecorder events,
                                     EngineFactory engines, Clock clock, MigrationMetrics metrics, Deletion deletion,
                                     JobFactory jobs) {
        this.jobs = jobs;
        this.metrics = metrics;
        this.deletion = deletion;
        this.handlers = handlers;
        this.plans = plans;
        this.events = events;
        this.engines = engines;
        this.clock = clock;
    }

    @Override
    public UpdateControl<SchemaMigration> reconcile(SchemaMigration m, Context<SchemaMigration> context) {
        StatusAggregator status = new StatusAggregator(m, Instant.now(clock));
        Optional<Duration> requeue = conduct(m, context, status);
        if (status.newlyStalled()) {
            events.record(m, eventFor(status.build()), status.build().getMessage());
        }
        if (status.becameTrue(Names.Conditions.AWAITING_PROMOTION)) {
            events.record(m, EventReason.AwaitingPromotion, status.build().getMessage());
        }
        if (status.changed()) {
            SchemaMigrationStatus built = status.build();
            PrimaryUpdateAndCacheUtils.updateStatusAndCacheResource(m, context, r -> {
                r.setStatus(built);
                return r;
            });
        }
        metrics.observe(m.getMetadata().getUid(), status.build(), Instant.now(clock));
        UpdateControl<SchemaMigration> control = UpdateControl.noUpdate();
        return requeue.map(control::rescheduleAfter).orElse(control);
    }

    private Optional<Duration> conduct(SchemaMigration m, Context<SchemaMigration> context, StatusAggregator status) {
        List<String> errors = SpecValidator.validate(m.getSpec(), true);
        if (!errors.isEmpty()) {
            status.stalled(Names.Reasons.INVALID_SPEC, String.join("; ", errors));
            return Optional.empty();
        }
        MigrationPlan plan = Planner.plan(m);
        Connected db = connect(m, context, status, plan);
        if (db == null) {
            return Optional.of(RECHECK_SECRET);
        }
        status.ledger(db.ledger);
        Optional<MigrationGate.Stop> stop = MigrationGate.check(m, plan, db.ledger);
        if (stop.isPresent() && Names.Reasons.SPEC_IMMUTABLE.equals(stop.get().reason())) {
            status.stalled(stop.get().reason(), stop.get().message());
            return Optional.empty();
        }
        status.plan(new PlanStatus(plan.hash(), plan.summary(), plans.publish(m, plan)));
        String secret = m.getSpec().getDatabase().getSecretRef().getName();
        status.database(new DatabaseStatus(db.ledger.started() || status.previous().getDatabase() != null ? secret : null,
                db.engine.target().server(), db.version));
        if (stop.isPresent()) {
            status.stalled(stop.get().reason(), stop.get().message());
            return Optional.empty();
        }
        Phase settled = db.ledger.settledPhase();
        Optional<Phase> next = settled.nextToward(m.getSpec().getTargetPhase());
        if (next.isEmpty()) {
            status.ready(settled, "reached " + settled,
                    MigrationGate.nextPromotion(settled, plan).orElse(null));
            return settled == Phase.Verified && !m.getSpec().isSuspended() ? reverify(m, plan, db, status) : Optional.empty();
        }
        if (m.getSpec().isSuspended()) {
            status.suspended(settled);
            jobs.suspendAll(m);
            if (status.previous().condition(Names.Conditions.READY).map(c -> !Names.Reasons.SUSPENDED.equals(c.getReason()))
                    .orElse(true)) {
                events.record(m, EventReason.Suspended, status.build().getMessage());
            }
            return Optional.empty();
        }
        Phase inFlight = next.get().inFlightPhase().orElseThrow();
        if (status.previous().getPhase() != inFlight) {
            if ((inFlight == Phase.RollingBack || inFlight == Phase.CuttingOver) && plan.verifies()) {
                jobs.deleteAll(m); // a running backfill or verification must not work on what the step changes
            }
            status.intend(inFlight, plan.hash(), reference(m));
            events.record(m, EventReason.StepStarted, inFlight + ": running " + LedgerState.stepTo(next.get()).key()
                    + " of plan " + plan.hash());
            return Optional.of(Duration.ZERO);
        }
        HandlerResult result = handlers.forPhase(next.get()).handle(context(m, plan, db));
        return record(m, status, db, result);
    }

    private StepContext context(SchemaMigration m, MigrationPlan plan, Connected db) {
        VerifySpec verify = m.getSpec().getVerify();
        return new StepContext(m.getMetadata().getUid(), plan, db.engine, BackfillTuning.from(m.getSpec().getBackfill()),
                VerifyTuning.from(verify), verify == null || verify.getRetry() == null ? "" : verify.getRetry(),
                jobs.forMigration(m, db.secret), Instant.now(clock));
    }

    /** Waiting at Verified: keep re-verifying (spec.verify.reverifyEvery) and show the latest pass. */
    private Optional<Duration> reverify(SchemaMigration m, MigrationPlan plan, Connected db, StatusAggregator status) {
        Optional<VerifyHandler.Watch> watch = handlers.verify().watch(context(m, plan, db));
        if (watch.isEmpty()) {
            return Optional.empty();
        }
        VerifyHandler.Watch w = watch.get();
        status.verification(w.state(), w.job(), w.nextRun());
        metrics.verification(m.getMetadata().getUid(), w.state());
        if (w.failure() != null) {
            status.stalled(VerifyHandler.JOB_FAILED, w.failure());
        } else if (w.job() != null) {
            status.note("re-verifying: " + w.state().describe());
        }
        return Optional.ofNullable(w.recheck());
    }

    private Optional<Duration> record(SchemaMigration m, StatusAggregator status, Connected db, HandlerResult result) {
        if (result.verification() != null) {
            status.verification(result.verification(), result instanceof HandlerResult.Waiting w ? w.job() : null, null);
            metrics.verification(m.getMetadata().getUid(), result.verification());
        }
        if (result instanceof HandlerResult.Advanced a) {
            status.advanced(a.phase(), a.detail());
            if (a.phase() == Phase.Backfilled && status.previous().getBackfill() != null) {
                status.backfillDone();
            }
            refreshLedger(status, db);
            events.record(m, a.phase() == Phase.CutOver ? EventReason.PointOfNoReturnPassed
                    : EventReason.StepSucceeded, a.phase() + ": " + a.detail());
            return Optional.of(Duration.ZERO);
        }
        if (result instanceof HandlerResult.Waiting w) {
            status.waiting(w.message(), w.progress(), w.progress() == null ? null : w.job());
            return Optional.of(w.recheck());
        }
        if (result instanceof HandlerResult.Retry r) {
            boolean sameError = status.previous().getLastError() != null
                    && r.reason().equals(status.previous().getLastError().getReason());
            status.retrying(r.reason(), r.message(), Instant.now(clock).plus(r.retryIn()));
            if (!sameError) {
                events.record(m, EventReason.StepRetrying, r.message());
            }
            return Optional.of(r.retryIn());
        }
        HandlerResult.Failed f = (HandlerResult.Failed) result;
        status.failed(f.reason(), f.message());
        events.record(m, EventReason.StepFailed, f.message());
        return Optional.empty();
    }

    private void refreshLedger(StatusAggregator status, Connected db) {
        try {
            status.ledger(db.engine.state(db.ledger.key()));
        } catch (EngineException e) {
            // The step committed; milestones catch up on the next pass.
        }
    }

    private record Connected(MigrationEngine engine, LedgerState ledger, String version, Secret secret) {
    }

    /** Resolves the Secret, connects and reads the ledger; on failure records why and returns null. */
    private Connected connect(SchemaMigration m, Context<SchemaMigration> context, StatusAggregator status,
                              MigrationPlan plan) {
        String secretName = m.getSpec().getDatabase().getSecretRef().getName();
        try {
            Secret secret = context.getSecondaryResource(Secret.class).orElse(null);
            DatabaseTarget target = CredentialsResolver.resolve(secret, m.getMetadata().getNamespace(), secretName);
            MigrationEngine engine = engines.create(target, m.getSpec());
            MigrationEngine.Observation seen = engine.observe(plan.key());
            String version = seen.serverVersion();
            LedgerState ledger = seen.state();
            status.databaseConnected(true, Names.Reasons.CONNECTED, "PostgreSQL " + version + " at " + target.server());
            return new Connected(engine, ledger, version, secret);
        } catch (CredentialsResolver.CredentialsException e) {
            status.databaseConnected(false, e.reason(), e.getMessage());
            status.stalled(e.reason(), e.getMessage());
        } catch (EngineException e) {
            status.databaseConnected(false, e.reason(), e.getMessage());
            if (e.isTransient()) {
                status.retrying(e.reason(), e.getMessage(), Instant.now(clock).plus(RECHECK_SECRET));
            } else {
                status.stalled(e.reason(), e.getMessage() + "; check the credentials in Secret " + secretName
                        + " (keys user/username and password, or those inside jdbc-uri or uri)");
            }
        }
        return null;
    }

    @Override
    public DeleteControl cleanup(SchemaMigration m, Context<SchemaMigration> context) {
        metrics.forget(m.getMetadata().getUid());
        return deletion.cleanup(m, context.getSecondaryResource(Secret.class).orElse(null));
    }

    @Override
    public List<EventSource<?, SchemaMigration>> prepareEventSources(EventSourceContext<SchemaMigration> context) {
        return List.of(SecretWatch.eventSource(context));
    }

    private static String reference(SchemaMigration m) {
        return m.getSpec().getPromotion() == null ? null : m.getSpec().getPromotion().getReference();
    }

    private static EventReason eventFor(SchemaMigrationStatus s) {
        String reason = s.getLastError() == null ? "" : s.getLastError().getReason();
        return switch (reason) {
            case Names.Reasons.PLAN_HASH_MISMATCH, Names.Reasons.TARGET_PHASE_BEHIND, Names.Reasons.ROLLED_BACK_IS_FINAL,
                 EngineException.POINT_OF_NO_RETURN -> EventReason.PromotionRefused;
            case Names.Reasons.SPEC_IMMUTABLE -> EventReason.SpecImmutable;
            case VerifyHandler.FAILED, VerifyHandler.INCONCLUSIVE -> EventReason.VerificationFailed;
            case Names.Reasons.INVALID_SPEC -> EventReason.InvalidSpec;
            case Names.Reasons.SECRET_NOT_FOUND, Names.Reasons.SECRET_KEY_MISSING, EngineException.AUTHENTICATION_FAILED,
                 EngineException.DATABASE_UNAVAILABLE -> EventReason.DatabaseUnavailable;
            default -> EventReason.StepFailed;
        };
    }
}
