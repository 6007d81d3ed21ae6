package dev.tandem.operator;

import dev.tandem.api.v1alpha1.Phase;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Prometheus metrics (at /q/metrics). Labels are bounded sets (step, result, phase); never a
 * migration's name, so cardinality stays flat however many migrations run.
 */
@ApplicationScoped
public class MigrationMetrics {
    private final MeterRegistry registry;
    private final Map<String, Phase> phases = new ConcurrentHashMap<>();
    private final Map<String, Long> mismatches = new ConcurrentHashMap<>();
    private final Map<String, Integer> countedPass = new ConcurrentHashMap<>();

    public MigrationMetrics(MeterRegistry registry) {
        this.registry = registry;
        for (Phase phase : Phase.values()) {
            Gauge.builder("tandem.migrations", phases, m -> m.values().stream().filter(p -> p == phase).count())
                    .description("SchemaMigrations by current phase").tag("phase", phase.name()).register(registry);
        }
        Gauge.builder("tandem.verification.mismatched.rows", mismatches, m -> m.values().stream().mapToLong(Long::longValue).sum())
                .description("Mismatched rows found by the latest verification pass, over all migrations").register(registry);
    }

    /** The latest verification pass of a migration: its mismatches, and each finished pass counted once by result. */
    public void verification(String uid, dev.tandem.engine.VerifyState state) {
        if (uid == null || state == null || state.pass() == 0) {
            return;
        }
        mismatches.put(uid, state.mismatches());
        if (state.finished() && !Integer.valueOf(state.pass()).equals(countedPass.put(uid, state.pass()))) {
            Counter.builder("tandem.verification.passes").description("Finished verification passes by result")
                    .tag("result", state.result()).register(registry).increment();
            Counter.builder("tandem.verification.rows.checked").description("Rows compared by finished verification passes")
                    .register(registry).increment(state.rowsChecked());
        }
    }

    /** A step attempt ended: result is applied, already_applied, retry or failed. */
    public void step(String step, String result, Duration took) {
        Counter.builder("tandem.steps").description("Step attempts by step and result")
                .tag("step", step).tag("result", result).register(registry).increment();
        if (took != null) {
            Timer.builder("tandem.step.duration").description("Time to run a step").tag("step", step)
                    .register(registry).record(took);
        }
    }

    public void lockTimeout(String step) {
        Counter.builder("tandem.lock.timeouts").description("Steps that gave up on lock_timeout after every retry")
                .tag("step", step).register(registry).increment();
    }

    /** The conductor's step observer, recording into these metrics. */
    public dev.tandem.engine.conductor.StepObserver observer() {
        return new dev.tandem.engine.conductor.StepObserver() {
            @Override
            public void step(dev.tandem.api.v1alpha1.Step step, String outcome, Duration took) {
                MigrationMetrics.this.step(step.key(), outcome, took);
            }

            @Override
            public void lockTimeout(dev.tandem.api.v1alpha1.Step step) {
                MigrationMetrics.this.lockTimeout(step.key());
            }
        };
    }

    public void phase(String uid, Phase phase) {
        if (uid != null && phase != null) {
            phases.put(uid, phase);
        }
    }

    public void forget(String uid) {
        if (uid != null) {
            phases.remove(uid);
            mismatches.remove(uid);
            countedPass.remove(uid);
        }
    }
}
