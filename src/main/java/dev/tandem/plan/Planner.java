package dev.tandem.plan;

import dev.tandem.api.v1alpha1.OldStorageMode;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.api.v1alpha1.SqlSpec;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;

/** Turns a migration's spec into its plan. Pure: same spec, same plan, same hash. */
public final class Planner {
    /** Length of the plan hash in hex digits. */
    public static final int HASH_LENGTH = 12;

    private Planner() {
    }

    public static MigrationPlan plan(SchemaMigration migration) {
        String namespace = migration.getMetadata().getNamespace() == null ? "default"
                : migration.getMetadata().getNamespace();
        return plan(namespace, migration.getMetadata().getName(), migration.getSpec());
    }

    public static MigrationPlan plan(String namespace, String name, SchemaMigrationSpec spec) {
        String trackingSchema = trackingSchema(spec);
        List<CompiledSync> sync = SyncCompiler.compile(spec.getSync(), namespace + "/" + name, trackingSchema);
        List<PlannedStatement> drops = generated(SyncCompiler.dropStatements(sync));
        List<PlanStep> steps = new ArrayList<>();
        steps.add(PlanStep.of(Step.EXPAND, concat(userStatements(spec.getExpand()),
                generated(SyncCompiler.installStatements(sync)))));
        steps.add(PlanStep.of(Step.BACKFILL, List.of()));
        steps.add(PlanStep.of(Step.VERIFY, List.of()));
        String key = namespace + "/" + name;
        List<PlannedStatement> contract = userStatements(spec.getContract());
        OldStorageMode mode = spec.getCutover() == null ? OldStorageMode.Watch : spec.getCutover().effectiveOldStorage();
        List<PlannedStatement> cutover = new ArrayList<>(generated(OldStorageSql.remember(sync,
                contract.stream().map(PlannedStatement::sql).toList())));
        cutover.addAll(drops);
        cutover.addAll(userStatements(spec.getCutover()));
        cutover.addAll(generated(OldStorageSql.install(sync, key, trackingSchema, mode,
                contract.stream().map(PlannedStatement::sql).toList())));
        steps.add(PlanStep.of(Step.CUTOVER, cutover));
        steps.add(PlanStep.of(Step.CONTRACT, concat(concat(generated(sync.isEmpty() ? List.of()
                : OldStorageSql.drop(key, trackingSchema)), contract), generated(OldStorageSql.cleanup(key, trackingSchema)))));
        steps.add(PlanStep.of(Step.ROLLBACK, concat(drops, userStatements(spec.getRollback()))));
        List<PlannedCheck> checks = spec.getVerify() == null || spec.getVerify().getChecks() == null ? List.of()
                : spec.getVerify().getChecks().stream().map(c -> new PlannedCheck(c.getName(), c.getSql().strip())).toList();
        List<PlanStep> base = steps.stream().filter(st -> st.step() != Step.CONTRACT).toList();
        return new MigrationPlan(namespace, name, trackingSchema, List.copyOf(steps), List.copyOf(sync), checks,
                hash(steps, sync, checks), hash(base, sync, checks),
                CrossingPolicy.from(spec, !sync.isEmpty() || !checks.isEmpty()));
    }

    /** The tracking schema a spec names (the generated triggers write to it). */
    public static String trackingSchema(SchemaMigrationSpec spec) {
        return spec.getDatabase() == null ? "tandem" : spec.getDatabase().effectiveTrackingSchema();
    }

    private static List<PlannedStatement> generated(List<String> sql) {
        return sql.stream().map(PlannedStatement::generated).toList();
    }

    private static List<PlannedStatement> concat(List<PlannedStatement> a, List<PlannedStatement> b) {
        List<PlannedStatement> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    private static List<PlannedStatement> userStatements(SqlSpec sql) {
        if (sql == null || sql.getSql() == null) {
            return List.of();
        }
        return SqlScript.split(sql.getSql()).stream().map(PlannedStatement::user).toList();
    }

    /**
     * Hash over the statements of every step and how they are grouped into transactions, the sync
     * entries and the verification checks. Not
     * covered: the database, the target phase, the promotion, suspend, timeouts and tuning.
     */
    static String hash(List<PlanStep> steps, List<CompiledSync> sync, List<PlannedCheck> checks) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            digest.update("tandem-plan-v1\n".getBytes(StandardCharsets.UTF_8));
            for (PlanStep step : steps) {
                digest.update(("step " + step.step().key() + "\n").getBytes(StandardCharsets.UTF_8));
                for (PlanUnit unit : step.units()) {
                    digest.update(("unit " + unit.index() + "\n").getBytes(StandardCharsets.UTF_8));
                    for (PlannedStatement s : unit.statements()) {
                        String normalized = s.sql().replace("\r\n", "\n").strip();
                        digest.update((s.origin() + " " + normalized.length() + "\n" + normalized + "\n")
                                .getBytes(StandardCharsets.UTF_8));
                    }
                }
            }
            for (CompiledSync s : sync) {
                // The backfill and verification are built from these; the triggers alone already cover
                // them, but an entry's batch SQL must not change without the hash changing.
                // The trigger names carry a digest of every field of the entry that decides its SQL.
                digest.update(("sync " + s.functionName() + " " + s.reverseName() + "\n").getBytes(StandardCharsets.UTF_8));
            }
            for (PlannedCheck c : checks) {
                String sql = c.sql().replace("\r\n", "\n");
                digest.update(("check " + c.name() + " " + sql.length() + "\n" + sql + "\n").getBytes(StandardCharsets.UTF_8));
            }
            return HexFormat.of().formatHex(digest.digest()).substring(0, HASH_LENGTH);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
