package dev.tandem.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.fabric8.generator.annotation.Required;

/**
 * Another table a sync entry's columns read, and how its rows relate to the entry's source rows. A
 * write to a looked-up row re-derives the new storage of every related source row.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
@JsonPropertyOrder({"table", "on"})
public class SyncLookup {
    @Required
    @JsonPropertyDescription("The looked-up table, optionally schema-qualified (schema.table); unquoted names are taken "
            + "as written. In the entry's columns (and, in place, from.where) its columns are written "
            + "<table>.<column> with the table's name without schema (e.g. proxies.backend_api_id): the value of "
            + "the one row 'on' relates to the source row, NULL when there is none. An expression may also read the "
            + "table in a subquery of its own (e.g. an aggregate over many related rows). Inserts, deletes and "
            + "updates of this table re-derive the related source rows.")
    private String table;

    @Required
    @JsonPropertyDescription("SQL condition that relates a row of the looked-up table to a source row, naming the "
            + "columns of both as <table>.<column> (e.g. 'proxies.id = proxy_rules.proxy_id'). For the "
            + "<table>.<column> form it must match at most one looked-up row per source row.")
    private String on;

    public String getTable() { return table; }
    public void setTable(String table) { this.table = table; }
    public String getOn() { return on; }
    public void setOn(String on) { this.on = on; }
}
