package dev.tandem.operator;

/** Every name the operator puts into the cluster, in one place. */
public final class Names {
    private Names() {
    }

    public static final String CONTROLLER = "schemamigration";
    public static final String FINALIZER = "tandem.dev/finalizer";
    public static final String FIELD_MANAGER = "tandem-operator";

    public static final String LABEL_MANAGED_BY = "app.kubernetes.io/managed-by";
    public static final String MANAGED_BY = "tandem";
    public static final String LABEL_MIGRATION = "tandem.dev/migration";
    public static final String LABEL_PLAN_HASH = "tandem.dev/plan-hash";
    public static final String LABEL_COMPONENT = "app.kubernetes.io/component";

    public static final String PLAN_TEXT_KEY = "plan.txt";
    public static final String PLAN_JSON_KEY = "plan.json";
    public static final String PLAN_HASH_KEY = "hash";

    /** Index of migrations by the Secret they read, "namespace/secret". */
    public static final String SECRET_INDEX = "tandem-secret-ref";
    /** Index of migrations by the workloads their rollout gates name ("deployment/ns/name"). */
    public static final String ROLLOUT_INDEX = "tandem-rollout-ref";

    public static String planConfigMap(String migrationName) {
        return truncate(migrationName, 58) + "-plan";
    }

    private static String truncate(String s, int max) {
        return s.length() <= max ? s : s.substring(0, max);
    }

    /** Condition types. */
    public static final class Conditions {
        private Conditions() {
        }

        public static final String READY = "Ready";
        public static final String RECONCILING = "Reconciling";
        public static final String STALLED = "Stalled";
        public static final String REVERSIBLE = "Reversible";
        public static final String AWAITING_PROMOTION = "AwaitingPromotion";
        public static final String DATABASE_CONNECTED = "DatabaseConnected";
        public static final String PLAN_LINTED = "PlanLinted";
        public static final String EXPANDED = "Expanded";
        public static final String BACKFILLED = "Backfilled";
        public static final String VERIFIED = "Verified";
        public static final String CUT_OVER = "CutOver";
        public static final String CONTRACTED = "Contracted";
    }

    /**
     * Condition reasons of the normal course. Why a migration does not go on is a
     * {@link dev.tandem.api.v1alpha1.Reason}.
     */
    public static final class Reasons {
        private Reasons() {
        }

        public static final String TARGET_REACHED = "TargetReached";
        public static final String PROGRESSING = "Progressing";
        public static final String STEP_RUNNING = "StepRunning";
        public static final String RETRYING = "Retrying";
        public static final String IDLE = "Idle";
        public static final String SUSPENDED = "Suspended";
        public static final String NOT_STALLED = "NotStalled";
        public static final String BEFORE_CUTOVER = "BeforePointOfNoReturn";
        public static final String ROLLED_BACK = "RolledBack";
        public static final String AWAITING_PROMOTION = "AwaitingPromotion";
        public static final String NOT_AWAITING = "NotAwaitingPromotion";
        public static final String CONNECTED = "Connected";
        public static final String NOT_CHECKED = "NotChecked";
        public static final String STEP_COMMITTED = "StepCommitted";
        public static final String NOT_YET = "NotYetReached";
        public static final String FINISHED = "Finished";
        public static final String LINT_CLEAN = "NoLintErrors";
        public static final String LINT_ERRORS = "LintErrors";
    }
}
