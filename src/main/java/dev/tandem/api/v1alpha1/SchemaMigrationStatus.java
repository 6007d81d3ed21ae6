package dev.tandem.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.tandem.api.v1alpha1.StatusCondition;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** What the operator observed and did. Built as a whole by the status aggregator. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"observedGeneration", "phase", "targetPhase", "step", "message", "pointOfNoReturnTime",
        "plan", "backfill", "verification", "gates", "oldStorage", "database", "lastError", "nextRetryTime", "history", "conditions"})
public class SchemaMigrationStatus {
    @JsonPropertyDescription("The metadata.generation this status describes.")
    private Long observedGeneration;

    @JsonPropertyDescription("Current phase: Pending, Expanding, Expanded, Backfilling, Backfilled, Verifying, Verified, "
            + "CuttingOver, CutOver, Contracting, Contracted, RollingBack, RolledBack or Failed. "
            + "'-ing' phases mean the step is recorded as intended and is running or about to run.")
    private Phase phase;

    @JsonPropertyDescription("The spec.targetPhase this status works toward.")
    private String targetPhase;

    @JsonPropertyDescription("Position on the forward path, e.g. 3/5 for Verified.")
    private String step;

    @JsonPropertyDescription("One line a person can act on: what happens now or what to do next.")
    private String message;

    @JsonPropertyDescription("When cutover committed; from then on the migration can only go forward.")
    private String pointOfNoReturnTime;

    @JsonPropertyDescription("The plan the migration runs.")
    private PlanStatus plan;

    @JsonPropertyDescription("Backfill progress (for migrations with sync entries).")
    private BackfillStatus backfill;

    @JsonPropertyDescription("The latest verification pass (for migrations with sync entries or verify checks).")
    private VerificationStatus verification;

    @JsonPropertyDescription("The cutover gates and what each saw when last checked (shown from Verified on).")
    private List<GateStatus> gates;

    @JsonPropertyDescription("After cutover: writes that still reached the old storage, and when contract becomes possible.")
    private OldStorageStatus oldStorage;

    @JsonPropertyDescription("The database the migration was applied to (never credentials).")
    private DatabaseStatus database;

    @JsonPropertyDescription("The most recent error, kept until a step succeeds.")
    private ErrorStatus lastError;

    @JsonPropertyDescription("When the operator retries after a transient error.")
    private String nextRetryTime;

    @JsonPropertyDescription("Steps taken, oldest first (at most 20 entries).")
    private List<HistoryEntry> history = new ArrayList<>();

    @JsonPropertyDescription("Ready, Reconciling, Stalled, Reversible, AwaitingPromotion, DatabaseConnected, PlanLinted "
            + "(False while the plan's lint finds an error), and the milestones Expanded, Backfilled, Verified, CutOver and Contracted "
            + "(for 'kubectl wait --for=condition=Verified').")
    private List<StatusCondition> conditions = new ArrayList<>();

    public Long getObservedGeneration() { return observedGeneration; }
    public void setObservedGeneration(Long observedGeneration) { this.observedGeneration = observedGeneration; }
    public Phase getPhase() { return phase; }
    public void setPhase(Phase phase) { this.phase = phase; }
    public String getTargetPhase() { return targetPhase; }
    public void setTargetPhase(String targetPhase) { this.targetPhase = targetPhase; }
    public String getStep() { return step; }
    public void setStep(String step) { this.step = step; }
    public String getMessage() { return message; }
    public void setMessage(String message) { this.message = message; }
    public String getPointOfNoReturnTime() { return pointOfNoReturnTime; }
    public void setPointOfNoReturnTime(String pointOfNoReturnTime) { this.pointOfNoReturnTime = pointOfNoReturnTime; }
    public PlanStatus getPlan() { return plan; }
    public void setPlan(PlanStatus plan) { this.plan = plan; }
    public BackfillStatus getBackfill() { return backfill; }
    public void setBackfill(BackfillStatus backfill) { this.backfill = backfill; }
    public VerificationStatus getVerification() { return verification; }
    public void setVerification(VerificationStatus verification) { this.verification = verification; }
    public List<GateStatus> getGates() { return gates; }
    public void setGates(List<GateStatus> gates) { this.gates = gates; }
    public OldStorageStatus getOldStorage() { return oldStorage; }
    public void setOldStorage(OldStorageStatus oldStorage) { this.oldStorage = oldStorage; }
    public DatabaseStatus getDatabase() { return database; }
    public void setDatabase(DatabaseStatus database) { this.database = database; }
    public ErrorStatus getLastError() { return lastError; }
    public void setLastError(ErrorStatus lastError) { this.lastError = lastError; }
    public String getNextRetryTime() { return nextRetryTime; }
    public void setNextRetryTime(String nextRetryTime) { this.nextRetryTime = nextRetryTime; }
    public List<HistoryEntry> getHistory() { return history; }
    public void setHistory(List<HistoryEntry> history) { this.history = history; }
    public List<StatusCondition> getConditions() { return conditions; }
    public void setConditions(List<StatusCondition> conditions) { this.conditions = conditions; }

    @JsonIgnore
    public Optional<StatusCondition> condition(String type) {
        return conditions == null ? Optional.empty()
                : conditions.stream().filter(c -> Objects.equals(type, c.getType())).findFirst();
    }

    @JsonIgnore
    public boolean isTrue(String type) {
        return condition(type).map(c -> "True".equals(c.getStatus())).orElse(false);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof SchemaMigrationStatus s)) return false;
        return Objects.equals(observedGeneration, s.observedGeneration) && phase == s.phase
                && Objects.equals(targetPhase, s.targetPhase) && Objects.equals(step, s.step)
                && Objects.equals(message, s.message) && Objects.equals(pointOfNoReturnTime, s.pointOfNoReturnTime)
                && Objects.equals(plan, s.plan) && Objects.equals(backfill, s.backfill)
                && Objects.equals(verification, s.verification)
                && Objects.equals(gates, s.gates) && Objects.equals(oldStorage, s.oldStorage)
                && Objects.equals(database, s.database)
                && Objects.equals(lastError, s.lastError) && Objects.equals(nextRetryTime, s.nextRetryTime)
                && Objects.equals(history, s.history) && Objects.equals(conditions, s.conditions);
    }

    @Override
    public int hashCode() {
        return Objects.hash(observedGeneration, phase, message);
    }
}
