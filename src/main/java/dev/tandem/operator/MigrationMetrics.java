package dev.tandem.operator;

import dev.tandem.api.v1alpha1.BackfillStatus;
import dev.tandem.api.v1alpha1.HistoryEntry;
import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.SchemaMigrationStatus;
import dev.tandem.api.v1alpha1.StatusCondition;
import dev.tandem.engine.BlockingSession;
import dev.tandem.engine.StepListener;
import dev.tandem.engine.VerifyState;
import dev.tandem.api.v1alpha1.Step;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.ToDoubleFunction;

/**
 * Prometheus metrics (at /q/metrics), for what an on-call person asks: how far is the backfill and
 * how fast, why is it paused, did verification find anything, does anything still write to the old
 * storage, how long do phases take, are DDL steps fighting for locks, and where is every migration.
 *
 * <p>Every metric name is defined here (as Micrometer names; the Prometheus registry adds the unit
 * suffix and {@code _total}) and documented in docs/metrics.md. Labels are bounded sets (phase,
 * step, result, a throttle reason class, a condition reason from the closed set); never a
 * migration's name or namespace, so cardinality stays flat however many migrations run. Only the
 * leader reconciles, so only the leader's gauges count migrations.
 *
 * <p>Most values are read from the status the operator writes ({@link #observe}), whose backfill and
 * verification figures the operator reads from the tracking schema: counters grow by the difference
 * between two observations of a migration, and a migration first seen by a newly started operator
 * only sets the baseline (a restart never counts the rows copied before it twice).
 */
@ApplicationScoped
public class MigrationMetrics {
    public static final String MIGRATIONS = "tandem.migrations";
    public static final String MIGRATIONS_STALLED = "tandem.migrations.stalled";
    public static final String MIGRATIONS_VERIFICATION_FAILED = "tandem.migrations.verification.failed";
    public static final String BACKFILL_ROWS_COPIED = "tandem.backfill.rows.copied";
    public static final String BACKFILL_ROWS_PER_SECOND = "tandem.backfill.rows.per.second";
    public static final String BACKFILL_ROWS_REMAINING = "tandem.backfill.rows.remaining";
    public static final String BACKFILL_THROTTLED = "tandem.backfill.throttled";
    public static final String BACKFILLS_THROTTLED = "tandem.backfills.throttled";
    public static final String VERIFICATION_PASSES = "tandem.verification.passes";
    public static final String VERIFICATION_ROWS_CHECKED = "tandem.verification.rows.checked";
    public static final String VERIFICATION_MISMATCHED_ROWS = "tandem.verification.mismatched.rows";
    public static final String OLD_STORAGE_WRITES = "tandem.old.storage.writes";
    public static final String PHASE_DURATION = "tandem.phase.duration";
    public static final String STEPS = "tandem.steps";
    public static final String STEP_DURATION = "tandem.step.duration";
    public static final String LOCK_TIMEOUT_RETRIES = "tandem.lock.timeout.retries";
    public static final String LOCK_TIMEOUTS = "tandem.lock.timeouts";

    /** Classes of {@code status.backfill.throttledReason}, the values of the {@code reason} label. */
    public static final String THROTTLE_REPLICATION_LAG = "replication_lag";
    public static final String THROTTLE_TRANSACTION_AGE = "transaction_age";
    public static final String THROTTLE_OTHER = "other";
    public static final List<String> THROTTLE_REASONS = List.of(THROTTLE_REPLICATION_LAG, THROTTLE_TRANSACTION_AGE,
            THROTTLE_OTHER);

    /** Longest gap between two observations still counted as throttled time (the operator looks every few seconds). */
    static final Duration MAX_THROTTLE_GAP = Duration.ofMinutes(1);
    private static final Duration[] PHASE_BUCKETS = {Duration.ofSeconds(1), Duration.ofSeconds(10),
            Duration.ofMinutes(1), Duration.ofMinutes(5), Duration.ofMinutes(15), Duration.ofHours(1),
            Duration.ofHours(6), Duration.ofHours(24), Duration.ofDays(3)};

    private final MeterRegistry registry;
    private final Map<String, Seen> seen = new ConcurrentHashMap<>();
    private final Map<String, Long> mismatches = new ConcurrentHashMap<>();
    private final Map<String, Integer> countedPass = new ConcurrentHashMap<>();
    private final Map<String, Long> oldStorageSeen = new ConcurrentHashMap<>();
    private final Set<String> stallReasons = ConcurrentHashMap.newKeySet();
    private final Counter rowsCopied;
    private final Counter oldStorageWrites;
    private final Map<String, Counter> throttledSeconds = new ConcurrentHashMap<>();

    /** What the last observation of one migration showed. */
    private record Seen(Phase phase, String stalledReason, boolean verificationFailed, long rowsProcessed,
                        double rowsPerSecond, long rowsRemaining, String throttled, Instant at, Set<String> openHistory) {
    }

