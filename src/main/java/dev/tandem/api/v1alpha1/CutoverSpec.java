package dev.tandem.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.generator.annotation.Default;

import java.util.ArrayList;
import java.util.List;

/**
 * Phase 4, the point of no return: one transaction that removes the sync triggers, runs the user's
 * SQL and installs the old-storage watch. Crossed only when every gate holds. The SQL and the watch
 * mode are part of the plan (and its hash); the gates are policy and may change at any time.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"sql", "gates", "oldStorage"})
public class CutoverSpec extends SqlSpec {
    @JsonPropertyDescription("Conditions that must all hold before cutover runs, each shown in status.gates. A gate that "
            + "does not hold makes the migration wait (AwaitingGates, not Stalled); it is re-checked until it holds. "
            + "Verification freshness is always a gate (implicitly, unless one of kind verification is given).")
    private List<GateSpec> gates = new ArrayList<>();

    @Default("Watch")
    @JsonPropertyDescription("After cutover, a write that still reaches the migrated data of the old storage is "
            + "recorded (Watch: status.oldStorage, a Warning event, the tandem_old_storage_writes_total metric) or refused "
            + "with an error naming this migration (Reject).")
    private OldStorageMode oldStorage;

    public CutoverSpec() {
    }

    public CutoverSpec(String sql) {
        super(sql);
    }

    public List<GateSpec> getGates() { return gates; }
    public void setGates(List<GateSpec> gates) { this.gates = gates; }
    public OldStorageMode getOldStorage() { return oldStorage; }
    public void setOldStorage(OldStorageMode oldStorage) { this.oldStorage = oldStorage; }

    public OldStorageMode effectiveOldStorage() {
        return oldStorage == null ? OldStorageMode.Watch : oldStorage;
    }
}
