package dev.tandem.engine;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class BackfillProgressTest {
    /** Progress by pages: {@code done} of {@code total} pages walked at {@code pps} pages per second. */
    private static BackfillProgress p(long total, long done, double pps, boolean complete) {
        return new BackfillProgress(total * 10, done * 10, done, total, pps * 10, pps, null, null, 0, 0, 1, complete);
    }

    @Test
    void percentNeverExceedsHundredNorReachesItBeforeTheEnd() {
        assertThat(p(1000, 0, 0, false).percent()).isZero();
        assertThat(p(1000, 500, 10, false).percent()).isEqualTo(50);
        assertThat(p(1000, 1000, 10, false).percent()).isEqualTo(99);
        assertThat(p(1000, 5000, 10, false).percent()).isEqualTo(99); // walked past the start size: still not done
        assertThat(p(0, 0, 0, false).percent()).isZero();
    }

    @Test
    void percentIsHundredWhenCompleteEvenIfTheEstimateWasHigh() {
        assertThat(p(1_000_000, 600_000, 0, true).percent()).isEqualTo(100);
    }

    @Test
    void etaFollowsTheRateAndIsUnknownWithoutOne() {
        assertThat(p(1000, 500, 50, false).etaSeconds()).isEqualTo(10);
        assertThat(p(1000, 500, 0, false).etaSeconds()).isEqualTo(-1);
        assertThat(p(1000, 1000, 0, true).etaSeconds()).isZero();
    }
}
