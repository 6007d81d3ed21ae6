package dev.tandem.cli;

import dev.tandem.engine.BackfillProgress;
import dev.tandem.engine.Backfiller;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.engine.EngineException;
import dev.tandem.engine.EngineSettings;
import dev.tandem.engine.Verifier;
import dev.tandem.engine.VerifyState;
import dev.tandem.engine.conductor.Workers;
import dev.tandem.plan.BackfillTuning;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.VerifyTuning;

import java.io.PrintWriter;

/**
 * The backfill and the verification passes of {@code tandem run}: in this process, each call
 * returning when its work is done, with a progress line while it runs.
 */
final class InProcessWorkers implements Workers {
    static final String NAME = "in-process";
    private static final String RETRY_HINT = "run the same command again";

    private final DatabaseTarget target;
    private final EngineSettings settings;
    private final Progress progress;

    InProcessWorkers(DatabaseTarget target, EngineSettings settings, Progress progress) {
        this.target = target;
        this.settings = settings;
        this.progress = progress;
    }

    @Override
    public Worker backfill(MigrationPlan plan, BackfillTuning tuning, boolean suspend) {
        Backfiller backfiller = new Backfiller(target, settings, tuning);
        long started = System.nanoTime();
        try {
            backfiller.run(plan, 0, 1, new Backfiller.Listener() {
                @Override
                public void batch(int entry, int shard, long rowsWritten, long pagesDone, int batchPages) {
                    progress.update(() -> {
                        BackfillProgress p = backfiller.progress(plan);
                        return "Backfilling ... " + Progress.bar(p.percent()) + " " + p.percent() + "% " + p.rowsProcessed()
                                + " rows, " + Math.round(p.rowsPerSecond()) + " rows/s"
                                + (p.etaSeconds() >= 0 ? ", " + p.etaSeconds() + "s to go" : "");
                    });
                }

                @Override
                public void paused(String reason) {
                    progress.update(() -> "Backfilling ... paused: " + reason);
                }
            });
            BackfillProgress p = backfiller.progress(plan);
            progress.done("Backfilling ... " + Progress.bar(100) + " 100% " + p.rowsProcessed() + " rows in "
                    + (System.nanoTime() - started) / 1_000_000 + " ms"
                    + (p.failedRows() > 0 ? ", " + p.failedRows() + " rows failed (see " + settings.trackingSchema()
                    + ".sync_errors)" : ""));
            return new Worker(NAME, State.SUCCEEDED, null, null, RETRY_HINT);
        } catch (EngineException e) {
            progress.done("Backfilling ... stopped");
            return new Worker(NAME, State.FAILED, e.getMessage(), e.reason(), RETRY_HINT);
        }
    }

    @Override
    public Worker verify(MigrationPlan plan, int pass, String retryToken, VerifyTuning tuning, boolean suspend) {
        Verifier verifier = new Verifier(target, settings, tuning);
        long started = System.nanoTime();
        try {
            VerifyState state = verifier.run(plan, pass, retryToken, new Verifier.Listener() {
                @Override
                public void chunk(int entry, long rowsWalked, long mismatches) {
                    progress.update(() -> {
                        VerifyState p = verifier.state(plan);
                        return "Verifying pass " + pass + " ... " + Progress.bar(p.percent()) + " " + p.percent() + "% "
                                + p.rowsChecked() + " rows, " + p.mismatches() + " mismatches";
                    });
                }
            });
            progress.done("Verifying pass " + pass + " ... " + Progress.bar(100) + " " + state.result() + ": "
                    + state.rowsChecked() + " rows, " + state.mismatches() + " mismatches in "
                    + (System.nanoTime() - started) / 1_000_000 + " ms");
            return new Worker(NAME, State.SUCCEEDED, null, null, RETRY_HINT);
        } catch (EngineException e) {
            progress.done("Verifying pass " + pass + " ... stopped");
            return new Worker(NAME, State.FAILED, e.getMessage(), e.reason(), RETRY_HINT);
        }
    }

    /**
     * One progress line: redrawn in place on a terminal, a line every few seconds otherwise, and a
     * final line when the work is done.
     */
    static final class Progress {
        interface Line {
            String text() throws EngineException;
        }

        private final PrintWriter out;
        private final boolean terminal;
        private final long everyNanos;
        private long last;

        Progress(PrintWriter out, boolean terminal) {
            this.out = out;
            this.terminal = terminal;
            this.everyNanos = terminal ? 500_000_000L : 5_000_000_000L;
        }

        void update(Line line) {
            long now = System.nanoTime();
            if (now - last < everyNanos) {
                return;
            }
            last = now;
            try {
                String text = "  " + line.text();
                if (terminal) {
                    out.print("\r" + text + "   ");
                } else {
                    out.println(text);
                }
                out.flush();
            } catch (EngineException ignored) {
                // a progress line only
            }
        }

        void done(String text) {
            if (terminal) {
                out.print("\r");
            }
            out.println("  " + text + (terminal ? "   " : ""));
            out.flush();
            last = 0;
        }

        static String bar(int percent) {
            int filled = Math.max(0, Math.min(20, percent / 5));
            return "[" + "#".repeat(filled) + ".".repeat(20 - filled) + "]";
        }
    }
}
