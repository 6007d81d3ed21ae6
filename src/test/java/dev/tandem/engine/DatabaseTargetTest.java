package dev.tandem.engine;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DatabaseTargetTest {

    @Test
    void credentialsInJdbcQueryAreRemovedFromTheUrl() {
        DatabaseTarget t = DatabaseTarget.ofJdbcUrl(
                "jdbc:postgresql://db.shop:5432/app?user=alice&password=s3cr3t-pw&sslmode=require", null, null);
        assertThat(t.jdbcUrl()).isEqualTo("jdbc:postgresql://db.shop:5432/app?sslmode=require");
        assertThat(t.user()).isEqualTo("alice");
        assertThat(t.redact("auth failed with s3cr3t-pw")).isEqualTo("auth failed with ***");
    }

    @Test
    void urlWithOnlyCredentialsInQueryKeepsNoQuestionMark() {
        DatabaseTarget t = DatabaseTarget.ofJdbcUrl("jdbc:postgresql://db:5432/app?password=pw&user=app", null, null);
        assertThat(t.jdbcUrl()).isEqualTo("jdbc:postgresql://db:5432/app");
    }

    @Test
    void passwordNeverAppearsInToStringServerOrUrl() {
        DatabaseTarget t = DatabaseTarget.ofJdbcUrl(
                "jdbc:postgresql://db.shop:5432/app?password=s3cr3t-pw&user=alice&ssl=true", null, null);
        assertThat(t.toString()).isEqualTo("postgresql://alice@db.shop:5432/app").doesNotContain("s3cr3t-pw");
        assertThat(t.server()).isEqualTo("db.shop:5432/app").doesNotContain("s3cr3t-pw");
        assertThat(t.jdbcUrl()).doesNotContain("s3cr3t-pw").doesNotContain("password");
    }

    @Test
    void urlEncodedPasswordInJdbcQueryIsDecoded() {
        DatabaseTarget t = DatabaseTarget.ofJdbcUrl("jdbc:postgresql://db/app?user=a&password=p%26ss%3D1", null, null);
        assertThat(t.redact("bad password p&ss=1")).isEqualTo("bad password ***");
        assertThat(t.jdbcUrl()).isEqualTo("jdbc:postgresql://db/app");
    }

    @Test
    void explicitUserAndPasswordOverrideThoseInTheUrl() {
        DatabaseTarget t = DatabaseTarget.ofJdbcUrl(
                "jdbc:postgresql://db:5432/app?user=alice&password=url-pw", "bob", "explicit-pw");
        assertThat(t.user()).isEqualTo("bob");
        assertThat(t.redact("explicit-pw rejected")).isEqualTo("*** rejected");
        assertThat(t.toString()).isEqualTo("postgresql://bob@db:5432/app");
        assertThat(t.jdbcUrl()).isEqualTo("jdbc:postgresql://db:5432/app");
    }

    @Test
    void blankExplicitCredentialsDoNotOverride() {
        DatabaseTarget t = DatabaseTarget.ofJdbcUrl("jdbc:postgresql://db/app?user=alice&password=url-pw", " ", "");
        assertThat(t.user()).isEqualTo("alice");
        assertThat(t.redact("url-pw")).isEqualTo("***");
    }

    @Test
    void parsesLibpqUriWithEncodedPassword() {
        DatabaseTarget t = DatabaseTarget.ofUri("postgresql://u:p%40ss@host:6543/db?sslmode=require");
        assertThat(t.jdbcUrl()).isEqualTo("jdbc:postgresql://host:6543/db?sslmode=require");
        assertThat(t.server()).isEqualTo("host:6543/db");
        assertThat(t.user()).isEqualTo("u");
        assertThat(t.redact("password p@ss was rejected")).isEqualTo("password *** was rejected");
        assertThat(t.toString()).isEqualTo("postgresql://u@host:6543/db").doesNotContain("p@ss").doesNotContain("p%40ss");
    }

    @Test
    void libpqUriDefaultsPortAndDatabase() {
        DatabaseTarget t = DatabaseTarget.ofUri("postgres://u@host");
        assertThat(t.server()).isEqualTo("host:5432/postgres");
        assertThat(t.user()).isEqualTo("u");
    }

    @Test
    void partsBuildAUrlWithoutCredentials() {
        DatabaseTarget t = DatabaseTarget.ofParts("db", 5433, "app", "u", "pw-123");
        assertThat(t.jdbcUrl()).isEqualTo("jdbc:postgresql://db:5433/app");
        assertThat(t.toString()).isEqualTo("postgresql://u@db:5433/app");
    }

    @Test
    void withCredentialsKeepsCurrentOnesForNull() {
        DatabaseTarget t = DatabaseTarget.ofParts("db", 5432, "app", "u", "pw-1").withCredentials(null, "pw-2");
        assertThat(t.user()).isEqualTo("u");
        // Every password this process was given stays out of every text, not only the current one.
        assertThat(t.redact("pw-2 pw-1")).isEqualTo("*** ***");
    }

    @Test
    void redactReplacesEveryOccurrenceOfThePassword() {
        DatabaseTarget t = DatabaseTarget.ofParts("db", 5432, "app", "u", "hunter2");
        assertThat(t.redact("FATAL: hunter2 / hunter2")).isEqualTo("FATAL: *** / ***");
        assertThat(t.redact(null)).isNull();
    }

    @Test
    void redactWithoutPasswordLeavesTextAlone() {
        DatabaseTarget t = DatabaseTarget.ofParts("db", 5432, "app", "u", null);
        assertThat(t.redact("nothing to hide")).isEqualTo("nothing to hide");
    }

    @ParameterizedTest
    @ValueSource(strings = {"jdbc:mysql://db:3306/app", "postgresql://db/app", "jdbc:postgres://db/app", ""})
    void rejectsNonPostgresJdbcUrls(String url) {
        assertThatThrownBy(() -> DatabaseTarget.ofJdbcUrl(url, "u", "p"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("jdbc:postgresql://");
    }

    @Test
    void rejectsNullJdbcUrl() {
        assertThatThrownBy(() -> DatabaseTarget.ofJdbcUrl(null, "u", "p"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("jdbc:postgresql://");
    }

    @ParameterizedTest
    @ValueSource(strings = {"mysql://u:pw@db/app", "jdbc:postgresql://db/app", "http://db/app", "db:5432/app",
            "postgresql://u:p w@db/app"})
    void rejectsNonPostgresUris(String uri) {
        assertThatThrownBy(() -> DatabaseTarget.ofUri(uri))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("postgresql://")
                .satisfies(e -> assertThat(e.getMessage()).doesNotContain("pw").doesNotContain("p w"));
    }

    @Test
    void libpqUriKeepsPlusInPasswordLiterally() {
        DatabaseTarget t = DatabaseTarget.ofUri("postgresql://u:a+b@host:5432/db");
        assertThat(t.redact("pw a+b")).isEqualTo("pw ***");
    }

    @Test
    void libpqUriWithUnparseableAuthorityIsNeverSilentlyLocalhost() {
        for (String uri : new String[]{"postgresql://u:p@db_host:5432/app", "postgresql://u:p@h1:5432,h2:5432/app",
                "postgresql://u:p@host:notaport/app"}) {
            DatabaseTarget t;
            try {
                t = DatabaseTarget.ofUri(uri);
            } catch (IllegalArgumentException rejected) {
                continue;
            }
            assertThat(t.server()).as(uri).doesNotStartWith("localhost");
            assertThat(t.user()).as(uri).isEqualTo("u");
        }
    }
}
