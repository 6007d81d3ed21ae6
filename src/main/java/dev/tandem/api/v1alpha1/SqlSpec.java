package dev.tandem.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

/** User SQL for one phase. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class SqlSpec {
    @JsonPropertyDescription("SQL statements separated by semicolons. They run in one transaction together with "
            + "Tandem's own statements of that phase. Only expand may hold a statement that cannot run in a transaction "
            + "(CREATE INDEX CONCURRENTLY): it runs on its own, idempotently; cutover, contract and rollback are all or "
            + "nothing.")
    private String sql;

    public SqlSpec() {
    }

    public SqlSpec(String sql) {
        this.sql = sql;
    }

    public String getSql() { return sql; }
    public void setSql(String sql) { this.sql = sql; }
}
