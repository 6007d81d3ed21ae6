package dev.tandem.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

import java.util.ArrayList;
import java.util.List;

/** The old storage of a sync entry. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SyncSource {
    @Required
    @JsonPropertyDescription("Table, optionally schema-qualified (schema.table); unquoted names are taken as written.")
    private String table;

    @Required
    @JsonPropertyDescription("Columns of a unique key of the table (usually the primary key), in order; the backfill walks "
            + "them in this order. bigint, uuid, text and composite keys are supported.")
    private List<String> key = new ArrayList<>();

    @JsonPropertyDescription("Optional SQL condition over the old row: only rows where it is true are synced.")
    private String where;

    public String getTable() { return table; }
    public void setTable(String table) { this.table = table; }
    public List<String> getKey() { return key; }
    public void setKey(List<String> key) { this.key = key; }
    public String getWhere() { return where; }
    public void setWhere(String where) { this.where = where; }
}
