package dev.tandem.plan.lint;

/** The ids of the lint rules; each is documented in docs/plan-lint.md. */
public final class Rules {
    public static final String TABLE_REWRITE = "table-rewrite";
    public static final String CHECK_NOT_VALID = "check-without-not-valid";
    public static final String FOREIGN_KEY_NOT_VALID = "foreign-key-without-not-valid";
    public static final String VALIDATE_SAME_TRANSACTION = "validate-in-same-transaction";
    public static final String SET_NOT_NULL = "set-not-null-without-check";
    public static final String INDEX_NOT_CONCURRENT = "index-not-concurrent";
    public static final String FULL_TABLE_DML = "full-table-dml-in-transaction";
    public static final String TRUNCATE = "truncate";
    public static final String DROP_CASCADE = "drop-cascade";
    public static final String ROLLBACK_MISSING = "rollback-missing";
    public static final String CONCURRENTLY_SPLITS_PHASE = "concurrently-splits-phase";
    public static final String PLAN_HASH = "plan-hash";
    public static final String OLD_COLUMN_NOT_NULL = "old-column-not-null";
    public static final String CUTOVER_BREAKS_REVERSE = "cutover-breaks-reverse-mapping";
    public static final String CONTRACT_DROPS_DEPENDENCY = "contract-drops-dependency";

    private Rules() {
    }
}
