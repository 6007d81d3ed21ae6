package dev.tandem.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.Size;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What "the same data" means for one piece of old storage: compiled into sync triggers (installed
 * by expand), the backfill, and the verification.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"name", "from", "to", "columns", "lookups", "reverse", "onDelete", "onError", "appTriggers"})
public class SyncSpec {
    @Required
    @Pattern("^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$")
    @JsonPropertyDescription("Name of the entry (lower case, digits, '-'); names the generated triggers.")
    private String name;

    @Required
    @JsonPropertyDescription("The old storage: a table, its key and which of its rows are synced.")
    private SyncSource from;

    @Required
    @JsonPropertyDescription("The new storage: a table (the same table for an in-place derivation) and its key.")
    private SyncTarget to;

    @Required
    @JsonPropertyDescription("New column <- SQL expression over the old row (columns of from.table by name, e.g. "
            + "'lower(email)' or '(SELECT id FROM breeds b WHERE b.name = breed)'). Must cover every to.key column.")
    private Map<String, String> columns = new LinkedHashMap<>();

    @JsonPropertyDescription("Optional: other tables the columns read, and how their rows relate to the source rows "
            + "(e.g. [{table: proxies, on: 'proxies.id = proxy_rules.proxy_id'}]). A write to a looked-up row "
            + "re-derives the new storage of every related source row; the backfill and the verification read the "
            + "looked-up values as the triggers do. Columns of to.key (and, for another table, from.where) cannot "
            + "read a looked-up table. At most 9.")
    @Size(max = 9)
    private List<SyncLookup> lookups;

    @JsonPropertyDescription("Optional new -> old mapping: old column <- SQL expression over the new row, for new "
            + "application versions that write the new storage before cutover. Needs every to.key column mapped "
            + "from a plain from.key column in 'columns'.")
    private Map<String, String> reverse;

    @Default("Delete")
    @JsonPropertyDescription("What a delete in the old storage (or a row leaving from.where) does to the new: "
            + "Delete removes the new row, Keep leaves it (for targets shared by many rows, e.g. a lookup table).")
    private OnDelete onDelete;

    @Default("Record")
    @JsonPropertyDescription("What an application write does when an expression of this entry raises an error for its "
            + "row (e.g. data::jsonb on text that is not JSON): Record (default) lets the write go through without "
            + "syncing that row and records the key and error in the tracking schema (table sync_errors), so that "
            + "verification fails and names the row until it is fixed; Fail makes the write fail with the error. "
            + "The backfill follows the same choice for existing rows.")
    private OnError onError;

    @Default("Fire")
    @JsonPropertyDescription("In-place entries only. The backfill of an in-place entry is an UPDATE of every source row "
            + "whose derived columns differ: each such row is rewritten (a new row version, bloat until vacuum). Fire "
            + "(default) fires the table's other row triggers for those updates, as any UPDATE would (e.g. a trigger "
            + "that stamps updated_at); Skip runs the batches with session_replication_role = replica, so no ordinary "
            + "trigger fires (foreign-key checks of those updates included). Skip needs a superuser or "
            + "GRANT SET ON PARAMETER session_replication_role; expand refuses it otherwise.")
    private AppTriggers appTriggers;

    public String getName() { return name; }
    public void setName(String name) { this.name = name; }
    public SyncSource getFrom() { return from; }
    public void setFrom(SyncSource from) { this.from = from; }
    public SyncTarget getTo() { return to; }
    public void setTo(SyncTarget to) { this.to = to; }
    public Map<String, String> getColumns() { return columns; }
    public void setColumns(Map<String, String> columns) { this.columns = columns; }
    public List<SyncLookup> getLookups() { return lookups; }
    public void setLookups(List<SyncLookup> lookups) { this.lookups = lookups; }
    public Map<String, String> getReverse() { return reverse; }
    public void setReverse(Map<String, String> reverse) { this.reverse = reverse; }
    public OnDelete getOnDelete() { return onDelete; }
    public void setOnDelete(OnDelete onDelete) { this.onDelete = onDelete; }
    public OnError getOnError() { return onError; }
    public void setOnError(OnError onError) { this.onError = onError; }
    public AppTriggers getAppTriggers() { return appTriggers; }
    public void setAppTriggers(AppTriggers appTriggers) { this.appTriggers = appTriggers; }

    /** What a delete in the old storage does to the new. */
    public enum OnDelete { Delete, Keep }

    /** What a write does when an expression raises for its row. */
    public enum OnError { Record, Fail }

    /** Whether an in-place backfill fires the table's other row triggers. */
    public enum AppTriggers { Fire, Skip }
}
