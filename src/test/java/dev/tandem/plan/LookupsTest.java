package dev.tandem.plan;

import dev.tandem.api.v1alpha1.SchemaMigrationSpec;
import dev.tandem.api.v1alpha1.Step;
import dev.tandem.api.v1alpha1.SyncLookup;
import dev.tandem.api.v1alpha1.SyncSpec;
import dev.tandem.testing.Specs;
import dev.tandem.testing.SyncSpecs;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The static checks of spec.sync[N].lookups, how a lookup compiles, and where the plan shows and drops it. */
class LookupsTest {

    private static SyncLookup lookup(String table, String on) {
        SyncLookup l = new SyncLookup();
        l.setTable(table);
        l.setOn(on);
        return l;
    }

    private static SchemaMigrationSpec spec(Map<String, String> columns, SyncLookup... lookups) {
        SchemaMigrationSpec spec = Specs.of("CREATE TABLE backend_api_rules (id bigint PRIMARY KEY, owner_id bigint)",
                null, null, null);
        SyncSpec entry = SyncSpecs.entry("rules", "proxy_rules", List.of("id"), null, "backend_api_rules", List.of("id"),
                columns);
        entry.setLookups(new ArrayList<>(List.of(lookups)));
        spec.setSync(List.of(entry));
        return spec;
    }

    private static final Map<String, String> OWNER = Map.of("id", "id", "owner_id", "proxies.backend_api_id");

    private static List<String> errors(SchemaMigrationSpec spec) {
        return SpecValidator.validate(spec, false);
    }

    @Test
    void aValidLookupHasNoErrors() {
        assertThat(errors(spec(OWNER, lookup("proxies", "proxies.id = proxy_rules.proxy_id")))).isEmpty();
    }

    @Test
    void everyBadLookupIsNamedByItsField() {
        assertThat(errors(spec(OWNER, lookup(null, "x")))).singleElement().asString()
                .startsWith("spec.sync[0].lookups[0].table: missing");
        assertThat(errors(spec(OWNER, lookup("proxies", null)))).singleElement().asString()
                .startsWith("spec.sync[0].lookups[0].on: missing").contains("proxies.id = proxy_rules.proxies_id");
        assertThat(errors(spec(OWNER, lookup("proxies", "proxies.id = (proxy_rules.proxy_id")))).singleElement()
                .asString().startsWith("spec.sync[0].lookups[0].on: has an unclosed '('");
        assertThat(errors(spec(OWNER, lookup("proxies", "proxies.id = proxy_id")))).singleElement().asString()
                .startsWith("spec.sync[0].lookups[0].on:").contains("must name columns of both proxies and proxy_rules");
        assertThat(errors(spec(OWNER, lookup("proxies", "proxies.id = proxy_rules.proxy_id AND other.x = 1"))))
                .singleElement().asString().startsWith("spec.sync[0].lookups[0].on:").contains("names other");
        assertThat(errors(spec(OWNER, lookup("proxies", "proxies.id = proxy_rules.proxy_id"),
                lookup("backend_apis", "backend_apis.id = proxy_rules.proxy_id")))).singleElement().asString()
                .startsWith("spec.sync[0].lookups[1]: no column of this entry reads backend_apis");
        assertThat(errors(spec(OWNER, lookup("proxy_rules", "proxy_rules.id = proxy_rules.id")))).singleElement()
                .asString().startsWith("spec.sync[0].lookups[0].table:").contains("from.table");
        assertThat(errors(spec(OWNER, lookup("proxies", "proxies.id = proxy_rules.proxy_id"),
                lookup("other.proxies", "proxies.id = proxy_rules.proxy_id")))).singleElement().asString()
                .startsWith("spec.sync[0].lookups[1].table: another lookup of this entry is named proxies");
    }

    @Test
    void aNewKeyMayNotReadALookedUpTable() {
        assertThat(errors(spec(Map.of("id", "proxies.backend_api_id", "owner_id", "proxies.backend_api_id"),
                lookup("proxies", "proxies.id = proxy_rules.proxy_id")))).singleElement().asString()
                .startsWith("spec.sync[0].lookups[0]: to.key column 'id' reads proxies");
    }

    @Test
    void anInPlaceEntryWithLookupsRefusesAppTriggersSkip() {
        SchemaMigrationSpec spec = Specs.of("ALTER TABLE proxy_rules ADD COLUMN owner_id bigint", null, null, null);
        SyncSpec entry = SyncSpecs.entry("owner", "proxy_rules", List.of("id"), null, "proxy_rules", List.of(),
                Map.of("owner_id", "proxies.backend_api_id"));
        entry.setLookups(List.of(lookup("proxies", "proxies.id = proxy_rules.proxy_id")));
        entry.setAppTriggers(SyncSpec.AppTriggers.Skip);
        spec.setSync(List.of(entry));
        assertThat(errors(spec)).singleElement().asString().startsWith("spec.sync[0].appTriggers: Skip cannot be combined");
    }

