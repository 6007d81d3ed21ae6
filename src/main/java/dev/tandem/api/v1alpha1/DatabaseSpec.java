package dev.tandem.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import io.fabric8.generator.annotation.ValidationRule;

/** Where the database is and how to reach it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DatabaseSpec {
    @Required
    @JsonPropertyDescription("Secret in the migration's namespace holding the connection: key jdbc-uri, or uri "
            + "(postgresql://user:password@host:port/dbname), or host, port, dbname, user (or username) and password. "
            + "A CloudNativePG '<cluster>-app' Secret works as it is.")
    private SecretRef secretRef;

    @Default("tandem")
    @Pattern("^[a-z_][a-z0-9_]{0,62}$")
    @ValidationRule(value = "!(self in ['public', 'information_schema']) && !self.startsWith('pg_')",
            message = "trackingSchema cannot be public, information_schema or pg_*; give a schema of Tandem's own, e.g. tandem")
    @JsonPropertyDescription("Schema in the target database that holds Tandem's ledger (created when missing).")
    private String trackingSchema;

    public SecretRef getSecretRef() { return secretRef; }
    public void setSecretRef(SecretRef secretRef) { this.secretRef = secretRef; }
    public String getTrackingSchema() { return trackingSchema; }
    public void setTrackingSchema(String trackingSchema) { this.trackingSchema = trackingSchema; }

    public String effectiveTrackingSchema() {
        return trackingSchema == null || trackingSchema.isBlank() ? "tandem" : trackingSchema;
    }
}
