package dev.tandem.cli;

import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.engine.BackfillProgress;
import dev.tandem.engine.EngineException;
import dev.tandem.engine.LedgerState;
import dev.tandem.engine.MigrationEngine;
import dev.tandem.engine.OldStorageState;
import dev.tandem.engine.VerifyState;
import dev.tandem.plan.MigrationPlan;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What {@code tandem run} did, printed when it ends, whichever way: the time each phase took in
 * this run (the in-process backfill and verification included, not only the step's commit), rows
 * copied and their rate, the verification passes, old-storage writes seen, and what to type next.
 */
final class RunSummary {
    private final long started = System.nanoTime();
    private final Map<Phase, Duration> phases = new LinkedHashMap<>();
    private Phase running;
    private long runningSince;
    private BackfillProgress backfill;
    private VerifyState verification;
    private OldStorageState oldStorage;
    private String next = "see the error above";

    /** The run works toward {@code phase} now; true when it just started to. */
    boolean starting(Phase phase) {
        if (phase == running) {
            return false;
        }
        running = phase;
        runningSince = System.nanoTime();
        return true;
    }

    /** The run reached {@code phase}; returns how long it took in this run. */
    Duration reached(Phase phase) {
        Duration took = phase == running ? Duration.ofNanos(System.nanoTime() - runningSince) : Duration.ZERO;
        phases.put(phase, took);
        running = null;
        return took;
    }

    /**
     * Reads the backfill's progress, the latest verification pass and the old-storage watch; called
     * before contract too, which removes them from the tracking schema.
     */
    void capture(MigrationEngine engine, MigrationPlan plan, LedgerState ledger) throws EngineException {
        if (!ledger.started() || ledger.applied(Step.CONTRACT)) {
            return;
        }
        backfill = plan.sync().isEmpty() ? null : engine.backfillProgress(plan);
        verification = engine.verification(plan);
        oldStorage = ledger.pastPointOfNoReturn() ? engine.oldStorage(plan) : null;
    }

    void next(String text) {
        next = text;
    }

    void print(PrintWriter out, MigrationEngine engine, MigrationPlan plan, int exitCode) {
        out.println("Summary (exit " + exitCode + ", " + seconds(Duration.ofNanos(System.nanoTime() - started)) + "):");
        try {
            LedgerState ledger = engine.state(plan.key());
            Phase settled = ledger.settledPhase();
            String label = settled.stepLabel();
            out.println("  phase:        " + settled + (label.isEmpty() ? "" : " (" + label + ")"));
            List<String> times = new ArrayList<>();
            phases.forEach((phase, took) -> times.add(phase + " " + seconds(took)));
            if (running != null) {
                times.add(running + " " + seconds(Duration.ofNanos(System.nanoTime() - runningSince)) + " (not reached)");
            }
            out.println("  time:         " + (times.isEmpty() ? "no step ran in this run" : String.join(", ", times)));
            capture(engine, plan, ledger);
            printWork(out);
        } catch (EngineException e) {
            out.println("  (could not read the migration's state: " + e.getMessage() + ")");
        }
        out.println("  next:         " + next);
        out.flush();
    }

    private void printWork(PrintWriter out) {
        Duration took = phases.get(Phase.Backfilled);
        if (took == null && running == Phase.Backfilled) {
            took = Duration.ofNanos(System.nanoTime() - runningSince);
        }
        BackfillProgress p = backfill;
        if (p != null && p.shardsTotal() > 0) {
            out.println("  backfill:     " + p.rowsProcessed() + " rows copied" + (took == null ? " (in an earlier run)"
                    : " in " + seconds(took) + " (" + rate(p.rowsProcessed(), took) + " rows/s)")
                    + (p.complete() ? "" : ", " + p.percent() + "% done")
                    + (p.failedRows() > 0 ? ", " + p.failedRows() + " rows failed" : ""));
        }
        VerifyState v = verification;
        if (v != null && v.pass() > 0) {
            out.println("  verification: " + v.pass() + (v.pass() == 1 ? " pass" : " passes") + ", latest "
                    + (v.running() || v.result() == null ? "not finished" : v.result().toLowerCase(Locale.ROOT)) + ": "
                    + v.rowsChecked() + " rows checked, " + v.mismatches() + " mismatched");
        }
        OldStorageState old = oldStorage;
        if (old != null) {
            out.println("  old storage:  " + old.writes() + " write" + (old.writes() == 1 ? "" : "s")
                    + " seen since cutover" + (old.writes() > 0 ? " (latest: " + old.describeLast() + ")" : ""));
        }
    }

    static String seconds(Duration d) {
        long ms = d.toMillis();
        return ms < 10_000 ? String.format(Locale.ROOT, "%.1f s", ms / 1000.0) : ms / 1000 + " s";
    }

    private static long rate(long rows, Duration took) {
        return took.toMillis() <= 0 ? rows : Math.round(rows * 1000.0 / took.toMillis());
    }
}
