package dev.tandem.api.v1alpha1;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;

import java.util.Objects;

/** The database as observed; never credentials. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public class DatabaseStatus {
    @JsonPropertyDescription("The Secret the migration was first applied with; spec.database may not change after that.")
    private String secretName;

    @JsonPropertyDescription("host:port/dbname of the database.")
    private String server;

    @JsonPropertyDescription("PostgreSQL server version.")
    private String serverVersion;

    public DatabaseStatus() {
    }

    public DatabaseStatus(String secretName, String server, String serverVersion) {
        this.secretName = secretName;
        this.server = server;
        this.serverVersion = serverVersion;
    }

    public String getSecretName() { return secretName; }
    public void setSecretName(String secretName) { this.secretName = secretName; }
    public String getServer() { return server; }
    public void setServer(String server) { this.server = server; }
    public String getServerVersion() { return serverVersion; }
    public void setServerVersion(String serverVersion) { this.serverVersion = serverVersion; }

    @Override
    public boolean equals(Object o) {
        return o instanceof DatabaseStatus d && Objects.equals(secretName, d.secretName)
                && Objects.equals(server, d.server) && Objects.equals(serverVersion, d.serverVersion);
    }

    @Override
    public int hashCode() {
        return Objects.hash(secretName, server, serverVersion);
    }
}