    public MigrationMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (Phase phase : Phase.values()) {
            gauge(MIGRATIONS, "SchemaMigrations by current phase", s -> s.phase() == phase ? 1 : 0, "phase", phase.name());
        }
        gauge(MIGRATIONS_VERIFICATION_FAILED, "Migrations whose latest verification pass did not pass (Failed or "
                + "Inconclusive)", s -> s.verificationFailed() ? 1 : 0);
        register(VERIFICATION_MISMATCHED_ROWS, "Mismatched rows found by the latest verification pass, over all migrations",
                mismatches, m -> m.values().stream().mapToLong(Long::longValue).sum());
        gauge(BACKFILL_ROWS_PER_SECOND, "Current copy rate of the running backfills, as their Jobs measure it",
                Seen::rowsPerSecond);
        gauge(BACKFILL_ROWS_REMAINING, "Rows the running backfills still have to copy (from PostgreSQL's row estimate)",
                s -> s.rowsRemaining());
        rowsCopied = Counter.builder(BACKFILL_ROWS_COPIED)
                .description("Rows written to the new storage by backfill Jobs (read from the tracking schema)")
                .register(registry);
        for (String reason : THROTTLE_REASONS) {
            throttledSeconds.put(reason, Counter.builder(BACKFILL_THROTTLED).baseUnit("seconds")
                    .description("Time backfills spent paused by their throttle, by reason").tag("reason", reason)
                    .register(registry));
            gauge(BACKFILLS_THROTTLED, "Backfills paused by their throttle now, by reason",
                    s -> reason.equals(s.throttled()) ? 1 : 0, "reason", reason);
        }
        oldStorageWrites = Counter.builder(OLD_STORAGE_WRITES)
                .description("Writes that reached the old storage after cutover (seen by the old-storage watch)")
                .register(registry);
        for (String result : List.of(VerifyState.PASSED, VerifyState.FAILED, VerifyState.INCONCLUSIVE)) {
            passes(result);
        }
        rowsChecked();
        for (Step step : Step.values()) {
            lockTimeoutRetries(step.key());
            lockTimeouts(step.key());
        }
    }

    private void gauge(String name, String description, ToDoubleFunction<Seen> value, String... tags) {
        register(name, description, seen, m -> m.values().stream().mapToDouble(value).sum(), tags);
    }

    /**
     * Registers a gauge of this instance's state, replacing one of the same name and tags: a
     * registry that outlives an application restart (as in tests) would otherwise keep the first
     * instance's gauge, since Micrometer ignores a second registration of the same meter. Held
     * strongly, so that it never turns NaN while the registry lives.
     */
    private <T> void register(String name, String description, T state, ToDoubleFunction<T> value, String... tags) {
        registry.find(name).tags(tags).gauges().forEach(registry::remove);
        Gauge.builder(name, state, value).description(description).tags(tags).strongReference(true).register(registry);
    }

    /**
     * The status the operator wrote for a migration (after each reconcile): its phase, whether it is
     * stalled and why, the backfill's progress and throttle, and the history entries that closed.
     */
    public void observe(String uid, SchemaMigrationStatus status, Instant now) {
        if (uid == null || status == null || status.getPhase() == null) {
            return;
        }
        Seen before = seen.get(uid);
        Phase phase = status.getPhase();
        String stalled = status.condition(Names.Conditions.STALLED).filter(c -> "True".equals(c.getStatus()))
                .map(StatusCondition::getReason).map(r -> r == null || r.isBlank() ? "Unknown" : r).orElse(null);
        if (stalled != null && stallReasons.add(stalled)) {
            gauge(MIGRATIONS_STALLED, "Migrations that need a person (Stalled=True), by the condition's reason",
                    s -> stalled.equals(s.stalledReason()) ? 1 : 0, "reason", stalled);
        }
        boolean verificationFailed = status.getVerification() != null
                && (VerifyState.FAILED.equals(status.getVerification().getResult())
                || VerifyState.INCONCLUSIVE.equals(status.getVerification().getResult()));

        BackfillStatus b = status.getBackfill();
        long processed = b == null || b.getRowsProcessed() == null ? 0 : b.getRowsProcessed();
        if (before != null && processed > before.rowsProcessed()) {
            rowsCopied.increment(processed - before.rowsProcessed());
        }
        boolean backfilling = phase == Phase.Backfilling && b != null;
        double rate = backfilling && b.getRowsPerSecond() != null ? b.getRowsPerSecond() : 0;
        long remaining = backfilling && b.getRowsTotal() != null ? Math.max(0, b.getRowsTotal() - processed) : 0;
        String throttled = backfilling ? throttleClass(b.getThrottledReason()) : null;
        if (before != null && before.throttled() != null && now.isAfter(before.at())) {
            Duration gap = Duration.between(before.at(), now);
            throttledSeconds.get(before.throttled()).increment(
                    (gap.compareTo(MAX_THROTTLE_GAP) > 0 ? MAX_THROTTLE_GAP : gap).toMillis() / 1000.0);
        }

        Set<String> open = new HashSet<>();
        for (HistoryEntry h : status.getHistory() == null ? List.<HistoryEntry>of() : status.getHistory()) {
            String key = h.getPhase() + "@" + h.getStart();
            if (h.getEnd() == null) {
                open.add(key);
            } else if (before != null && before.openHistory().contains(key)) {
                phaseEnded(h);
            }
        }
        seen.put(uid, new Seen(phase, stalled, verificationFailed, processed, rate, remaining, throttled, now, open));
    }

    private void phaseEnded(HistoryEntry h) {
        try {
            Duration took = Duration.between(Instant.parse(h.getStart()), Instant.parse(h.getEnd()));
            Phase settled = Phase.valueOf(h.getPhase());
            Timer.builder(PHASE_DURATION).description("Time from a step's intent to its end (the whole in-flight phase: "
                            + "a backfill's or verification's Job included), by phase and result")
                    .tag("phase", settled.inFlightPhase().orElse(settled).name())
                    .tag("result", Objects.requireNonNullElse(h.getResult(), "Unknown"))
                    .serviceLevelObjectives(PHASE_BUCKETS).register(registry).record(took.isNegative() ? Duration.ZERO : took);
        } catch (DateTimeParseException | IllegalArgumentException e) {
            // a history entry the operator did not write: nothing to measure
        }
    }

    /** The class of a throttle reason the backfill recorded (engine Throttle), or null when not throttled. */
    static String throttleClass(String reason) {
        if (reason == null || reason.isBlank()) {
            return null;
        }
        String r = reason.toLowerCase(Locale.ROOT);
        if (r.contains("replication")) {
            return THROTTLE_REPLICATION_LAG;
        }
        if (r.contains("transaction")) {
            return THROTTLE_TRANSACTION_AGE;
        }
        return THROTTLE_OTHER;
    }

    /**
     * Writes to the old storage after cutover as the old-storage watch counts them for a migration
     * ({@code status.oldStorage.writesSinceCutover}); the counter grows by the difference.
     */
    public void oldStorageWrites(String uid, long writesSinceCutover) {
        if (uid == null) {
            return;
        }
        Long last = oldStorageSeen.get(uid);
        long base = last != null ? last : seen.containsKey(uid) ? 0 : writesSinceCutover;
        if (writesSinceCutover > base) {
            oldStorageWrites.increment(writesSinceCutover - base);
        }
        oldStorageSeen.put(uid, writesSinceCutover);
    }

    /** The latest verification pass of a migration: its mismatches, and each finished pass counted once by result. */
    public void verification(String uid, VerifyState state) {
        if (uid == null || state == null || state.pass() == 0) {
            return;
        }
        mismatches.put(uid, state.mismatches());
        if (state.finished() && !Integer.valueOf(state.pass()).equals(countedPass.put(uid, state.pass()))) {
            passes(state.result()).increment();
            rowsChecked().increment(state.rowsChecked());
        }
    }

    private Counter passes(String result) {
        return Counter.builder(VERIFICATION_PASSES).description("Finished verification passes by result")
                .tag("result", Objects.requireNonNullElse(result, "Unknown")).register(registry);
    }

    private Counter rowsChecked() {
        return Counter.builder(VERIFICATION_ROWS_CHECKED)
                .description("Rows compared by finished verification passes").register(registry);
    }

    /** A step attempt ended: result is applied, already_applied, retry or failed. */
    public void step(String step, String result, Duration took) {
        Counter.builder(STEPS).description("Step attempts by step and result")
                .tag("step", step).tag("result", result).register(registry).increment();
        if (took != null) {
            Timer.builder(STEP_DURATION).description("Time to run a step's SQL").tag("step", step)
                    .register(registry).record(took);
        }
    }

    /** A step gave up on lock_timeout after every attempt; the operator retries it later. */
    public void lockTimeout(String step) {
        lockTimeouts(step).increment();
    }

    /** The conductor's step observer, recording into these metrics. */
    public dev.tandem.engine.conductor.StepObserver observer() {
        return new dev.tandem.engine.conductor.StepObserver() {
            @Override
            public void step(Step step, String outcome, Duration took) {
                MigrationMetrics.this.step(step.key(), outcome, took);
            }

            @Override
            public void lockTimeout(Step step) {
                MigrationMetrics.this.lockTimeout(step.key());
            }

            @Override
            public StepListener listener() {
                return stepListener();
            }
        };
    }

    private Counter lockTimeouts(String step) {
        return Counter.builder(LOCK_TIMEOUTS).description("Steps that gave up on lock_timeout after every attempt "
                + "(retried by the operator later)").tag("step", step).register(registry);
    }

    private Counter lockTimeoutRetries(String step) {
        return Counter.builder(LOCK_TIMEOUT_RETRIES).description("DDL transactions that hit lock_timeout and were "
                + "retried with backoff").tag("step", step).register(registry);
    }

    /** Hears a step's lock-timeout retries. */
    public StepListener stepListener() {
        return new StepListener() {
            @Override
            public void lockTimeout(Step step, int unit, int attempt, Duration retryIn, List<BlockingSession> blockers) {
                lockTimeoutRetries(step.key()).increment();
            }
        };
    }

    public void forget(String uid) {
        if (uid != null) {
            seen.remove(uid);
            mismatches.remove(uid);
            countedPass.remove(uid);
            oldStorageSeen.remove(uid);
        }
    }
}
