package dev.tandem.operator;

import dev.tandem.api.v1alpha1.Reason;

import dev.tandem.engine.DatabaseTarget;
import dev.tandem.operator.CredentialsResolver.CredentialsException;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

class CredentialsResolverTest {
    private static final String NS = "shop";
    private static final String NAME = "app-db";
    private static final String PASSWORD = "Xq7-s3cr3t-Pw";

    /** A Secret whose data values are base64-encoded, as the API server returns them. Pairs of key, value. */
    private static Secret secret(String... keyValues) {
        Map<String, String> data = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            data.put(keyValues[i], Base64.getEncoder().encodeToString(keyValues[i + 1].getBytes(StandardCharsets.UTF_8)));
        }
        return new SecretBuilder().withNewMetadata().withNamespace(NS).withName(NAME).endMetadata()
                .withType("Opaque").withData(data).build();
    }

    private static DatabaseTarget resolve(Secret secret) throws CredentialsException {
        return CredentialsResolver.resolve(secret, NS, NAME);
    }

    private static CredentialsException failure(Secret secret) {
        CredentialsException e = catchThrowableOfType(CredentialsException.class, () -> resolve(secret));
        assertThat(e).as("expected a CredentialsException").isNotNull();
        assertThat(e.getMessage()).doesNotContain(PASSWORD);
        return e;
    }

    @Test
    void jdbcUriKeyWithCredentialsInQuery() throws Exception {
        DatabaseTarget t = resolve(secret("jdbc-uri",
                "jdbc:postgresql://pg.shop:5432/app?user=app&password=" + PASSWORD + "&sslmode=require\n"));
        assertThat(t.jdbcUrl()).isEqualTo("jdbc:postgresql://pg.shop:5432/app?sslmode=require");
        assertThat(t.user()).isEqualTo("app");
        assertThat(t.redact("x " + PASSWORD)).isEqualTo("x ***");
        assertThat(t.toString()).doesNotContain(PASSWORD);
    }

    @Test
    void jdbcUriKeyWithSeparateUserAndPasswordKeys() throws Exception {
        DatabaseTarget t = resolve(secret("jdbc-uri", "jdbc:postgresql://pg:5432/app", "user", "owner",
                "password", PASSWORD));
        assertThat(t.jdbcUrl()).isEqualTo("jdbc:postgresql://pg:5432/app");
        assertThat(t.user()).isEqualTo("owner");
        assertThat(t.redact(PASSWORD)).isEqualTo("***");
    }

    @Test
    void uriKey() throws Exception {
        DatabaseTarget t = resolve(secret("uri", "postgresql://app:" + PASSWORD + "@pg.shop:6543/orders?sslmode=require"));
        assertThat(t.jdbcUrl()).isEqualTo("jdbc:postgresql://pg.shop:6543/orders?sslmode=require");
        assertThat(t.user()).isEqualTo("app");
        assertThat(t.redact(PASSWORD)).isEqualTo("***");
        assertThat(t.toString()).doesNotContain(PASSWORD);
    }

    @Test
    void separateKeysOverrideCredentialsInsideUri() throws Exception {
        DatabaseTarget t = resolve(secret("uri", "postgresql://old:oldpw@pg:5432/app", "username", "new",
                "password", PASSWORD));
        assertThat(t.user()).isEqualTo("new");
        assertThat(t.redact(PASSWORD)).isEqualTo("***");
    }

    @Test
    void hostPortDbnameUserPasswordKeys() throws Exception {
        DatabaseTarget t = resolve(secret("host", "pg.shop.svc", "port", "5433", "dbname", "orders",
                "user", "migrator", "password", PASSWORD));
        assertThat(t.jdbcUrl()).isEqualTo("jdbc:postgresql://pg.shop.svc:5433/orders");
        assertThat(t.server()).isEqualTo("pg.shop.svc:5433/orders");
        assertThat(t.user()).isEqualTo("migrator");
        assertThat(t.redact(PASSWORD)).isEqualTo("***");
    }

    @Test
    void portDefaultsTo5432() throws Exception {
        DatabaseTarget t = resolve(secret("host", "pg", "dbname", "app", "user", "u", "password", PASSWORD));
        assertThat(t.server()).isEqualTo("pg:5432/app");
    }

    @Test
    void usernameKeyWorksInsteadOfUser() throws Exception {
        DatabaseTarget t = resolve(secret("host", "pg", "port", "5432", "dbname", "app",
                "username", "migrator", "password", PASSWORD));
        assertThat(t.user()).isEqualTo("migrator");
    }

    @Test
    void stringDataIsReadToo() throws Exception {
        Secret s = new SecretBuilder().withNewMetadata().withName(NAME).endMetadata()
                .addToStringData("host", "pg").addToStringData("dbname", "app")
                .addToStringData("user", "u").addToStringData("password", PASSWORD).build();
        assertThat(resolve(s).server()).isEqualTo("pg:5432/app");
    }

    @Test
    void cloudNativePgAppSecretWorksAsIs() throws Exception {
        String host = "cluster-example-rw.shop";
        Secret cnpg = secret(
                "username", "app",
                "password", PASSWORD,
                "host", host,
                "port", "5432",
                "dbname", "app",
                "uri", "postgresql://app:" + PASSWORD + "@" + host + ":5432/app",
                "jdbc-uri", "jdbc:postgresql://" + host + ":5432/app?password=" + PASSWORD + "&user=app",
                "pgpass", host + ":5432:app:app:" + PASSWORD + "\n");
        cnpg.setType("kubernetes.io/basic-auth");

        DatabaseTarget t = resolve(cnpg);
        assertThat(t.jdbcUrl()).isEqualTo("jdbc:postgresql://" + host + ":5432/app");
        assertThat(t.server()).isEqualTo(host + ":5432/app");
        assertThat(t.user()).isEqualTo("app");
        assertThat(t.redact("password " + PASSWORD)).isEqualTo("password ***");
        assertThat(t.toString()).doesNotContain(PASSWORD);
    }

    @Test
    void missingSecretNamesNamespaceNameAndField() {
        CredentialsException e = catchThrowableOfType(CredentialsException.class,
                () -> CredentialsResolver.resolve(null, NS, NAME));
        assertThat(e.reason()).isEqualTo(Reason.SecretNotFound);
        assertThat(e.getMessage()).contains("shop/app-db").contains("spec.database.secretRef.name");
    }

    @Test
    void missingHostNamesTheKey() {
        CredentialsException e = failure(secret("port", "5432", "dbname", "app", "user", "u", "password", PASSWORD));
        assertThat(e.reason()).isEqualTo(Reason.SecretKeyMissing);
        assertThat(e.getMessage()).contains("shop/app-db").contains("key host");
    }

    @Test
    void missingDbnameNamesTheKey() {
        CredentialsException e = failure(secret("host", "pg", "user", "u", "password", PASSWORD));
        assertThat(e.reason()).isEqualTo(Reason.SecretKeyMissing);
        assertThat(e.getMessage()).contains("key dbname");
    }

    @Test
    void missingUserNamesTheKey() {
        CredentialsException e = failure(secret("host", "pg", "dbname", "app", "password", PASSWORD));
        assertThat(e.reason()).isEqualTo(Reason.SecretKeyMissing);
        assertThat(e.getMessage()).contains("key user");
    }

    @Test
    void nonNumericPortIsRejected() {
        CredentialsException e = failure(secret("host", "pg", "port", "postgres", "dbname", "app", "user", "u",
                "password", PASSWORD));
        assertThat(e.reason()).isEqualTo(Reason.SecretKeyMissing);
        assertThat(e.getMessage()).contains("shop/app-db").contains("key port").contains("not a number");
    }

    @Test
    void emptySecretNamesWhatToAdd() {
        CredentialsException e = failure(new SecretBuilder().withNewMetadata().withName(NAME).endMetadata().build());
        assertThat(e.reason()).isEqualTo(Reason.SecretKeyMissing);
        assertThat(e.getMessage()).contains("jdbc-uri").contains("uri").contains("host");
    }

    @Test
    void invalidJdbcUriNamesTheKeyWithoutThePassword() {
        CredentialsException e = failure(secret("jdbc-uri", "jdbc:mysql://db/app?password=" + PASSWORD,
                "password", PASSWORD));
        assertThat(e.reason()).isEqualTo(Reason.SecretKeyMissing);
        assertThat(e.getMessage()).contains("key jdbc-uri is invalid");
    }

    @Test
    void invalidUriNamesTheKeyWithoutThePassword() {
        CredentialsException e = failure(secret("uri", "mysql://app:" + PASSWORD + "@db/app"));
        assertThat(e.getMessage()).contains("key uri is invalid");
        CredentialsException unparseable = failure(secret("uri", "postgresql://app:" + PASSWORD + " x@db/app"));
        assertThat(unparseable.getMessage()).contains("key uri is invalid");
    }

    @Test
    void uriKeyWithNonNumericPortIsRejected() {
        CredentialsException e = failure(secret("uri", "postgresql://app:" + PASSWORD + "@pg:notaport/app"));
        assertThat(e.getMessage()).contains("key uri");
    }
}
