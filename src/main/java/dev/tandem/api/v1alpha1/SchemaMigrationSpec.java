package dev.tandem.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** What the migration does and how far it may go. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"database", "targetPhase", "promotion", "suspend", "deletionPolicy", "lockTimeout",
        "statementTimeout", "expand", "sync", "backfill", "verify", "cutover", "contract", "rollback"})
@ValidationRule(value = "!(self.targetPhase in ['CutOver', 'Contracted']) || (has(self.promotion) && has(self.promotion.planHash) && self.promotion.planHash != '')",
        message = "spec.promotion.planHash is required for targetPhase CutOver and Contracted: copy status.plan.hash (or the hash printed by 'tandem plan') into it",
        fieldPath = ".promotion")
@ValidationRule(value = "oldSelf.targetPhase != 'CutOver' || self.targetPhase in ['CutOver', 'Contracted']",
        message = "spec.targetPhase cannot leave CutOver: the point of no return allows only Contracted next")
@ValidationRule(value = "oldSelf.targetPhase != 'Contracted' || self.targetPhase == 'Contracted'",
        message = "spec.targetPhase cannot leave Contracted: the migration is finished")
@ValidationRule(value = "oldSelf.targetPhase != 'RolledBack' || self.targetPhase == 'RolledBack'",
        message = "spec.targetPhase cannot leave RolledBack: a rolled-back migration is final; create a new SchemaMigration")
public class SchemaMigrationSpec {
    public static final String DURATION_PATTERN = "^([0-9]+(\\.[0-9]+)?(ms|s|m|h))+$";

    @Required
    @JsonPropertyDescription("The PostgreSQL database to migrate. Immutable once the migration has expanded.")
    private DatabaseSpec database;

    @Required
    @JsonPropertyDescription("The phase to reach: Expanded, Backfilled, Verified, CutOver, Contracted or RolledBack. "
            + "Phases run in that order, never skipped and never past this target; promote by changing it in Git. "
            + "CutOver and Contracted also need promotion.planHash. RolledBack undoes the migration, only before cutover.")
    private TargetPhase targetPhase;

    @JsonPropertyDescription("Binds a promotion across the point of no return to the plan a reviewer saw.")
    private PromotionSpec promotion;

    @Default("false")
    @JsonPropertyDescription("Incident brake: when true the operator takes no step (and pauses backfill and verification) "
            + "until set back to false.")
    private Boolean suspend;

    @Default("Retain")
    @JsonPropertyDescription("What deleting this resource does to the database: Retain leaves it as it is; RollBack runs "
            + "the rollback first, only while the migration is still reversible (before cutover).")
    private DeletionPolicy deletionPolicy;

    @Default("2s")
    @Pattern(DURATION_PATTERN)
    @ValidationRule(value = "duration(self) >= duration('1ms') && duration(self) <= duration('1h')",
            message = "lockTimeout must be a duration from 1ms to 1h")
    @JsonPropertyDescription("lock_timeout of every DDL transaction, e.g. 2s or 500ms. Application queries queued behind "
            + "a DDL statement wait at most this long; on timeout the step is retried with backoff and jitter, "
            + "a bounded number of times, and status names the blocking session.")
    private String lockTimeout;

    @Default("15m")
    @Pattern(DURATION_PATTERN)
    @ValidationRule(value = "duration(self) >= duration('1s') && duration(self) <= duration('24h')",
            message = "statementTimeout must be a duration from 1s to 24h")
    @JsonPropertyDescription("statement_timeout of every DDL transaction, e.g. 15m. A step whose statement runs longer "
            + "is rolled back and reported.")
    private String statementTimeout;

    @JsonPropertyDescription("Phase 1: SQL that creates the new storage (tables, columns, indexes), run in one transaction.")
    private SqlSpec expand;

    @JsonPropertyDescription("What the same data means: each entry maps old rows to new ones. Compiled into sync "
            + "triggers installed with expand (removed at cutover or rollback), the backfill, and the verification. "
            + "Entries apply in the order given.")
    private java.util.List<SyncSpec> sync;

    @JsonPropertyDescription("How the backfill copies existing rows (tuning; may change at any time).")
    private BackfillSpec backfill;

    @JsonPropertyDescription("Phase 3: how old and new storage are proven to agree before cutover: row by row "
            + "comparison of every sync entry, user SQL checks, clean passes needed, re-verification.")
    private VerifySpec verify;

    @JsonPropertyDescription("Phase 4, the point of no return: SQL run in one transaction, e.g. relax NOT NULL on the "
            + "old column or swap table names.")
    private SqlSpec cutover;

    @JsonPropertyDescription("Phase 5: SQL that drops the old storage, run in one transaction.")
    private SqlSpec contract;

    @JsonPropertyDescription("SQL that undoes expand, run in one transaction when targetPhase is RolledBack "
            + "(or on deletion with deletionPolicy RollBack), only before cutover.")
    private SqlSpec rollback;

    public DatabaseSpec getDatabase() { return database; }
    public void setDatabase(DatabaseSpec database) { this.database = database; }
    public TargetPhase getTargetPhase() { return targetPhase; }
    public void setTargetPhase(TargetPhase targetPhase) { this.targetPhase = targetPhase; }
    public PromotionSpec getPromotion() { return promotion; }
    public void setPromotion(PromotionSpec promotion) { this.promotion = promotion; }
    public Boolean getSuspend() { return suspend; }
    public void setSuspend(Boolean suspend) { this.suspend = suspend; }
    public DeletionPolicy getDeletionPolicy() { return deletionPolicy; }
    public void setDeletionPolicy(DeletionPolicy deletionPolicy) { this.deletionPolicy = deletionPolicy; }
    public String getLockTimeout() { return lockTimeout; }
    public void setLockTimeout(String lockTimeout) { this.lockTimeout = lockTimeout; }
    public String getStatementTimeout() { return statementTimeout; }
    public void setStatementTimeout(String statementTimeout) { this.statementTimeout = statementTimeout; }
    public SqlSpec getExpand() { return expand; }
    public void setExpand(SqlSpec expand) { this.expand = expand; }
    public java.util.List<SyncSpec> getSync() { return sync; }
    public void setSync(java.util.List<SyncSpec> sync) { this.sync = sync; }
    public BackfillSpec getBackfill() { return backfill; }
    public void setBackfill(BackfillSpec backfill) { this.backfill = backfill; }
    public VerifySpec getVerify() { return verify; }
    public void setVerify(VerifySpec verify) { this.verify = verify; }
    public SqlSpec getCutover() { return cutover; }
    public void setCutover(SqlSpec cutover) { this.cutover = cutover; }
    public SqlSpec getContract() { return contract; }
    public void setContract(SqlSpec contract) { this.contract = contract; }
    public SqlSpec getRollback() { return rollback; }
    public void setRollback(SqlSpec rollback) { this.rollback = rollback; }

    @JsonIgnore
    public boolean isSuspended() {
        return Boolean.TRUE.equals(suspend);
    }

    public DeletionPolicy effectiveDeletionPolicy() {
        return deletionPolicy == null ? DeletionPolicy.Retain : deletionPolicy;
    }

    public String promotedPlanHash() {
        return promotion == null ? null : promotion.getPlanHash();
    }
}
