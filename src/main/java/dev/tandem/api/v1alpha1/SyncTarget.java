package dev.tandem.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Required;

import java.util.ArrayList;
import java.util.List;

/** The new storage of a sync entry. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SyncTarget {
    @Required
    @JsonPropertyDescription("Table, optionally schema-qualified; equal to from.table for an in-place derivation "
            + "(a new column on the same table).")
    private String table;

    @JsonPropertyDescription("Columns of a unique key of the new table that identify the new row of an old row "
            + "(needed for another table; ignored in place, where the row is the same).")
    private List<String> key = new ArrayList<>();

    @JsonPropertyDescription("Optional SQL condition over the new row telling which rows of to.table belong to this "
            + "entry, when several entries write one table (e.g. category = 'http').")
    private String where;

    public String getTable() { return table; }
    public void setTable(String table) { this.table = table; }
    public List<String> getKey() { return key; }
    public void setKey(List<String> key) { this.key = key; }
    public String getWhere() { return where; }
    public void setWhere(String where) { this.where = where; }
}
