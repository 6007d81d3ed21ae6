package dev.tandem.operator;

import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import dev.tandem.api.v1alpha1.Reason;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.SchemaMigrationStatus;
import dev.tandem.cli.HostileInputs;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.plan.SpecValidator;
import dev.tandem.testing.Manifests;
import dev.tandem.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import dev.tandem.testing.OperatorTest;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The hostile specs of the command-line suite, as the operator gets them from an API server that
 * does not enforce the CRD's schema or CEL rules (the mock server): each ends Stalled with the
 * message the command line prints, and the database is not touched. Credentials given in a Secret
 * never reach status or events.
 */
@QuarkusTest
@WithKubernetesTestServer
class OperatorHostileInputTest extends OperatorTest {
    private static final YAMLMapper YAML = new YAMLMapper();

    private static Predicate<SchemaMigrationStatus> stalledWith(Reason reason) {
        return s -> s.condition(Names.Conditions.STALLED).map(c -> "True".equals(c.getStatus())
                && reason.name().equals(c.getReason())).orElse(false);
    }

    @Test
    void everyInvalidSpecOfTheCommandLineSuiteStallsWithItsMessageAndTouchesNothing() throws Exception {
        String ns = "hostile";
        DatabaseTarget db = TestDatabase.fresh(ns);
        TestDatabase.exec(db, HostileInputs.SETUP);
        client.resource(Manifests.secret(ns, "shop-db", db, db.user(), TestDatabase.password())).create();
        String before = HostileInputs.snapshot(db);
        List<HostileInputs.Invalid> specs = HostileInputs.invalidSpecs();
        assertThat(specs).as("specs that load but are invalid").hasSizeGreaterThanOrEqualTo(25);
        List<Resource<SchemaMigration>> applied = new ArrayList<>();
        for (int i = 0; i < specs.size(); i++) {
            SchemaMigration m = YAML.readValue(specs.get(i).manifest(), SchemaMigration.class);
            m.getMetadata().setNamespace(ns);
            m.getMetadata().setName("invalid-" + i);
            m.getSpec().getDatabase().getSecretRef().setName("shop-db");
            applied.add(apply(m));
        }
        for (int i = 0; i < specs.size(); i++) {
            HostileInputs.Invalid spec = specs.get(i);
            SchemaMigrationStatus s = awaitStatus(applied.get(i), stalledWith(Reason.InvalidSpec));
            List<String> expected = SpecValidator.validate(YAML.readValue(spec.manifest(), SchemaMigration.class).getSpec(), true);
            assertThat(s.getLastError().getMessage()).as(spec.name()).isEqualTo(String.join("; ", expected));
            for (String message : expected) {
                assertThat(spec.cliOutput()).as(spec.name() + ": the command line says the same").contains(message);
            }
            assertThat(s.getLastError().getMessage()).as(spec.name()).doesNotContainPattern("Exception|dev\\.tandem\\.");
        }
        assertThat(HostileInputs.snapshot(db)).as("the database is as it was").isEqualTo(before);
        assertThat(client.v1().events().inNamespace(ns).list().getItems()).extracting(Event::getReason)
                .contains("InvalidSpec");
    }

    @Test
    void aSyncEntryThatDoesNotFitTheDatabaseFailsAtExpandAndChangesNothing() throws Exception {
        String ns = "hostile-sync";
        DatabaseTarget db = TestDatabase.fresh(ns);
        TestDatabase.exec(db, HostileInputs.SETUP);
        client.resource(Manifests.secret(ns, "shop-db", db, db.user(), TestDatabase.password())).create();
        String before = HostileInputs.snapshot(db);
        SchemaMigration m = YAML.readValue(HostileInputs.BASE.replace("full_name: full_name}", "full_name: fullname}"),
                SchemaMigration.class);
        m.getMetadata().setNamespace(ns);
        SchemaMigrationStatus s = awaitStatus(apply(m), stalledWith(Reason.SyncInvalid));
        assertThat(s.getLastError().getMessage()).contains("spec.sync[0]").contains("fullname");
        assertThat(HostileInputs.snapshot(db)).as("the database is as it was").isEqualTo(before);
    }

    @Test
    void credentialsInTheSecretNeverReachStatusOrEvents() throws Exception {
        String ns = "hostile-secret";
        DatabaseTarget db = TestDatabase.fresh(ns);
        TestDatabase.ensureRole("tandem_hostile", HostileInputs.ROLE_PASSWORD);
        String server = db.server();
        String wrong = HostileInputs.SECRET;
        client.resource(new SecretBuilder().withNewMetadata().withNamespace(ns).withName("wrong-password").endMetadata()
                .withData(Map.of("uri", b64("postgresql://tandem_hostile:" + wrong + "@" + server))).build()).create();
        client.resource(new SecretBuilder().withNewMetadata().withNamespace(ns).withName("unreachable").endMetadata()
                .withData(Map.of("uri", b64("postgresql://app:" + wrong + "@127.0.0.1:1/shop"),
                        "password", b64(wrong))).build()).create();
        client.resource(new SecretBuilder().withNewMetadata().withNamespace(ns).withName("jdbc").endMetadata()
                .withData(Map.of("jdbc-uri", b64("jdbc:postgresql://127.0.0.1:1/shop?user=app&password=" + wrong)))
                .build()).create();

        SchemaMigration a = YAML.readValue(HostileInputs.BASE, SchemaMigration.class);
        a.getMetadata().setNamespace(ns);
        a.getMetadata().setName("wrong-password");
        a.getSpec().getDatabase().getSecretRef().setName("wrong-password");
        SchemaMigrationStatus refused = awaitStatus(apply(a), stalledWith(Reason.AuthenticationFailed));

        List<SchemaMigrationStatus> unreachable = new ArrayList<>();
        for (String secret : List.of("unreachable", "jdbc")) {
            SchemaMigration u = YAML.readValue(HostileInputs.BASE, SchemaMigration.class);
            u.getMetadata().setNamespace(ns);
            u.getMetadata().setName(secret);
            u.getSpec().getDatabase().getSecretRef().setName(secret);
            unreachable.add(awaitStatus(apply(u), s -> s.getLastError() != null
                    && Reason.DatabaseUnavailable.name().equals(s.getLastError().getReason())));
        }
        String everything = YAML.writeValueAsString(refused) + YAML.writeValueAsString(unreachable)
                + YAML.writeValueAsString(client.v1().events().inNamespace(ns).list().getItems().stream()
                .map(e -> e.getReason() + ": " + e.getMessage()).toList());
        assertThat(everything).contains("AuthenticationFailed").contains("DatabaseUnavailable")
                .doesNotContain(wrong).doesNotContain(HostileInputs.ROLE_PASSWORD);
    }

    private static String b64(String s) {
        return Base64.getEncoder().encodeToString(s.getBytes(StandardCharsets.UTF_8));
    }
}
