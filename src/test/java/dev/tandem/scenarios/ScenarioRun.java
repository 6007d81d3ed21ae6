package dev.tandem.scenarios;

import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.TargetPhase;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.engine.EngineSettings;
import dev.tandem.engine.MigrationEngine;
import dev.tandem.engine.VerifyState;
import dev.tandem.plan.Durations;
import dev.tandem.plan.MigrationPlan;
import dev.tandem.plan.Planner;
import dev.tandem.testing.TandemCatalog;
import dev.tandem.testing.TestDatabase;
import org.awaitility.Awaitility;

import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs a scenario end to end under live writes: generates its data, starts the old application's
 * workload (and the new one's, where the scenario has a reverse mapping), drives every phase to
 * Contracted, and between phases, with the writes paused, asserts the scenario's checks (each a
 * query returning the number of offending rows, 0 when right, at the phases it names), the
 * verification result, and after contract that the old storage is gone and nothing of Tandem but
 * the ledger is left. The old application stops before cutover; the new one writes after cutover
 * and after contract, and must not fail.
 */
public final class ScenarioRun {
    /** How the phases are reached: in-process by the conductor (default), or by the operator. */
    public interface Driver {
        /** Returns when {@code target} is reached; fails the test if it cannot be. */
        void reach(MigrationPlan plan, SchemaMigration migration, TargetPhase target) throws Exception;
    }

    private record Check(String name, String sql, Set<Phase> at) {
    }

    /** What the lead reports per scenario. */
    public record Report(String scenario, long size, Map<String, Long> rows, Map<Phase, Long> writes,
                         Map<Phase, Duration> time, Map<String, Long> writesPerKind, long newWrites, long differing) {
        public String describe() {
            StringBuilder b = new StringBuilder("scenario " + scenario + ": size " + size + ", rows " + rows + "\n");
            time.forEach((p, d) -> b.append(String.format("  %-11s %6d ms, %6d concurrent writes attempted%n", p, d.toMillis(),
                    writes.getOrDefault(p, 0L))));
            b.append("  writes by kind (old application, until cutover): ").append(writesPerKind).append('\n');
            b.append("  new application writes after cutover and contract: ").append(newWrites).append('\n');
            b.append("  differing rows: ").append(differing);
            return b.toString();
        }
    }

    private static final Set<Phase> COMPARED = EnumSet.of(Phase.Backfilled, Phase.Verified, Phase.CutOver);
    private final Scenario scenario;
    private final List<Check> checks = new ArrayList<>();
    private final List<String> gone = new ArrayList<>();
    private long size = Scenario.rows();
    private int threads = 3;
    private long newWritesPerThread = 150;
    private Driver driver;

    private ScenarioRun(Scenario scenario) {
        this.scenario = scenario;
    }

    public static ScenarioRun of(Scenario scenario) {
        return new ScenarioRun(scenario);
    }

    /** f(old) against new: a query counting the rows that differ, checked at Backfilled, Verified and CutOver. */
    public ScenarioRun compare(String sql) {
        checks.add(new Check("differing rows", sql, COMPARED));
        return this;
    }

    /** A scenario invariant: a query counting the rows that break it, 0 at each of {@code at}. */
    public ScenarioRun invariant(String name, String sql, Phase... at) {
        checks.add(new Check(name, sql, at.length == 0 ? COMPARED : EnumSet.of(at[0], at)));
        return this;
    }

    /** Old storage that contract removes: a table ("http_destinations") or a column ("dogs.breed"). */
    public ScenarioRun gone(String tableOrColumn) {
        gone.add(tableOrColumn);
        return this;
    }

    public ScenarioRun size(long rows) {
        this.size = rows;
        return this;
    }

    public ScenarioRun threads(int n) {
        this.threads = n;
        return this;
    }

    public ScenarioRun driver(Driver d) {
        this.driver = d;
        return this;
    }

    public Report run() throws Exception {
        DatabaseTarget db = TestDatabase.fresh("scenario_" + scenario.name());
        scenario.loadInto(db, size);
        return run(db);
    }

    /** Runs on a database that already holds the scenario's schema and data. */
    public Report run(DatabaseTarget db) throws Exception {
        SchemaMigration migration = scenario.migration();
        MigrationPlan plan = Planner.plan(migration);
        assertThat(migration.getSpec().promotedPlanHash()).as(scenario.dir() + ": promotion.planHash is the plan's hash")
                .isEqualTo(plan.hash());
        MigrationEngine engine = new MigrationEngine(db, settings(migration));
        Progress p = new Progress(db, plan, migration, engine, driver != null ? driver : new ConductorDriver(engine));
        Map<String, Long> rows = Tables.rowCounts(db);
        Workload.Definition w = scenario.workload();
        try (Workload old = Workload.start(db, "app-v1", w.old(), threads, size, 1)) {
            Workload concurrentNew = null;
            try {
                for (TargetPhase target : List.of(TargetPhase.Expanded, TargetPhase.Backfilled, TargetPhase.Verified)) {
                    underWrites(p, target, old, concurrentNew);
                    if (target == TargetPhase.Expanded && w.concurrentNew()) {
                        concurrentNew = Workload.start(db, "app-v2", w.newBeforeCutover(), 1, size, 2);
                    }
                }
                // The gates' promise: the new version runs everywhere before the point of no return.
                old.stop();
                assertThat(old.errors()).as("the old application's writes").isEmpty();
                if (concurrentNew != null) {
                    concurrentNew.stop();
                    assertThat(concurrentNew.errors()).as("the new application's writes before cutover").isEmpty();
                }
            } finally {
                if (concurrentNew != null) {
                    concurrentNew.close();
                }
            }
            long newWrites = crossAndContract(p, w);
            Report report = new Report(scenario.name(), size, rows, p.writes, p.time, old.counts(), newWrites, p.differing);
            System.out.println(report.describe());
            return report;
        }
    }

