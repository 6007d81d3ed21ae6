package dev.tandem.plan;

import dev.tandem.api.v1alpha1.Step;
import java.util.ArrayList;
import java.util.List;

/** The statements of one step, grouped into units that commit together. */
public record PlanStep(Step step, List<PlanUnit> units) {

    public static PlanStep of(Step step, List<PlannedStatement> statements) {
        List<PlanUnit> units = new ArrayList<>();
        List<PlannedStatement> current = new ArrayList<>();
        for (PlannedStatement s : statements) {
            if (s.transactional()) {
                current.add(s);
            } else {
                if (!current.isEmpty()) {
                    units.add(new PlanUnit(units.size(), List.copyOf(current)));
                    current.clear();
                }
                units.add(new PlanUnit(units.size(), List.of(s)));
            }
        }
        if (!current.isEmpty() || units.isEmpty()) {
            units.add(new PlanUnit(units.size(), List.copyOf(current)));
        }
        return new PlanStep(step, List.copyOf(units));
    }

    public List<PlannedStatement> statements() {
        return units.stream().flatMap(u -> u.statements().stream()).toList();
    }

    public LockLevel strongestLock() {
        return units.stream().map(PlanUnit::strongestLock).reduce(LockLevel.NONE, LockLevel::strongest);
    }
}
