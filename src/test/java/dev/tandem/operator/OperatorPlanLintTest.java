package dev.tandem.operator;

import dev.tandem.api.v1alpha1.Phase;
import dev.tandem.api.v1alpha1.SchemaMigration;
import dev.tandem.api.v1alpha1.SchemaMigrationStatus;
import dev.tandem.api.v1alpha1.SqlSpec;
import dev.tandem.api.v1alpha1.StatusCondition;
import dev.tandem.api.v1alpha1.TargetPhase;
import dev.tandem.engine.DatabaseTarget;
import dev.tandem.testing.Manifests;
import dev.tandem.testing.TestDatabase;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.dsl.Resource;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.kubernetes.client.WithKubernetesTestServer;
import dev.tandem.testing.OperatorTest;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The plan's lint in the cluster, against the Fabric8 mock API server (CRUD mode, status through
 * the status subresource) and a real PostgreSQL: status.plan carries the findings, PlanLinted says
 * whether there is an error, and an Event reports it.
 */
@QuarkusTest
@WithKubernetesTestServer
class OperatorPlanLintTest extends OperatorTest {

    @Override
    protected Resource<SchemaMigration> apply(SchemaMigration m) {
        DatabaseTarget db = TestDatabase.fresh(m.getMetadata().getNamespace());
        TestDatabase.exec(db, Manifests.USERS_SETUP);
        client.resource(Manifests.secret(m.getMetadata().getNamespace(), "shop-db", db, db.user(), TestDatabase.password()))
                .create();
        return super.apply(m);
    }

    private static StatusCondition linted(SchemaMigrationStatus s) {
        return s.condition(Names.Conditions.PLAN_LINTED).orElseThrow(() -> new AssertionError("no PlanLinted condition"));
    }

    private List<Event> events(String ns) {
        return client.v1().events().inNamespace(ns).list().getItems();
    }

    @Test
    void warningsGoIntoStatusAndPlanLintedStaysTrue() {
        String ns = "lint-warn";
        Resource<SchemaMigration> r = apply(Manifests.attributeMove(ns, "move-name", "shop-db", TargetPhase.Expanded));
        SchemaMigrationStatus s = awaitStatus(r, st -> st.getPhase() == Phase.Expanded && st.getPlan() != null);
        assertThat(s.getPlan().getLint()).isEqualTo("0 errors, 1 warning, 0 notes");
        assertThat(s.getPlan().getFindings()).singleElement().satisfies(f -> {
            assertThat(f.getSeverity()).isEqualTo("WARNING");
            assertThat(f.getRule()).isEqualTo("full-table-dml-in-transaction");
            assertThat(f.getStatement()).isEqualTo("spec.expand.sql statement 2");
            assertThat(f.getMessage()).contains("users (ROW EXCLUSIVE, scans the table)").contains("copies every row of users");
            assertThat(f.getFix()).contains("spec.sync");
        });
        assertThat(linted(s).getStatus()).isEqualTo("True");
        assertThat(linted(s).getReason()).isEqualTo(Names.Reasons.LINT_CLEAN);
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(events(ns)).filteredOn(e -> "PlanLinted".equals(e.getReason()))
                .singleElement().satisfies(e -> {
                    assertThat(e.getType()).isEqualTo("Normal");
                    assertThat(e.getMessage()).contains("0 errors, 1 warning");
                }));
    }

    @Test
    void anErrorTurnsPlanLintedFalseWithAWarningEvent() {
        String ns = "lint-error";
        SchemaMigration m = Manifests.attributeMove(ns, "move-name", "shop-db", TargetPhase.Expanded);
        m.getSpec().setExpand(new SqlSpec("CREATE TABLE users_pii (user_id bigint PRIMARY KEY, full_name text NOT NULL);\n"
                + "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();"));
        Resource<SchemaMigration> r = apply(m);
        SchemaMigrationStatus s = awaitStatus(r, st -> st.getPlan() != null && st.condition(Names.Conditions.PLAN_LINTED)
                .isPresent());
        assertThat(linted(s).getStatus()).isEqualTo("False");
        assertThat(linted(s).getReason()).isEqualTo(Names.Reasons.LINT_ERRORS);
        assertThat(linted(s).getMessage()).contains("1 error").contains("table-rewrite at spec.expand.sql statement 2");
        assertThat(s.getPlan().getFindings()).first().satisfies(f -> {
            assertThat(f.getSeverity()).isEqualTo("ERROR");
            assertThat(f.getMessage()).contains("users (ACCESS EXCLUSIVE, rewrites the table)");
        });
        await().atMost(TIMEOUT).untilAsserted(() -> assertThat(events(ns))
                .filteredOn(e -> "PlanLintFailed".equals(e.getReason())).singleElement()
                .satisfies(e -> assertThat(e.getType()).isEqualTo("Warning")));
    }
}
