package dev.tandem.scenarios;

import dev.tandem.api.v1alpha1.Phase;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** Seed 003 end to end: dogs.breed becomes breeds + dogs.breed_id while dogs with new breeds keep arriving. */
class NormalizeFieldScenarioTest {
    /** f(old) = new: every breed named by a dog is in breeds, and every dog's breed_id names its breed. */
    static final String DIFFERING = "SELECT (SELECT count(*) FROM dogs d LEFT JOIN breeds b ON b.id = d.breed_id "
            + "WHERE d.breed IS DISTINCT FROM b.name) + (SELECT count(*) FROM (SELECT DISTINCT breed FROM dogs "
            + "WHERE breed IS NOT NULL) o WHERE NOT EXISTS (SELECT 1 FROM breeds b WHERE b.name = o.breed))";

    @Test
    void breedsAreNormalizedUnderLiveWritesAndTheNewVersionWritesAfterCutoverAndContract() throws Exception {
        ScenarioRun.Report report = ScenarioRun.of(Scenario.load("normalize-field"))
                .compare(DIFFERING)
                .invariant("breed names unique, case as written",
                        "SELECT count(*) - count(DISTINCT name) FROM breeds",
                        Phase.Backfilled, Phase.Verified, Phase.CutOver, Phase.Contracted)
                .invariant("a dog with a breed has a breed_id",
                        "SELECT count(*) FROM dogs WHERE breed IS NOT NULL AND breed_id IS NULL")
                .gone("dogs.breed")
                .run();
        assertThat(report.differing()).isZero();
        assertThat(report.writesPerKind()).containsKeys("insert new breed", "key change", "delete");
    }
}