    @Test
    void aLookedUpColumnBecomesTheRelatedRowsValue() {
        MigrationPlan plan = Planner.plan("ns", "m", spec(Map.of("id", "id", "owner_id",
                "coalesce(proxies.backend_api_id, 0) + length('proxies.x')"), lookup("public.proxies",
                "proxies.id = proxy_rules.proxy_id")));
        CompiledSync s = plan.sync().get(0);
        assertThat(s.columns().get("owner_id")).isEqualTo("coalesce((SELECT \"proxies\".\"backend_api_id\" FROM "
                + "\"public\".\"proxies\" AS \"proxies\" WHERE (proxies.id = proxy_rules.proxy_id)), 0) + length('proxies.x')");
        assertThat(s.lookups()).singleElement().satisfies(l -> {
            assertThat(l.columns()).containsExactly("backend_api_id", "id");
            assertThat(l.anyColumn()).isFalse();
        });
    }

    @Test
    void thePlanShowsTheLookupAndEveryStepThatDropsSyncTriggersDropsItsTrigger() {
        MigrationPlan plan = Planner.plan("ns", "m", spec(OWNER, lookup("proxies", "proxies.id = proxy_rules.proxy_id")));
        String trigger = plan.sync().get(0).lookups().get(0).functionName();
        String text = PlanRenderer.render(plan);
        assertThat(text).contains("looks up proxies on proxies.id = proxy_rules.proxy_id: the AFTER trigger " + trigger)
                .contains("CREATE TRIGGER \"" + trigger + "\" AFTER INSERT OR DELETE OR UPDATE OF \"backend_api_id\", \"id\" "
                        + "ON \"proxies\"");
        for (Step step : List.of(Step.CUTOVER, Step.ROLLBACK)) {
            assertThat(plan.step(step).statements()).as(step.key()).anySatisfy(st -> assertThat(st.sql())
                    .isEqualTo("DROP TRIGGER IF EXISTS \"" + trigger + "\" ON \"proxies\""));
        }
    }

    @Test
    void anEntryWithoutLookupsCompilesAsBefore() {
        SchemaMigrationSpec plain = spec(Map.of("id", "id", "owner_id", "(SELECT p.backend_api_id FROM proxies p "
                + "WHERE p.id = proxy_rules.proxy_id)"));
        plain.getSync().get(0).setLookups(null);
        SchemaMigrationSpec empty = spec(Map.of("id", "id", "owner_id", "(SELECT p.backend_api_id FROM proxies p "
                + "WHERE p.id = proxy_rules.proxy_id)"));
        assertThat(Planner.plan("ns", "m", empty).hash()).isEqualTo(Planner.plan("ns", "m", plain).hash());
        assertThat(Planner.plan("ns", "m", plain).sync().get(0).lookups()).isEmpty();
    }

    @Test
    void aLookupReadInASubqueryOfItsOwnFiresOnAnyChange() {
        MigrationPlan plan = Planner.plan("ns", "m", spec(Map.of("id", "id", "owner_id",
                "(SELECT max(p.backend_api_id) FROM proxies p WHERE p.id = proxy_rules.proxy_id)"),
                lookup("proxies", "proxies.id = proxy_rules.proxy_id")));
        assertThat(plan.sync().get(0).lookups().get(0).anyColumn()).isTrue();
        assertThat(PlanRenderer.render(plan)).contains("AFTER INSERT OR DELETE OR UPDATE ON \"proxies\"");
    }

    @Test
    void aPlanWithLookupsReadsBackFromItsJsonAsTheJobsReadIt() throws Exception {
        MigrationPlan plan = Planner.plan("ns", "m", spec(OWNER, lookup("proxies", "proxies.id = proxy_rules.proxy_id")));
        java.nio.file.Path file = java.nio.file.Files.createTempFile("plan", ".json");
        java.nio.file.Files.writeString(file, new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsString(plan));
        MigrationPlan read = dev.tandem.cli.JobInputs.readPlan(file);
        assertThat(read.sync()).isEqualTo(plan.sync());
        assertThat(read.sync().get(0).lookups()).hasSize(1);
    }

    @Test
    void onlyQualifiedReferencesOfTheLookedUpTableAreReplacedTheRestStaysAsWritten() {
        assertThat(SqlFragment.replaceQualified("E'\\'' || proxies.x || \"proxies\".\"Y\" /* proxies.z */ -- proxies.w\n"
                        + "|| s.proxies.v || proxies.f(1) || 'proxies.q'", "proxies", c -> "[" + c + "]"))
                .isEqualTo("E'\\'' || [x] || [Y] /* proxies.z */ -- proxies.w\n|| s.proxies.v || proxies.f(1) || 'proxies.q'");
    }

    @Test
    void aTableAnotherEntryFillsCannotBeLookedUp() {
        SchemaMigrationSpec spec = Specs.of("CREATE TABLE breeds (id serial PRIMARY KEY, name text UNIQUE NOT NULL); "
                + "ALTER TABLE dogs ADD COLUMN breed_id int", null, null, null);
        SyncSpec breeds = SyncSpecs.entry("breeds", "dogs", List.of("id"), null, "breeds", List.of("name"),
                Map.of("name", "breed"));
        breeds.setOnDelete(SyncSpec.OnDelete.Keep);
        SyncSpec breedId = SyncSpecs.entry("breed-id", "dogs", List.of("id"), null, "dogs", List.of(),
                Map.of("breed_id", "breeds.id"));
        breedId.setLookups(List.of(lookup("breeds", "breeds.name = dogs.breed")));
        spec.setSync(List.of(breeds, breedId));
        assertThat(errors(spec)).singleElement().asString()
                .startsWith("spec.sync[1].lookups[0].table: breeds is written by sync entry breeds");
    }
}
