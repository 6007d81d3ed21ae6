package dev.tandem.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

import java.util.Objects;

/** Writes that still reached the old storage after cutover, as the watch recorded them. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"mode", "writes", "lastWriteTime", "lastWrite", "contractPossibleTime"})
public class OldStorageStatus {
    @JsonPropertyDescription("Watch (writes are recorded) or Reject (writes fail), from cutover.oldStorage.")
    private String mode;

    @JsonPropertyDescription("Writes to the migrated data of the old storage since cutover (with Reject they fail and are not counted).")
    private Long writes;

    @JsonPropertyDescription("When the latest such write happened (RFC 3339).")
    private String lastWriteTime;

    @JsonPropertyDescription("The latest such write: operation, table, application_name and role, e.g. "
            + "'UPDATE public.users by legacy-worker (role app)'.")
    private String lastWrite;

    @JsonPropertyDescription("When contract becomes possible (contract.minWait after cutover, contract.quietFor after "
            + "the latest write), RFC 3339.")
    private String contractPossibleTime;

    public String getMode() { return mode; }
    public void setMode(String mode) { this.mode = mode; }
    public Long getWrites() { return writes; }
    public void setWrites(Long writes) { this.writes = writes; }
    public String getLastWriteTime() { return lastWriteTime; }
    public void setLastWriteTime(String lastWriteTime) { this.lastWriteTime = lastWriteTime; }
    public String getLastWrite() { return lastWrite; }
    public void setLastWrite(String lastWrite) { this.lastWrite = lastWrite; }
    public String getContractPossibleTime() { return contractPossibleTime; }
    public void setContractPossibleTime(String contractPossibleTime) { this.contractPossibleTime = contractPossibleTime; }

    @Override
    public boolean equals(Object o) {
        return o instanceof OldStorageStatus s && Objects.equals(mode, s.mode) && Objects.equals(writes, s.writes)
                && Objects.equals(lastWriteTime, s.lastWriteTime) && Objects.equals(lastWrite, s.lastWrite)
                && Objects.equals(contractPossibleTime, s.contractPossibleTime);
    }

    @Override
    public int hashCode() {
        return Objects.hash(mode, writes, lastWriteTime);
    }
}