    /** What a run has measured so far, and what it works with. */
    private static final class Progress {
        final DatabaseTarget db;
        final MigrationPlan plan;
        final SchemaMigration migration;
        final MigrationEngine engine;
        final Driver driver;
        final Map<Phase, Long> writes = new LinkedHashMap<>();
        final Map<Phase, Duration> time = new LinkedHashMap<>();
        long differing;

        Progress(DatabaseTarget db, MigrationPlan plan, SchemaMigration migration, MigrationEngine engine, Driver driver) {
            this.db = db;
            this.plan = plan;
            this.migration = migration;
            this.engine = engine;
            this.driver = driver;
        }

        void reach(TargetPhase target) throws Exception {
            long started = System.nanoTime();
            driver.reach(plan, migration, target);
            time.put(target.phase(), Duration.ofNanos(System.nanoTime() - started));
        }
    }

    /** One phase reached while the application writes; then, with the writes paused, its checks. */
    private void underWrites(Progress p, TargetPhase target, Workload old, Workload concurrentNew) throws Exception {
        awaitWriting(old);
        long before = old.attempts();
        p.reach(target);
        old.pause();
        if (concurrentNew != null) {
            concurrentNew.pause();
        }
        try {
            p.writes.put(target.phase(), old.attempts() - before);
            assertThat(old.errors()).as("the old application's writes during " + target).isEmpty();
            p.differing = check(p.db, target.phase());
            if (target == TargetPhase.Verified) {
                VerifyState v = p.engine.verification(p.plan);
                assertThat(v.passed()).as("verification: " + v.describe()).isTrue();
                assertThat(v.mismatches()).isZero();
            }
        } finally {
            if (concurrentNew != null) {
                concurrentNew.resume();
            }
            old.resume();
        }
    }

    /** Cutover and contract, each followed by the new version's writes; returns how many it made. */
    private long crossAndContract(Progress p, Workload.Definition w) throws Exception {
        p.reach(TargetPhase.CutOver);
        p.differing = check(p.db, Phase.CutOver);
        long newWrites = newApplication(p.db, w, 3, "after cutover");
        var oldStorage = p.engine.oldStorage(p.plan);
        assertThat(oldStorage.writes()).as("old-storage writes after cutover, the last " + oldStorage.describeLast())
                .isZero();

        p.reach(TargetPhase.Contracted);
        for (String g : gone) {
            String[] parts = g.split("\\.");
            assertThat(parts.length == 1 ? TestDatabase.tableExists(p.db, g) : TestDatabase.columnExists(p.db, parts[0], parts[1]))
                    .as(g + " is gone after contract").isFalse();
        }
        TandemCatalog.assertNothingOfTandemButTheLedger(p.db, p.plan.key());
        check(p.db, Phase.Contracted);
        newWrites += newApplication(p.db, w, 4, "after contract");
        check(p.db, Phase.Contracted);
        return newWrites;
    }

    private long newApplication(DatabaseTarget db, Workload.Definition w, long seed, String when) throws InterruptedException {
        Workload app = Workload.runFixed(db, "app-v2", w.newApp(), threads, size, seed, newWritesPerThread);
        assertThat(app.errors()).as("the new application's writes " + when).isEmpty();
        assertThat(app.writes()).as("the new application wrote " + when).isPositive();
        return app.writes();
    }

    /** A phase's checks; returns the differing rows (0, or the test fails). */
    private long check(DatabaseTarget db, Phase phase) {
        long differing = 0;
        for (Check c : checks) {
            if (c.at().contains(phase)) {
                long n = ((Number) TestDatabase.query(db, c.sql())).longValue();
                assertThat(n).as(scenario.name() + " at " + phase + ": " + c.name() + " (" + c.sql() + ")").isZero();
                differing += n;
            }
        }
        return differing;
    }

    /** The workload is running: some writes happened since it (re)started, before the next phase begins. */
    private static void awaitWriting(Workload w) {
        long from = w.attempts();
        Awaitility.await("the workload writes").atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(5))
                .until(() -> w.attempts() >= from + 10 || !w.errors().isEmpty());
    }

    static EngineSettings settings(SchemaMigration migration) {
        return EngineSettings.defaults("scenario")
                .withTrackingSchema(Planner.trackingSchema(migration.getSpec()))
                .withTimeouts(Durations.parseOr(migration.getSpec().getLockTimeout(), Duration.ofSeconds(2)),
                        Durations.parseOr(migration.getSpec().getStatementTimeout(), Duration.ofMinutes(15)));
    }
}
